// NodeState: what the node's services share — the engine, the commit queue
// (every write), the read pool, auth, metrics and the shutting-down flag. Owned
// by Node, borrowed by the services; it outlives every RPC (Node shuts the gRPC
// server down, which waits for all calls to finish, before it stops the commit
// queue and the read pool and closes the engine).
//
// Thread safety: every member is safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "kvstore/db.h"
#include "node/commit_queue.h"
#include "node/node_config.h"
#include "node/node_metrics.h"
#include "node/token_auth.h"
#include "node/worker_pool.h"

namespace kvstore::node {

struct NodeState {
  NodeState(const NodeConfig& cfg, std::unique_ptr<DB> database);

  const NodeConfig config;
  std::unique_ptr<DB> db;
  CommitQueue commit_queue;
  WorkerPool read_pool;
  TokenAuth auth;
  NodeMetrics metrics;
  std::atomic<bool> shutting_down{false};
  std::atomic<uint64_t> open_scans{0};
  std::atomic<size_t> inflight_write_bytes{0};
  const std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();
  std::string bound_address;  // set by Node::Start before serving

  // Refuses a call early: UNAVAILABLE while shutting down, UNAUTHENTICATED on a bad token.
  grpc::Status Admit(const grpc::CallbackServerContext* ctx) const;
  // Reserves n bytes of the write budget (limits.max_inflight_write_bytes); false
  // when it is spent. Every successful reservation is released exactly once.
  bool TryReserveWriteBytes(size_t n);
  void ReleaseWriteBytes(size_t n) { inflight_write_bytes.fetch_sub(n, std::memory_order_acq_rel); }
  // The engine's latest sequence number.
  uint64_t LatestSequence();
};

// One unary call in flight: remembers its start for the latency histogram and
// finishes the reactor exactly once, recording the outcome. Copyable so a task
// on a worker pool or a queued write can carry it; Finish() must be called on
// exactly one copy, and nothing may touch the request or response after it.
class UnaryCall {
 public:
  UnaryCall(NodeState* state, Method method, grpc::ServerUnaryReactor* reactor)
      : state_(state), method_(method), reactor_(reactor), start_(std::chrono::steady_clock::now()) {}

  // Releases any reserved write bytes, records the outcome, finishes the reactor.
  grpc::ServerUnaryReactor* Finish(const grpc::Status& status) const;
  grpc::ServerUnaryReactor* reactor() const { return reactor_; }
  // Takes n bytes of the in-flight write budget, held until Finish (so the budget
  // is free again before the client sees the reply). Call before copying the call
  // into a task or a queued write. False when the budget is spent.
  bool ReserveWriteBytes(size_t n);

 private:
  NodeState* state_;
  Method method_;
  grpc::ServerUnaryReactor* reactor_;
  std::chrono::steady_clock::time_point start_;
  size_t reserved_bytes_ = 0;
};

// The answer for a write refused by the in-flight write byte budget.
grpc::Status WriteBudgetExhausted();

}  // namespace kvstore::node
