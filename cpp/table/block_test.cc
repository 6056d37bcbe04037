#include "table/block.h"

#include <gtest/gtest.h>

#include <random>

#include "table/block_builder.h"
#include "table/iterator_testutil.h"
#include "table/table_testutil.h"
#include "util/coding.h"

namespace kvstore {
namespace {

using testing::Entries;
using testing::BuildBlock;

TEST(BlockBuilderTest, EmptyBlockHasOneRestart) {
  BlockBuilder b(16);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.CurrentSizeEstimate(), 8u);
  std::string contents(b.Finish());
  ASSERT_EQ(contents.size(), 8u);
  EXPECT_EQ(DecodeFixed32(contents.data()), 0u);
  EXPECT_EQ(DecodeFixed32(contents.data() + 4), 1u);
}

TEST(BlockBuilderTest, ExactLayout) {
  BlockBuilder b(2);
  b.Add("apple", "1");
  b.Add("apply", "");
  b.Add("banana", "xyz");
  const std::string expected =
      std::string("\x00\x05\x01" "apple" "1", 9) +   // restart 0: full key
      std::string("\x04\x01\x00" "y", 4) +           // shares "appl"
      std::string("\x00\x06\x03" "banana" "xyz", 12) +  // restart 1 at offset 13
      std::string("\x00\x00\x00\x00" "\x0d\x00\x00\x00" "\x02\x00\x00\x00", 12);
  EXPECT_EQ(b.CurrentSizeEstimate(), expected.size());
  EXPECT_EQ(std::string(b.Finish()), expected);
  b.Reset();
  EXPECT_TRUE(b.empty());
  b.Add("k", "v");
  EXPECT_EQ(std::string(b.Finish()), std::string("\x00\x01\x01kv\0\0\0\0\1\0\0\0", 13));
}

TEST(BlockTest, Empty) {
  Block block(BuildBlock({}, 16));
  auto it = block.NewIterator(BytewiseComparator());
  std::mt19937 rng(1);
  testing::ExpectIteratorMatches(it.get(), {}, &rng, 100);
}

TEST(BlockTest, SingleEntryEmptyKeyAndValue) {
  Entries model = {{"", ""}};
  Block block(BuildBlock(model, 16));
  auto it = block.NewIterator(BytewiseComparator());
  std::mt19937 rng(2);
  testing::ExpectIteratorMatches(it.get(), model, &rng, 200);
}

TEST(BlockTest, RandomRoundTrips) {
  for (int restart_interval : {1, 2, 16}) {
    for (size_t count : {1, 2, 15, 16, 17, 100, 700}) {
      std::mt19937 rng(static_cast<unsigned>(restart_interval * 1000 + count));
      Entries model = testing::RandomEntries(&rng, count);
      Block block(BuildBlock(model, restart_interval));
      auto it = block.NewIterator(BytewiseComparator());
      SCOPED_TRACE("restart_interval=" + std::to_string(restart_interval) +
                   " count=" + std::to_string(model.size()));
      testing::ExpectIteratorMatches(it.get(), model, &rng, 3000);
      EXPECT_TRUE(it->status().ok());
    }
  }
}

// Long runs of Prev (which step back through the decoded restart interval)
// mixed with runs of Next, seeks and direction changes, against a model.
TEST(BlockTest, ReverseRunsAcrossRestartPoints) {
  for (int restart_interval : {1, 2, 3, 16}) {
    for (unsigned seed = 0; seed < 6; seed++) {
      std::mt19937 rng(seed * 31 + static_cast<unsigned>(restart_interval));
      const Entries model = testing::RandomEntries(&rng, 1 + rng() % 120);
      const size_t n = model.size();
      Block block(BuildBlock(model, restart_interval));
      auto it = block.NewIterator(BytewiseComparator());
      SCOPED_TRACE("restart_interval=" + std::to_string(restart_interval) +
                   " seed=" + std::to_string(seed));
      size_t pos = n;  // n: not valid
      for (int op = 0; op < 300; op++) {
        switch (rng() % 5) {
          case 0:
            it->SeekToLast();
            pos = n - 1;
            break;
          case 1: {
            pos = rng() % n;
            it->Seek(model[pos].first);
            break;
          }
          case 2:  // a run of Next
            for (size_t k = 1 + rng() % 20; k > 0 && pos < n; k--) {
              it->Next();
              pos++;
            }
            break;
          default:  // a run of Prev
            for (size_t k = 1 + rng() % 40; k > 0 && pos < n; k--) {
              it->Prev();
              pos = pos == 0 ? n : pos - 1;
              ASSERT_EQ(it->Valid(), pos < n);
              if (pos < n) {
                ASSERT_EQ(it->key(), model[pos].first);
                ASSERT_EQ(it->value(), model[pos].second);
              }
            }
            break;
        }
        ASSERT_EQ(it->Valid(), pos < n);
        if (pos < n) {
          ASSERT_EQ(it->key(), model[pos].first);
          ASSERT_EQ(it->value(), model[pos].second);
        }
        if (pos == n) {
          it->SeekToLast();
          pos = n - 1;
        }
      }
      EXPECT_TRUE(it->status().ok());
    }
  }
}

// A corrupt entry found while stepping back through a restart interval stops
// the iterator with Corruption, never yields a wrong entry.
TEST(BlockTest, CorruptionFoundByPrevIsReported) {
  Entries model;
  for (int i = 0; i < 40; i++) model.emplace_back("key" + std::to_string(100 + i), "v");
  const std::string good = BuildBlock(model, 8);
  // Entry 17 (the second of the third interval) claims to share more bytes
  // than the key before it has: every other entry decodes, it does not.
  std::string bad = good;
  size_t off = 0;
  for (int i = 0; i < 17; i++) {
    uint32_t shared, non_shared, value_len;
    const char* p = bad.data() + off;
    p = GetVarint32Ptr(p, bad.data() + bad.size(), &shared);
    p = GetVarint32Ptr(p, bad.data() + bad.size(), &non_shared);
    p = GetVarint32Ptr(p, bad.data() + bad.size(), &value_len);
    off = static_cast<size_t>(p - bad.data()) + non_shared + value_len;
  }
  bad[off] = 0x7f;
  Block block(bad);
  auto it = block.NewIterator(BytewiseComparator());
  it->Seek(model[25].first);  // decodes restart points and the fourth interval only
  ASSERT_TRUE(it->Valid());
  ASSERT_EQ(it->key(), model[25].first);
  bool failed = false;
  for (int i = 24; i >= 0; i--) {
    it->Prev();
    if (!it->Valid()) {
      failed = true;
      break;
    }
    ASSERT_EQ(it->key(), model[i].first);
  }
  EXPECT_TRUE(failed);
  EXPECT_TRUE(it->status().IsCorruption());
}

TEST(BlockTest, LongSharedPrefixes) {
  Entries model;
  std::string prefix(1000, 'z');
  for (int i = 0; i < 300; i++) {
    char buf[16];
    snprintf(buf, sizeof(buf), "%06d", i);
    model.emplace_back(prefix + buf, std::string(i % 7, 'v'));
  }
  for (int restart_interval : {1, 16}) {
    Block block(BuildBlock(model, restart_interval));
    if (restart_interval == 16) {
      EXPECT_LT(block.size(), 30000u);  // prefixes are shared
    }
    auto it = block.NewIterator(BytewiseComparator());
    std::mt19937 rng(3);
    testing::ExpectIteratorMatches(it.get(), model, &rng, 2000);
  }
}

// Iterates in every way we can; must terminate and never touch memory outside
// the block (ASan). Returns the statuses seen, for callers that care.
void Exercise(const Block& block) {
  auto it = block.NewIterator(BytewiseComparator());
  int steps = 0;
  for (it->SeekToFirst(); it->Valid() && steps < 100000; it->Next(), steps++) {
    (void)it->key();
    (void)it->value();
  }
  for (it->SeekToLast(); it->Valid() && steps < 200000; it->Prev(), steps++) {
    (void)it->key();
  }
  for (const char* t : {"", "a", "m", "zzzz", "\xff\xff"}) {
    it->Seek(t);
    if (it->Valid()) {
      it->Prev();
      if (it->Valid()) it->Next();
    }
  }
  (void)it->status();
}

TEST(BlockTest, RandomBytesNeverCrash) {
  std::mt19937 rng(4);
  for (int trial = 0; trial < 20000; trial++) {
    std::string bytes((rng() % 64), '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() % (trial % 2 ? 4 : 256));
    if (trial % 3 == 0 && bytes.size() >= 4) {
      // Plausible restart count so the entry decoder is reached more often.
      EncodeFixed32(bytes.data() + bytes.size() - 4, 1 + rng() % 3);
      if (bytes.size() >= 8) EncodeFixed32(bytes.data() + bytes.size() - 8, 0);
    }
    Block block(bytes);
    Exercise(block);
  }
}

TEST(BlockTest, MutatedBlocksNeverCrash) {
  std::mt19937 rng(5);
  Entries model = testing::RandomEntries(&rng, 40);
  for (auto& [k, v] : model) v.resize(std::min<size_t>(v.size(), 10));
  const std::string good = BuildBlock(model, 4);
  for (size_t i = 0; i < good.size(); i++) {
    for (int delta : {1, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ delta);
      Exercise(Block(bad));
    }
  }
  for (size_t len = 0; len < good.size(); len++) Exercise(Block(good.substr(0, len)));
}

TEST(BlockTest, MalformedRestartsReportCorruption) {
  std::string contents = BuildBlock({{"a", "1"}, {"b", "2"}}, 1);
  // Restart count larger than the block can hold.
  std::string bad = contents;
  EncodeFixed32(bad.data() + bad.size() - 4, 1000);
  auto it = Block(bad).NewIterator(BytewiseComparator());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
  // Restart offsets not increasing.
  bad = contents;
  EncodeFixed32(bad.data() + bad.size() - 8, 0);
  Block b2(bad);
  auto it2 = b2.NewIterator(BytewiseComparator());
  EXPECT_TRUE(it2->status().IsCorruption());
  // Too short to hold the restart count.
  Block b3(std::string("\x01\x00", 2));
  EXPECT_TRUE(b3.NewIterator(BytewiseComparator())->status().IsCorruption());
}

TEST(BlockTest, BadEntryStopsWithCorruption) {
  // One restart at 0 whose entry claims more bytes than the block holds.
  std::string bad("\x00\x05\x7f" "abcde", 8);
  PutFixed32(&bad, 0);
  PutFixed32(&bad, 1);
  Block block(bad);
  auto it = block.NewIterator(BytewiseComparator());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
  it->Seek("a");  // corruption is sticky
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
}

}  // namespace
}  // namespace kvstore
