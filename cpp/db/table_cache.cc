#include "db/table_cache.h"

#include "db/filename.h"

namespace kvstore {

TableCache::TableCache(std::string dbname, Env* env, TableOptions table_options, size_t capacity)
    : dbname_(std::move(dbname)),
      env_(env),
      table_options_(table_options),
      capacity_(capacity) {}

Status TableCache::FindTable(uint64_t file_number, uint64_t file_size,
                             std::shared_ptr<Table>* table, bool no_io) {
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = tables_.find(file_number);
    if (it != tables_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
      *table = it->second.table;
      return Status::OK();
    }
  }
  if (no_io) return Status::Incomplete("table not open");
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
  while (capacity_ > 0 && tables_.size() > capacity_) {
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

Status TableCache::NameCorruption(uint64_t file_number, Status s) const {
  if (!s.IsCorruption()) return s;
  return Status::Corruption(TableFileName(dbname_, file_number), s.message());
}

Status TableCache::Get(const FileMetaData& file, Slice internal_key, void* arg,
                       void (*handle)(void*, Slice, Slice), bool no_io) {
  if (const Table* open = file.table.get(); open != nullptr) {
    return NameCorruption(file.number,
                          open->InternalGet(internal_key, arg, handle, true, no_io));
  }
  std::shared_ptr<Table> table;
  Status s = FindTable(file.number, file.file_size, &table, no_io);
  if (!s.ok()) return s;
  // Unbounded: the table stays in tables_ until Evict(), which comes only after
  // every version listing this file (and so this metadata) is gone.
  if (capacity_ == 0) file.table.set(table.get());
  return NameCorruption(file.number, table->InternalGet(internal_key, arg, handle, true, no_io));
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
