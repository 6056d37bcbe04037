// Comparator: a total order over keys, used by blocks, tables and memtables.
// Implementations are stateless and safe for concurrent use.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "kvstore/slice.h"
#include "util/bytewise.h"

namespace kvstore {

class Comparator {
 public:
  virtual ~Comparator();
  // <0, 0, >0 like memcmp.
  virtual int Compare(Slice a, Slice b) const = 0;
  // Persisted in the MANIFEST; a DB refuses to open under a different order.
  virtual const char* Name() const = 0;
  // May shorten *start to a key k with *start <= k < limit (index-block separators).
  virtual void FindShortestSeparator(std::string* start, Slice limit) const = 0;
  // May change *key to a short key k >= *key.
  virtual void FindShortSuccessor(std::string* key) const = 0;
};

// memcmp order. A process-wide singleton; never deleted.
const Comparator* BytewiseComparator();

// The bytewise order compared inline (util/bytewise.h): the same sign as
// memcmp order, without a library call for short keys.
inline int BytewiseCompare(Slice a, Slice b) {
  return CompareBytes(a.data(), a.size(), b.data(), b.size());
}

// The DB's internal-key order (docs/format.md): a user key followed by an
// 8-byte little-endian tag (sequence << 8 | type); user keys in bytewise
// order, then tags descending (newest first). Keys shorter than a tag (never
// produced by the DB) compare as if their tag were 0, out of line.
int InternalBytewiseCompareShort(Slice a, Slice b);
inline int InternalBytewiseCompare(Slice a, Slice b) {
  if (a.size() < 8 || b.size() < 8) [[unlikely]] {
    return InternalBytewiseCompareShort(a, b);
  }
  const size_t alen = a.size() - 8;
  const size_t blen = b.size() - 8;
  const int r = CompareBytes(a.data(), alen, b.data(), blen);
  if (r != 0) return r;
  uint64_t atag;
  uint64_t btag;
  std::memcpy(&atag, a.data() + alen, 8);
  std::memcpy(&btag, b.data() + blen, 8);
  return atag > btag ? -1 : (atag < btag ? 1 : 0);
}

// Orders for the search templates of the table layer: any Comparator through
// its virtual Compare, or the DB's internal-key order inline.
struct ComparatorOrder {
  const Comparator* cmp;
  int Compare(Slice a, Slice b) const { return cmp->Compare(a, b); }
};
struct InternalBytewiseOrder {
  int Compare(Slice a, Slice b) const { return InternalBytewiseCompare(a, b); }
};

}  // namespace kvstore
