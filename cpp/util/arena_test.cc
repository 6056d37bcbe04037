#include "util/arena.h"

#include <cstdint>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace kvstore {
namespace {

TEST(ArenaTest, Empty) {
  Arena arena;
  EXPECT_EQ(arena.MemoryUsage(), 0u);
}

TEST(ArenaTest, AllocationsKeepTheirContents) {
  Arena arena;
  std::mt19937 rnd(301);
  std::vector<std::pair<size_t, char*>> allocated;
  size_t bytes = 0;
  for (int i = 0; i < 20000; i++) {
    size_t s = (i % 1000 == 0) ? 6000 + rnd() % 10000 : 1 + rnd() % (i % 10 == 0 ? 2000 : 40);
    char* p = (i % 3 == 0) ? arena.AllocateAligned(s) : arena.Allocate(s);
    if (i % 3 == 0) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(std::max_align_t), 0u);
    }
    for (size_t b = 0; b < s; b++) p[b] = static_cast<char>(i % 256);
    bytes += s;
    allocated.emplace_back(s, p);
    EXPECT_GE(arena.MemoryUsage(), bytes);
  }
  EXPECT_LE(arena.MemoryUsage(), bytes * 2);  // bounded waste
  for (size_t i = 0; i < allocated.size(); i++) {
    auto [s, p] = allocated[i];
    for (size_t b = 0; b < s; b++) ASSERT_EQ(p[b], static_cast<char>(i % 256));
  }
}

TEST(ArenaTest, MemoryUsageReadableWhileAllocating) {
  Arena arena;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    size_t last = 0;
    while (!done.load()) {
      size_t now = arena.MemoryUsage();
      EXPECT_GE(now, last);  // monotonic
      last = now;
    }
  });
  for (int i = 0; i < 100000; i++) arena.Allocate(1 + i % 100);
  done = true;
  reader.join();
}

}  // namespace
}  // namespace kvstore
