#include "table/merger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "table/iterator_testutil.h"

namespace kvstore {
namespace {

using testing::Entries;
using testing::VectorIterator;

// Children with overlapping key ranges and keys shared across children; the
// expected merge is a stable sort by key over the children in index order.
void CheckRandomMerge(unsigned seed, int num_children, size_t keys_per_child) {
  std::mt19937 rng(seed);
  std::vector<std::string> pool;
  for (int i = 0; i < 60; i++) pool.push_back(testing::RandomKey(&rng));
  std::vector<std::unique_ptr<Iterator>> children;
  Entries model;
  for (int c = 0; c < num_children; c++) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < keys_per_child; i++) {
      keys.push_back(rng() % 2 ? pool[rng() % pool.size()] : testing::RandomKey(&rng));
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    Entries entries;
    for (auto& k : keys) entries.emplace_back(k, "child" + std::to_string(c) + ":" + k);
    model.insert(model.end(), entries.begin(), entries.end());
    children.push_back(std::make_unique<VectorIterator>(std::move(entries)));
  }
  std::stable_sort(model.begin(), model.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  auto merged = NewMergingIterator(BytewiseComparator(), std::move(children));
  SCOPED_TRACE("seed=" + std::to_string(seed));
  testing::ExpectIteratorMatches(merged.get(), model, &rng, 5000);
}

TEST(MergerTest, RandomMergesBothDirections) {
  for (unsigned seed = 0; seed < 20; seed++) {
    CheckRandomMerge(seed, 1 + static_cast<int>(seed % 5), 5 + seed * 3);
  }
}

TEST(MergerTest, ZeroAndOneChild) {
  std::mt19937 rng(1);
  auto none = NewMergingIterator(BytewiseComparator(), {});
  testing::ExpectIteratorMatches(none.get(), {}, &rng, 50);
  std::vector<std::unique_ptr<Iterator>> one;
  Entries e = {{"a", "1"}, {"b", "2"}};
  one.push_back(std::make_unique<VectorIterator>(e));
  auto merged = NewMergingIterator(BytewiseComparator(), std::move(one));
  testing::ExpectIteratorMatches(merged.get(), e, &rng, 200);
}

TEST(MergerTest, EqualKeysLowerChildFirstAndDirectionSwitch) {
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(std::make_unique<VectorIterator>(Entries{{"a", "0a"}, {"k", "0k"}}));
  children.push_back(std::make_unique<VectorIterator>(Entries{{"k", "1k"}, {"z", "1z"}}));
  children.push_back(std::make_unique<VectorIterator>(Entries{{"k", "2k"}}));
  auto it = NewMergingIterator(BytewiseComparator(), std::move(children));
  it->Seek("k");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "0k");
  it->Next();
  EXPECT_EQ(it->value(), "1k");
  it->Prev();  // switch to reverse in the middle of a run of equal keys
  EXPECT_EQ(it->value(), "0k");
  it->Next();  // and back
  EXPECT_EQ(it->value(), "1k");
  it->Next();
  EXPECT_EQ(it->value(), "2k");
  it->Prev();
  EXPECT_EQ(it->value(), "1k");
  it->Prev();
  EXPECT_EQ(it->value(), "0k");
  it->Prev();
  EXPECT_EQ(it->value(), "0a");
  it->SeekToLast();
  EXPECT_EQ(it->value(), "1z");
  it->Prev();
  EXPECT_EQ(it->value(), "2k");
}

TEST(MergerTest, ChildErrorStopsIteration) {
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(std::make_unique<VectorIterator>(Entries{{"a", "1"}}));
  children.push_back(NewEmptyIterator(Status::Corruption("child 1 broken")));
  children.push_back(NewEmptyIterator(Status::IOError("child 2 broken")));
  auto it = NewMergingIterator(BytewiseComparator(), std::move(children));
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
  EXPECT_EQ(it->status().message(), "child 1 broken");
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek("a");
  EXPECT_FALSE(it->Valid());
}

}  // namespace
}  // namespace kvstore
