#include "db/db_impl.h"

#include <algorithm>
#include <chrono>

#include "db/db_iter.h"
#include "db/filename.h"
#include "db/log_reader.h"
#include "db/write_batch_internal.h"
#include "table/merger.h"
#include "table/table_builder.h"
#include "util/cache.h"

namespace kvstore {

namespace {

// Largest group a leader gathers (bytes of batch encoding).
constexpr size_t kMaxGroupBytes = 1 << 20;
// A commit group smaller than this is inserted into the memtable by its leader alone.
constexpr size_t kMinParallelInsertBytes = 64 << 10;
// The longest a synced commit group's leader waits for more writers (see Write).
constexpr uint64_t kMaxGatherMicros = 500;

Status ValidateOptions(const Options& o) {
  if (o.write_buffer_size < 4096) return Status::InvalidArgument("write_buffer_size < 4096");
  if (o.block_size < 256) return Status::InvalidArgument("block_size < 256");
  if (o.block_restart_interval < 1) return Status::InvalidArgument("block_restart_interval < 1");
  if (o.target_file_size < 4096) return Status::InvalidArgument("target_file_size < 4096");
  if (o.max_bytes_for_level_base < 4096) {
    return Status::InvalidArgument("max_bytes_for_level_base < 4096");
  }
  if (o.level_size_multiplier < 2) return Status::InvalidArgument("level_size_multiplier < 2");
  if (o.level0_compaction_trigger < 1 ||
      o.level0_slowdown_writes_trigger < o.level0_compaction_trigger ||
      o.level0_stop_writes_trigger < o.level0_slowdown_writes_trigger) {
    return Status::InvalidArgument(
        "need 1 <= level0_compaction_trigger <= level0_slowdown_writes_trigger <= "
        "level0_stop_writes_trigger");
  }
  if (o.max_open_files != -1 && o.max_open_files < 10) {
    return Status::InvalidArgument("max_open_files must be -1 (unbounded) or >= 10");
  }
  if (o.max_write_buffer_number < 2) return Status::InvalidArgument("max_write_buffer_number < 2");
  if (o.max_background_jobs < 0) return Status::InvalidArgument("max_background_jobs < 0");
  if (o.max_subcompactions < 0) return Status::InvalidArgument("max_subcompactions < 0");
  if (o.delayed_write_rate < 1024) return Status::InvalidArgument("delayed_write_rate < 1024");
  if (o.bloom_bits_per_key < 0) return Status::InvalidArgument("bloom_bits_per_key < 0");
  if (o.prefix_length > kMaxKeySize) return Status::InvalidArgument("prefix_length > 64 KiB");
  if (o.zstd_level < 1 || o.zstd_level > 19) return Status::InvalidArgument("zstd_level not in 1..19");
  return Status::OK();
}

Status CheckKeyValue(Slice key, Slice value) {
  if (key.size() > kMaxKeySize) {
    return Status::InvalidArgument("key too large", std::to_string(key.size()) + " bytes > " +
                                                        std::to_string(kMaxKeySize));
  }
  if (value.size() > kMaxValueSize) {
    return Status::InvalidArgument("value too large", std::to_string(value.size()) +
                                                          " bytes > " +
                                                          std::to_string(kMaxValueSize));
  }
  return Status::OK();
}

// Checks the size limits of every operation in a batch.
class BatchValidator final : public WriteBatch::Handler {
 public:
  void Put(Slice key, Slice value) override {
    if (status.ok()) status = CheckKeyValue(key, value);
  }
  void Delete(Slice key) override {
    if (status.ok()) status = CheckKeyValue(key, Slice());
  }
  Status status;
};

// How tables are read, and (for the writer) written at a level; bottommost
// selects Options::bottommost_compression.
TableOptions MakeTableOptions(const Options& options, const InternalKeyComparator* cmp,
                              std::shared_ptr<Cache> block_cache, bool bottommost) {
  TableOptions t;
  t.comparator = cmp;
  t.bytewise_internal_order = cmp->bytewise();
  t.block_size = options.block_size;
  t.block_restart_interval = options.block_restart_interval;
  t.compression = bottommost ? options.bottommost_compression : options.compression;
  t.zstd_level = options.zstd_level;
  t.bloom_bits_per_key = options.bloom_bits_per_key;
  t.internal_keys = true;
  t.prefix_length = options.prefix_length;
  t.block_cache = std::move(block_cache);
  return t;
}

}  // namespace

// A commit group whose writers insert their own batches into the memtable.
struct DBImpl::InsertGroup {
  Writer* leader = nullptr;
  int pending = 0;  // members still inserting
  Status status;    // the first insert failure
};

struct DBImpl::Writer {
  WriteBatch* batch;  // nullptr: a request to flush the memtable
  bool sync;
  bool done = false;
  Status status;
  std::condition_variable cv;
  InsertGroup* group = nullptr;  // set when this member must insert its batch itself
  SequenceNumber sequence = 0;   // its batch's first sequence number (parallel inserts)
};

struct DBImpl::ManualCompaction {
  int level;
  bool done = false;
  const InternalKey* begin;  // nullptr = unbounded
  const InternalKey* end;
  InternalKey tmp_storage;   // where the next step resumes
  Status status;
};

class DBImpl::SnapshotImpl final : public Snapshot {
 public:
  explicit SnapshotImpl(SequenceNumber seq) : seq_(seq) {}
  ~SnapshotImpl() override = default;
  uint64_t sequence() const override { return seq_; }

 private:
  const SequenceNumber seq_;
};

Snapshot::~Snapshot() = default;
DB::~DB() = default;

DBImpl::DBImpl(const Options& raw_options, std::string dbname)
    : options_([&] {
        Options o = raw_options;
        if (o.env == nullptr) o.env = Env::Default();
        return o;
      }()),
      dbname_(std::move(dbname)),
      env_(options_.env),
      icmp_(BytewiseComparator()) {
  if (options_.block_cache_size > 0) {
    block_cache_ = std::make_shared<Cache>(options_.block_cache_size);
  }
  table_cache_ = std::make_unique<TableCache>(dbname_, env_,
                                              MakeTableOptions(options_, &icmp_, block_cache_, false),
                                              options_.max_open_files < 0
                                                  ? 0
                                                  : static_cast<size_t>(options_.max_open_files - 10));
  versions_ = std::make_unique<VersionSet>(dbname_, &options_, table_cache_.get(), &icmp_);
}

DBImpl::~DBImpl() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    shutting_down_.store(true, std::memory_order_release);
    work_cv_.notify_all();
  }
  for (auto& t : bg_threads_) t.join();
  // Data written without sync still reaches the OS: the WAL is flushed per group.
  log_.reset();
  if (logfile_ != nullptr) logfile_->Close();
  logfile_.reset();
  if (spare_log_ != nullptr) spare_log_->Close();  // an empty WAL; replayed as such
  spare_log_.reset();
  mem_.reset();
  imms_.clear();
  versions_.reset();
  table_cache_.reset();
  if (db_lock_ != nullptr) env_->UnlockFile(std::move(db_lock_));
}

// ---------------------------------------------------------------- Open / recovery

Status DB::Open(const Options& options, const std::string& name, std::unique_ptr<DB>* dbptr) {
  dbptr->reset();
  Status s = ValidateOptions(options);
  if (!s.ok()) return s;
  auto impl = std::make_unique<DBImpl>(options, name);
  {
    std::unique_lock<std::mutex> lock(impl->mutex_);
    VersionEdit edit;
    s = impl->Recover(&edit, &lock);
    if (s.ok()) s = impl->StartNewLog(&lock);
    if (s.ok()) {
      edit.SetLogNumber(impl->logfile_number_);
      s = impl->versions_->LogAndApply(&edit, &lock);
      impl->pending_outputs_.clear();  // recovery's tables are installed now
    }
    if (s.ok()) {
      impl->DeleteObsoleteFiles(&lock);
      int jobs = impl->options_.max_background_jobs;
      if (jobs == 0) jobs = static_cast<int>(std::thread::hardware_concurrency());
      jobs = std::max(jobs, 2);
      impl->max_compactions_ = jobs - 1;  // one thread is always free for flushes
      int subcompactions = impl->options_.max_subcompactions;
      if (subcompactions == 0) {
        subcompactions = std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 4);
      }
      impl->max_subcompactions_ = subcompactions;
      for (int i = 0; i < jobs; i++) {
        impl->bg_threads_.emplace_back([p = impl.get()] { p->BackgroundThread(); });
      }
      impl->work_cv_.notify_all();
    }
  }
  if (s.ok()) *dbptr = std::move(impl);
  return s;
}

Status DBImpl::NewDB() {
  VersionEdit edit;
  edit.SetComparatorName(icmp_.user_comparator()->Name());
  edit.SetLogNumber(0);
  edit.SetNextFile(2);
  edit.SetLastSequence(0);
  const std::string manifest = DescriptorFileName(dbname_, 1);
  std::unique_ptr<WritableFile> file;
  Status s = env_->NewWritableFile(manifest, &file);
  if (!s.ok()) return s;
  {
    log::Writer log(file.get());
    std::string record;
    edit.EncodeTo(&record);
    s = log.AddRecord(record);
    if (s.ok()) s = file->Sync();
    if (s.ok()) s = file->Close();
  }
  if (s.ok()) s = SetCurrentFile(env_, dbname_, 1);
  if (!s.ok()) env_->RemoveFile(manifest);
  return s;
}

Status DBImpl::Recover(VersionEdit* edit, std::unique_lock<std::mutex>* lock) {
  env_->CreateDir(dbname_);  // an error shows up in the lock step below
  Status s = env_->LockFile(LockFileName(dbname_), &db_lock_);
  if (!s.ok()) {
    if (s.IsBusy()) return Status::Busy(dbname_, "database already in use (LOCK is held)");
    return s;
  }
  if (!env_->FileExists(CurrentFileName(dbname_))) {
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(dbname_, "does not exist (create_if_missing is false)");
    }
    s = NewDB();
    if (!s.ok()) return s;
  } else if (options_.error_if_exists) {
    return Status::InvalidArgument(dbname_, "exists (error_if_exists is true)");
  }

  s = versions_->Recover();
  if (!s.ok()) return s;

  // Every table the MANIFEST names must exist; WALs newer than the MANIFEST's
  // log number hold writes not yet in a table.
  std::set<uint64_t> expected;
  versions_->AddLiveFiles(&expected);
  std::vector<std::string> children;
  s = env_->GetChildren(dbname_, &children);
  if (!s.ok()) return s;
  std::vector<uint64_t> logs;
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    expected.erase(number);
    if (type == FileType::kLogFile && number >= versions_->LogNumber()) logs.push_back(number);
  }
  if (!expected.empty()) {
    return Status::Corruption(std::to_string(expected.size()) + " table files missing, e.g.",
                              TableFileName(dbname_, *expected.begin()));
  }
  std::sort(logs.begin(), logs.end());
  SequenceNumber max_sequence = versions_->LastSequence();
  for (uint64_t log_number : logs) {
    s = RecoverLogFile(log_number, edit, &max_sequence, lock);
    if (!s.ok()) return s;
    versions_->MarkFileNumberUsed(log_number);
  }
  versions_->SetLastSequence(max_sequence);
  return Status::OK();
}

Status DBImpl::RecoverLogFile(uint64_t log_number, VersionEdit* edit,
                              SequenceNumber* max_sequence, std::unique_lock<std::mutex>* lock) {
  struct Reporter final : public log::Reader::Reporter {
    std::string fname;
    bool salvage;
    Status* status;
    uint64_t* dropped;
    void Corruption(size_t bytes, const Status& s) override {
      if (s.IsIOError()) {  // the file could not be read: never salvage past that
        if (status->ok()) *status = s;
        return;
      }
      *dropped += bytes;
      if (!salvage && status->ok()) {
        *status = Status::Corruption(fname, s.message() + " (" + std::to_string(bytes) +
                                                " bytes; open with salvage_wal to skip)");
      }
    }
  };
  const std::string fname = LogFileName(dbname_, log_number);
  std::unique_ptr<SequentialFile> file;
  Status s = env_->NewSequentialFile(fname, &file);
  if (!s.ok()) return s;
  Status status;
  Reporter reporter;
  reporter.fname = fname;
  reporter.salvage = options_.salvage_wal;
  reporter.status = &status;
  reporter.dropped = &stats_.wal_bytes_dropped;
  log::Reader reader(file.get(), &reporter);

  std::string scratch;
  Slice record;
  WriteBatch batch;
  std::shared_ptr<MemTable> mem;
  while (reader.ReadRecord(&record, &scratch) && status.ok()) {
    if (record.size() < WriteBatchInternal::kHeader) {
      reporter.Corruption(record.size(), Status::Corruption("log record too small"));
      continue;
    }
    WriteBatchInternal::SetContents(&batch, record);
    if (mem == nullptr) mem = std::make_shared<MemTable>(icmp_);
    Status insert = WriteBatchInternal::InsertInto(&batch, mem.get());
    if (!insert.ok()) {
      // A record whose checksum matched but whose batch does not parse.
      reporter.Corruption(record.size(), insert);
      continue;
    }
    SequenceNumber last = WriteBatchInternal::Sequence(&batch) + WriteBatchInternal::Count(&batch);
    if (last > 0) last--;
    *max_sequence = std::max(*max_sequence, last);
    if (mem->ApproximateMemoryUsage() > options_.write_buffer_size) {
      s = WriteLevel0Table(mem.get(), edit, nullptr, lock);
      mem.reset();
      if (!s.ok()) return s;
    }
  }
  if (!status.ok()) return status;
  if (mem != nullptr) s = WriteLevel0Table(mem.get(), edit, nullptr, lock);
  return s;
}

Status DBImpl::StartNewLog(std::unique_lock<std::mutex>* lock) {
  uint64_t number;
  std::unique_ptr<WritableFile> file;
  spare_log_failed_ = false;
  if (spare_log_ != nullptr) {
    number = spare_log_number_;  // created and named durably already
    file = std::move(spare_log_);
  } else {
    number = versions_->NewFileNumber();
    Status s = env_->NewSyncedLogFile(LogFileName(dbname_, number), &file);
    // A synced write into this WAL must not vanish with its directory entry.
    if (s.ok()) s = env_->SyncDir(dbname_);
    if (!s.ok()) {
      versions_->ReuseFileNumber(number);
      return s;
    }
  }
  if (log_ != nullptr) {
    log_.reset();
    logfile_->Close();
  }
  logfile_ = std::move(file);
  logfile_number_ = number;
  log_ = std::make_unique<log::Writer>(logfile_.get());
  log_bytes_ = 0;
  if (mem_ == nullptr) mem_ = std::make_shared<MemTable>(icmp_);
  return Status::OK();
}

// ---------------------------------------------------------------- writes

Status DBImpl::Put(const WriteOptions& options, Slice key, Slice value) {
  // Sized up front (header, tag, two varint32 lengths): one allocation.
  WriteBatch batch(WriteBatchInternal::kHeader + 11 + key.size() + value.size());
  batch.Put(key, value);
  return Write(options, &batch);
}

Status DBImpl::Delete(const WriteOptions& options, Slice key) {
  WriteBatch batch(WriteBatchInternal::kHeader + 6 + key.size());
  batch.Delete(key);
  return Write(options, &batch);
}

Status DBImpl::Write(const WriteOptions& options, WriteBatch* updates) {
  if (updates != nullptr) {
    if (updates->ApproximateSize() > kMaxBatchSize) {
      return Status::InvalidArgument("write batch too large", std::to_string(updates->ApproximateSize()) + " bytes");
    }
    // A batch smaller than the key limit cannot hold an oversized key or value.
    if (updates->ApproximateSize() > kMaxKeySize) {
      BatchValidator validator;
      Status s = updates->Iterate(&validator);
      if (!s.ok()) return s;
      if (!validator.status.ok()) return validator.status;
    }
  }

  Writer w;
  w.batch = updates;
  w.sync = options.sync;
  std::unique_lock<std::mutex> lock(mutex_);
  stats_.writes++;
  writers_.push_back(&w);
  if (leader_gathering_ && writers_.front() != &w) writers_.front()->cv.notify_one();
  while (!w.done && w.group == nullptr && &w != writers_.front()) w.cv.wait(lock);
  if (w.group != nullptr) {
    // A member of a group whose writers insert their own batches in parallel:
    // the leader has written the WAL and assigned this batch its sequence.
    InsertGroup* group = w.group;
    MemTable* mem = mem_.get();
    lock.unlock();
    Status s = WriteBatchInternal::InsertIntoConcurrently(w.batch, w.sequence, mem);
    lock.lock();
    if (!s.ok() && group->status.ok()) group->status = s;
    if (--group->pending == 0) group->leader->cv.notify_one();
    while (!w.done) w.cv.wait(lock);
    return w.status;
  }
  if (w.done) return w.status;

  // This thread leads a commit group.
  if (w.sync && updates != nullptr && last_sync_group_ > 1 && writers_.size() < last_sync_group_) {
    // The last fsync was shared: its writers are likely on their way back with their
    // next writes. Wait a fraction of an fsync for them, so they share this one
    // instead of each paying for the next (a lone synced writer never waits).
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::microseconds(std::min<uint64_t>(sync_micros_avg_ / 2, kMaxGatherMicros));
    leader_gathering_ = true;
    while (writers_.size() < last_sync_group_ &&
           w.cv.wait_until(lock, deadline) == std::cv_status::no_timeout) {
    }
    leader_gathering_ = false;
  }
  Status status = MakeRoomForWrite(/*force=*/updates == nullptr, &lock);
  uint64_t last_sequence = versions_->LastSequence();
  Writer* last_writer = &w;
  if (status.ok() && updates != nullptr) {
    WriteBatch* group = BuildBatchGroup(&last_writer);
    if (versions_->NumLevelFiles(0) >= options_.level0_slowdown_writes_trigger) {
      DelayWrite(WriteBatchInternal::ByteSize(group), &lock);
    }
    const SequenceNumber first_sequence = last_sequence + 1;
    WriteBatchInternal::SetSequence(group, first_sequence);
    last_sequence += WriteBatchInternal::Count(group);
    const bool sync = w.sync;
    // Inserting in parallel costs each member a wake-up: worth it only when the
    // members bring enough data for the inserts to outweigh it.
    const bool parallel = options_.concurrent_memtable_writes && last_writer != &w &&
                          WriteBatchInternal::ByteSize(group) >= kMinParallelInsertBytes;
    Slice contents = WriteBatchInternal::Contents(group);
    stats_.write_groups++;
    stats_.wal_bytes_written += contents.size();
    log_bytes_ += contents.size();

    // Only the leader touches the WAL: unlock for the I/O.
    size_t group_writers = 0;
    if (sync) {
      for (Writer* member : writers_) {
        group_writers++;
        if (member == last_writer) break;
      }
    }
    lock.unlock();
    // status is OK here; only a failure replaces it (moving even an OK Status
    // costs a string move, three times per write).
    auto keep_failure = [&status](Status s) {
      if (!s.ok()) status = std::move(s);
    };
    keep_failure(log_->AddRecord(contents));
    const uint64_t sync_start = sync ? env_->NowMicros() : 0;
    if (status.ok()) keep_failure(sync ? logfile_->Sync() : logfile_->Flush());
    const bool wal_error = !status.ok();
    if (status.ok() && !parallel) keep_failure(WriteBatchInternal::InsertInto(group, mem_.get()));
    lock.lock();
    if (sync) {
      stats_.wal_syncs++;
      const uint64_t took = env_->NowMicros() - sync_start;
      sync_micros_avg_ = sync_micros_avg_ == 0 ? took : (7 * sync_micros_avg_ + took) / 8;
      last_sync_group_ = group_writers;
    }
    if (wal_error) {
      // The WAL may end in a partial or unsynced record: stop accepting writes.
      RecordBackgroundError(status);
    }
    if (status.ok() && parallel) {
      // Every writer inserts its own batch into the memtable, all at once.
      InsertGroup insert_group;
      insert_group.leader = &w;
      SequenceNumber seq = first_sequence;
      for (Writer* member : writers_) {
        member->sequence = seq;
        seq += WriteBatchInternal::Count(member->batch);
        if (member != &w) {
          member->group = &insert_group;
          insert_group.pending++;
          member->cv.notify_one();
        }
        if (member == last_writer) break;
      }
      MemTable* mem = mem_.get();
      lock.unlock();
      Status s = WriteBatchInternal::InsertIntoConcurrently(w.batch, w.sequence, mem);
      lock.lock();
      while (insert_group.pending > 0) w.cv.wait(lock);
      status = s.ok() ? insert_group.status : s;
    }
    if (group == &tmp_batch_) tmp_batch_.Clear();
    // Readers see the group only now, after every insert of it is done.
    if (status.ok()) versions_->SetLastSequence(last_sequence);
  }

  while (true) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready != &w) {
      ready->status = status;
      ready->done = true;
      ready->cv.notify_one();
    }
    if (ready == last_writer) break;
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  if (CanPrepareLog()) work_cv_.notify_one();  // the memtable is half full: ready its WAL
  return status;
}

WriteBatch* DBImpl::BuildBatchGroup(Writer** last_writer) {
  Writer* first = writers_.front();
  WriteBatch* result = first->batch;
  size_t size = WriteBatchInternal::ByteSize(first->batch);
  // Keep small writes from waiting behind a large group.
  size_t max_size = kMaxGroupBytes;
  if (size <= (128 << 10)) max_size = size + (128 << 10);
  *last_writer = first;
  for (auto it = writers_.begin() + 1; it != writers_.end(); ++it) {
    Writer* w = *it;
    if (w->sync && !first->sync) break;  // a sync write must not ride in a non-sync group
    if (w->batch == nullptr) break;      // a flush request leads its own group
    size += WriteBatchInternal::ByteSize(w->batch);
    if (size > max_size) break;
    if (result == first->batch) {
      result = &tmp_batch_;
      WriteBatchInternal::Append(result, first->batch);
    }
    WriteBatchInternal::Append(result, w->batch);
    *last_writer = w;
  }
  return result;
}

// L0 is piling up: hold the group back so writes proceed at about
// delayed_write_rate, slower as L0 nears the stop trigger. The leader sleeps
// without the mutex; the queue behind it waits, so the whole stream slows down
// gently instead of stopping later.
void DBImpl::DelayWrite(size_t bytes, std::unique_lock<std::mutex>* lock) {
  const int l0 = versions_->NumLevelFiles(0);
  const int span = std::max(1, options_.level0_stop_writes_trigger -
                                   options_.level0_slowdown_writes_trigger);
  const int over = l0 - options_.level0_slowdown_writes_trigger;
  double rate = static_cast<double>(options_.delayed_write_rate) * (span - over) / span;
  rate = std::max(rate, static_cast<double>(options_.delayed_write_rate) / 16);
  auto micros = static_cast<uint64_t>(static_cast<double>(bytes) * 1e6 / rate);
  if (micros == 0) return;
  micros = std::min<uint64_t>(micros, 100000);
  lock->unlock();
  env_->SleepForMicroseconds(static_cast<int>(micros));
  lock->lock();
  stats_.stall_slowdowns++;
  stats_.stall_micros += micros;
}

// REQUIRES: mutex_ held by *lock, this thread leads the writer queue.
Status DBImpl::MakeRoomForWrite(bool force, std::unique_lock<std::mutex>* lock) {
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    if (!force && mem_->ApproximateMemoryUsage() <= options_.write_buffer_size) {
      return Status::OK();
    }
    // An empty memtable is never frozen, whatever its arena already holds.
    if (mem_->Empty()) return Status::OK();
    const bool memtables_full =
        static_cast<int>(imms_.size()) >= options_.max_write_buffer_number - 1;
    if (memtables_full ||
        versions_->NumLevelFiles(0) >= options_.level0_stop_writes_trigger) {
      // Every memtable waits for a flush, or L0 is full: wait for the background.
      uint64_t start = env_->NowMicros();
      stats_.stall_stops++;
      work_cv_.notify_all();
      bg_cv_.wait(*lock);
      stats_.stall_micros += env_->NowMicros() - start;
      continue;
    }
    // Freeze the memtable, start a new WAL, flush in the background.
    Status s = StartNewLog(lock);
    if (!s.ok()) {
      RecordBackgroundError(s);
      return s;
    }
    imms_.push_back(Frozen{std::move(mem_), logfile_number_});
    mem_ = std::make_shared<MemTable>(icmp_);
    force = false;
    work_cv_.notify_all();
  }
}

// ---------------------------------------------------------------- reads

DBImpl::ReadView DBImpl::GetReadView(const ReadOptions& options) {
  std::lock_guard<std::mutex> l(mutex_);
  ReadView view;
  view.mem = mem_;
  for (auto it = imms_.rbegin(); it != imms_.rend(); ++it) view.imms.push_back(it->mem);
  view.version = versions_->current();
  view.sequence = options.snapshot != nullptr ? options.snapshot->sequence()
                                              : versions_->LastSequence();
  return view;
}

Status DBImpl::GetFromView(const ReadView& view, Slice key, std::string* value, bool no_io) {
  LookupKey lkey(key, view.sequence);
  Status s;
  if (view.mem->Get(lkey, value, &s)) return s;
  for (const auto& imm : view.imms) {
    if (imm->Get(lkey, value, &s)) return s;
  }
  bool found;
  return view.version->Get(lkey, value, &found, no_io);
}

Status DBImpl::Get(const ReadOptions& options, Slice key, std::string* value) {
  ReadView view = GetReadView(options);
  return GetFromView(view, key, value, options.no_io);
}

std::vector<Status> DBImpl::MultiGet(const ReadOptions& options, const std::vector<Slice>& keys,
                                     std::vector<std::string>* values) {
  ReadView view = GetReadView(options);
  values->resize(keys.size());
  std::vector<Status> result;
  result.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); i++) {
    result.push_back(GetFromView(view, keys[i], &(*values)[i], options.no_io));
  }
  return result;
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  ReadView view = GetReadView(options);
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(view.mem->NewIterator());
  for (const auto& imm : view.imms) children.push_back(imm->NewIterator());
  std::optional<std::string> lower = options.lower_bound;
  std::optional<std::string> upper = options.upper_bound;
  if (options.prefix.has_value()) {
    // Keys outside [prefix, successor) are out of bounds, so the tables left
    // out cannot change what the iterator shows.
    const std::string& prefix = *options.prefix;
    const Comparator* ucmp = icmp_.user_comparator();
    if (!lower.has_value() || ucmp->Compare(*lower, prefix) < 0) lower = prefix;
    std::optional<std::string> end = PrefixSuccessor(prefix);
    if (end.has_value() && (!upper.has_value() || ucmp->Compare(*end, *upper) < 0)) upper = end;
    view.version->AddPrefixIterators(&children, options.fill_cache, prefix, &prefix_filter_skips_);
  } else {
    view.version->AddIterators(&children, options.fill_cache);
  }
  auto internal = NewMergingIterator(&icmp_, std::move(children));
  auto iter = NewDBIterator(icmp_.user_comparator(), std::move(internal), view.sequence,
                            std::move(lower), std::move(upper));
  // The iterator pins the memtables and the version (so their files) until destroyed.
  iter->RegisterCleanup([view]() mutable { view = ReadView{}; });
  return iter;
}

const Snapshot* DBImpl::GetSnapshot() {
  std::lock_guard<std::mutex> l(mutex_);
  snapshots_.push_back(std::make_unique<SnapshotImpl>(versions_->LastSequence()));
  stats_.live_snapshots = snapshots_.size();
  return snapshots_.back().get();
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  std::lock_guard<std::mutex> l(mutex_);
  snapshots_.remove_if([snapshot](const auto& s) { return s.get() == snapshot; });
  stats_.live_snapshots = snapshots_.size();
}

SequenceNumber DBImpl::SmallestSnapshot() const {
  // Snapshots are appended in sequence order, so the first is the oldest.
  return snapshots_.empty() ? versions_->LastSequence() : snapshots_.front()->sequence();
}

// ---------------------------------------------------------------- flush / compaction

Status DBImpl::Flush() {
  Status s = Write(WriteOptions(), nullptr);  // freezes the memtable in writer order
  if (!s.ok()) return s;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!imms_.empty() && bg_error_.ok()) bg_cv_.wait(lock);
  return bg_error_;
}

Status DBImpl::CompactRange(const Slice* begin, const Slice* end) {
  Status s = Flush();
  if (!s.ok()) return s;
  int max_level_with_files = 1;
  {
    std::lock_guard<std::mutex> l(mutex_);
    auto base = versions_->current();
    for (int level = 1; level < kNumLevels; level++) {
      if (base->OverlapInLevel(level, begin, end)) max_level_with_files = level;
    }
  }
  InternalKey begin_storage, end_storage;
  if (begin != nullptr) begin_storage = InternalKey(*begin, kMaxSequenceNumber, kValueTypeForSeek);
  if (end != nullptr) end_storage = InternalKey(*end, 0, kTypeDeletion);
  for (int level = 0; level < max_level_with_files; level++) {
    ManualCompaction manual;
    manual.level = level;
    manual.begin = begin != nullptr ? &begin_storage : nullptr;
    manual.end = end != nullptr ? &end_storage : nullptr;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!manual.done && bg_error_.ok() && !shutting_down_.load()) {
      if (manual_compaction_ == nullptr) {
        manual_compaction_ = &manual;
        work_cv_.notify_all();
      }
      bg_cv_.wait(lock);
    }
    if (manual_compaction_ == &manual) manual_compaction_ = nullptr;  // error or shutdown
    if (!bg_error_.ok()) return bg_error_;
    if (!manual.status.ok()) return manual.status;
  }
  return Status::OK();
}

bool DBImpl::CanFlush() const { return !imms_.empty() && !flush_running_; }

bool DBImpl::CanPrepareLog() const {
  return spare_log_ == nullptr && !spare_log_preparing_ && !spare_log_failed_ &&
         log_ != nullptr && mem_->ApproximateMemoryUsage() >= options_.write_buffer_size / 2;
}

void DBImpl::PrepareSpareLog(std::unique_lock<std::mutex>* lock) {
  spare_log_preparing_ = true;
  const uint64_t number = versions_->NewFileNumber();
  lock->unlock();
  std::unique_ptr<WritableFile> file;
  Status s = env_->NewSyncedLogFile(LogFileName(dbname_, number), &file);
  if (s.ok()) s = env_->SyncDir(dbname_);
  lock->lock();
  spare_log_preparing_ = false;
  if (s.ok() && number < logfile_number_) {
    // A switch came first and created its WAL itself: WALs must be used in number
    // order, so this one stays unused (an empty WAL, deleted once obsolete).
    file->Close();
  } else if (s.ok()) {
    spare_log_ = std::move(file);
    spare_log_number_ = number;
  } else {
    // An empty file left behind is harmless (an empty WAL, deleted once obsolete).
    spare_log_failed_ = true;
  }
}

bool DBImpl::CanRunManual() const {
  return manual_compaction_ != nullptr && !manual_running_ && running_compactions_ == 0;
}

bool DBImpl::CanCompact() const {
  // A pending manual compaction needs the levels to itself: start nothing new.
  return manual_compaction_ == nullptr && !compaction_blocked_ &&
         running_compactions_ < max_compactions_ && versions_->NeedsCompaction();
}

void DBImpl::BackgroundThread() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    while (!shutting_down_.load(std::memory_order_acquire) &&
           !(bg_error_.ok() && (CanFlush() || CanPrepareLog() || CanRunManual() || CanCompact()))) {
      work_cv_.wait(lock);
    }
    if (shutting_down_.load(std::memory_order_acquire)) break;
    if (CanFlush()) {
      FlushOldestMemTable(&lock);
    } else if (CanPrepareLog()) {
      PrepareSpareLog(&lock);
    } else if (CanRunManual()) {
      RunManualCompactionStep(&lock);
    } else {
      std::unique_ptr<Compaction> c = versions_->PickCompaction();
      if (c == nullptr) {
        compaction_blocked_ = true;  // until some running job finishes
        continue;
      }
      RunCompaction(c.get(), &lock);
    }
    // Something changed: a blocked compaction may be possible now, writers may proceed.
    compaction_blocked_ = false;
    bg_cv_.notify_all();
    work_cv_.notify_all();
  }
  bg_cv_.notify_all();
}

void DBImpl::RecordBackgroundError(const Status& s) {
  if (bg_error_.ok()) {
    bg_error_ = s;
    bg_cv_.notify_all();
  }
}

// Runs c (picked with its inputs marked) and releases its inputs.
void DBImpl::RunCompaction(Compaction* c, std::unique_lock<std::mutex>* lock) {
  running_compactions_++;
  Status status;
  if (c->IsTrivialMove()) {
    const auto& f = c->inputs(0)[0];
    c->edit()->RemoveFile(c->level(), f->number);
    c->edit()->AddFile(c->output_level(), f->number, f->file_size, f->smallest, f->largest);
    status = versions_->LogAndApply(c->edit(), lock);
  } else {
    status = DoCompactionWork(c, lock);
  }
  versions_->ReleaseInputs(c);
  c->ReleaseInputVersion();  // else the inputs stay live until the next compaction
  running_compactions_--;
  if (!status.ok() && !shutting_down_.load()) RecordBackgroundError(status);
  DeleteObsoleteFiles(lock);
}

void DBImpl::RunManualCompactionStep(std::unique_lock<std::mutex>* lock) {
  ManualCompaction* manual = manual_compaction_;
  manual_running_ = true;
  std::unique_ptr<Compaction> c =
      versions_->CompactRange(manual->level, manual->begin, manual->end);
  if (c == nullptr) {
    manual->done = true;
  } else {
    InternalKey manual_end = c->inputs(0).back()->largest;
    running_compactions_++;
    Status status = DoCompactionWork(c.get(), lock);
    versions_->ReleaseInputs(c.get());
    c->ReleaseInputVersion();
    running_compactions_--;
    DeleteObsoleteFiles(lock);
    if (!status.ok()) {
      manual->status = status;
      manual->done = true;
      if (!shutting_down_.load()) RecordBackgroundError(status);
    } else {
      // Only part of the range may be done: resume after it next time.
      manual->tmp_storage = manual_end;
      manual->begin = &manual->tmp_storage;
    }
  }
  manual_running_ = false;
  manual_compaction_ = nullptr;  // the waiting caller re-registers for the next step
}

void DBImpl::FlushOldestMemTable(std::unique_lock<std::mutex>* lock) {
  flush_running_ = true;
  Frozen frozen = imms_.front();
  VersionEdit edit;
  auto base = versions_->current();
  Status s = WriteLevel0Table(frozen.mem.get(), &edit, base.get(), lock);
  if (s.ok() && shutting_down_.load()) {
    s = Status::IOError("shutting down during memtable flush");
  }
  if (s.ok()) {
    // Every write older than the WAL started at the freeze is now in a table.
    edit.SetLogNumber(frozen.next_log_number);
    s = versions_->LogAndApply(&edit, lock);
  }
  for (const auto& [level, meta] : edit.new_files()) pending_outputs_.erase(meta.number);
  if (s.ok()) {
    imms_.pop_front();
    stats_.flushes++;
    DeleteObsoleteFiles(lock);
  } else if (!shutting_down_.load()) {
    RecordBackgroundError(s);
  }
  flush_running_ = false;
}

Status DBImpl::WriteLevel0Table(MemTable* mem, VersionEdit* edit, const Version* base,
                                std::unique_lock<std::mutex>* lock) {
  uint64_t number = versions_->NewFileNumber();
  pending_outputs_.insert(number);
  const std::string fname = TableFileName(dbname_, number);
  FileMetaData meta;
  meta.number = number;
  const bool bottommost = false;  // flushes use Options::compression

  lock->unlock();
  Status s;
  {
    std::unique_ptr<WritableFile> file;
    s = env_->NewWritableFile(fname, &file);
    if (s.ok()) {
      TableBuilder builder(MakeTableOptions(options_, &icmp_, nullptr, bottommost), file.get());
      auto iter = mem->NewIterator();
      iter->SeekToFirst();
      if (iter->Valid()) meta.smallest.DecodeFrom(iter->key());
      for (; iter->Valid(); iter->Next()) {
        meta.largest.DecodeFrom(iter->key());
        builder.Add(iter->key(), iter->value());
      }
      s = builder.Finish();
      meta.file_size = builder.FileSize();
      if (s.ok()) s = file->Sync();
      if (s.ok()) s = file->Close();
      if (s.ok() && builder.NumEntries() == 0) meta.file_size = 0;
    }
  }
  lock->lock();

  // The number stays in pending_outputs_ until the caller has installed the
  // edit: until then no version names the file and it must not be deleted.
  if (s.ok() && meta.file_size > 0) {
    int level = 0;
    if (base != nullptr) {
      level = base->PickLevelForMemTableOutput(meta.smallest.user_key(), meta.largest.user_key());
    }
    edit->AddFile(level, meta.number, meta.file_size, meta.smallest, meta.largest);
    stats_.flush_bytes_written += meta.file_size;
  } else {
    env_->RemoveFile(fname);
    pending_outputs_.erase(number);
  }
  return s;
}

Status DBImpl::DoCompactionWork(Compaction* c, std::unique_lock<std::mutex>* lock) {
  const SequenceNumber smallest_snapshot = SmallestSnapshot();
  const bool bottommost = c->output_level() >= versions_->current()->DeepestNonEmptyLevel();
  uint64_t bytes_read = 0;
  for (int which = 0; which < 2; which++) {
    for (const auto& f : c->inputs(which)) bytes_read += f->file_size;
  }
  // L0 -> base compactions take every overlapping L0 file at once: split them
  // into key ranges merged in parallel so they are not one thread's work.
  const std::vector<std::string> cuts =
      c->level() == 0 ? c->SubcompactionCuts(max_subcompactions_) : std::vector<std::string>();
  const size_t parts = cuts.size() + 1;
  std::vector<RangeOutputs> outputs(parts);
  std::vector<Status> statuses(parts);
  if (parts > 1) stats_.subcompactions += parts;

  lock->unlock();
  auto run = [&](size_t i) {
    statuses[i] = CompactKeyRange(c, i == 0 ? nullptr : &cuts[i - 1],
                                  i + 1 < parts ? &cuts[i] : nullptr, smallest_snapshot,
                                  bottommost, &outputs[i]);
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < parts; i++) {
    try {
      threads.emplace_back(run, i);
    } catch (const std::system_error&) {
      run(i);  // no thread to spare: this range runs here, in turn
    }
  }
  run(0);
  for (auto& t : threads) t.join();
  lock->lock();

  Status status;
  uint64_t bytes_written = 0;
  for (size_t i = 0; i < parts; i++) {
    if (status.ok() && !statuses[i].ok()) status = statuses[i];
    bytes_written += outputs[i].bytes_written;
  }
  stats_.compaction_bytes_read += bytes_read;
  stats_.compaction_bytes_written += bytes_written;
  if (status.ok()) {
    c->AddInputDeletions(c->edit());
    for (const RangeOutputs& range : outputs) {
      for (const FileMetaData& meta : range.files) {
        c->edit()->AddFile(c->output_level(), meta.number, meta.file_size, meta.smallest,
                           meta.largest);
      }
    }
    status = versions_->LogAndApply(c->edit(), lock);
    if (status.ok()) stats_.compactions++;
  }
  for (const RangeOutputs& range : outputs) {
    for (uint64_t number : range.numbers) pending_outputs_.erase(number);
  }
  return status;
}

Status DBImpl::CompactKeyRange(Compaction* c, const std::string* after, const std::string* upto,
                               SequenceNumber smallest_snapshot, bool bottommost,
                               RangeOutputs* result) {
  struct Output {
    FileMetaData meta;
    std::unique_ptr<WritableFile> file;
    std::unique_ptr<TableBuilder> builder;
  };
  std::unique_ptr<Output> out;
  auto finish_output = [&]() -> Status {
    Status s = out->builder->Finish();
    out->meta.file_size = out->builder->FileSize();
    if (s.ok()) s = out->file->Sync();
    if (s.ok()) s = out->file->Close();
    if (s.ok()) {
      result->bytes_written += out->meta.file_size;
      result->files.push_back(out->meta);
    }
    out.reset();
    return s;
  };

  const Comparator* ucmp = icmp_.user_comparator();
  Compaction::Cursor cursor;
  std::unique_ptr<Iterator> input;
  {
    std::lock_guard<std::mutex> l(mutex_);
    input = versions_->MakeInputIterator(c);
  }
  if (after == nullptr) {
    input->SeekToFirst();
  } else {
    InternalKey start(*after, kMaxSequenceNumber, kValueTypeForSeek);
    input->Seek(start.Encode());
    // The range starts after *after: skip its entries.
    while (input->Valid()) {
      ParsedInternalKey ikey;
      if (!ParseInternalKey(input->key(), &ikey) || ucmp->Compare(ikey.user_key, *after) > 0) {
        break;
      }
      input->Next();
    }
  }
  Status status;
  std::string current_user_key;
  std::string zeroed_key;
  bool has_current_user_key = false;
  SequenceNumber last_sequence_for_key = kMaxSequenceNumber;
  for (; input->Valid() && !shutting_down_.load(std::memory_order_acquire); input->Next()) {
    Slice key = input->key();
    ParsedInternalKey ikey;
    bool drop = false;
    bool new_user_key = false;
    if (!ParseInternalKey(key, &ikey)) {
      status = Status::Corruption("compaction input holds a malformed internal key");
      break;
    }
    if (!has_current_user_key || ucmp->Compare(ikey.user_key, current_user_key) != 0) {
      if (upto != nullptr && ucmp->Compare(ikey.user_key, *upto) > 0) break;  // the next range's
      current_user_key.assign(ikey.user_key.data(), ikey.user_key.size());
      has_current_user_key = true;
      last_sequence_for_key = kMaxSequenceNumber;
      new_user_key = true;
    }
    if (last_sequence_for_key <= smallest_snapshot) {
      drop = true;  // a newer entry of this key is visible to every snapshot
    } else if (ikey.type == kTypeDeletion && ikey.sequence <= smallest_snapshot &&
               c->IsBaseLevelForKey(ikey.user_key, &cursor)) {
      drop = true;  // nothing older exists below, and no snapshot needs the deletion
    }
    last_sequence_for_key = ikey.sequence;
    if (drop) continue;
    // A value no snapshot can see past and no lower level holds another entry
    // of: its sequence number tells readers nothing any more. Written as 0 (the
    // oldest possible), the tags of the last level compress to almost nothing.
    Slice out_key = key;
    if (ikey.type == kTypeValue && ikey.sequence != 0 && ikey.sequence <= smallest_snapshot &&
        c->IsBaseLevelForKey(ikey.user_key, &cursor)) {
      zeroed_key.clear();
      AppendInternalKey(&zeroed_key, ParsedInternalKey{ikey.user_key, 0, kTypeValue});
      out_key = zeroed_key;
    }

    // Cut output files only between user keys (see the level invariant in version_set.h).
    if (out != nullptr && new_user_key &&
        (out->builder->FileSize() >= c->MaxOutputFileSize() ||
         c->ShouldStopBefore(key, &cursor))) {
      status = finish_output();
      if (!status.ok()) break;
    } else if (new_user_key && out == nullptr) {
      c->ShouldStopBefore(key, &cursor);  // keep the grandparent cursor moving
    }
    if (out == nullptr) {
      out = std::make_unique<Output>();
      {
        std::lock_guard<std::mutex> l(mutex_);
        out->meta.number = versions_->NewFileNumber();
        pending_outputs_.insert(out->meta.number);
      }
      result->numbers.push_back(out->meta.number);
      status = env_->NewWritableFile(TableFileName(dbname_, out->meta.number), &out->file);
      if (!status.ok()) break;
      out->builder = std::make_unique<TableBuilder>(MakeTableOptions(options_, &icmp_, nullptr,
                                                                     bottommost),
                                                    out->file.get());
      out->meta.smallest.DecodeFrom(out_key);
    }
    out->meta.largest.DecodeFrom(out_key);
    out->builder->Add(out_key, input->value());
  }
  if (status.ok() && shutting_down_.load()) status = Status::IOError("shutting down during compaction");
  if (status.ok()) status = input->status();
  if (status.ok() && out != nullptr) status = finish_output();
  if (out != nullptr) {
    // An output left open by an error (its file may not even have been created).
    if (out->builder != nullptr) out->builder->Abandon();
    out.reset();
  }
  return status;
}

void DBImpl::DeleteObsoleteFiles(std::unique_lock<std::mutex>* lock) {
  if (!bg_error_.ok()) return;  // the state on disk may be needed to diagnose or recover
  std::set<uint64_t> live = pending_outputs_;
  versions_->AddLiveFiles(&live);
  const uint64_t log_number = versions_->LogNumber();
  const uint64_t manifest_number = versions_->ManifestFileNumber();
  std::vector<std::string> children;
  env_->GetChildren(dbname_, &children);
  std::vector<std::string> to_delete;
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    bool keep = true;
    switch (type) {
      case FileType::kLogFile: keep = number >= log_number; break;
      case FileType::kDescriptorFile: keep = number >= manifest_number; break;
      case FileType::kTableFile: keep = live.contains(number); break;
      case FileType::kTempFile: keep = live.contains(number); break;
      case FileType::kCurrentFile:
      case FileType::kLockFile: keep = true; break;
    }
    if (!keep) {
      if (type == FileType::kTableFile) table_cache_->Evict(number);
      to_delete.push_back(dbname_ + "/" + name);
    }
  }
  // Unlinking is I/O: do it without the mutex. The files are unreachable now.
  lock->unlock();
  for (const auto& fname : to_delete) env_->RemoveFile(fname);
  lock->lock();
}

// ---------------------------------------------------------------- stats

DbStats DBImpl::GetStats() {
  std::lock_guard<std::mutex> l(mutex_);
  DbStats stats = stats_;
  auto v = versions_->current();
  stats.levels.resize(kNumLevels);
  for (int level = 0; level < kNumLevels; level++) {
    stats.levels[level].files = v->NumFiles(level);
    stats.levels[level].bytes = v->LevelBytes(level);
  }
  stats.memtable_bytes = mem_->ApproximateMemoryUsage();
  stats.immutable_memtables = imms_.size();
  stats.last_sequence = versions_->LastSequence();
  stats.live_snapshots = snapshots_.size();
  stats.prefix_filter_skips = prefix_filter_skips_.load(std::memory_order_relaxed);
  return stats;
}

uint64_t DBImpl::ApproximateDiskSize() {
  std::lock_guard<std::mutex> l(mutex_);
  auto v = versions_->current();
  uint64_t total = log_bytes_;
  for (int level = 0; level < kNumLevels; level++) total += v->LevelBytes(level);
  return total;
}

// ---------------------------------------------------------------- destroy

Status DestroyDB(const std::string& dbname, const Options& options) {
  Env* env = options.env != nullptr ? options.env : Env::Default();
  std::vector<std::string> children;
  if (!env->GetChildren(dbname, &children).ok()) return Status::OK();  // nothing there
  std::unique_ptr<FileLock> lock;
  Status s = env->LockFile(LockFileName(dbname), &lock);
  if (!s.ok()) {
    if (s.IsBusy()) return Status::Busy(dbname, "database in use; close it before destroying");
    return s;
  }
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) && type != FileType::kLockFile) {
      Status del = env->RemoveFile(dbname + "/" + name);
      if (s.ok() && !del.ok()) s = del;
    }
  }
  env->UnlockFile(std::move(lock));
  env->RemoveFile(LockFileName(dbname));
  env->RemoveDir(dbname);  // fails harmlessly if foreign files remain
  return s;
}

}  // namespace kvstore
