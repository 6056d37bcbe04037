#include "node/commit_queue.h"

#include <pthread.h>

#include <optional>
#include <unordered_map>
#include <utility>

#include "kvstore/write_batch.h"

namespace kvstore::node {
namespace {

uint64_t LatestSequence(DB* db) {
  const Snapshot* snap = db->GetSnapshot();
  uint64_t seq = snap->sequence();
  db->ReleaseSnapshot(snap);
  return seq;
}

}  // namespace

size_t CommitQueue::Request::Bytes() const {
  size_t n = 0;
  for (const Mutation& m : mutations) n += m.key.size() + m.value.size();
  return n;
}

CommitQueue::CommitQueue(DB* db, Limits limits) : db_(db), limits_(limits) {
  queue_.reserve(limits_.max_queued);
}

CommitQueue::~CommitQueue() { Stop(); }

void CommitQueue::Start() {
  std::lock_guard<std::mutex> l(mu_);
  if (committer_.joinable() || stopping_) return;
  replier_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "kv-reply");
    Reply();
  });
  committer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "kv-commit");
    Run();
  });
}

CommitQueue::EnqueueResult CommitQueue::TryEnqueue(Request* r) {
  bool wake;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return EnqueueResult::kStopped;
    if (queue_.size() >= limits_.max_queued) return EnqueueResult::kFull;
    queue_.push_back(r);
    // A busy committer takes the queue when it comes back: no wake-up needed.
    wake = waiting_;
    if (wake) waiting_ = false;
  }
  if (wake) cv_.notify_one();
  return EnqueueResult::kQueued;
}

void CommitQueue::Stop() {
  bool drain_here;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    drain_here = !committer_.joinable();
  }
  cv_.notify_one();
  if (drain_here) {
    Run();  // never started: commit what is queued on this thread
  } else {
    committer_.join();
    {
      std::lock_guard<std::mutex> l(reply_mu_);
      reply_stopping_ = true;
    }
    reply_cv_.notify_one();
    replier_.join();  // after it answered every committed batch
  }
}

size_t CommitQueue::queued() const {
  std::lock_guard<std::mutex> l(mu_);
  return queue_.size();
}

bool CommitQueue::QueueEmpty() const {
  std::lock_guard<std::mutex> l(mu_);
  return queue_.empty();
}

void CommitQueue::Run() {
  std::vector<Request*> drain;
  drain.reserve(limits_.max_queued);
  for (;;) {
    {
      std::unique_lock<std::mutex> l(mu_);
      while (queue_.empty() && !stopping_) {
        waiting_ = true;
        cv_.wait(l);
      }
      waiting_ = false;
      if (queue_.empty()) return;  // stopping, and everything is committed
      drain.swap(queue_);
    }
    drains_.fetch_add(1, std::memory_order_relaxed);
    Commit(drain);
    drain.clear();
  }
}

void CommitQueue::Reply() {
  std::vector<Finished> work;
  for (;;) {
    {
      std::unique_lock<std::mutex> l(reply_mu_);
      reply_cv_.wait(l, [this] { return reply_stopping_ || !finished_.empty(); });
      if (finished_.empty()) return;  // stopping, and everything is answered
      work.swap(finished_);
    }
    for (Finished& f : work) {
      for (size_t i = 0; i < f.requests.size(); i++) {
        f.requests[i]->Done(f.statuses[i], f.sequence);  // may delete the request
      }
    }
    work.clear();
  }
}

void CommitQueue::Commit(const std::vector<Request*>& drain) {
  bool any_cas = false;
  for (const Request* r : drain) any_cas = any_cas || r->is_cas;
  // Keys placed in the current batch, not yet in the engine: their latest
  // value (nullopt: deleted). Only CompareAndSwap reads it.
  std::unordered_map<Slice, std::optional<Slice>> overlay;

  size_t next = 0;
  while (next < drain.size()) {
    const size_t first = next;
    // Sized for the requests it will take (their bytes plus record headers), so the
    // batch is built without reallocating.
    size_t estimate = 0;
    for (size_t i = next; i < drain.size() && estimate < limits_.batch_bytes; i++) {
      estimate += drain[i]->Bytes() + 16 * drain[i]->mutations.size();
    }
    WriteBatch batch(estimate);
    size_t bytes = 0, mutations = 0;
    bool sync = false;
    overlay.clear();
    for (; next < drain.size(); next++) {
      Request* r = drain[next];
      const size_t r_bytes = r->Bytes();
      if (next > first && (bytes + r_bytes > limits_.batch_bytes ||
                           mutations + r->mutations.size() > limits_.batch_mutations)) {
        break;  // the next batch starts with this request
      }
      bytes += r_bytes;
      mutations += r->mutations.size();
      sync = sync || r->sync;
      if (r->is_cas) {
        const Mutation& m = r->mutations.front();
        std::string current;
        bool found;
        if (auto it = overlay.find(m.key); it != overlay.end()) {
          found = it->second.has_value();
          if (found) current.assign(*it->second);
        } else {
          Status s = db_->Get(ReadOptions(), m.key, &current);
          if (!s.ok() && !s.IsNotFound()) {
            r->error_ = s;
            continue;
          }
          found = s.ok();
        }
        const bool matches = r->cas_has_expected ? (found && current == r->cas_expected) : !found;
        r->cas_applied = matches;
        if (!matches) {
          r->cas_found = found;
          r->cas_current = std::move(current);
          continue;
        }
        r->cas_found = !m.is_delete;
      }
      for (const Mutation& m : r->mutations) {
        if (m.is_delete) {
          batch.Delete(m.key);
        } else {
          batch.Put(m.key, m.value);
        }
        if (any_cas) overlay[m.key] = m.is_delete ? std::nullopt : std::optional<Slice>(m.value);
      }
    }

    Status s;
    if (batch.Count() > 0) {
      WriteOptions wo;
      wo.sync = sync;
      s = db_->Write(wo, &batch);
      batches_.fetch_add(1, std::memory_order_relaxed);
    }
    Finished done;
    done.sequence = LatestSequence(db_);
    done.requests.assign(drain.begin() + first, drain.begin() + next);
    done.statuses.reserve(done.requests.size());
    for (Request* r : done.requests) done.statuses.push_back(s.ok() ? r->error_ : s);
    // Never started (Stop drains on its caller), or nothing else waits for the
    // committer: the last batch of the drain and no request queued since. A
    // hand-off would then cost a thread wake-up (and a switch) per batch for
    // no overlap; at low concurrency that is most of them.
    if (!replier_.joinable() || (next == drain.size() && QueueEmpty())) {
      for (size_t i = 0; i < done.requests.size(); i++) {
        done.requests[i]->Done(done.statuses[i], done.sequence);
      }
      continue;
    }
    bool wake;
    {
      std::lock_guard<std::mutex> l(reply_mu_);
      wake = finished_.empty();  // else the replier is busy and will look again
      finished_.push_back(std::move(done));
    }
    if (wake) reply_cv_.notify_one();
  }
}

}  // namespace kvstore::node
