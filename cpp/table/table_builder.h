// TableBuilder: writes one SST file (layout in table/format.h and
// docs/format.md) from key/value pairs added in strictly increasing order.
//
//   data block* | metaindex block | index block | footer
//
// The index block holds one entry per data block: a separator key k with
// last key of the block <= k < first key of the next block (a short
// successor of the last key for the final block) -> the block's encoded
// BlockHandle. The metaindex block maps names to handles of meta blocks:
// kFilterBlockName -> the table's bloom filter (when bloom_bits_per_key > 0),
// and, when that filter also holds key prefixes (options.prefix_length > 0),
// kFilterPrefixLengthName -> varint32 prefix length (the value itself, not a
// block handle).
//
//   filter block = uint8 key kind (0 whole keys, 1 user keys of internal keys)
//                  | bloom filter (util/bloom.h)
//
// Data blocks are compressed with options.compression when that saves at
// least 1/8 of the block; otherwise (and for every other block) stored raw.
//
// Not thread-safe. The file is not owned: after Finish() the caller Syncs
// and Closes it. The caller must call Finish() or Abandon() before
// destroying a builder that received entries.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kvstore/env.h"
#include "kvstore/slice.h"
#include "kvstore/status.h"
#include "table/block_builder.h"
#include "table/format.h"
#include "table/table_options.h"
#include "util/bloom.h"

namespace kvstore {

// Metaindex name of the full-table filter. The trailing number versions the
// filter format: a reader ignores filters whose name it does not know.
inline constexpr char kFilterBlockName[] = "filter.kvstore.blocked_bloom.1";
enum class FilterKeyKind : unsigned char { kWholeKey = 0, kUserKey = 1 };
// Metaindex name whose value (varint32 L >= 1) says that the filter also holds
// the first L bytes of every filter key of at least L bytes. Readers that do
// not know it still use the filter for whole keys: the prefixes only add
// false positives there.
inline constexpr char kFilterPrefixLengthName[] = "filter.kvstore.fixed_prefix.1";

class TableBuilder {
 public:
  TableBuilder(const TableOptions& options, WritableFile* file);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;
  ~TableBuilder();

  // REQUIRES: Finish()/Abandon() not called; key greater than every key added
  // before (in comparator order). A key out of order sets status() to
  // InvalidArgument; after any error Add() does nothing.
  void Add(Slice key, Slice value);

  // The first error seen (a failed write or an out-of-order key), else OK.
  Status status() const { return status_; }

  // Writes the last data block, the metaindex and index blocks and the
  // footer. Returns status(). Does not Sync or Close the file. A second call
  // (or a call after Abandon) writes nothing and returns status().
  Status Finish();

  // Stops building (no more writes to the file); the caller discards the
  // file. Harmless after Finish().
  void Abandon();

  uint64_t NumEntries() const { return num_entries_; }
  // Bytes written to the file so far. Before Finish() this excludes the data
  // block still being filled; after Finish() it is the size of the file.
  uint64_t FileSize() const { return offset_; }

 private:
  void FlushDataBlock();
  void WriteBlock(BlockBuilder* block, BlockHandle* handle);
  void WriteRawBlock(Slice contents, CompressionType type, BlockHandle* handle);
  // next_key is null when the pending block is the last one.
  void AddPendingIndexEntry(const Slice* next_key);
  // Adds a filter key (and its prefix, with options_.prefix_length) to filter_.
  void AddFilterKey(Slice key);

  const TableOptions options_;
  WritableFile* const file_;
  uint64_t offset_ = 0;
  Status status_;
  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::string last_key_;
  uint64_t num_entries_ = 0;
  bool closed_ = false;
  // After a data block is written its index entry waits for the next key, so
  // the separator can be chosen between the two blocks.
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;
  std::string scratch_;
  std::string compressed_;  // reused buffer for compressed data blocks
  std::unique_ptr<BloomFilterBuilder> filter_;  // null: no filter
  std::string last_prefix_;  // the last prefix added (keys arrive sorted: each once)
  bool has_last_prefix_ = false;
};

}  // namespace kvstore
