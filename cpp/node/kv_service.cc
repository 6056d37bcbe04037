#include "node/kv_service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "node/commit_queue.h"
#include "node/request_validation.h"
#include "node/scan_reactor.h"
#include "node/status_map.h"

namespace kvstore::node {
namespace {

void FillHeader(NodeState* st, v1::ResponseHeader* h, uint64_t sequence) {
  h->set_node_id(st->config.node_id);
  h->set_sequence(sequence);
}

// One write waiting in the commit queue. Done (on the reply thread or the
// committer) fills the response and finishes the call, then deletes the request.
class QueuedWrite final : public CommitQueue::Request {
 public:
  QueuedWrite(NodeState* st, const UnaryCall& call, v1::ResponseHeader* header, int durability)
      : st_(st), call_(call), header_(header) {
    sync = WantsSync(durability);
  }

  void Done(const Status& s, uint64_t sequence) override {
    if (!s.ok()) {
      call_.Finish(ToGrpcStatus(s));
    } else {
      if (cas_response != nullptr) {
        cas_response->set_applied(cas_applied);
        cas_response->set_found(cas_found);
        if (cas_applied && cas_found) {
          cas_response->set_current_value(std::string(mutations.front().value));
        } else if (!cas_applied && cas_found) {
          cas_response->set_current_value(std::move(cas_current));
        }
      }
      FillHeader(st_, header_, sequence);
      call_.Finish(grpc::Status::OK);
    }
    delete this;
  }

  v1::CompareAndSwapResponse* cas_response = nullptr;

 private:
  NodeState* st_;
  UnaryCall call_;
  v1::ResponseHeader* header_;
};

// Queues a write, or finishes the call: RESOURCE_EXHAUSTED when the queue is
// full, UNAVAILABLE once the queue has stopped (the node is shutting down).
grpc::ServerUnaryReactor* Enqueue(NodeState* st, const UnaryCall& call,
                                  std::unique_ptr<QueuedWrite> w) {
  switch (st->commit_queue.TryEnqueue(w.get())) {
    case CommitQueue::EnqueueResult::kQueued:
      w.release();  // the committer owns it now (Done deletes it)
      return call.reactor();
    case CommitQueue::EnqueueResult::kFull:
      return call.Finish(OverloadedStatus("write"));
    case CommitQueue::EnqueueResult::kStopped:
      break;
  }
  return call.Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "node is shutting down"));
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
  if (!call.ReserveWriteBytes(req->key().size() + req->value().size())) {
    return call.Finish(WriteBudgetExhausted());
  }
  auto w = std::make_unique<QueuedWrite>(state_, call, resp->mutable_header(), req->durability());
  w->mutations.push_back({req->key(), req->value(), false});
  return Enqueue(state_, call, std::move(w));
}

grpc::ServerUnaryReactor* KvService::Delete(grpc::CallbackServerContext* ctx,
                                            const v1::DeleteRequest* req,
                                            v1::DeleteResponse* resp) {
  UnaryCall call(state_, Method::kDelete, ctx->DefaultReactor());
  if (auto s = state_->Admit(ctx); !s.ok()) return call.Finish(s);
  if (auto s = ValidateDelete(*req); !s.ok()) return call.Finish(s);
  if (!call.ReserveWriteBytes(req->key().size())) return call.Finish(WriteBudgetExhausted());
  auto w = std::make_unique<QueuedWrite>(state_, call, resp->mutable_header(), req->durability());
  w->mutations.push_back({req->key(), Slice(), true});
  return Enqueue(state_, call, std::move(w));
}

grpc::ServerUnaryReactor* KvService::Write(grpc::CallbackServerContext* ctx,
                                           const v1::WriteRequest* req, v1::WriteResponse* resp) {
  UnaryCall call(state_, Method::kWrite, ctx->DefaultReactor());
  if (auto s = state_->Admit(ctx); !s.ok()) return call.Finish(s);
  if (auto s = ValidateWrite(*req, state_->config.limits); !s.ok()) return call.Finish(s);
  if (!call.ReserveWriteBytes(req->ByteSizeLong())) return call.Finish(WriteBudgetExhausted());
  auto w = std::make_unique<QueuedWrite>(state_, call, resp->mutable_header(), req->durability());
  w->mutations.reserve(req->mutations_size());
  for (const auto& m : req->mutations()) {
    if (m.has_put()) {
      w->mutations.push_back({m.put().key(), m.put().value(), false});
    } else {
      w->mutations.push_back({m.delete_().key(), Slice(), true});
    }
  }
  return Enqueue(state_, call, std::move(w));
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
  if (!call.ReserveWriteBytes(req->key().size() + req->expected().size() +
                              req->new_value().size())) {
    return call.Finish(WriteBudgetExhausted());
  }
  auto w = std::make_unique<QueuedWrite>(state_, call, resp->mutable_header(), req->durability());
  w->is_cas = true;
  w->cas_has_expected = req->has_expected();
  w->cas_expected = req->expected();
  w->mutations.push_back({req->key(), req->new_value(), !req->has_new_value()});
  w->cas_response = resp;
  return Enqueue(state_, call, std::move(w));
}

}  // namespace kvstore::node
