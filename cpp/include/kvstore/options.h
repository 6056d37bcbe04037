// Options: the knobs of a DB, with their defaults. Every field is documented
// here and in the README; the Python kvstore.DB takes the same names as
// keyword arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace kvstore {

class Env;
class Snapshot;

// Block compression codecs. A block that does not shrink by at least 1/8 is stored raw.
enum class Compression : unsigned char { kNone = 0, kLZ4 = 1, kZstd = 2 };

// Hard limits, enforced on every write with InvalidArgument.
inline constexpr size_t kMaxKeySize = 64 * 1024;             // 64 KiB
inline constexpr size_t kMaxValueSize = 256 * 1024 * 1024;   // 256 MiB
inline constexpr size_t kMaxBatchSize = 1024u * 1024 * 1024; // 1 GiB (encoded)

struct Options {
  // Create the database if the directory holds none.
  bool create_if_missing = true;
  // Fail if the database already exists.
  bool error_if_exists = false;
  // WAL recovery: false (default) = a checksum failure before the tail of a log
  // is a Corruption error; true = skip the damaged records and keep the rest
  // (the count of dropped bytes is reported in stats).
  bool salvage_wal = false;
  // File-system implementation; nullptr means Env::Default().
  Env* env = nullptr;

  // Bytes of writes buffered in a memtable before it is frozen and flushed.
  size_t write_buffer_size = 16 * 1024 * 1024;
  // Memtables held in memory, the active one included. Frozen memtables wait for
  // their flush; writes stop only when all of them are full.
  int max_write_buffer_number = 3;
  // Target uncompressed size of an SST data block.
  size_t block_size = 4 * 1024;
  // Keys between restart points in a block (prefix-compression reset).
  int block_restart_interval = 16;
  // Target size of one SST file written by compaction.
  uint64_t target_file_size = 8 * 1024 * 1024;
  // Size target of the first level below L0; each deeper level is
  // level_size_multiplier times larger.
  uint64_t max_bytes_for_level_base = 64 * 1024 * 1024;
  int level_size_multiplier = 10;
  // Size the levels from the last one up (its size / multiplier^k), so about
  // 90% of the data sits in the last level and space amplification stays near
  // 1.1; L0 then compacts straight into the first level that has a target.
  bool dynamic_level_bytes = true;
  // L0 file counts: start compacting / slow writes down to delayed_write_rate /
  // stop writes until compaction catches up.
  int level0_compaction_trigger = 4;
  int level0_slowdown_writes_trigger = 20;
  int level0_stop_writes_trigger = 36;
  // Write rate (bytes/s) allowed while L0 is at or past the slowdown trigger.
  uint64_t delayed_write_rate = 16 * 1024 * 1024;
  // Threads for flushes and compactions (0 = the number of cores, at least 2).
  int max_background_jobs = 0;
  // An L0 -> base compaction (which takes every overlapping L0 file at once) is
  // split into up to this many key ranges, merged by parallel threads (on top of
  // the background pool) into disjoint output files. 1 = never split; 0 = the
  // number of cores, at most 4. Only inputs of at least two target_file_size
  // worth are split, into parts of at least one file each.
  int max_subcompactions = 0;
  // Writers of one commit group insert their own batches into the memtable in
  // parallel (after the group's single WAL write) instead of the leader
  // inserting the whole group; done for groups of at least 64 KiB, where the
  // inserts outweigh waking each writer.
  bool concurrent_memtable_writes = true;
  // SST files kept open. -1 (default): every live file stays open once read, and
  // point reads reach its table without a shared lock (each open file holds a
  // descriptor, and its index and filter stay charged to the block cache). A
  // value >= 10 bounds the open files with an LRU (max_open_files - 10 tables);
  // every file probe then takes the LRU's lock.
  int max_open_files = -1;

  // Bloom filter bits per key in every SST (0 disables filters). 10 bits give
  // about a 1% false-positive rate; a filter probe touches one 64-byte line.
  int bloom_bits_per_key = 10;
  // Prefix filtering for prefix scans (0 = off). With bloom_bits_per_key > 0,
  // the filter of every new SST also holds the first prefix_length bytes of
  // each key at least that long (shorter keys are in it whole, as always, and
  // can never start with a prefix that long), and the SST records the length.
  // An iterator with ReadOptions::prefix of at least that many bytes then
  // skips every SST whose filter shows no key starting with the prefix's
  // first prefix_length bytes (counted in DbStats::prefix_filter_skips);
  // results never change. Each SST is judged by the length it was written
  // with, so tables written before a reopen with another prefix_length (or
  // with 0) stay correct and are skipped only for prefixes at least as long
  // as their own. At most kMaxKeySize. Costs about one filter entry per
  // distinct prefix per SST.
  size_t prefix_length = 0;
  // Bytes of the block cache, shared by data, index and filter blocks (0 disables caching of
  // data blocks; index and filter blocks are then held by their open tables). Blocks
  // are cached decompressed; a miss costs a pread, a checksum and a decompression, so
  // the cache should hold the hot part of the data (128 MiB: 1M 16+100-byte entries
  // read at random run 1.7x faster than with 32 MiB).
  size_t block_cache_size = 128 * 1024 * 1024;
  // Codec for data blocks of flushed tables and of every level but the deepest...
  Compression compression = Compression::kLZ4;
  // ...and of tables compactions write into the deepest non-empty level, where
  // most data lives (e.g. kZstd there for space, kLZ4 above for speed).
  Compression bottommost_compression = Compression::kLZ4;
  // zstd level when zstd is used (1..19).
  int zstd_level = 3;
};

struct ReadOptions {
  // Read as of this snapshot; nullptr means the latest state.
  const Snapshot* snapshot = nullptr;
  // Iterator bounds: keys in [lower_bound, upper_bound). Unset means unbounded.
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;
  // Iterators: only keys that start with this prefix (combined with the
  // bounds). Lets the iterator leave out every SST whose key range misses the
  // prefix, and, when the prefix is at least Options::prefix_length bytes
  // long, every SST whose prefix filter excludes it.
  std::optional<std::string> prefix;
  // Keep blocks read by this operation in the cache (when there is one).
  bool fill_cache = true;
  // Get/MultiGet only: answer from memory alone (memtables, the block cache,
  // tables already open); a key whose answer needs a file read gets
  // Status::Incomplete instead. Lets a caller try a cheap read without giving
  // up a thread (the Python binding keeps the GIL for it) before a real one.
  bool no_io = false;
};

struct WriteOptions {
  // fsync the WAL before acknowledging. Writers in one commit group share the fsync.
  bool sync = false;
};

}  // namespace kvstore
