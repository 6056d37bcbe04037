// A merging iterator: the sorted union of several sorted child iterators
// (memtables, L0 tables and levels during reads and compactions).
//
// Order: by key (under cmp); entries with equal keys from different children
// come out child by child, lowest child index first. Prev() walks exactly
// the reverse of that order, and switching direction (Next after Prev or
// Prev after Next) works at any position. Each child must yield strictly
// increasing keys.
//
// Errors: if any child fails, Valid() becomes false and status() is the
// first non-OK child status (in child order). Duplicates are not removed.
#pragma once

#include <memory>
#include <vector>

#include "kvstore/iterator.h"
#include "util/comparator.h"

namespace kvstore {

// cmp must outlive the returned iterator.
std::unique_ptr<Iterator> NewMergingIterator(const Comparator* cmp,
                                             std::vector<std::unique_ptr<Iterator>> children);

}  // namespace kvstore
