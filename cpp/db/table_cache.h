// TableCache: open SST files (Table objects), kept in an LRU bounded by a
// number of entries (Options::max_open_files). Safe for concurrent use.
//
// An iterator or lookup pins its Table (shared ownership), so evicting a table
// never invalidates a reader that is using it.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "kvstore/env.h"
#include "kvstore/iterator.h"
#include "table/table.h"
#include "table/table_builder.h"

namespace kvstore {

class TableCache {
 public:
  TableCache(std::string dbname, Env* env, TableOptions table_options, size_t capacity);

  // An iterator over the table file_number (of file_size bytes). fill_cache =
  // false keeps the blocks it reads out of the block cache (scans, compactions).
  std::unique_ptr<Iterator> NewIterator(uint64_t file_number, uint64_t file_size,
                                        bool fill_cache = true);

  // Calls handle(arg, key, value) for the first entry >= internal_key, if any.
  Status Get(uint64_t file_number, uint64_t file_size, Slice internal_key, void* arg,
             void (*handle)(void*, Slice, Slice));

  // Sets *may_match to the table's Table::PrefixMayMatch(prefix) (opening
  // the table if needed; no data block is read). An error opening it is
  // returned, never taken as "no match".
  Status PrefixMayMatch(uint64_t file_number, uint64_t file_size, Slice prefix, bool* may_match);

  // Drops the table (the file is being deleted).
  void Evict(uint64_t file_number);

 private:
  Status FindTable(uint64_t file_number, uint64_t file_size, std::shared_ptr<Table>* table);

  const std::string dbname_;
  Env* const env_;
  const TableOptions table_options_;
  const size_t capacity_;

  std::mutex mu_;
  std::list<uint64_t> lru_;  // front = most recently used
  struct Entry {
    std::shared_ptr<Table> table;
    std::list<uint64_t>::iterator lru_pos;
  };
  std::unordered_map<uint64_t, Entry> tables_;
};

}  // namespace kvstore
