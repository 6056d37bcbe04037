#include "util/cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace kvstore {
namespace {

// A value that counts live instances, to check nothing leaks or dies early.
struct Counted {
  explicit Counted(int v, std::atomic<int>* live) : value(v), live(live) { (*live)++; }
  ~Counted() { (*live)--; }
  int value;
  std::atomic<int>* live;
};

class CacheTest : public ::testing::Test {
 protected:
  Cache::Handle* Insert(Cache* cache, const std::string& key, int value, size_t charge) {
    return cache->Insert(key, std::make_shared<Counted>(value, &live_), charge);
  }
  static int ValueOf(Cache* cache, Cache::Handle* h) {
    return static_cast<Counted*>(cache->Value(h))->value;
  }
  // Looks key up; -1 when absent.
  static int Get(Cache* cache, const std::string& key) {
    Cache::Handle* h = cache->Lookup(key);
    if (h == nullptr) return -1;
    int v = ValueOf(cache, h);
    cache->Release(h);
    return v;
  }
  std::atomic<int> live_{0};
};

TEST_F(CacheTest, InsertLookupRelease) {
  Cache cache(16 * 1000);
  EXPECT_EQ(Get(&cache, "a"), -1);
  cache.Release(Insert(&cache, "a", 1, 10));
  cache.Release(Insert(&cache, "b", 2, 10));
  EXPECT_EQ(Get(&cache, "a"), 1);
  EXPECT_EQ(Get(&cache, "b"), 2);
  EXPECT_EQ(cache.TotalCharge(), 20u);
  EXPECT_EQ(cache.PinnedUsage(), 0u);
  // Replacing frees the old charge.
  cache.Release(Insert(&cache, "a", 3, 15));
  EXPECT_EQ(Get(&cache, "a"), 3);
  EXPECT_EQ(cache.TotalCharge(), 25u);
  EXPECT_EQ(live_.load(), 2);
  cache.Erase("a");
  EXPECT_EQ(Get(&cache, "a"), -1);
  EXPECT_EQ(cache.TotalCharge(), 10u);
  EXPECT_EQ(live_.load(), 1);
  cache.Erase("missing");
}

TEST_F(CacheTest, ManyKeysGrowTheTablesAndStayFindable) {
  // Enough keys to grow every shard's table several times, including keys
  // of equal length that differ in one byte (the hash-then-bytes match).
  Cache cache(size_t{1} << 30);
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; i++) {
    std::string k(16, '\0');
    k[i % 16] = static_cast<char>(1 + i / 16 % 255);
    k += std::to_string(i);
    keys.push_back(k);
    cache.Release(Insert(&cache, k, i, 1));
  }
  for (int i = 0; i < 5000; i++) {
    ASSERT_EQ(Get(&cache, keys[i]), i);
    Cache::Handle* h = cache.Lookup(keys[i], Cache::Hash(keys[i]));
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(ValueOf(&cache, h), i);
    cache.Release(h);
  }
  EXPECT_EQ(cache.TotalCharge(), 5000u);
  for (int i = 0; i < 5000; i += 2) cache.Erase(keys[i]);
  for (int i = 0; i < 5000; i++) ASSERT_EQ(Get(&cache, keys[i]), i % 2 == 0 ? -1 : i);
  EXPECT_EQ(live_.load(), 2500);
  // A caller-supplied hash reaches the same entry as the one the cache computes.
  cache.Release(cache.Insert("x", Cache::Hash("x"), std::make_shared<Counted>(7, &live_), 1));
  EXPECT_EQ(Get(&cache, "x"), 7);
}

TEST_F(CacheTest, PinnedEntriesSurviveEraseAndReplace) {
  Cache cache(16 * 1000);
  Cache::Handle* h = Insert(&cache, "k", 7, 100);
  EXPECT_EQ(cache.PinnedUsage(), 100u);
  cache.Erase("k");
  EXPECT_EQ(cache.TotalCharge(), 0u);
  EXPECT_EQ(ValueOf(&cache, h), 7);  // still alive while pinned
  EXPECT_EQ(live_.load(), 1);
  cache.Release(h);
  EXPECT_EQ(live_.load(), 0);

  Cache::Handle* old = Insert(&cache, "k", 1, 10);
  cache.Release(Insert(&cache, "k", 2, 10));
  EXPECT_EQ(ValueOf(&cache, old), 1);
  EXPECT_EQ(Get(&cache, "k"), 2);
  cache.Release(old);
  EXPECT_EQ(live_.load(), 1);
}

TEST_F(CacheTest, EvictsLeastRecentlyUsedPerShard) {
  // Capacity 16 * 100: 100 bytes per shard, entries of 10 bytes.
  Cache cache(16 * 100);
  const int n = 1000;
  for (int i = 0; i < n; i++) {
    cache.Release(Insert(&cache, "key" + std::to_string(i), i, 10));
    ASSERT_LE(cache.TotalCharge(), cache.capacity());
    // Keep key0 hot: it must survive.
    ASSERT_EQ(Get(&cache, "key0"), 0) << i;
  }
  // The most recent entries are cached, the oldest are gone.
  int recent = 0, old = 0;
  for (int i = n - 20; i < n; i++) recent += Get(&cache, "key" + std::to_string(i)) == i ? 1 : 0;
  for (int i = 1; i < 100; i++) old += Get(&cache, "key" + std::to_string(i)) == i ? 1 : 0;
  EXPECT_GE(recent, 15);
  EXPECT_EQ(old, 0);
  EXPECT_LE(live_.load(), 16 * 10);
  EXPECT_TRUE(cache.ShardsWithinCapacity());
}

TEST_F(CacheTest, PinnedEntriesAreNotEvictedAndFullShardsDetach) {
  Cache cache(16 * 100);
  std::vector<Cache::Handle*> pinned;
  // Pin far more than the capacity: inserts that do not fit come back detached.
  for (int i = 0; i < 400; i++) pinned.push_back(Insert(&cache, "p" + std::to_string(i), i, 10));
  EXPECT_LE(cache.TotalCharge(), cache.capacity());
  EXPECT_EQ(cache.PinnedUsage(), cache.TotalCharge());
  EXPECT_EQ(cache.TotalCharge() + cache.DetachedUsage(), 4000u);
  for (size_t i = 0; i < pinned.size(); i++) EXPECT_EQ(ValueOf(&cache, pinned[i]), int(i));
  EXPECT_EQ(live_.load(), 400);
  for (auto* h : pinned) cache.Release(h);
  EXPECT_EQ(cache.DetachedUsage(), 0u);
  EXPECT_EQ(cache.PinnedUsage(), 0u);
  EXPECT_EQ(live_.load(), static_cast<int>(cache.TotalCharge() / 10));
  // An entry larger than a shard is never cached.
  Cache::Handle* big = Insert(&cache, "big", 1, 101);
  EXPECT_EQ(cache.DetachedUsage(), 101u);
  EXPECT_EQ(Get(&cache, "big"), -1);
  cache.Release(big);
  EXPECT_EQ(cache.DetachedUsage(), 0u);
}

TEST_F(CacheTest, NewIdsAreUnique) {
  Cache cache(1000);
  const uint64_t a = cache.NewId(), b = cache.NewId();
  EXPECT_NE(a, b);
  EXPECT_NE(a, 0u);
}

// Many threads inserting, looking up, pinning and erasing entries of random
// sizes: no shard ever exceeds its capacity, and no value dies while pinned.
TEST_F(CacheTest, ConcurrentUseNeverExceedsCapacity) {
  Cache cache(16 * 4096);
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::thread watcher([&] {
    while (!stop.load()) {
      if (!cache.ShardsWithinCapacity()) errors++;
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<std::pair<Cache::Handle*, int>> held;
      for (int i = 0; i < 20000; i++) {
        const int k = static_cast<int>(rng() % 2000);
        const std::string key = "k" + std::to_string(k);
        switch (rng() % 4) {
          case 0:
          case 1: {
            Cache::Handle* h = cache.Lookup(key);
            if (h == nullptr) h = Insert(&cache, key, k, 1 + rng() % 1024);
            if (ValueOf(&cache, h) != k) errors++;
            held.emplace_back(h, k);
            break;
          }
          case 2:
            cache.Erase(key);
            break;
          case 3:
            if (!held.empty()) {
              auto [h, v] = held.back();
              held.pop_back();
              if (ValueOf(&cache, h) != v) errors++;
              cache.Release(h);
            }
            break;
        }
        while (held.size() > 3) {  // a reader pins a few blocks at a time
          if (ValueOf(&cache, held.front().first) != held.front().second) errors++;
          cache.Release(held.front().first);
          held.erase(held.begin());
        }
      }
      for (auto& [h, v] : held) cache.Release(h);
    });
  }
  for (auto& th : threads) th.join();
  stop = true;
  watcher.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_TRUE(cache.ShardsWithinCapacity());
  EXPECT_EQ(cache.PinnedUsage(), 0u);
  EXPECT_EQ(cache.DetachedUsage(), 0u);
  EXPECT_LE(cache.TotalCharge(), cache.capacity());
}

}  // namespace
}  // namespace kvstore
