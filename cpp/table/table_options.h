// TableOptions: how SST files are written and read. The DB layer fills these
// from Options (block_size, block_restart_interval) and passes its internal
// key comparator.
#pragma once

#include <cstddef>

#include "util/comparator.h"

namespace kvstore {

struct TableOptions {
  // Order of the keys in the table. Must outlive every TableBuilder and Table
  // using these options, and be the same order for writing and reading.
  const Comparator* comparator = BytewiseComparator();
  // Target size of a data block's contents; a block is closed as soon as it
  // reaches this size, so a block can exceed it by one entry.
  size_t block_size = 4096;
  // Keys between restart points in data blocks (the index block uses 1).
  int block_restart_interval = 16;
};

}  // namespace kvstore
