// Progress: the leader's view of one follower's log, and the flow control
// that paces appends to it.
//
//   Probe     : we do not know where the follower's log ends; send one append
//               and wait for its answer (or a heartbeat) before the next.
//   Replicate : the follower is known to match up to `match`; stream appends
//               optimistically (next advances on send) while fewer than
//               max_inflight appends are unacknowledged.
//   Snapshot  : a snapshot is on its way; send nothing until it is acknowledged
//               or given up on (after an election timeout without an answer).
#pragma once

#include <cstdint>
#include <deque>

namespace kvstore::raft {

class Inflights {
 public:
  explicit Inflights(size_t cap = 256) : cap_(cap) {}
  void Add(uint64_t last_index) { q_.push_back(last_index); }
  // Frees every in-flight append whose last index is <= i.
  void FreeLE(uint64_t i) {
    while (!q_.empty() && q_.front() <= i) q_.pop_front();
  }
  void FreeFirst() {
    if (!q_.empty()) q_.pop_front();
  }
  bool Full() const { return q_.size() >= cap_; }
  size_t Count() const { return q_.size(); }
  void Reset() { q_.clear(); }

 private:
  size_t cap_;
  std::deque<uint64_t> q_;
};

struct Progress {
  enum class State : uint8_t { kProbe, kReplicate, kSnapshot };

  explicit Progress(size_t max_inflight = 256) : inflights(max_inflight) {}

  uint64_t match = 0;
  uint64_t next = 1;
  State state = State::kProbe;
  uint64_t pending_snapshot = 0;  // index of the snapshot in flight
  int snapshot_ticks = 0;         // ticks spent waiting for it
  bool probe_sent = false;        // Probe: an append is outstanding
  bool recent_active = false;     // heard from within this election timeout (check-quorum)
  bool is_learner = false;
  Inflights inflights;

  void ResetState(State s) {
    probe_sent = false;
    pending_snapshot = 0;
    snapshot_ticks = 0;
    state = s;
    inflights.Reset();
  }
  void BecomeProbe() {
    if (state == State::kSnapshot) {
      uint64_t pending = pending_snapshot;
      ResetState(State::kProbe);
      next = std::max(match + 1, pending + 1);
    } else {
      ResetState(State::kProbe);
      next = match + 1;
    }
  }
  void BecomeReplicate() {
    ResetState(State::kReplicate);
    next = match + 1;
  }
  void BecomeSnapshot(uint64_t index) {
    ResetState(State::kSnapshot);
    pending_snapshot = index;
  }
  // An acknowledgement up to n; false if it was stale.
  bool MaybeUpdate(uint64_t n) {
    bool updated = false;
    if (match < n) {
      match = n;
      updated = true;
      probe_sent = false;
    }
    next = std::max(next, n + 1);
    return updated;
  }
  // A rejection of the append after `rejected`; `hint` is where to retry from.
  // False if the rejection is stale.
  bool MaybeDecrTo(uint64_t rejected, uint64_t hint) {
    if (state == State::kReplicate) {
      if (rejected <= match) return false;
      next = match + 1;
      return true;
    }
    if (next == 0 || next - 1 != rejected) return false;
    next = std::max(std::min(rejected, hint + 1), match + 1);
    probe_sent = false;
    return true;
  }
  bool IsPaused() const {
    switch (state) {
      case State::kProbe: return probe_sent;
      case State::kReplicate: return inflights.Full();
      case State::kSnapshot: return true;
    }
    return true;
  }
  // Bookkeeping after an append carrying entries up to last (n of them).
  void SentEntries(uint64_t last, size_t n) {
    if (state == State::kReplicate) {
      if (n > 0) {
        next = last + 1;
        inflights.Add(last);
      }
    } else if (state == State::kProbe) {
      probe_sent = true;
    }
  }
};

}  // namespace kvstore::raft
