// Table: an open, immutable SST file (written by TableBuilder).
//
// Thread safety: a Table is immutable after Open() and safe for concurrent
// use by many threads (it only issues positioned reads on its file, which
// RandomAccessFile allows concurrently). Each iterator is used by one thread
// at a time. The Table must outlive every iterator it returns.
//
// Every block (data, index, metaindex) is read through LoadBlock(), which
// bounds-checks the handle and verifies the block's checksum; a block cache
// keyed by (file, offset) will plug in there, caching parsed Blocks.
#pragma once

#include <cstdint>
#include <memory>

#include "kvstore/env.h"
#include "kvstore/iterator.h"
#include "kvstore/status.h"
#include "table/block.h"
#include "table/format.h"
#include "table/table_options.h"
#include "util/bloom.h"

namespace kvstore {

class Table {
 public:
  // Reads and checks the footer, the index block (every entry must be a
  // block handle inside the file), the metaindex block and the filter block
  // (if the metaindex names one this reader knows) of a file of file_size
  // bytes. Data blocks are read, and checked, only when used. On success
  // *table owns file. A file that is not
  // a valid table gives Corruption ("not an sstable (bad magic number)",
  // "block checksum mismatch", ...); a failed read gives the file's IOError.
  static Status Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                     uint64_t file_size, std::unique_ptr<Table>* table);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  ~Table();

  // Iterates over every entry in comparator order. A damaged data block stops
  // the iterator with Corruption in status().
  std::unique_ptr<Iterator> NewIterator() const;

  // Finds the first entry with key >= target (in comparator order) and, if
  // there is one, calls handle(arg, key, value) once; key and value are valid
  // only during the call. Exception: when the table has a filter and it shows
  // that no entry has target's filter key (target itself, or its user key
  // when options.internal_keys), handle is not called and no block is read.
  // Returns OK whether or not an entry was found, and Corruption / IOError
  // only when a block could not be read.
  Status InternalGet(Slice target, void* arg,
                     void (*handle)(void* arg, Slice key, Slice value)) const;

  // Approximate file offset at which the data for key begins (or would begin
  // if present); for keys past the last entry, an offset near the end of the
  // file. Never fails.
  uint64_t ApproximateOffsetOf(Slice key) const;

 private:
  Table(const TableOptions& options, std::unique_ptr<RandomAccessFile> file, uint64_t file_size);

  // Checks that handle plus its trailer lies inside the data part of the file.
  bool HandleInBounds(const BlockHandle& handle) const;
  // Reads and verifies the block at handle. The single path for block reads;
  // the returned Block is shared, so a cache can hand out the same one.
  Status LoadBlock(const BlockHandle& handle, std::shared_ptr<const Block>* block) const;
  // Loads the filter named in the metaindex, if any. Corruption if it is
  // listed but damaged; a filter of another key kind is ignored.
  Status LoadFilter();
  // An iterator over the data block named by an index entry's value.
  std::unique_ptr<Iterator> BlockIterator(Slice index_value) const;

  const TableOptions options_;
  const std::unique_ptr<RandomAccessFile> file_;
  const uint64_t file_size_;
  BlockHandle metaindex_handle_;
  std::shared_ptr<const Block> index_block_;
  std::shared_ptr<const Block> metaindex_block_;  // name -> handle of meta blocks
  std::unique_ptr<BloomFilter> filter_;           // null: no (usable) filter
};

}  // namespace kvstore
