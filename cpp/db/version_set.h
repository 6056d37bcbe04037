// Versions: the set of live SST files per level, and the MANIFEST that records
// how that set changes.
//
// A Version is immutable once installed; readers hold it through a
// shared_ptr, so files it names stay on disk while they read. The VersionSet
// owns the current Version and the MANIFEST writer.
//
// Thread safety: VersionSet methods require the DB mutex, except where noted;
// LogAndApply releases it while writing the MANIFEST and must not run
// concurrently with itself (only the background thread and Open call it).
//
// Invariant for levels >= 1: files are sorted by key and disjoint, and a user
// key lives in at most one file of a level (compactions never split a user
// key's versions across output files).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "db/log_writer.h"
#include "db/version_edit.h"
#include "kvstore/env.h"
#include "kvstore/iterator.h"
#include "kvstore/options.h"

namespace kvstore {

inline constexpr int kNumLevels = 7;
// Without dynamic level sizing: the deepest level a flushed memtable may be
// placed at when it overlaps nothing.
inline constexpr int kMaxMemCompactLevel = 2;

class TableCache;
class VersionSet;
class Compaction;

using FileList = std::vector<std::shared_ptr<FileMetaData>>;

class Version {
 public:
  // Looks key up in the files. *value_found is set when an entry (value or
  // deletion) for the key was found; s is NotFound for a deletion or absence.
  // no_io: see ReadOptions::no_io (Incomplete, with *found set).
  Status Get(const LookupKey& key, std::string* value, bool* found, bool no_io = false) const;

  // Iterators over all files (one per L0 file, one per deeper level), newest data first.
  void AddIterators(std::vector<std::unique_ptr<Iterator>>* iters, bool fill_cache = true) const;
  // The same for an iterator that will read only user keys starting with
  // prefix: files whose key range misses the prefix are left out, and so are
  // files whose prefix filter excludes it (each counted in *filter_skips):
  // L0 files (and a level's only candidate file) here, the candidate files of
  // a level as the level iterator reaches them. *filter_skips must outlive
  // the iterators.
  void AddPrefixIterators(std::vector<std::unique_ptr<Iterator>>* iters, bool fill_cache,
                          Slice prefix, std::atomic<uint64_t>* filter_skips) const;
  // The deepest level holding files (0 if none).
  int DeepestNonEmptyLevel() const;

  int NumFiles(int level) const { return static_cast<int>(files_[level].size()); }
  uint64_t LevelBytes(int level) const;
  const FileList& files(int level) const { return files_[level]; }

  // Files in level overlapping the user-key range [begin, end] (nullptr = unbounded).
  // For level 0 the range grows to cover every overlapping file, transitively.
  void GetOverlappingInputs(int level, const InternalKey* begin, const InternalKey* end,
                            FileList* inputs) const;
  bool OverlapInLevel(int level, const Slice* smallest_user_key,
                      const Slice* largest_user_key) const;
  int PickLevelForMemTableOutput(Slice smallest_user_key, Slice largest_user_key) const;
  // The level L0 compacts into (1 without dynamic level sizing).
  int base_level() const { return base_level_; }
  // The highest compaction score (>= 1 means some level needs compacting).
  double max_score() const { return scores_.empty() ? 0 : scores_.front().first; }

 private:
  friend class VersionSet;
  friend class Compaction;

  explicit Version(VersionSet* vset) : vset_(vset) {}
  std::unique_ptr<Iterator> NewConcatenatingIterator(int level, bool fill_cache) const;

  VersionSet* vset_;
  std::array<FileList, kNumLevels> files_;
  // (score, level) for every level that may be compacted, highest score first;
  // a score >= 1 means the level needs compacting.
  std::vector<std::pair<double, int>> scores_;
  int base_level_ = 1;
};

class VersionSet {
 public:
  VersionSet(std::string dbname, const Options* options, TableCache* table_cache,
             const InternalKeyComparator* icmp);
  ~VersionSet();

  // Applies edit to the current version, records it in the MANIFEST (fsynced)
  // and installs the result. Releases *lock while writing the MANIFEST; calls
  // from several threads are serialised.
  Status LogAndApply(VersionEdit* edit, std::unique_lock<std::mutex>* lock);

  // Loads the last persisted state (CURRENT -> MANIFEST).
  Status Recover();

  std::shared_ptr<const Version> current() const { return current_; }
  // Files in level of the current version, without pinning it (the write path
  // asks this for every commit group).
  int NumLevelFiles(int level) const { return current_->NumFiles(level); }

  uint64_t NewFileNumber() { return next_file_number_++; }
  // Re-uses file_number if it was the most recent one handed out and never used.
  void ReuseFileNumber(uint64_t file_number) {
    if (next_file_number_ == file_number + 1) next_file_number_ = file_number;
  }
  void MarkFileNumberUsed(uint64_t number) {
    if (next_file_number_ <= number) next_file_number_ = number + 1;
  }
  uint64_t ManifestFileNumber() const { return manifest_file_number_; }
  uint64_t LogNumber() const { return log_number_; }

  // The sequence of the newest write visible to readers. Read without the DB
  // mutex by readers (hence atomic).
  SequenceNumber LastSequence() const { return last_sequence_.load(std::memory_order_acquire); }
  void SetLastSequence(SequenceNumber s) { last_sequence_.store(s, std::memory_order_release); }

  // The compaction most needed now whose inputs no running compaction holds,
  // or nullptr. Marks its input files as being compacted; the caller calls
  // ReleaseInputs() when done.
  std::unique_ptr<Compaction> PickCompaction();
  void ReleaseInputs(Compaction* c);
  // A compaction of the files in level overlapping [begin, end], or nullptr if
  // none. REQUIRES: no other compaction is running. Marks inputs like PickCompaction.
  std::unique_ptr<Compaction> CompactRange(int level, const InternalKey* begin,
                                           const InternalKey* end);
  // An iterator over the compaction's inputs, in internal-key order.
  std::unique_ptr<Iterator> MakeInputIterator(Compaction* c);
  bool NeedsCompaction() const;

  // Numbers of every table file named by a live version.
  void AddLiveFiles(std::set<uint64_t>* live);

  const InternalKeyComparator* icmp() const { return icmp_; }
  TableCache* table_cache() const { return table_cache_; }
  const Options* options() const { return options_; }

 private:
  class Builder;
  friend class Version;
  friend class Compaction;

  Status LogAndApplyLocked(VersionEdit* edit, std::unique_lock<std::mutex>* lock);
  void Finalize(Version* v) const;
  std::unique_ptr<Compaction> PickCompactionAt(int level);
  static bool AnyBeingCompacted(const FileList& files);
  void MarkInputs(Compaction* c, bool value);
  Status WriteSnapshot(log::Writer* log);
  void AppendVersion(std::shared_ptr<Version> v);
  void SetupOtherInputs(Compaction* c);
  void GetRange(const FileList& inputs, InternalKey* smallest, InternalKey* largest) const;
  void GetRange2(const FileList& a, const FileList& b, InternalKey* smallest,
                 InternalKey* largest) const;

  Env* const env_;
  const std::string dbname_;
  const Options* const options_;
  TableCache* const table_cache_;
  const InternalKeyComparator* const icmp_;

  uint64_t next_file_number_ = 2;
  uint64_t manifest_file_number_ = 0;
  uint64_t log_number_ = 0;
  std::atomic<SequenceNumber> last_sequence_{0};

  bool manifest_busy_ = false;  // a LogAndApply is writing the MANIFEST
  std::condition_variable manifest_cv_;
  std::unique_ptr<WritableFile> descriptor_file_;
  std::unique_ptr<log::Writer> descriptor_log_;
  uint64_t descriptor_bytes_ = 0;

  std::shared_ptr<Version> current_;
  std::list<std::weak_ptr<Version>> versions_;  // every version that may still be in use
  // Per level: the key where the next size compaction starts (round robin).
  std::array<std::string, kNumLevels> compact_pointer_;
};

// A compaction: the input files of level() and output_level(), merged into new
// files at output_level() (level() + 1, or the base level for L0).
class Compaction {
 public:
  int level() const { return level_; }
  int output_level() const { return output_level_; }
  VersionEdit* edit() { return &edit_; }
  const FileList& inputs(int which) const { return inputs_[which]; }
  int num_input_files(int which) const { return static_cast<int>(inputs_[which].size()); }
  uint64_t MaxOutputFileSize() const { return max_output_file_size_; }

  // Drops the reference to the version the compaction was picked from, once its
  // result is installed (or abandoned), so that version's files can be deleted.
  void ReleaseInputVersion() { input_version_.reset(); }
  // A single input file that can move down a level without rewriting.
  bool IsTrivialMove() const;
  // Records the deletion of every input file in edit().
  void AddInputDeletions(VersionEdit* edit) const;
  // What IsBaseLevelForKey and ShouldStopBefore remember between calls of one
  // pass over (a key range of) the compaction, whose keys arrive in order. Each
  // subcompaction (a disjoint key range, on its own thread) has its own.
  struct Cursor {
    size_t grandparent_index = 0;
    bool seen_key = false;
    uint64_t overlapped_bytes = 0;
    std::array<size_t, kNumLevels> level_ptrs{};
  };
  // True if no level below the output level may hold user_key (a deletion of it can be dropped).
  bool IsBaseLevelForKey(Slice user_key, Cursor* cursor) const;
  bool IsBaseLevelForKey(Slice user_key) { return IsBaseLevelForKey(user_key, &cursor_); }
  // True if the output file should be closed before internal_key (it would overlap
  // too much of the grandparent level, making a future compaction expensive).
  bool ShouldStopBefore(Slice internal_key, Cursor* cursor) const;
  bool ShouldStopBefore(Slice internal_key) { return ShouldStopBefore(internal_key, &cursor_); }
  // At most max_parts - 1 ascending, distinct user keys that cut the inputs into
  // parts of similar size: part i holds the user keys in (b[i-1], b[i]], the
  // first part everything up to b[0], the last everything after the last cut.
  // Cuts are input files' largest keys, weighted by the files' sizes. Empty when
  // max_parts < 2 or the inputs are too small (under 2 output files' worth) to split.
  std::vector<std::string> SubcompactionCuts(int max_parts) const;

 private:
  friend class VersionSet;
  Compaction(const Options* options, int level, int output_level);

  int level_;
  int output_level_;
  uint64_t max_output_file_size_;
  std::shared_ptr<const Version> input_version_;
  VersionEdit edit_;
  FileList inputs_[2];
  FileList grandparents_;
  InternalKey compact_pointer_;  // where the next compaction of level_ starts
  Cursor cursor_;  // for callers that make one pass over the whole compaction
};

}  // namespace kvstore
