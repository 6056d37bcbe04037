// ReverseComparator: reverses bytewise order, for tests that check a layer
// follows the user comparator rather than assuming bytewise. Test-only.
#pragma once

#include "util/comparator.h"

namespace kvstore::testing {

class ReverseComparator final : public Comparator {
 public:
  int Compare(Slice a, Slice b) const override { return b.compare(a); }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, Slice) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

}  // namespace kvstore::testing
