// A two-level iterator: an index iterator whose values name "blocks", and a
// function that opens an iterator over one block. The result iterates over
// the concatenation of all blocks in index order. Tables use it (index block
// -> data blocks) and so does the DB layer (a level's file list -> tables).
//
// Empty blocks are skipped in both directions. Errors stop iteration: when
// the index iterator or a block iterator fails, Valid() becomes false and
// status() reports the failure. A later Seek*/SeekToFirst/SeekToLast starts
// afresh (and fails again if it reaches the same bad block).
//
// block_function must return a non-null iterator (an error iterator from
// NewEmptyIterator(status) for a block that cannot be read). It is called
// again only when the iterator moves to a different index value.
#pragma once

#include <functional>
#include <memory>

#include "kvstore/iterator.h"

namespace kvstore {

std::unique_ptr<Iterator> NewTwoLevelIterator(
    std::unique_ptr<Iterator> index_iter,
    std::function<std::unique_ptr<Iterator>(Slice index_value)> block_function);

}  // namespace kvstore
