#include "node/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "node/key_locks.h"

namespace kvstore::node {
namespace {

TEST(WorkerPool, FullQueueRefusesAndStopDrains) {
  WorkerPool pool("test", 1, 2);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false, running = false;
  std::atomic<int> done{0};
  ASSERT_TRUE(pool.TrySubmit([&] {
    std::unique_lock<std::mutex> l(mu);
    running = true;
    cv.notify_all();
    cv.wait(l, [&] { return release; });
    done++;
  }));
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return running; });  // the only worker is now busy
  }
  EXPECT_TRUE(pool.TrySubmit([&] { done++; }));
  EXPECT_TRUE(pool.TrySubmit([&] { done++; }));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_FALSE(pool.TrySubmit([&] { done++; })) << "a full queue must refuse, not grow";
  {
    std::lock_guard<std::mutex> l(mu);
    release = true;
  }
  cv.notify_all();
  pool.Stop();
  EXPECT_EQ(done.load(), 3);
  EXPECT_FALSE(pool.TrySubmit([] {})) << "a stopped pool refuses";
}

TEST(KeyLocks, OverlappingBatchesNeverDeadlock) {
  KeyLocks locks(8);  // few stripes: many collisions
  std::vector<std::string> keys;
  for (int i = 0; i < 64; i++) keys.push_back("key" + std::to_string(i));
  std::vector<int> counters(locks.stripes(), 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 2000; i++) {
        std::vector<Slice> batch;
        int n = 1 + static_cast<int>(rng() % 6);
        for (int j = 0; j < n; j++) batch.push_back(keys[rng() % keys.size()]);
        auto guard = locks.LockKeys(batch);
        for (Slice k : batch) counters[locks.StripeOf(k)]++;  // data race if not exclusive
      }
    });
  }
  for (auto& th : threads) th.join();
  long total = 0;
  for (int c : counters) total += c;
  EXPECT_GT(total, 0);
}

}  // namespace
}  // namespace kvstore::node
