// Table: an open, immutable SST file (written by TableBuilder).
//
// Thread safety: a Table is immutable after Open() and safe for concurrent
// use by many threads (it only issues positioned reads on its file, which
// RandomAccessFile allows concurrently). Each iterator is used by one thread
// at a time. The Table must outlive every iterator it returns.
//
// Every block (data, index, metaindex) is read through PinBlock(), which
// bounds-checks the handle, verifies the block's checksum and decompresses
// it. With options.block_cache, PinBlock caches parsed data Blocks under
// (the table's cache id, block offset), a 16-byte key built on the stack.
//
// The index block is decoded once at Open into an array of (separator, data
// block handle) that point lookups binary-search and iterators walk; the
// block itself is then freed. That array and the filter are inserted in the
// block cache at Open and stay pinned (so charged) until the table is
// destroyed.
//
// Point lookups (InternalGet) build no Iterator: a binary search of the index
// array, then Block::Seek on the data block, pinned in the cache for the
// duration of the call (no allocation when the block is cached).
//
// Readahead: an iterator that has read two consecutive data blocks from the
// file reads the next kReadaheadSize bytes at once and serves the following
// blocks from that buffer (one buffer per iterator, freed with it). Reverse
// scans do the same backwards: after two blocks read in reverse file order,
// the kReadaheadSize bytes that end with the block.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

  // Bytes an iterator reads at once once it scans sequentially.
  static constexpr size_t kReadaheadSize = 256 * 1024;

  // Iterates over every entry in comparator order. A damaged data block stops
  // the iterator with Corruption in status(). fill_cache = false: blocks the
  // iterator reads are not added to the block cache (long scans, compaction
  // inputs); blocks already cached are still used.
  std::unique_ptr<Iterator> NewIterator(bool fill_cache = true) const;

  // Finds the first entry with key >= target (in comparator order) and, if
  // there is one, calls handle(arg, key, value) once; key and value are valid
  // only during the call. Exception: when the table has a filter and it shows
  // that no entry has target's filter key (target itself, or its user key
  // when options.internal_keys), handle is not called and no block is read.
  // Returns OK whether or not an entry was found, and Corruption / IOError
  // only when a block could not be read.
  // no_io: a data block not in the block cache is not read; the call
  // returns Incomplete instead (with handle not called).
  Status InternalGet(Slice target, void* arg, void (*handle)(void* arg, Slice key, Slice value),
                     bool fill_cache = true, bool no_io = false) const;

  // False when no key of the table starts with prefix, which the table's
  // filter shows only if it holds prefixes (written with prefix_length > 0),
  // prefix is at least that long, and the filter holds no key (or prefix)
  // equal to prefix's first prefix_length() bytes. Otherwise true: the table
  // may hold such keys. Keys are user keys when options.internal_keys. Reads
  // no block.
  bool PrefixMayMatch(Slice prefix) const;
  // The prefix length the table's usable filter was built with; 0 if none.
  size_t prefix_length() const { return prefix_length_; }

  // Approximate file offset at which the data for key begins (or would begin
  // if present); for keys past the last entry, an offset near the end of the
  // file. Never fails.
  uint64_t ApproximateOffsetOf(Slice key) const;

 private:
  Table(const TableOptions& options, std::unique_ptr<RandomAccessFile> file, uint64_t file_size);

  // Checks that handle plus its trailer lies inside the data part of the file.
  bool HandleInBounds(const BlockHandle& handle) const;
  struct ScanState;  // per-iterator readahead state
  // Reads and verifies the block at handle. The single path for block reads:
  // through the block cache when there is one (inserting what it reads if
  // fill_cache), and through scan's readahead buffer when scan is non-null.
  Status LoadBlock(const BlockHandle& handle, bool fill_cache, ScanState* scan,
                   std::shared_ptr<const Block>* block) const;
  // Reads the raw bytes (contents + trailer) of handle via scan's buffer.
  Status ReadThroughScan(const BlockHandle& handle, ScanState* scan, std::string* contents) const;
  class BlockRef;  // a block held for one access: a cache pin or an own copy
  // LoadBlock's work, holding the block through *ref (no allocation on a cache hit).
  // no_io: Incomplete instead of a file read on a cache miss.
  Status PinBlock(const BlockHandle& handle, bool fill_cache, ScanState* scan, BlockRef* ref,
                  bool no_io = false) const;
  static constexpr size_t kCacheKeySize = 16;  // fixed64 cache id | fixed64 block offset
  void CacheKey(uint64_t offset, char (&key)[kCacheKeySize]) const;
  // Inserts value (charged charge bytes) under offset and keeps it pinned
  // until the table is destroyed.
  void PinInCache(uint64_t offset, std::shared_ptr<void> value, size_t charge);
  // InternalGet after the filter: the index search and block seeks, in order.
  template <class Order>
  Status SearchBlocks(const Order& order, Slice target, void* arg,
                      void (*handle)(void* arg, Slice key, Slice value), bool fill_cache,
                      bool no_io) const;
  // Loads the filter named in the metaindex, if any, and the prefix length it
  // was built with. Corruption if either is listed but damaged; a filter of
  // another key kind is ignored.
  Status LoadFilter();
  // An iterator over the data block named by an index entry's value.
  std::unique_ptr<Iterator> BlockIterator(Slice index_value, bool fill_cache,
                                          ScanState* scan) const;

  const TableOptions options_;
  class Index;          // the decoded index block
  class IndexIterator;  // an Iterator over an Index
  const std::unique_ptr<RandomAccessFile> file_;
  const uint64_t file_size_;
  BlockHandle metaindex_handle_;
  std::shared_ptr<const Index> index_;
  std::shared_ptr<const Block> metaindex_block_;  // name -> handle of meta blocks
  std::shared_ptr<const BloomFilter> filter_;     // null: no (usable) filter
  size_t prefix_length_ = 0;                      // filter_ also holds prefixes this long
  uint64_t cache_id_ = 0;                         // with a block cache: this table's key prefix
  std::vector<std::pair<std::string, Cache::Handle*>> pinned_;  // index and filter entries
};

}  // namespace kvstore
