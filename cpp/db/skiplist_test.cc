#include "db/skiplist.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "util/arena.h"

namespace kvstore {
namespace {

using Key = uint64_t;

struct KeyComparator {
  int operator()(const Key& a, const Key& b) const { return a < b ? -1 : (a > b ? 1 : 0); }
};

using List = SkipList<Key, KeyComparator>;

TEST(SkipListTest, Empty) {
  Arena arena;
  List list(KeyComparator(), &arena);
  EXPECT_FALSE(list.Contains(10));
  List::Iterator it(&list);
  EXPECT_FALSE(it.Valid());
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.Seek(100);
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
}

TEST(SkipListTest, MatchesAnOrderedSet) {
  Arena arena;
  List list(KeyComparator(), &arena);
  std::set<Key> model;
  std::mt19937_64 rnd(1000);
  for (int i = 0; i < 2000; i++) {
    Key k = rnd() % 5000;
    if (model.insert(k).second) list.Insert(k);
  }
  for (Key k = 0; k < 5000; k++) EXPECT_EQ(list.Contains(k), model.count(k) == 1) << k;

  // Forward scan.
  List::Iterator it(&list);
  it.SeekToFirst();
  for (Key k : model) {
    ASSERT_TRUE(it.Valid());
    EXPECT_EQ(it.key(), k);
    it.Next();
  }
  EXPECT_FALSE(it.Valid());

  // Backward scan.
  it.SeekToLast();
  for (auto r = model.rbegin(); r != model.rend(); ++r) {
    ASSERT_TRUE(it.Valid());
    EXPECT_EQ(it.key(), *r);
    it.Prev();
  }
  EXPECT_FALSE(it.Valid());

  // Seek lands on the first key >= target, and can move both ways from there.
  for (Key target = 0; target < 5100; target += 7) {
    it.Seek(target);
    auto m = model.lower_bound(target);
    if (m == model.end()) {
      EXPECT_FALSE(it.Valid());
      continue;
    }
    ASSERT_TRUE(it.Valid());
    EXPECT_EQ(it.key(), *m);
    if (m != model.begin()) {
      it.Prev();
      ASSERT_TRUE(it.Valid());
      EXPECT_EQ(it.key(), *std::prev(m));
      it.Next();
    }
    it.Next();
    if (std::next(m) == model.end()) {
      EXPECT_FALSE(it.Valid());
    } else {
      ASSERT_TRUE(it.Valid());
      EXPECT_EQ(it.key(), *std::next(m));
    }
  }
}

// Every key of model is found by Contains and by Seek from just below it, and
// a scan yields exactly model: checks every level's links, not just level 0.
void ExpectMatches(const List& list, const std::set<Key>& model) {
  EXPECT_TRUE(list.LevelsAreOrdered());
  List::Iterator it(&list);
  it.SeekToFirst();
  for (Key k : model) {
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(it.key(), k);
    it.Next();
  }
  EXPECT_FALSE(it.Valid());
  for (Key k : model) {
    ASSERT_TRUE(list.Contains(k)) << k;
    if (k == 0) continue;
    it.Seek(k - 1);
    ASSERT_TRUE(it.Valid()) << k;
    ASSERT_EQ(it.key(), model.count(k - 1) == 0 ? k : k - 1);
  }
}

// Orders that exercise the insert splice: ascending (every key right after the
// last), descending (every key before it), and ascending runs that jump around.
TEST(SkipListTest, InsertOrders) {
  constexpr Key kKeys = 3000;
  std::vector<std::vector<Key>> orders(4);
  for (Key k = 1; k <= kKeys; k++) orders[0].push_back(k * 2);
  orders[1].assign(orders[0].rbegin(), orders[0].rend());
  // Runs of ascending keys, each run somewhere else; fills the odd keys too.
  std::mt19937_64 rnd(5);
  std::vector<Key> starts;
  for (Key k = 1; k <= 2 * kKeys; k += 50) starts.push_back(k);
  std::shuffle(starts.begin(), starts.end(), rnd);
  for (Key s : starts) {
    for (Key k = s; k < s + 50 && k <= 2 * kKeys; k++) orders[2].push_back(k);
  }
  // Alternating ends: each key sits beside the last-but-one.
  for (Key lo = 1, hi = kKeys; lo <= hi; lo++, hi--) {
    orders[3].push_back(lo);
    if (hi != lo) orders[3].push_back(hi);
  }
  for (const auto& order : orders) {
    Arena arena;
    List list(KeyComparator(), &arena);
    std::set<Key> model;
    for (Key k : order) {
      list.Insert(k);
      model.insert(k);
    }
    ExpectMatches(list, model);
    // Keys in the gaps still go to their place afterwards.
    for (Key k = 0; k < 2 * kKeys + 10; k += 7) {
      if (model.insert(k).second) list.Insert(k);
    }
    ExpectMatches(list, model);
  }
}

// InsertConcurrently between runs of Insert: nodes it links may fall between
// the levels of Insert's splice, which must then not be trusted. Here they go
// just before the key Insert linked last, and Insert's next key goes right
// after it: a stale splice would link that key past them at its upper levels.
TEST(SkipListTest, InsertAfterConcurrentInserts) {
  Arena arena;
  List list(KeyComparator(), &arena);
  std::set<Key> model;
  Key last = 1000;
  for (int round = 0; round < 300; round++) {
    for (int i = 0; i < 10; i++) {
      last += 10;
      list.Insert(last);
      model.insert(last);
    }
    std::vector<std::thread> writers;
    for (Key w = 0; w < 2; w++) {
      writers.emplace_back([&list, last, w] {
        for (Key i = 0; i < 4; i++) list.InsertConcurrently(last - 9 + w * 4 + i);
      });
    }
    for (auto& t : writers) t.join();
    for (Key i = 0; i < 8; i++) model.insert(last - 9 + i);
  }
  ExpectMatches(list, model);
}

// One writer inserts keys in the given order while readers scan. Each reader
// first notes how many inserts have completed; all of those must be visible,
// and whatever it sees must be strictly ordered.
void ReadWhileOneWriterInserts(std::vector<Key> keys) {
  const int kKeys = static_cast<int>(keys.size());
  constexpr int kReaders = 3;

  Arena arena;
  List list(KeyComparator(), &arena);
  std::atomic<int> inserted{0};
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::atomic<int> scans{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; r++) {
    readers.emplace_back([&, r] {
      std::mt19937_64 rnd(r);
      while (!done.load(std::memory_order_acquire) || scans.load() < kReaders) {
        int n = inserted.load(std::memory_order_acquire);
        std::vector<Key> expected(keys.begin(), keys.begin() + n);
        std::sort(expected.begin(), expected.end());

        // Full scan: ordered, and a superset of the completed inserts.
        List::Iterator it(&list);
        size_t j = 0;
        Key last = 0;
        bool first = true;
        for (it.SeekToFirst(); it.Valid(); it.Next()) {
          Key k = it.key();
          if (!first && k <= last) errors++;
          if (k % 3 != 1) errors++;  // never a key that was not inserted
          first = false;
          last = k;
          if (j < expected.size() && expected[j] == k) j++;
        }
        if (j != expected.size()) errors++;

        // Point lookups and seeks of completed inserts.
        for (int q = 0; q < 200 && n > 0; q++) {
          Key k = keys[rnd() % n];
          if (!list.Contains(k)) errors++;
          it.Seek(k - 1);  // k - 1 was never inserted: lands on k
          if (!it.Valid() || it.key() != k) errors++;
        }
        scans++;
      }
    });
  }

  for (int i = 0; i < kKeys; i++) {
    list.Insert(keys[i]);
    inserted.store(i + 1, std::memory_order_release);
    if (i % 1000 == 0) std::this_thread::yield();
  }
  done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GE(scans.load(), kReaders);
}

std::vector<Key> EveryThird(int n) {
  std::vector<Key> keys(n);
  for (int i = 0; i < n; i++) keys[i] = static_cast<Key>(i) * 3 + 1;
  return keys;
}

TEST(SkipListTest, ConcurrentReadersWithOneWriter) {
  std::vector<Key> keys = EveryThird(30000);
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(7));
  ReadWhileOneWriterInserts(keys);
}

// Ascending keys: every insert links at the splice, with no search.
TEST(SkipListTest, ConcurrentReadersWithAscendingInserts) { ReadWhileOneWriterInserts(EveryThird(30000)); }

// Ascending runs at random places: inserts alternate between the splice and a search.
TEST(SkipListTest, ConcurrentReadersWithAscendingRuns) {
  std::vector<Key> sorted = EveryThird(30000);
  std::vector<std::vector<Key>> runs;
  for (size_t i = 0; i < sorted.size(); i += 64) {
    runs.emplace_back(sorted.begin() + i, sorted.begin() + std::min(sorted.size(), i + 64));
  }
  std::shuffle(runs.begin(), runs.end(), std::mt19937_64(9));
  std::vector<Key> keys;
  for (const auto& r : runs) keys.insert(keys.end(), r.begin(), r.end());
  ReadWhileOneWriterInserts(keys);
}

// Several writers insert interleaved keys at once while a reader scans: every
// scan is sorted, and in the end every key is present exactly once.
TEST(SkipListTest, ConcurrentWriters) {
  Arena arena;
  List list(KeyComparator(), &arena);
  constexpr int kWriters = 4;
  constexpr Key kPerWriter = 5000;
  std::atomic<bool> done{false};
  std::atomic<int> unsorted{0};
  std::thread reader([&] {
    while (!done.load()) {
      List::Iterator it(&list);
      Key prev = 0;
      bool first = true;
      for (it.SeekToFirst(); it.Valid(); it.Next()) {
        if (!first && it.key() <= prev) unsorted++;
        prev = it.key();
        first = false;
      }
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; w++) {
    writers.emplace_back([&list, w] {
      for (Key i = 0; i < kPerWriter; i++) list.InsertConcurrently(i * kWriters + w + 1);
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  reader.join();
  EXPECT_EQ(unsorted.load(), 0);
  List::Iterator it(&list);
  Key expected = 1;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    ASSERT_EQ(it.key(), expected);
    expected++;
  }
  EXPECT_EQ(expected, kWriters * kPerWriter + 1);
  for (Key k = 1; k <= kWriters * kPerWriter; k += 97) EXPECT_TRUE(list.Contains(k));
}

}  // namespace
}  // namespace kvstore
