// VersionEdit: one change to the set of live files, as logged in the MANIFEST
// (one edit per log record). Replaying all edits from the first gives the
// current Version. See docs/format.md ("Version edit").
//
// Encoding: a sequence of fields, each a varint32 tag followed by its values:
//   1 comparator name    : length-prefixed bytes
//   2 log number         : varint64
//   3 next file number   : varint64
//   4 last sequence      : varint64
//   5 compact pointer    : varint32 level, length-prefixed internal key
//   6 deleted file       : varint32 level, varint64 file number
//   7 new file           : varint32 level, varint64 file number, varint64 file size,
//                          length-prefixed smallest and largest internal keys
// Levels are < 7. Fields may repeat (5, 6, 7) and come in any order; the
// encoder writes them in tag order. DecodeFrom rejects anything else
// (unknown tag, truncated field, bad level, malformed internal key) with
// Status::Corruption.
//
// Not thread-safe; a plain value type.
#pragma once

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db/dbformat.h"
#include "kvstore/status.h"

namespace kvstore {

class VersionSet;
class Table;

// Where the table cache leaves a file's open Table when open files are unbounded
// (Options::max_open_files = -1), so point reads reach it without the cache's
// lock. Set at most once; the Table stays open until the file is deleted, which
// happens only after no version lists it. A copy starts empty (it describes the
// same file but is not the one the cache filled), and assigning empties it.
class OpenTableSlot {
 public:
  OpenTableSlot() = default;
  OpenTableSlot(const OpenTableSlot&) {}
  OpenTableSlot& operator=(const OpenTableSlot&) {
    table_.store(nullptr, std::memory_order_relaxed);  // now describes another file
    return *this;
  }

  const Table* get() const { return table_.load(std::memory_order_acquire); }
  void set(const Table* table) const { table_.store(table, std::memory_order_release); }

 private:
  mutable std::atomic<const Table*> table_{nullptr};
};

struct FileMetaData {
  bool being_compacted = false;  // an input of a running compaction (guarded by the DB mutex)
  uint64_t number = 0;
  uint64_t file_size = 0;  // bytes
  InternalKey smallest;    // smallest internal key in the table
  InternalKey largest;     // largest internal key in the table
  OpenTableSlot table;     // filled by the table cache (see OpenTableSlot)
};

class VersionEdit {
 public:
  void Clear();

  void SetComparatorName(Slice name);
  void SetLogNumber(uint64_t num);
  void SetNextFile(uint64_t num);
  void SetLastSequence(SequenceNumber seq);
  void SetCompactPointer(int level, const InternalKey& key);
  // REQUIRES: the file is not yet in a saved version (it is being added).
  void AddFile(int level, uint64_t number, uint64_t file_size, const InternalKey& smallest,
               const InternalKey& largest);
  void RemoveFile(int level, uint64_t number);

  void EncodeTo(std::string* dst) const;
  Status DecodeFrom(Slice src);

  // Multi-line, human-readable (tools and test failure messages).
  std::string DebugString() const;
  const std::vector<std::pair<int, FileMetaData>>& new_files() const { return new_files_; }

 private:
  friend class VersionSet;

  std::string comparator_;
  uint64_t log_number_ = 0;
  uint64_t next_file_number_ = 0;
  SequenceNumber last_sequence_ = 0;
  bool has_comparator_ = false, has_log_number_ = false, has_next_file_number_ = false,
       has_last_sequence_ = false;
  std::vector<std::pair<int, InternalKey>> compact_pointers_;
  std::set<std::pair<int, uint64_t>> deleted_files_;
  std::vector<std::pair<int, FileMetaData>> new_files_;
};

}  // namespace kvstore
