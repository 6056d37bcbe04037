// WorkerPool: a fixed set of threads running tasks from a bounded FIFO queue.
//
// TrySubmit never blocks: it returns false when the queue holds max_queued
// tasks or the pool is stopping, so callers can answer "overloaded" instead of
// buffering without bound. Stop() refuses new tasks, runs every task already
// queued, and joins the threads; it is idempotent. A task must not call Stop().
//
// Thread safety: TrySubmit and the accessors may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kvstore::node {

class WorkerPool {
 public:
  WorkerPool(std::string name, int threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool TrySubmit(std::function<void()> task);
  void Stop();

  const std::string& name() const { return name_; }
  size_t queued() const;
  size_t max_queued() const { return max_queued_; }

 private:
  void Run();

  const std::string name_;
  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kvstore::node
