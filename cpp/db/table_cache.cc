#include "db/table_cache.h"

#include "db/filename.h"

namespace kvstore {

TableCache::TableCache(std::string dbname, Env* env, TableOptions table_options, size_t capacity)
    : dbname_(std::move(dbname)),
      env_(env),
      table_options_(table_options),
      capacity_(capacity < 1 ? 1 : capacity) {}

Status TableCache::FindTable(uint64_t file_number, uint64_t file_size,
                             std::shared_ptr<Table>* table) {
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = tables_.find(file_number);
    if (it != tables_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
      *table = it->second.table;
      return Status::OK();
    }
  }
  // Open outside the lock: opening reads the footer and index block.
  std::string fname = TableFileName(dbname_, file_number);
  std::unique_ptr<RandomAccessFile> file;
  Status s = env_->NewRandomAccessFile(fname, &file);
  std::unique_ptr<Table> opened;
  if (s.ok()) s = Table::Open(table_options_, std::move(file), file_size, &opened);
  if (!s.ok()) {
    // Errors are not cached: a transient failure may succeed on retry.
    return Status(s.code() == Status::Code::kCorruption ? Status::Corruption(fname, s.message())
                                                        : s);
  }
  std::shared_ptr<Table> shared(std::move(opened));
  std::lock_guard<std::mutex> l(mu_);
  auto it = tables_.find(file_number);
  if (it != tables_.end()) {  // another thread opened it meanwhile
    *table = it->second.table;
    return Status::OK();
  }
  lru_.push_front(file_number);
  tables_.emplace(file_number, Entry{shared, lru_.begin()});
  while (tables_.size() > capacity_) {
    tables_.erase(lru_.back());
    lru_.pop_back();
  }
  *table = std::move(shared);
  return Status::OK();
}

std::unique_ptr<Iterator> TableCache::NewIterator(uint64_t file_number, uint64_t file_size,
                                                  bool fill_cache) {
  std::shared_ptr<Table> table;
  Status s = FindTable(file_number, file_size, &table);
  if (!s.ok()) return NewEmptyIterator(s);
  std::unique_ptr<Iterator> iter = table->NewIterator(fill_cache);
  iter->RegisterCleanup([table]() mutable { table.reset(); });
  return iter;
}

Status TableCache::Get(uint64_t file_number, uint64_t file_size, Slice internal_key, void* arg,
                       void (*handle)(void*, Slice, Slice)) {
  std::shared_ptr<Table> table;
  Status s = FindTable(file_number, file_size, &table);
  if (s.ok()) s = table->InternalGet(internal_key, arg, handle);
  if (s.IsCorruption()) {
    return Status::Corruption(TableFileName(dbname_, file_number), s.message());
  }
  return s;
}

Status TableCache::PrefixMayMatch(uint64_t file_number, uint64_t file_size, Slice prefix,
                                  bool* may_match) {
  *may_match = true;
  std::shared_ptr<Table> table;
  Status s = FindTable(file_number, file_size, &table);
  if (s.ok()) *may_match = table->PrefixMayMatch(prefix);
  return s;
}

void TableCache::Evict(uint64_t file_number) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = tables_.find(file_number);
  if (it == tables_.end()) return;
  lru_.erase(it->second.lru_pos);
  tables_.erase(it);
}

}  // namespace kvstore
