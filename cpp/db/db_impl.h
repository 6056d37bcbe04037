// DBImpl: the engine behind kvstore::DB.
//
// Locking: mutex_ guards the writer queue, the memtable pointers, the version
// set, snapshots and background-work state. It is never held across WAL or
// table I/O. A pool of background threads runs flushes (one at a time, oldest
// memtable first) and compactions (several at once, on disjoint files; at
// least one thread stays free for flushes).
//
// Write path (group commit): writers queue up; the writer at the head becomes
// the leader, gathers the queued batches into one group, appends it to the WAL
// as one record (one fsync if any member asked for sync), inserts it into the
// memtable, publishes the new last sequence and wakes the members.
//
// Read path: a reader takes the memtables and current version under the mutex
// (shared pointers), then reads without it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "db/dbformat.h"
#include "db/log_writer.h"
#include "db/memtable.h"
#include "db/table_cache.h"
#include "db/version_set.h"
#include "kvstore/db.h"

namespace kvstore {

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string dbname);
  ~DBImpl() override;

  Status Put(const WriteOptions& options, Slice key, Slice value) override;
  Status Delete(const WriteOptions& options, Slice key) override;
  Status Write(const WriteOptions& options, WriteBatch* updates) override;
  Status Get(const ReadOptions& options, Slice key, std::string* value) override;
  std::vector<Status> MultiGet(const ReadOptions& options, const std::vector<Slice>& keys,
                               std::vector<std::string>* values) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  Status Flush() override;
  Status CompactRange(const Slice* begin, const Slice* end) override;
  DbStats GetStats() override;
  uint64_t ApproximateDiskSize() override;

 private:
  friend class DB;
  struct Writer;
  struct InsertGroup;
  struct ManualCompaction;
  class SnapshotImpl;

  // A consistent read view: memtables, version and sequence taken together.
  struct ReadView {
    std::shared_ptr<MemTable> mem;
    std::vector<std::shared_ptr<MemTable>> imms;  // newest first
    std::shared_ptr<const Version> version;
    SequenceNumber sequence;
  };
  ReadView GetReadView(const ReadOptions& options);
  Status GetFromView(const ReadView& view, Slice key, std::string* value, bool no_io);

  // Open-time work. REQUIRES: mutex_ held (lock passed where it is released).
  Status Recover(VersionEdit* edit, std::unique_lock<std::mutex>* lock);
  Status NewDB();
  Status RecoverLogFile(uint64_t log_number, VersionEdit* edit, SequenceNumber* max_sequence,
                        std::unique_lock<std::mutex>* lock);
  Status StartNewLog(std::unique_lock<std::mutex>* lock);

  // Writes mem to a new table; adds it to edit at the level chosen for it.
  Status WriteLevel0Table(MemTable* mem, VersionEdit* edit, const Version* base,
                          std::unique_lock<std::mutex>* lock);
  Status MakeRoomForWrite(bool force, std::unique_lock<std::mutex>* lock);
  WriteBatch* BuildBatchGroup(Writer** last_writer);
  void DelayWrite(size_t bytes, std::unique_lock<std::mutex>* lock);

  void BackgroundThread();
  bool CanFlush() const;
  bool CanPrepareLog() const;
  // Creates the next WAL (spare_log_) and makes its name durable, without the mutex.
  void PrepareSpareLog(std::unique_lock<std::mutex>* lock);
  bool CanRunManual() const;
  bool CanCompact() const;
  void FlushOldestMemTable(std::unique_lock<std::mutex>* lock);
  void RunManualCompactionStep(std::unique_lock<std::mutex>* lock);
  void RunCompaction(Compaction* c, std::unique_lock<std::mutex>* lock);
  Status DoCompactionWork(Compaction* c, std::unique_lock<std::mutex>* lock);
  // What one key range of a compaction wrote.
  struct RangeOutputs {
    std::vector<FileMetaData> files;  // finished and synced, in key order
    std::vector<uint64_t> numbers;    // every file number taken (in pending_outputs_)
    uint64_t bytes_written = 0;
  };
  // Merges c's inputs whose user keys lie in (*after, *upto] (nullptr: unbounded)
  // into new tables. Called without mutex_ held (takes it to number files); the
  // ranges of one compaction may run on several threads at once.
  Status CompactKeyRange(Compaction* c, const std::string* after, const std::string* upto,
                         SequenceNumber smallest_snapshot, bool bottommost, RangeOutputs* out);
  void RecordBackgroundError(const Status& s);
  void DeleteObsoleteFiles(std::unique_lock<std::mutex>* lock);
  SequenceNumber SmallestSnapshot() const;

  const Options options_;  // env resolved
  const std::string dbname_;
  Env* const env_;
  const InternalKeyComparator icmp_;
  std::shared_ptr<Cache> block_cache_;  // nullptr when block_cache_size is 0
  std::unique_ptr<TableCache> table_cache_;
  std::unique_ptr<FileLock> db_lock_;

  std::mutex mutex_;
  std::condition_variable bg_cv_;  // background work finished / shutting down
  std::condition_variable work_cv_;  // wakes the background threads
  std::atomic<bool> shutting_down_{false};
  std::vector<std::thread> bg_threads_;
  int max_compactions_ = 1;       // concurrent compactions allowed
  int max_subcompactions_ = 1;    // key ranges an L0 compaction is split into
  int running_compactions_ = 0;
  bool flush_running_ = false;
  bool manual_running_ = false;
  // Set when a compaction is needed but every candidate touches files held by
  // running compactions; cleared whenever background work finishes.
  bool compaction_blocked_ = false;

  std::shared_ptr<MemTable> mem_;
  struct Frozen {
    std::shared_ptr<MemTable> mem;
    uint64_t next_log_number;  // the WAL started when mem was frozen
  };
  std::deque<Frozen> imms_;  // frozen memtables waiting for flush, oldest first
  std::unique_ptr<WritableFile> logfile_;
  uint64_t logfile_number_ = 0;
  std::unique_ptr<log::Writer> log_;
  uint64_t log_bytes_ = 0;  // size of the current WAL
  // The next WAL, created (and its directory entry synced) by a background thread
  // once the active memtable is half full, so freezing the memtable does no
  // file-system I/O under mutex_. Empty until prepared; failures fall back to
  // creating the WAL at the switch (and are not retried until then).
  std::unique_ptr<WritableFile> spare_log_;
  uint64_t spare_log_number_ = 0;
  bool spare_log_preparing_ = false;
  bool spare_log_failed_ = false;
  // Group commit of synced writes: writers in the last synced group and a moving
  // average of the fsync's duration, so that a leader can wait briefly for the
  // writers of the last group to come back and share its fsync (see Write).
  size_t last_sync_group_ = 0;
  uint64_t sync_micros_avg_ = 0;
  bool leader_gathering_ = false;  // the queue's leader waits for more writers

  std::deque<Writer*> writers_;
  WriteBatch tmp_batch_;  // the leader's group batch

  std::list<std::unique_ptr<SnapshotImpl>> snapshots_;
  std::set<uint64_t> pending_outputs_;  // table files being written, not yet in a version
  ManualCompaction* manual_compaction_ = nullptr;
  Status bg_error_;

  std::unique_ptr<VersionSet> versions_;
  DbStats stats_;  // counters; levels are filled in by GetStats()
  std::atomic<uint64_t> prefix_filter_skips_{0};  // counted by iterators, without the mutex
};

}  // namespace kvstore
