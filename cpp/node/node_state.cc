#include "node/node_state.h"

#include <utility>

namespace kvstore::node {

NodeState::NodeState(const NodeConfig& cfg, std::unique_ptr<DB> database)
    : config(cfg),
      db(std::move(database)),
      commit_queue(db.get(), CommitQueue::Limits{cfg.limits.max_queued_writes}),
      read_pool("read", cfg.limits.read_threads, cfg.limits.max_queued_reads),
      auth(cfg.auth_token) {
  commit_queue.Start();
}

grpc::Status NodeState::Admit(const grpc::CallbackServerContext* ctx) const {
  if (shutting_down.load(std::memory_order_acquire)) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "node is shutting down");
  }
  return auth.Check(ctx);
}

bool NodeState::TryReserveWriteBytes(size_t n) {
  size_t before = inflight_write_bytes.fetch_add(n, std::memory_order_acq_rel);
  if (before != 0 && before + n > config.limits.max_inflight_write_bytes) {
    inflight_write_bytes.fetch_sub(n, std::memory_order_acq_rel);
    return false;
  }
  return true;
}

uint64_t NodeState::LatestSequence() {
  const Snapshot* snap = db->GetSnapshot();
  uint64_t seq = snap->sequence();
  db->ReleaseSnapshot(snap);
  return seq;
}

bool UnaryCall::ReserveWriteBytes(size_t n) {
  if (!state_->TryReserveWriteBytes(n)) return false;
  reserved_bytes_ = n;
  return true;
}

grpc::Status WriteBudgetExhausted() {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "node overloaded: too many write bytes in flight, retry later");
}

grpc::ServerUnaryReactor* UnaryCall::Finish(const grpc::Status& status) const {
  if (reserved_bytes_ != 0) state_->ReleaseWriteBytes(reserved_bytes_);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  state_->metrics.Record(method_, status.error_code(), seconds);
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) state_->metrics.RecordOverload();
  reactor_->Finish(status);
  return reactor_;
}

}  // namespace kvstore::node
