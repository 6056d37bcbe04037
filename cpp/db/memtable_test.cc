#include "db/memtable.h"
#include "util/reverse_comparator_testutil.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace kvstore {
namespace {

class MemTableTest : public ::testing::Test {
 protected:
  std::string Get(Slice user_key, SequenceNumber seq, bool* found = nullptr) {
    LookupKey lk(user_key, seq);
    std::string value;
    Status s;
    bool f = mem_.Get(lk, &value, &s);
    if (found != nullptr) *found = f;
    if (!f) return "<absent>";
    if (s.IsNotFound()) return "<deleted>";
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

  InternalKeyComparator icmp_{BytewiseComparator()};
  MemTable mem_{icmp_};
};

TEST_F(MemTableTest, GetSeesTheNewestVersionAtTheSnapshot) {
  mem_.Add(1, kTypeValue, "a", "a1");
  mem_.Add(2, kTypeValue, "b", "b2");
  mem_.Add(3, kTypeValue, "a", "a3");
  mem_.Add(4, kTypeDeletion, "a", "");
  mem_.Add(5, kTypeValue, "a", "a5");
  mem_.Add(6, kTypeValue, std::string("a\0b", 3), "embedded nul");
  mem_.Add(7, kTypeValue, "", "empty key");

  EXPECT_EQ(Get("a", 0), "<absent>");
  EXPECT_EQ(Get("a", 1), "a1");
  EXPECT_EQ(Get("a", 2), "a1");
  EXPECT_EQ(Get("a", 3), "a3");
  EXPECT_EQ(Get("a", 4), "<deleted>");
  EXPECT_EQ(Get("a", 5), "a5");
  EXPECT_EQ(Get("a", kMaxSequenceNumber), "a5");
  EXPECT_EQ(Get("b", 1), "<absent>");
  EXPECT_EQ(Get("b", 100), "b2");
  EXPECT_EQ(Get(std::string("a\0b", 3), 100), "embedded nul");
  EXPECT_EQ(Get("", 100), "empty key");
  EXPECT_EQ(Get("ab", 100), "<absent>");  // a neighbour's entries never answer
  EXPECT_EQ(Get("c", 100), "<absent>");
}

TEST_F(MemTableTest, LargeValuesAndEmptyValues) {
  std::string big(1 << 20, 'x');
  mem_.Add(1, kTypeValue, "big", big);
  mem_.Add(2, kTypeValue, "empty", "");
  EXPECT_EQ(Get("big", 10), big);
  bool found = false;
  EXPECT_EQ(Get("empty", 10, &found), "");
  EXPECT_TRUE(found);
  EXPECT_GE(mem_.ApproximateMemoryUsage(), big.size());
}

TEST_F(MemTableTest, IteratorYieldsInternalKeysInOrder) {
  mem_.Add(1, kTypeValue, "b", "b1");
  mem_.Add(2, kTypeValue, "a", "a2");
  mem_.Add(3, kTypeDeletion, "b", "");
  mem_.Add(4, kTypeValue, "c", "c4");

  struct Entry {
    std::string user_key;
    SequenceNumber seq;
    ValueType type;
    std::string value;
  };
  std::vector<Entry> expected = {{"a", 2, kTypeValue, "a2"},
                                 {"b", 3, kTypeDeletion, ""},
                                 {"b", 1, kTypeValue, "b1"},
                                 {"c", 4, kTypeValue, "c4"}};
  auto it = mem_.NewIterator();
  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    ASSERT_LT(i, expected.size());
    ParsedInternalKey p;
    ASSERT_TRUE(ParseInternalKey(it->key(), &p));
    EXPECT_EQ(p.user_key, expected[i].user_key);
    EXPECT_EQ(p.sequence, expected[i].seq);
    EXPECT_EQ(p.type, expected[i].type);
    EXPECT_EQ(it->value(), expected[i].value);
  }
  EXPECT_EQ(i, expected.size());
  EXPECT_TRUE(it->status().ok());

  // Backwards.
  i = expected.size();
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    ASSERT_GT(i, 0u);
    i--;
    EXPECT_EQ(ExtractUserKey(it->key()), expected[i].user_key);
  }
  EXPECT_EQ(i, 0u);

  // Seek takes an internal key: "b" at snapshot 2 skips the newer deletion.
  InternalKey target("b", 2, kValueTypeForSeek);
  it->Seek(target.Encode());
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "b1");
  it->Seek(InternalKey("bb", kMaxSequenceNumber, kValueTypeForSeek).Encode());
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(ExtractUserKey(it->key()), "c");
  it->Seek(InternalKey("d", kMaxSequenceNumber, kValueTypeForSeek).Encode());
  EXPECT_FALSE(it->Valid());
}

// The memtable must follow a user comparator too (reversed bytewise here).
using testing::ReverseComparator;

// Adds entries in orders that take every insert path (after the last entry,
// before it, far away) with user keys of every length class the comparator
// handles (empty, under 8 bytes, 8 to 64, longer; shared prefixes), several
// versions per key, then checks a scan against a model in internal key order
// and that Get finds every version.
void CheckInsertOrders(const Comparator* user) {
  const InternalKeyComparator icmp(user);
  std::vector<std::string> user_keys = {"", "a", "ab", "abcdefg", "abcdefgh", "abcdefgi",
                                        std::string("\0\0\0", 3), std::string(9, '\xff')};
  for (size_t len : {8, 15, 16, 17, 63, 64, 65, 200}) {
    std::string k(len, 'k');
    user_keys.push_back(k);
    k.back() = 'j';
    user_keys.push_back(k);
    k.back() = 'l';
    user_keys.push_back(k);
  }
  for (int i = 0; i < 300; i++) {
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016d", i);
    user_keys.emplace_back(buf);
  }
  // Ascending, then descending, then every key again (newer versions sort before older ones).
  std::vector<std::string> order = user_keys;
  std::sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    return user->Compare(a, b) < 0;
  });
  std::vector<std::string> adds = order;
  adds.insert(adds.end(), order.rbegin(), order.rend());
  adds.insert(adds.end(), user_keys.begin(), user_keys.end());

  MemTable mem(icmp);
  std::vector<std::pair<std::string, SequenceNumber>> model;  // (internal key, seq)
  SequenceNumber seq = 0;
  for (const std::string& k : adds) {
    seq++;
    const ValueType type = seq % 7 == 0 ? kTypeDeletion : kTypeValue;
    mem.Add(seq, type, k, type == kTypeValue ? "v" + std::to_string(seq) : "");
    model.emplace_back(InternalKey(k, seq, type).Encode(), seq);
  }
  std::sort(model.begin(), model.end(),
            [&](const auto& a, const auto& b) { return icmp.Compare(a.first, b.first) < 0; });
  auto it = mem.NewIterator();
  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    ASSERT_LT(i, model.size());
    ASSERT_EQ(it->key(), Slice(model[i].first)) << i;
  }
  EXPECT_EQ(i, model.size());
  for (const auto& [ikey, s] : model) {
    ParsedInternalKey p;
    ASSERT_TRUE(ParseInternalKey(ikey, &p));
    LookupKey lk(p.user_key, s);
    std::string value;
    Status st;
    ASSERT_TRUE(mem.Get(lk, &value, &st));
    if (p.type == kTypeValue) {
      EXPECT_EQ(value, "v" + std::to_string(s));
    } else {
      EXPECT_TRUE(st.IsNotFound());
    }
  }
}

TEST_F(MemTableTest, InsertOrdersWithTheBytewiseOrder) { CheckInsertOrders(BytewiseComparator()); }

TEST_F(MemTableTest, InsertOrdersWithAUserComparator) {
  ReverseComparator reverse;
  CheckInsertOrders(&reverse);
}

TEST_F(MemTableTest, DefaultConstructedSlices) {
  mem_.Add(1, kTypeDeletion, Slice(), Slice());  // data() == nullptr
  EXPECT_EQ(Get("", 1), "<deleted>");
}

TEST_F(MemTableTest, MemoryUsageGrows) {
  size_t before = mem_.ApproximateMemoryUsage();
  for (int i = 0; i < 1000; i++) {
    mem_.Add(i + 1, kTypeValue, "key" + std::to_string(i), std::string(100, 'v'));
  }
  EXPECT_GE(mem_.ApproximateMemoryUsage(), before + 1000 * 100);
}

TEST_F(MemTableTest, ReadersRunConcurrentlyWithTheWriter) {
  constexpr int kWrites = 20000;
  std::atomic<int> published{0};  // writes 1..published are complete
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  auto key_of = [](int i) { return "k" + std::to_string(i % 500); };
  auto value_of = [](int i) { return "v" + std::to_string(i); };

  std::vector<std::thread> readers;
  for (int r = 0; r < 2; r++) {
    readers.emplace_back([&, r] {
      unsigned x = 17 + r;
      while (!done.load()) {
        int n = published.load(std::memory_order_acquire);
        if (n == 0) continue;
        x = x * 1103515245 + 12345;
        int i = 1 + static_cast<int>(x % n);  // a completed write
        // At snapshot i the newest write of key_of(i) is write i itself.
        LookupKey lk(key_of(i), static_cast<SequenceNumber>(i));
        std::string value;
        Status s;
        if (!mem_.Get(lk, &value, &s) || !s.ok() || value != value_of(i)) errors++;
        // A concurrent scan stays ordered.
        auto it = mem_.NewIterator();
        int steps = 0;
        std::string last;
        for (it->SeekToFirst(); it->Valid() && steps < 200; it->Next(), steps++) {
          std::string k(it->key());
          if (!last.empty() && icmp_.Compare(last, k) >= 0) errors++;
          last = std::move(k);
        }
      }
    });
  }
  for (int i = 1; i <= kWrites; i++) {
    mem_.Add(static_cast<SequenceNumber>(i), kTypeValue, key_of(i), value_of(i));
    published.store(i, std::memory_order_release);
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
}

}  // namespace
}  // namespace kvstore
