// ScanReactor: one server-streaming Scan call.
//
// The scan reads one consistent view (an engine snapshot taken when the call
// starts) through a bounded engine iterator over [max(start, prefix),
// min(stop, prefix successor)), forward or reversed, and streams it in messages
// of at most max_bytes_per_message key+value bytes (a single larger entry goes
// alone) until `limit` entries were sent or the range ends. Filling a message
// runs on the read pool, never on a gRPC thread; only one fill or one write is
// outstanding at a time, so the iterator is used by one thread at a time.
// A client that goes away (cancel, disconnect) ends the scan at the next step;
// OnDone releases the iterator and snapshot and deletes the reactor.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

#include "kvstore/iterator.h"
#include "kvstore/v1/kv.grpc.pb.h"
#include "node/node_state.h"

namespace kvstore::node {

class ScanReactor final : public grpc::ServerWriteReactor<v1::ScanResponse> {
 public:
  ScanReactor(NodeState* state, grpc::CallbackServerContext* ctx, const v1::ScanRequest* req);

  void OnWriteDone(bool ok) override;
  void OnCancel() override { cancelled_.store(true, std::memory_order_release); }
  void OnDone() override;

 private:
  ~ScanReactor() override;
  void Schedule();   // queue FillAndSend on the read pool (or finish: overloaded)
  void FillAndSend();
  void Done(const grpc::Status& status);

  NodeState* st_;
  const v1::ScanRequest* req_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  const Snapshot* snapshot_ = nullptr;
  std::unique_ptr<Iterator> iter_;
  bool counted_ = false;   // holds a slot in NodeState::open_scans
  bool positioned_ = false;
  bool empty_range_ = false;
  bool sent_any_ = false;
  uint64_t sent_entries_ = 0;
  size_t budget_ = 0;
  v1::ScanResponse msg_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace kvstore::node
