// KvService: the kvstore.v1.KV gRPC service on the callback API.
//
// Request path: Admit (shutdown, auth) -> validate -> hand the engine call to a
// worker pool -> reply. Get runs inline on the gRPC thread (a point lookup is
// short); writes run on the write pool (they wait for the WAL fsync, and many
// writers in flight share one fsync through the engine's group commit);
// MultiGet and Scan run on the read pool. A full pool answers RESOURCE_EXHAUSTED.
//
// Writes: Put, Delete, Write and CompareAndSwap hold the key stripes of every
// key they touch (NodeState::key_locks) across the engine call, which makes a
// CAS's read-compare-write atomic with respect to all other writes. Durable by
// default (WriteOptions::sync); DURABILITY_ASYNC skips the fsync.
//
// Every response carries ResponseHeader{node_id, sequence}; reads report the
// snapshot they read, writes the engine's last sequence after they applied.
#pragma once

#include "kvstore/v1/kv.grpc.pb.h"
#include "node/node_state.h"

namespace kvstore::node {

class KvService final : public v1::KV::CallbackService {
 public:
  explicit KvService(NodeState* state) : state_(state) {}

  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const v1::GetRequest* req,
                                v1::GetResponse* resp) override;
  grpc::ServerUnaryReactor* MultiGet(grpc::CallbackServerContext* ctx,
                                     const v1::MultiGetRequest* req,
                                     v1::MultiGetResponse* resp) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx, const v1::PutRequest* req,
                                v1::PutResponse* resp) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const v1::DeleteRequest* req,
                                   v1::DeleteResponse* resp) override;
  grpc::ServerUnaryReactor* Write(grpc::CallbackServerContext* ctx, const v1::WriteRequest* req,
                                  v1::WriteResponse* resp) override;
  grpc::ServerWriteReactor<v1::ScanResponse>* Scan(grpc::CallbackServerContext* ctx,
                                                   const v1::ScanRequest* req) override;
  grpc::ServerUnaryReactor* CompareAndSwap(grpc::CallbackServerContext* ctx,
                                           const v1::CompareAndSwapRequest* req,
                                           v1::CompareAndSwapResponse* resp) override;

 private:
  NodeState* state_;
};

}  // namespace kvstore::node
