// CommitQueue: the node's write path. Every write (Put, Delete, Write,
// CompareAndSwap) is a Request in one bounded FIFO queue, drained by one
// committer thread:
//
//   gRPC thread: validate -> TryEnqueue (never blocks; full -> kFull)
//   committer:   take everything queued (a drain) -> evaluate the requests in
//                queue order into engine batches -> DB::Write per batch ->
//                hand the finished batch to the reply thread (one hand-off per
//                batch, not per request)
//   replier:     Done() for every request of the batch (sends the replies)
//
// Replying on a second thread takes gRPC's reply path (serializing, sendmsg,
// waking gRPC's threads: about a third of the committer's time when it replied
// itself) off the serial path, so batch N+1 commits while batch N is answered.
// When nothing waits for the committer (the drain's last batch, and no request
// queued meanwhile) it calls Done itself: there is nothing to overlap with, and
// the hand-off's wake-up would only add CPU and latency.
//
// Batches: one engine batch holds whole requests (a request is never split)
// up to Limits::batch_bytes key+value bytes or batch_mutations mutations; a
// single larger request goes alone. A batch is written with sync when any
// request in it asked for durability; a batch of DURABILITY_ASYNC requests
// only is written without sync. Done runs only after DB::Write returned, so a
// durable request is acknowledged only after the WAL record holding it is
// fsynced. If DB::Write fails, every request of that batch gets the error.
//
// Atomicity: the committer is the only writer of the engine, so a
// CompareAndSwap cannot interleave with any other write. It compares against
// the latest state: the value placed by an earlier request of the same batch
// if there is one (the overlay), else the engine's current value.
//
// Sequence: Done reports the engine's last sequence after the batch was
// written (every mutation of the batch is at or below it).
//
// Lifecycle: TryEnqueue may be called before Start (the first drain then takes
// all of it at once; tests use this to build a drain). Stop refuses new
// requests (kStopped), commits everything queued, answers it and joins both
// threads; it is idempotent, and it commits and answers on the calling thread
// if Start never ran.
//
// Thread safety: TryEnqueue, queued and the counters from any thread; Start
// and Stop from one owner thread. Done runs on the reply thread or the
// committer (on the caller of Stop if Start never ran) and must not call
// TryEnqueue or Stop.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kvstore/db.h"
#include "kvstore/slice.h"
#include "kvstore/status.h"

namespace kvstore::node {

class CommitQueue {
 public:
  struct Limits {
    size_t max_queued = 4096;               // requests waiting for the committer
    size_t batch_bytes = 4 * 1024 * 1024;   // key+value bytes per engine batch
    size_t batch_mutations = 10000;         // mutations per engine batch
  };

  struct Mutation {
    Slice key;
    Slice value;  // unused for a delete
    bool is_delete = false;
  };

  // One queued write. The producer fills the input fields (the slices must stay
  // valid until Done) and implements Done; the committer fills the CAS outcome,
  // calls Done exactly once and never touches the request afterwards (Done may
  // delete it).
  class Request {
   public:
    virtual ~Request() = default;
    virtual void Done(const Status& status, uint64_t sequence) = 0;

    bool sync = true;
    // Applied together, in order. A CompareAndSwap holds exactly one: the
    // mutation of its key to apply when the comparison holds.
    std::vector<Mutation> mutations;
    // CompareAndSwap: compare the key's current value with cas_expected when
    // cas_has_expected, else require the key to be absent.
    bool is_cas = false;
    bool cas_has_expected = false;
    Slice cas_expected;
    // CompareAndSwap outcome. When not applied, cas_found/cas_current describe
    // the value that failed the comparison; when applied, cas_found tells
    // whether the key now exists (its value is the mutation's).
    bool cas_applied = false;
    bool cas_found = false;
    std::string cas_current;

   private:
    friend class CommitQueue;
    size_t Bytes() const;
    Status error_;  // set by the committer when only this request failed
  };

  enum class EnqueueResult { kQueued, kFull, kStopped };

  CommitQueue(DB* db, Limits limits);
  ~CommitQueue();
  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  void Start();
  // On kQueued the queue has the request (Done will be called, possibly before
  // TryEnqueue returns); otherwise the caller still owns it.
  EnqueueResult TryEnqueue(Request* r);
  void Stop();

  size_t queued() const;
  const Limits& limits() const { return limits_; }
  // Engine batches written and drains taken so far.
  uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }
  uint64_t drains() const { return drains_.load(std::memory_order_relaxed); }

 private:
  // A written batch: its requests, each one's outcome, the sequence after it.
  struct Finished {
    std::vector<Request*> requests;
    std::vector<Status> statuses;
    uint64_t sequence = 0;
  };

  void Run();
  bool QueueEmpty() const;
  void Commit(const std::vector<Request*>& drain);
  void Reply();  // the reply thread: Done for every request of each Finished

  DB* const db_;
  const Limits limits_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request*> queue_;  // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  bool waiting_ = false;         // guarded by mu_: the committer waits on cv_
  std::thread committer_;

  std::mutex reply_mu_;
  std::condition_variable reply_cv_;
  std::vector<Finished> finished_;  // guarded by reply_mu_
  bool reply_stopping_ = false;     // guarded by reply_mu_
  std::thread replier_;
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> drains_{0};
};

}  // namespace kvstore::node
