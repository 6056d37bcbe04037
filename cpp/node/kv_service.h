// KvService: the kvstore.v1.KV gRPC service on the callback API.
//
// Request path: Admit (shutdown, auth) -> validate -> run or queue the engine
// work -> reply. Get runs inline on the gRPC thread (a point lookup is short);
// MultiGet, Scan (and Admin.Status) run on the read pool, whose full queue
// answers RESOURCE_EXHAUSTED.
//
// Writes: Put, Delete, Write and CompareAndSwap are queued on the node's
// CommitQueue (commit_queue.h) and answered by its reply thread once the
// engine batch holding them is written: no thread waits per request. A full
// queue answers RESOURCE_EXHAUSTED, a stopped one UNAVAILABLE. The committer is
// the only writer, so a CAS's read-compare-write is atomic with respect to all
// other writes. Durable by default (the batch is fsynced before the reply);
// DURABILITY_ASYNC skips the fsync unless a durable request shares the batch.
//
// Every response carries ResponseHeader{node_id, sequence}; reads report the
// snapshot they read, writes the engine's last sequence after their batch.
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
