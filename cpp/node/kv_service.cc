#include "node/kv_service.h"

#include <string>
#include <vector>

#include "kvstore/write_batch.h"
#include "node/request_validation.h"
#include "node/scan_reactor.h"
#include "node/status_map.h"

namespace kvstore::node {
namespace {

void FillHeader(NodeState* st, v1::ResponseHeader* h, uint64_t sequence) {
  h->set_node_id(st->config.node_id);
  h->set_sequence(sequence);
}

WriteOptions WriteOptionsFor(int durability) {
  WriteOptions wo;
  wo.sync = WantsSync(durability);
  return wo;
}

// Runs task on pool, or finishes the call with RESOURCE_EXHAUSTED when the pool is full.
template <typename Task>
grpc::ServerUnaryReactor* Dispatch(WorkerPool& pool, const UnaryCall& call, Task&& task) {
  if (!pool.TrySubmit(std::forward<Task>(task))) {
    return call.Finish(OverloadedStatus(pool.name().c_str()));
  }
  return call.reactor();
}

}  // namespace

grpc::ServerUnaryReactor* KvService::Get(grpc::CallbackServerContext* ctx,
                                         const v1::GetRequest* req, v1::GetResponse* resp) {
  UnaryCall call(state_, Method::kGet, ctx->DefaultReactor());
  if (auto s = state_->Admit(ctx); !s.ok()) return call.Finish(s);
  if (auto s = ValidateGet(*req); !s.ok()) return call.Finish(s);
  DB* db = state_->db.get();
  const Snapshot* snap = db->GetSnapshot();
  ReadOptions ro;
  ro.snapshot = snap;
  Status s = db->Get(ro, req->key(), resp->mutable_value());
  FillHeader(state_, resp->mutable_header(), snap->sequence());
  db->ReleaseSnapshot(snap);
  if (s.IsNotFound()) {
    resp->set_found(false);
    resp->clear_value();
    return call.Finish(grpc::Status::OK);
  }
  if (!s.ok()) return call.Finish(ToGrpcStatus(s));
  resp->set_found(true);
  return call.Finish(grpc::Status::OK);
}

grpc::ServerUnaryReactor* KvService::MultiGet(grpc::CallbackServerContext* ctx,
                                              const v1::MultiGetRequest* req,
                                              v1::MultiGetResponse* resp) {
  UnaryCall call(state_, Method::kMultiGet, ctx->DefaultReactor());
  if (auto s = state_->Admit(ctx); !s.ok()) return call.Finish(s);
  if (auto s = ValidateMultiGet(*req, state_->config.limits); !s.ok()) return call.Finish(s);
  NodeState* st = state_;
  return Dispatch(st->read_pool, call, [st, call, req, resp] {
    DB* db = st->db.get();
    const Snapshot* snap = db->GetSnapshot();
    ReadOptions ro;
    ro.snapshot = snap;
    std::vector<Slice> keys(req->keys().begin(), req->keys().end());
    std::vector<std::string> values;
    std::vector<Status> statuses = db->MultiGet(ro, keys, &values);
    FillHeader(st, resp->mutable_header(), snap->sequence());
    db->ReleaseSnapshot(snap);
    for (size_t i = 0; i < statuses.size(); i++) {
      auto* mv = resp->add_values();
      if (statuses[i].ok()) {
        mv->set_found(true);
        mv->set_value(std::move(values[i]));
      } else if (!statuses[i].IsNotFound()) {
        call.Finish(ToGrpcStatus(statuses[i]));
        return;
      }
    }
    call.Finish(grpc::Status::OK);
  });
}

grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* ctx,
                                         const v1::PutRequest* req, v1::PutResponse* resp) {
  UnaryCall call(state_, Method::kPut, ctx->DefaultReactor());
  if (auto s = state_->Admit(ctx); !s.ok()) return call.Finish(s);
  if (auto s = ValidatePut(*req); !s.ok()) return call.Finish(s);
  NodeState* st = state_;
  if (!call.ReserveWriteBytes(req->key().size() + req->value().size())) {
    return call.Finish(WriteBudgetExhausted());
  }
  return Dispatch(st->write_pool, call, [st, call, req, resp] {
    Status s;
    {
      auto guard = st->key_locks.LockKey(req->key());
      s = st->db->Put(WriteOptionsFor(req->durability()), req->key(), req->value());
    }
    if (!s.ok()) {
      call.Finish(ToGrpcStatus(s));
      return;
    }
    FillHeader(st, resp->mutable_header(), st->LatestSequence());
    call.Finish(grpc::Status::OK);
  });
}

grpc::ServerUnaryReactor* KvService::Delete(grpc::CallbackServerContext* ctx,
                                            const v1::DeleteRequest* req,
                                            v1::DeleteResponse* resp) {
  UnaryCall call(state_, Method::kDelete, ctx->DefaultReactor());
  if (auto s = state_->Admit(ctx); !s.ok()) return call.Finish(s);
  if (auto s = ValidateDelete(*req); !s.ok()) return call.Finish(s);
  NodeState* st = state_;
  if (!call.ReserveWriteBytes(req->key().size())) return call.Finish(WriteBudgetExhausted());
  return Dispatch(st->write_pool, call, [st, call, req, resp] {
    Status s;
    {
      auto guard = st->key_locks.LockKey(req->key());
      s = st->db->Delete(WriteOptionsFor(req->durability()), req->key());
    }
    if (!s.ok()) {
      call.Finish(ToGrpcStatus(s));
      return;
    }
    FillHeader(st, resp->mutable_header(), st->LatestSequence());
    call.Finish(grpc::Status::OK);
  });
}

grpc::ServerUnaryReactor* KvService::Write(grpc::CallbackServerContext* ctx,
                                           const v1::WriteRequest* req, v1::WriteResponse* resp) {
  UnaryCall call(state_, Method::kWrite, ctx->DefaultReactor());
  if (auto s = state_->Admit(ctx); !s.ok()) return call.Finish(s);
  if (auto s = ValidateWrite(*req, state_->config.limits); !s.ok()) return call.Finish(s);
  NodeState* st = state_;
  if (!call.ReserveWriteBytes(req->ByteSizeLong())) return call.Finish(WriteBudgetExhausted());
  return Dispatch(st->write_pool, call, [st, call, req, resp] {
    WriteBatch batch;
    std::vector<Slice> keys;
    keys.reserve(req->mutations_size());
    for (const auto& m : req->mutations()) {
      if (m.has_put()) {
        batch.Put(m.put().key(), m.put().value());
        keys.push_back(m.put().key());
      } else {
        batch.Delete(m.delete_().key());
        keys.push_back(m.delete_().key());
      }
    }
    Status s;
    if (batch.Count() > 0) {
      auto guard = st->key_locks.LockKeys(keys);
      s = st->db->Write(WriteOptionsFor(req->durability()), &batch);
    }
    if (!s.ok()) {
      call.Finish(ToGrpcStatus(s));
      return;
    }
    FillHeader(st, resp->mutable_header(), st->LatestSequence());
    call.Finish(grpc::Status::OK);
  });
}

grpc::ServerWriteReactor<v1::ScanResponse>* KvService::Scan(grpc::CallbackServerContext* ctx,
                                                            const v1::ScanRequest* req) {
  return new ScanReactor(state_, ctx, req);
}

grpc::ServerUnaryReactor* KvService::CompareAndSwap(grpc::CallbackServerContext* ctx,
                                                    const v1::CompareAndSwapRequest* req,
                                                    v1::CompareAndSwapResponse* resp) {
  UnaryCall call(state_, Method::kCompareAndSwap, ctx->DefaultReactor());
  if (auto s = state_->Admit(ctx); !s.ok()) return call.Finish(s);
  if (auto s = ValidateCompareAndSwap(*req); !s.ok()) return call.Finish(s);
  NodeState* st = state_;
  if (!call.ReserveWriteBytes(req->key().size() + req->expected().size() +
                              req->new_value().size())) {
    return call.Finish(WriteBudgetExhausted());
  }
  return Dispatch(st->write_pool, call, [st, call, req, resp] {
    DB* db = st->db.get();
    auto guard = st->key_locks.LockKey(req->key());
    std::string current;
    Status s = db->Get(ReadOptions(), req->key(), &current);
    if (!s.ok() && !s.IsNotFound()) {
      call.Finish(ToGrpcStatus(s));
      return;
    }
    const bool found = s.ok();
    const bool matches = req->has_expected() ? (found && current == req->expected()) : !found;
    if (!matches) {
      resp->set_applied(false);
      resp->set_found(found);
      if (found) resp->set_current_value(std::move(current));
      FillHeader(st, resp->mutable_header(), st->LatestSequence());
      call.Finish(grpc::Status::OK);
      return;
    }
    WriteOptions wo = WriteOptionsFor(req->durability());
    s = req->has_new_value() ? db->Put(wo, req->key(), req->new_value()) : db->Delete(wo, req->key());
    if (!s.ok()) {
      call.Finish(ToGrpcStatus(s));
      return;
    }
    resp->set_applied(true);
    resp->set_found(req->has_new_value());
    if (req->has_new_value()) resp->set_current_value(req->new_value());
    FillHeader(st, resp->mutable_header(), st->LatestSequence());
    call.Finish(grpc::Status::OK);
  });
}

}  // namespace kvstore::node
