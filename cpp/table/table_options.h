// TableOptions: how SST files are written and read. The DB layer fills these
// from Options (see MakeTableOptions in db/db_impl.cc) and passes its internal
// key comparator.
#pragma once

#include <cstddef>
#include <memory>

#include "kvstore/options.h"
#include "util/cache.h"
#include "util/comparator.h"

namespace kvstore {

struct TableOptions {
  // Order of the keys in the table. Must outlive every TableBuilder and Table
  // using these options, and be the same order for writing and reading.
  const Comparator* comparator = BytewiseComparator();
  // true when comparator is the DB's internal-key order over bytewise user keys
  // (InternalBytewiseCompare): point lookups then compare inline, without
  // virtual calls. Must describe comparator exactly.
  bool bytewise_internal_order = false;
  // Target size of a data block's contents; a block is closed as soon as it
  // reaches this size, so a block can exceed it by one entry.
  size_t block_size = 4096;
  // Keys between restart points in data blocks (the index block uses 1).
  int block_restart_interval = 16;

  // Writing: codec for data blocks (index, metaindex and filter blocks are
  // stored raw). A block that does not shrink by at least 1/8 is stored raw.
  // The DB passes Options::compression, or Options::bottommost_compression
  // for tables written to the bottommost level. Reading handles every codec.
  Compression compression = Compression::kNone;
  // zstd level (clamped to zstd's range) when compression is kZstd.
  int zstd_level = 3;

  // Writing: bits per key of the table's bloom filter (0 = write no filter;
  // the DB passes Options::bloom_bits_per_key, default 10, together with
  // internal_keys = true). Reading uses the table's filter whatever this says.
  int bloom_bits_per_key = 0;
  // true: keys are internal keys (user key | 8-byte tag) and the filter holds
  // user keys, so a lookup for any sequence number of a user key consults it.
  // false: the filter holds whole keys. A table's filter is used only when
  // it was written in the same mode as it is read.
  bool internal_keys = false;
  // Writing, with a filter: also add to it the first prefix_length bytes of
  // every filter key (user key when internal_keys) at least that long, each
  // distinct prefix once, and record prefix_length in the metaindex (0 = no
  // prefixes). Shorter keys are in the filter whole, as always: no prefix of
  // prefix_length bytes can match them, so they need no entry. Reading uses
  // the length recorded in each table (Table::PrefixMayMatch), whatever this
  // says, so tables written with another length stay correct.
  size_t prefix_length = 0;

  // Reading: the block cache shared by every table of a DB (nullptr = none:
  // data blocks are read from the file on every access, and index and filter
  // blocks are held by their open tables uncharged). With a cache, data
  // blocks are cached by (table id, offset) and each open table's index and
  // filter blocks are charged to it, pinned for as long as the table is open.
  std::shared_ptr<Cache> block_cache;
};

}  // namespace kvstore
