#include "node/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

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

}  // namespace
}  // namespace kvstore::node
