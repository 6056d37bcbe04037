#include "table/two_level_iterator.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "table/iterator_testutil.h"

namespace kvstore {
namespace {

using testing::Entries;
using testing::VectorIterator;

// Splits sorted entries into blocks of random sizes (including empty blocks,
// runs of them, and empty first/last blocks). The index maps a key >= every
// key of the block (and below the next block's keys) to the block number.
struct Blocks {
  std::vector<Entries> blocks;
  Entries index;
  std::set<size_t> broken;  // block numbers whose iterator fails
  int opened = 0;

  std::unique_ptr<Iterator> NewIterator() {
    return NewTwoLevelIterator(std::make_unique<VectorIterator>(index), [this](Slice v) {
      opened++;
      const size_t b = std::stoul(std::string(v));
      if (broken.count(b)) return NewEmptyIterator(Status::Corruption("broken block"));
      return std::unique_ptr<Iterator>(std::make_unique<VectorIterator>(blocks[b]));
    });
  }
};

Blocks Split(const Entries& model, std::mt19937* rng) {
  Blocks out;
  // Index key of an empty block: just after the previous key ("" if none).
  std::string last_key;
  bool seen_key = false;
  size_t i = 0;
  while (i < model.size() || out.blocks.size() < 2 || (*rng)() % 3 == 0) {
    const size_t n = (*rng)() % 3 == 0 ? 0 : 1 + (*rng)() % 6;
    Entries block(model.begin() + i, model.begin() + std::min(model.size(), i + n));
    i += block.size();
    if (!block.empty()) {
      last_key = block.back().first;
      seen_key = true;
    }
    std::string index_key = last_key;
    if (block.empty() && seen_key) index_key.push_back('\0');
    out.index.emplace_back(index_key,
                           std::to_string(out.blocks.size()));
    out.blocks.push_back(std::move(block));
    if (i >= model.size() && out.blocks.size() >= 2 && (*rng)() % 2) break;
  }
  return out;
}

TEST(TwoLevelIteratorTest, MatchesModelWithEmptyBlocks) {
  for (unsigned seed = 0; seed < 30; seed++) {
    std::mt19937 rng(seed);
    Entries model = testing::RandomEntries(&rng, seed * 4);
    Blocks blocks = Split(model, &rng);
    auto it = blocks.NewIterator();
    SCOPED_TRACE("seed=" + std::to_string(seed));
    testing::ExpectIteratorMatches(it.get(), model, &rng, 3000);
  }
}

TEST(TwoLevelIteratorTest, AllBlocksEmpty) {
  Blocks blocks;
  for (int i = 0; i < 4; i++) {
    blocks.blocks.emplace_back();
    blocks.index.emplace_back(std::string(i + 1, 'k'), std::to_string(i));
  }
  std::mt19937 rng(1);
  auto it = blocks.NewIterator();
  testing::ExpectIteratorMatches(it.get(), {}, &rng, 200);
}

TEST(TwoLevelIteratorTest, ReusesTheOpenBlock) {
  Blocks blocks;
  blocks.blocks = {{{"a", "1"}, {"b", "2"}, {"c", "3"}}};
  blocks.index = {{"c", "0"}};
  auto it = blocks.NewIterator();
  it->Seek("a");
  it->Seek("b");
  it->Next();
  it->SeekToFirst();
  EXPECT_EQ(blocks.opened, 1);
}

TEST(TwoLevelIteratorTest, BlockErrorStopsIterationInBothDirections) {
  Blocks blocks;
  blocks.blocks = {{{"a", "1"}}, {{"b", "2"}}, {}, {{"c", "3"}}};
  blocks.index = {{"a", "0"}, {"b", "1"}, {"b\0", "2"}, {"c", "3"}};
  blocks.index[2].first = std::string("b\0", 2);
  blocks.broken = {1};
  auto it = blocks.NewIterator();
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());

  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  EXPECT_TRUE(it->status().ok());
  it->Prev();  // through the empty block into the broken one
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());

  it->Seek("c");  // a fresh seek past the damage works again
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  EXPECT_TRUE(it->status().ok());
}

TEST(TwoLevelIteratorTest, IndexErrorIsReported) {
  auto it = NewTwoLevelIterator(NewEmptyIterator(Status::IOError("index read failed")),
                                [](Slice) { return NewEmptyIterator(); });
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsIOError());
}

}  // namespace
}  // namespace kvstore
