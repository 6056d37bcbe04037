#include "table/merger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "table/iterator_testutil.h"

namespace kvstore {
namespace {

using testing::Entries;
using testing::VectorIterator;

// Merges one child per key list (each sorted and deduplicated here; values
// name the child) and checks it against the expected merge: a stable sort by
// key over the children in index order.
void CheckMerge(std::vector<std::vector<std::string>> child_keys, std::mt19937* rng, int steps) {
  std::vector<std::unique_ptr<Iterator>> children;
  Entries model;
  for (size_t c = 0; c < child_keys.size(); c++) {
    std::vector<std::string>& keys = child_keys[c];
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
  testing::ExpectIteratorMatches(merged.get(), model, rng, steps);
}

// Children with overlapping key ranges and keys shared across children.
void CheckRandomMerge(unsigned seed, int num_children, size_t keys_per_child) {
  std::mt19937 rng(seed);
  std::vector<std::string> pool;
  for (int i = 0; i < 60; i++) pool.push_back(testing::RandomKey(&rng));
  std::vector<std::vector<std::string>> child_keys(num_children);
  for (auto& keys : child_keys) {
    for (size_t i = 0; i < keys_per_child; i++) {
      keys.push_back(rng() % 2 ? pool[rng() % pool.size()] : testing::RandomKey(&rng));
    }
  }
  SCOPED_TRACE("seed=" + std::to_string(seed));
  CheckMerge(std::move(child_keys), &rng, 5000);
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

// Many children (a deeper heap), a quarter of them empty.
TEST(MergerTest, ManyChildrenSomeEmpty) {
  for (unsigned seed = 100; seed < 110; seed++) {
    std::mt19937 rng(seed);
    std::vector<std::vector<std::string>> child_keys(6 + seed % 9);
    for (auto& keys : child_keys) {
      const size_t count = rng() % 4 == 0 ? 0 : rng() % 30;
      for (size_t i = 0; i < count; i++) keys.push_back(testing::RandomKey(&rng));
    }
    SCOPED_TRACE("seed=" + std::to_string(seed));
    CheckMerge(std::move(child_keys), &rng, 3000);
  }
}

// Yields its entries, but fails (Corruption) instead of stepping off the
// entry with key fail_key, in either direction.
class FailingIterator final : public Iterator {
 public:
  FailingIterator(Entries entries, std::string fail_key)
      : inner_(std::move(entries)), fail_key_(std::move(fail_key)) {}
  bool Valid() const override { return !failed_ && inner_.Valid(); }
  void SeekToFirst() override { inner_.SeekToFirst(); }
  void SeekToLast() override { inner_.SeekToLast(); }
  void Seek(Slice target) override { inner_.Seek(target); }
  void Next() override { Step(true); }
  void Prev() override { Step(false); }
  Slice key() const override { return inner_.key(); }
  Slice value() const override { return inner_.value(); }
  Status status() const override {
    return failed_ ? Status::Corruption("child failed mid-scan") : Status::OK();
  }

 private:
  void Step(bool forward) {
    if (inner_.key() == Slice(fail_key_)) {
      failed_ = true;
    } else if (forward) {
      inner_.Next();
    } else {
      inner_.Prev();
    }
  }

  VectorIterator inner_;
  const std::string fail_key_;
  bool failed_ = false;
};

TEST(MergerTest, ChildFailingMidScanStopsIteration) {
  for (bool forward : {true, false}) {
    std::vector<std::unique_ptr<Iterator>> children;
    children.push_back(std::make_unique<VectorIterator>(
        Entries{{"a", "0"}, {"c", "0"}, {"e", "0"}, {"g", "0"}, {"i", "0"}}));
    children.push_back(std::make_unique<FailingIterator>(
        Entries{{"b", "1"}, {"d", "1"}, {"f", "1"}, {"h", "1"}}, forward ? "d" : "f"));
    auto it = NewMergingIterator(BytewiseComparator(), std::move(children));
    std::string seen;
    if (forward) {
      for (it->SeekToFirst(); it->Valid(); it->Next()) seen += std::string(it->key());
      EXPECT_EQ(seen, "abcd");  // stops at the failure: "e" would skip child 1's "f"
    } else {
      for (it->SeekToLast(); it->Valid(); it->Prev()) seen += std::string(it->key());
      EXPECT_EQ(seen, "ihgf");
    }
    EXPECT_TRUE(it->status().IsCorruption());
  }
}

}  // namespace
}  // namespace kvstore
