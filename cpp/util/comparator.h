// Comparator: a total order over keys, used by blocks, tables and memtables.
// Implementations are stateless and safe for concurrent use.
#pragma once

#include <string>

#include "kvstore/slice.h"

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

}  // namespace kvstore
