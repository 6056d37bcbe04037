// TableCache: open SST files (Table objects). Safe for concurrent use.
//
// Bounded (capacity > 0): an LRU of at most capacity tables; every access takes
// the cache's lock, and an iterator or lookup pins its Table (shared ownership),
// so evicting a table never invalidates a reader that is using it.
//
// Unbounded (capacity 0, Options::max_open_files = -1): a table, once opened,
// stays open until Evict() (its file is being deleted). Get(FileMetaData) then
// leaves a pointer to it in the file's metadata, and later lookups of that file
// use it without the lock. Evict() may be called only for files no live version
// lists, so no lookup can still hold such a pointer.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "db/version_edit.h"
#include "kvstore/env.h"
#include "kvstore/iterator.h"
#include "table/table.h"
#include "table/table_builder.h"

namespace kvstore {

class TableCache {
 public:
  // capacity: tables kept open; 0 = unbounded (see above).
  TableCache(std::string dbname, Env* env, TableOptions table_options, size_t capacity);

  // An iterator over the table file_number (of file_size bytes). fill_cache =
  // false keeps the blocks it reads out of the block cache (scans, compactions).
  std::unique_ptr<Iterator> NewIterator(uint64_t file_number, uint64_t file_size,
                                        bool fill_cache = true);

  // Calls handle(arg, key, value) for the first entry >= internal_key in the
  // table of file, if any (see Table::InternalGet). no_io: Incomplete instead
  // of opening a table that is not open or reading a block not in the cache.
  Status Get(const FileMetaData& file, Slice internal_key, void* arg,
             void (*handle)(void*, Slice, Slice), bool no_io = false);

  // Sets *may_match to the table's Table::PrefixMayMatch(prefix) (opening
  // the table if needed; no data block is read). An error opening it is
  // returned, never taken as "no match".
  Status PrefixMayMatch(uint64_t file_number, uint64_t file_size, Slice prefix, bool* may_match);

  // Drops the table (the file is being deleted).
  void Evict(uint64_t file_number);

 private:
  // no_io: Incomplete instead of opening a table that is not open.
  Status FindTable(uint64_t file_number, uint64_t file_size, std::shared_ptr<Table>* table,
                   bool no_io = false);
  Status NameCorruption(uint64_t file_number, Status s) const;

  const std::string dbname_;
  Env* const env_;
  const TableOptions table_options_;
  const size_t capacity_;  // 0: unbounded

  std::mutex mu_;
  std::list<uint64_t> lru_;  // front = most recently used
  struct Entry {
    std::shared_ptr<Table> table;
    std::list<uint64_t>::iterator lru_pos;
  };
  std::unordered_map<uint64_t, Entry> tables_;
};

}  // namespace kvstore
