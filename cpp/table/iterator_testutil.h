// Test helpers shared by the table-layer tests (header-only, uses GoogleTest):
//   - VectorIterator: an Iterator over a sorted vector of pairs;
//   - RandomKey/RandomValue: keys and values of many shapes;
//   - ExpectIteratorMatches: drives an iterator through full scans, seeks and
//     random Next/Prev walks and checks every position against a model.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kvstore/iterator.h"
#include "util/comparator.h"

namespace kvstore::testing {

using Entries = std::vector<std::pair<std::string, std::string>>;

// Entries must be sorted by cmp (duplicates allowed). Seek = first entry >= target.
class VectorIterator final : public Iterator {
 public:
  explicit VectorIterator(Entries entries, const Comparator* cmp = BytewiseComparator())
      : entries_(std::move(entries)), cmp_(cmp), pos_(entries_.size()) {}
  bool Valid() const override { return pos_ < entries_.size(); }
  void SeekToFirst() override { pos_ = 0; }
  void SeekToLast() override { pos_ = entries_.empty() ? 0 : entries_.size() - 1; }
  void Seek(Slice target) override {
    pos_ = 0;
    while (pos_ < entries_.size() && cmp_->Compare(entries_[pos_].first, target) < 0) pos_++;
  }
  void Next() override { pos_++; }
  void Prev() override { pos_ = pos_ == 0 ? entries_.size() : pos_ - 1; }
  Slice key() const override { return entries_[pos_].first; }
  Slice value() const override { return entries_[pos_].second; }
  Status status() const override { return Status::OK(); }

 private:
  Entries entries_;
  const Comparator* cmp_;
  size_t pos_;
};

// Keys of varied shapes: short, binary (NULs and 0xff), and long with a
// shared prefix, so prefix compression and restart points are exercised.
inline std::string RandomKey(std::mt19937* rng) {
  std::uniform_int_distribution<int> shape(0, 3);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string key;
  switch (shape(*rng)) {
    case 0:  // short printable
      for (int i = 0, n = 1 + (*rng)() % 6; i < n; i++) key.push_back(static_cast<char>('a' + (*rng)() % 26));
      break;
    case 1:  // binary bytes, possibly empty
      for (int i = 0, n = (*rng)() % 10; i < n; i++) key.push_back(static_cast<char>(byte(*rng)));
      break;
    case 2:  // long shared prefix
      key.assign(200, 'p');
      for (int i = 0, n = (*rng)() % 4; i < n; i++) key.push_back(static_cast<char>(byte(*rng)));
      break;
    default:  // edge bytes
      for (int i = 0, n = 1 + (*rng)() % 4; i < n; i++) key.push_back((*rng)() % 2 ? '\xff' : '\0');
      break;
  }
  return key;
}

inline std::string RandomValue(std::mt19937* rng) {
  const int shape = static_cast<int>((*rng)() % 10);
  size_t len = 0;
  if (shape == 0) {
    len = 0;  // empty value
  } else if (shape == 1) {
    len = 5000 + (*rng)() % 20000;  // larger than a block
  } else {
    len = (*rng)() % 40;
  }
  std::string v(len, '\0');
  for (auto& c : v) c = static_cast<char>((*rng)() % 256);
  return v;
}

// Index of the first model entry with key >= target.
inline size_t LowerBound(const Entries& model, Slice target, const Comparator* cmp) {
  size_t i = 0;
  while (i < model.size() && cmp->Compare(model[i].first, target) < 0) i++;
  return i;
}

inline void ExpectAt(const Iterator& it, const Entries& model, size_t pos, const char* what) {
  ASSERT_TRUE(it.status().ok()) << what << ": " << it.status().ToString();
  if (pos >= model.size()) {
    ASSERT_FALSE(it.Valid()) << what << ": expected end, at key size " << it.key().size();
    return;
  }
  ASSERT_TRUE(it.Valid()) << what << ": expected entry " << pos << " of " << model.size();
  ASSERT_EQ(it.key(), Slice(model[pos].first)) << what << " at " << pos;
  ASSERT_EQ(it.value(), Slice(model[pos].second)) << what << " at " << pos;
}

// model: the exact sequence the iterator must produce, in order.
inline void ExpectIteratorMatches(Iterator* it, const Entries& model, std::mt19937* rng,
                                  int random_ops = 2000,
                                  const Comparator* cmp = BytewiseComparator()) {
  const size_t n = model.size();
  // Full forward and backward scans.
  it->SeekToFirst();
  for (size_t i = 0; i < n; i++) {
    ASSERT_NO_FATAL_FAILURE(ExpectAt(*it, model, i, "forward scan"));
    it->Next();
  }
  ASSERT_NO_FATAL_FAILURE(ExpectAt(*it, model, n, "forward scan end"));
  it->SeekToLast();
  for (size_t i = n; i-- > 0;) {
    ASSERT_NO_FATAL_FAILURE(ExpectAt(*it, model, i, "backward scan"));
    it->Prev();
  }
  ASSERT_NO_FATAL_FAILURE(ExpectAt(*it, model, n, "backward scan end"));

  // Seek to every key, just after it, and just before it; step both ways.
  for (size_t i = 0; i < n; i++) {
    const std::string& k = model[i].first;
    std::vector<std::string> targets = {k, k + std::string(1, '\0')};
    if (!k.empty()) targets.push_back(k.substr(0, k.size() - 1));
    for (const auto& t : targets) {
      const size_t pos = LowerBound(model, t, cmp);
      it->Seek(t);
      ASSERT_NO_FATAL_FAILURE(ExpectAt(*it, model, pos, "seek"));
      if (pos < n) {
        it->Prev();
        ASSERT_NO_FATAL_FAILURE(ExpectAt(*it, model, pos == 0 ? n : pos - 1, "seek+prev"));
        it->Seek(t);
        it->Next();
        ASSERT_NO_FATAL_FAILURE(ExpectAt(*it, model, pos + 1, "seek+next"));
      }
    }
  }

  // Random walks with direction switches. pos == n means "not valid".
  size_t pos = n;
  for (int op = 0; op < random_ops; op++) {
    const int choice = static_cast<int>((*rng)() % 10);
    if (pos == n || choice == 0) {
      const int how = static_cast<int>((*rng)() % 3);
      if (how == 0) {
        it->SeekToFirst();
        pos = 0;
      } else if (how == 1) {
        it->SeekToLast();
        pos = n == 0 ? 0 : n - 1;
      } else {
        std::string t = (n > 0 && (*rng)() % 2) ? model[(*rng)() % n].first : RandomKey(rng);
        it->Seek(t);
        pos = LowerBound(model, t, cmp);
      }
      if (n == 0) pos = 0;
    } else if (choice <= 5) {
      it->Next();
      pos++;
    } else {
      it->Prev();
      pos = pos == 0 ? n : pos - 1;
    }
    ASSERT_NO_FATAL_FAILURE(ExpectAt(*it, model, pos, "random walk"));
  }
}

}  // namespace kvstore::testing

namespace kvstore::testing {

// count random entries with distinct keys, sorted bytewise.
inline Entries RandomEntries(std::mt19937* rng, size_t count) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> keys;
  for (size_t i = 0; i < count * 2 && keys.size() < count; i++) keys.push_back(RandomKey(rng));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (auto& k : keys) out.emplace_back(std::move(k), RandomValue(rng));
  return out;
}

}  // namespace kvstore::testing
