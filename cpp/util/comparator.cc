#include "util/comparator.h"

#include <algorithm>

namespace kvstore {

Comparator::~Comparator() = default;

int InternalBytewiseCompareShort(Slice a, Slice b) {
  const size_t alen = a.size() >= 8 ? a.size() - 8 : a.size();
  const size_t blen = b.size() >= 8 ? b.size() - 8 : b.size();
  const int r = BytewiseCompare(Slice(a.data(), alen), Slice(b.data(), blen));
  if (r != 0) return r;
  uint64_t atag = 0;
  uint64_t btag = 0;
  if (a.size() >= 8) std::memcpy(&atag, a.data() + alen, 8);
  if (b.size() >= 8) std::memcpy(&btag, b.data() + blen, 8);
  return atag > btag ? -1 : (atag < btag ? 1 : 0);
}

namespace {

class BytewiseComparatorImpl final : public Comparator {
 public:
  int Compare(Slice a, Slice b) const override { return BytewiseCompare(a, b); }
  const char* Name() const override { return "kvstore.BytewiseComparator"; }

  void FindShortestSeparator(std::string* start, Slice limit) const override {
    size_t min_len = std::min(start->size(), limit.size());
    size_t diff = 0;
    while (diff < min_len && (*start)[diff] == limit[diff]) diff++;
    if (diff >= min_len) return;  // one is a prefix of the other
    auto byte = static_cast<unsigned char>((*start)[diff]);
    if (byte < 0xff && byte + 1 < static_cast<unsigned char>(limit[diff])) {
      (*start)[diff]++;
      start->resize(diff + 1);
    }
  }

  void FindShortSuccessor(std::string* key) const override {
    for (size_t i = 0; i < key->size(); i++) {
      if (static_cast<unsigned char>((*key)[i]) != 0xff) {
        (*key)[i] = static_cast<char>(static_cast<unsigned char>((*key)[i]) + 1);
        key->resize(i + 1);
        return;
      }
    }
  }
};

}  // namespace

const Comparator* BytewiseComparator() {
  static const BytewiseComparatorImpl* instance = new BytewiseComparatorImpl;
  return instance;
}

}  // namespace kvstore
