#include "node/scan_reactor.h"

#include <algorithm>
#include <optional>
#include <string>

#include "node/request_validation.h"
#include "node/status_map.h"
#include "util/bytewise.h"

namespace kvstore::node {

ScanReactor::ScanReactor(NodeState* state, grpc::CallbackServerContext* ctx,
                         const v1::ScanRequest* req)
    : st_(state), req_(req) {
  if (auto s = st_->Admit(ctx); !s.ok()) {
    Done(s);
    return;
  }
  if (auto s = ValidateScan(*req, st_->config.limits); !s.ok()) {
    Done(s);
    return;
  }
  const auto& limits = st_->config.limits;
  if (st_->open_scans.fetch_add(1, std::memory_order_acq_rel) >= limits.max_open_scans) {
    st_->open_scans.fetch_sub(1, std::memory_order_acq_rel);
    Done(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "node overloaded: too many open scans (limit " +
                          std::to_string(limits.max_open_scans) + "), retry later"));
    return;
  }
  counted_ = true;
  budget_ = req->max_bytes_per_message() != 0 ? req->max_bytes_per_message()
                                              : limits.default_scan_message_bytes;

  // Bounds: [lower, upper) = [max(start, prefix), min(stop, successor(prefix))).
  ReadOptions ro;
  std::string lower = req->has_start() ? req->start() : std::string();
  if (!req->prefix().empty()) lower = std::max(lower, req->prefix());
  std::optional<std::string> upper;
  if (req->has_stop()) upper = req->stop();
  if (!req->prefix().empty()) {
    std::optional<std::string> succ = PrefixSuccessor(req->prefix());
    if (succ && (!upper || *succ < *upper)) upper = std::move(succ);
  }
  if (upper && lower >= *upper) {
    empty_range_ = true;
  } else {
    snapshot_ = st_->db->GetSnapshot();
    ro.snapshot = snapshot_;
    if (!lower.empty()) ro.lower_bound = lower;
    ro.upper_bound = upper;
    if (!req->prefix().empty()) ro.prefix = req->prefix();  // lets the engine skip SSTs
    iter_ = st_->db->NewIterator(ro);
  }
  Schedule();
}

ScanReactor::~ScanReactor() {
  iter_.reset();
  if (snapshot_ != nullptr) st_->db->ReleaseSnapshot(snapshot_);
  if (counted_) st_->open_scans.fetch_sub(1, std::memory_order_acq_rel);
}

void ScanReactor::Schedule() {
  if (!st_->read_pool.TrySubmit([this] { FillAndSend(); })) {
    Done(OverloadedStatus("read"));
  }
}

void ScanReactor::FillAndSend() {
  if (cancelled_.load(std::memory_order_acquire)) {
    Done(grpc::Status(grpc::StatusCode::CANCELLED, "scan cancelled by the client"));
    return;
  }
  if (st_->shutting_down.load(std::memory_order_acquire)) {
    Done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "node is shutting down"));
    return;
  }
  msg_.Clear();
  auto* h = msg_.mutable_header();
  h->set_node_id(st_->config.node_id);
  h->set_sequence(snapshot_ != nullptr ? snapshot_->sequence() : st_->LatestSequence());

  const uint64_t limit = req_->limit();
  bool exhausted = empty_range_;
  if (!exhausted) {
    if (!positioned_) {
      if (req_->reverse()) {
        iter_->SeekToLast();
      } else {
        iter_->SeekToFirst();
      }
      positioned_ = true;
    }
    size_t bytes = 0;
    while (iter_->Valid() && (limit == 0 || sent_entries_ < limit)) {
      Slice k = iter_->key();
      Slice v = req_->keys_only() ? Slice() : iter_->value();
      if (msg_.entries_size() > 0 && bytes + k.size() + v.size() > budget_) break;
      auto* kv = msg_.add_entries();
      kv->set_key(k.data(), k.size());
      if (!req_->keys_only()) kv->set_value(v.data(), v.size());
      bytes += k.size() + v.size();
      sent_entries_++;
      if (req_->reverse()) {
        iter_->Prev();
      } else {
        iter_->Next();
      }
    }
    if (!iter_->Valid()) {
      if (Status s = iter_->status(); !s.ok()) {
        Done(ToGrpcStatus(s));
        return;
      }
      exhausted = true;
    }
    if (limit != 0 && sent_entries_ >= limit) exhausted = true;
  }

  if (msg_.entries_size() == 0 && exhausted && sent_any_) {
    Done(grpc::Status::OK);
    return;
  }
  sent_any_ = true;
  if (exhausted) {
    // The last message and the status in one round trip. Nothing may touch
    // `this` after it: OnDone may already be running.
    msg_.mutable_header();  // keep header set even when empty
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    st_->metrics.Record(Method::kScan, grpc::StatusCode::OK, seconds);
    StartWriteAndFinish(&msg_, grpc::WriteOptions(), grpc::Status::OK);
    return;
  }
  StartWrite(&msg_);
}

void ScanReactor::OnWriteDone(bool ok) {
  if (!ok) {
    Done(grpc::Status(grpc::StatusCode::CANCELLED, "client went away during the scan"));
    return;
  }
  Schedule();
}

void ScanReactor::Done(const grpc::Status& status) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  st_->metrics.Record(Method::kScan, status.error_code(), seconds);
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) st_->metrics.RecordOverload();
  Finish(status);
}

void ScanReactor::OnDone() { delete this; }

}  // namespace kvstore::node
