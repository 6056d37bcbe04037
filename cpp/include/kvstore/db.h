// DB: the embedded LSM-tree key-value store.
//
// Thread safety: a DB is safe for concurrent use by any number of threads
// without external synchronization. Writers are gathered into commit groups
// (one WAL append, at most one fsync per group). Reads never block writes.
//
// Durability: a write with WriteOptions::sync returns only after the WAL record
// holding it is fsynced. Without sync, a write survives a process crash but may
// be lost on power failure. A batch is all-or-nothing after any crash.
//
// One process holds a database directory at a time (a LOCK file); a second
// Open() of the same directory fails with Status::Busy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kvstore/iterator.h"
#include "kvstore/options.h"
#include "kvstore/slice.h"
#include "kvstore/status.h"
#include "kvstore/write_batch.h"

namespace kvstore {

// A consistent read view: the state as of one sequence number.
class Snapshot {
 public:
  virtual uint64_t sequence() const = 0;

 protected:
  virtual ~Snapshot();
};

struct LevelStats {
  int files = 0;
  uint64_t bytes = 0;
};

struct DbStats {
  std::vector<LevelStats> levels;       // index = level
  uint64_t memtable_bytes = 0;          // active memtable
  uint64_t immutable_memtables = 0;     // frozen, waiting for flush
  uint64_t last_sequence = 0;
  uint64_t live_snapshots = 0;
  uint64_t flushes = 0;
  uint64_t compactions = 0;
  uint64_t subcompactions = 0;          // key ranges run by split L0 compactions
  uint64_t compaction_bytes_read = 0;
  uint64_t compaction_bytes_written = 0;
  uint64_t flush_bytes_written = 0;
  uint64_t wal_bytes_written = 0;
  uint64_t wal_syncs = 0;
  uint64_t write_groups = 0;            // commit groups (WAL appends)
  uint64_t writes = 0;                  // writer calls (each joined one group)
  uint64_t stall_slowdowns = 0;         // writes delayed 1 ms by L0 pressure
  uint64_t stall_stops = 0;             // times writers waited for a flush/compaction
  uint64_t stall_micros = 0;            // total time writers spent stalled
  uint64_t wal_bytes_dropped = 0;       // bytes skipped by salvage_wal recovery
  uint64_t prefix_filter_skips = 0;     // SSTs prefix iterators skipped by their prefix filter
};

class DB {
 public:
  // Opens (or with create_if_missing creates) the database in directory name.
  static Status Open(const Options& options, const std::string& name, std::unique_ptr<DB>* db);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Waits for background work to stop and releases the LOCK. Snapshots and
  // iterators must be released/destroyed first.
  virtual ~DB();

  virtual Status Put(const WriteOptions& options, Slice key, Slice value) = 0;
  virtual Status Delete(const WriteOptions& options, Slice key) = 0;
  virtual Status Write(const WriteOptions& options, WriteBatch* updates) = 0;

  // NotFound if key is absent.
  virtual Status Get(const ReadOptions& options, Slice key, std::string* value) = 0;
  // One status per key (NotFound for absent keys), all read from one consistent view.
  virtual std::vector<Status> MultiGet(const ReadOptions& options, const std::vector<Slice>& keys,
                                       std::vector<std::string>* values) = 0;

  // A consistent iterator over the view (snapshot or latest) at creation time;
  // later writes are not seen. Destroy it before the DB.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  virtual const Snapshot* GetSnapshot() = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Writes the memtable to an L0 file and waits until it is done.
  virtual Status Flush() = 0;
  // Compacts every key in [*begin, *end] (nullptr = unbounded) down the levels and waits.
  virtual Status CompactRange(const Slice* begin, const Slice* end) = 0;

  virtual DbStats GetStats() = 0;
  // Sum of the sizes of the live SST files and WAL files, in bytes.
  virtual uint64_t ApproximateDiskSize() = 0;
};

// Removes the database in name (all of its files) and the directory if empty.
Status DestroyDB(const std::string& name, const Options& options);

}  // namespace kvstore
