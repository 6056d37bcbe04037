#include "db/version_set.h"

#include <algorithm>

#include "db/filename.h"
#include "db/log_reader.h"
#include "db/table_cache.h"
#include "table/merger.h"
#include "table/two_level_iterator.h"
#include "util/coding.h"

namespace kvstore {

namespace {

// A MANIFEST larger than this is replaced by a fresh one holding a snapshot.
constexpr uint64_t kMaxManifestBytes = 64 * 1024 * 1024;

uint64_t TotalFileSize(const FileList& files) {
  uint64_t sum = 0;
  for (const auto& f : files) sum += f->file_size;
  return sum;
}

// Index of the first file whose largest key >= key (files sorted and disjoint).
size_t FindFile(const InternalKeyComparator& icmp, const FileList& files, Slice key) {
  size_t left = 0;
  size_t right = files.size();
  while (left < right) {
    size_t mid = (left + right) / 2;
    if (icmp.Compare(files[mid]->largest.Encode(), key) < 0) {
      left = mid + 1;
    } else {
      right = mid;
    }
  }
  return right;
}

bool AfterFile(const Comparator* ucmp, const Slice* user_key, const FileMetaData* f) {
  return user_key != nullptr && ucmp->Compare(*user_key, f->largest.user_key()) > 0;
}

bool BeforeFile(const Comparator* ucmp, const Slice* user_key, const FileMetaData* f) {
  return user_key != nullptr && ucmp->Compare(*user_key, f->smallest.user_key()) < 0;
}

// Iterates the files of one sorted level: key() = the file's largest key,
// value() = fixed64 number | fixed64 size.
class LevelFileNumIterator final : public Iterator {
 public:
  LevelFileNumIterator(const InternalKeyComparator& icmp, const FileList* files)
      : icmp_(icmp), files_(files), index_(files->size()) {}
  bool Valid() const override { return index_ < files_->size(); }
  void Seek(Slice target) override { index_ = FindFile(icmp_, *files_, target); }
  void SeekToFirst() override { index_ = 0; }
  void SeekToLast() override { index_ = files_->empty() ? 0 : files_->size() - 1; }
  void Next() override { index_++; }
  void Prev() override { index_ = index_ == 0 ? files_->size() : index_ - 1; }
  Slice key() const override { return (*files_)[index_]->largest.Encode(); }
  Slice value() const override {
    EncodeFixed64(value_buf_, (*files_)[index_]->number);
    EncodeFixed64(value_buf_ + 8, (*files_)[index_]->file_size);
    return Slice(value_buf_, sizeof(value_buf_));
  }
  Status status() const override { return Status::OK(); }

 private:
  const InternalKeyComparator icmp_;
  const FileList* const files_;
  size_t index_;
  mutable char value_buf_[16];
};

enum class SaverState { kNotFound, kFound, kDeleted, kCorrupt };

struct Saver {
  SaverState state = SaverState::kNotFound;
  const Comparator* ucmp;
  Slice user_key;
  std::string* value;
};

void SaveValue(void* arg, Slice ikey, Slice v) {
  auto* s = static_cast<Saver*>(arg);
  ParsedInternalKey parsed;
  if (!ParseInternalKey(ikey, &parsed)) {
    s->state = SaverState::kCorrupt;
  } else if (s->ucmp->Compare(parsed.user_key, s->user_key) == 0) {
    if (parsed.type == kTypeValue) {
      s->state = SaverState::kFound;
      s->value->assign(v.data(), v.size());
    } else {
      s->state = SaverState::kDeleted;
    }
  }
}

bool NewestFirst(const std::shared_ptr<FileMetaData>& a, const std::shared_ptr<FileMetaData>& b) {
  return a->number > b->number;
}

}  // namespace

// ---------------------------------------------------------------- Version

uint64_t Version::LevelBytes(int level) const { return TotalFileSize(files_[level]); }

Status Version::Get(const LookupKey& k, std::string* value, bool* found, bool no_io) const {
  *found = false;
  const InternalKeyComparator& icmp = *vset_->icmp_;
  const Comparator* ucmp = icmp.user_comparator();
  Slice ikey = k.internal_key();
  Slice user_key = k.user_key();

  auto search = [&](const FileMetaData& f) -> Status {
    Saver saver{SaverState::kNotFound, ucmp, user_key, value};
    Status s = vset_->table_cache_->Get(f, ikey, &saver, SaveValue, no_io);
    if (!s.ok()) {
      *found = true;
      return s;
    }
    switch (saver.state) {
      case SaverState::kNotFound: return Status::NotFound(Slice());
      case SaverState::kFound: *found = true; return Status::OK();
      case SaverState::kDeleted: *found = true; return Status::NotFound(Slice());
      case SaverState::kCorrupt:
        *found = true;
        return Status::Corruption("corrupted key in table", TableFileName("", f.number));
    }
    return Status::NotFound(Slice());
  };

  // Level 0 files may overlap: search every one holding the key, newest first
  // (files_[0] is kept newest first).
  for (const auto& f : files_[0]) {
    if (ucmp->Compare(user_key, f->smallest.user_key()) >= 0 &&
        ucmp->Compare(user_key, f->largest.user_key()) <= 0) {
      Status s = search(*f);
      if (*found) return s;
    }
  }
  for (int level = 1; level < kNumLevels; level++) {
    const FileList& files = files_[level];
    if (files.empty()) continue;
    size_t index = FindFile(icmp, files, ikey);
    if (index >= files.size()) continue;
    const FileMetaData& f = *files[index];
    if (ucmp->Compare(user_key, f.smallest.user_key()) < 0) continue;
    Status s = search(f);
    if (*found) return s;
  }
  return Status::NotFound(Slice());
}

std::unique_ptr<Iterator> Version::NewConcatenatingIterator(int level, bool fill_cache) const {
  TableCache* cache = vset_->table_cache_;
  return NewTwoLevelIterator(
      std::make_unique<LevelFileNumIterator>(*vset_->icmp_, &files_[level]),
      [cache, fill_cache](Slice file_value) -> std::unique_ptr<Iterator> {
        if (file_value.size() != 16) {
          return NewEmptyIterator(Status::Corruption("bad file entry in level iterator"));
        }
        return cache->NewIterator(DecodeFixed64(file_value.data()),
                                  DecodeFixed64(file_value.data() + 8), fill_cache);
      });
}

void Version::AddIterators(std::vector<std::unique_ptr<Iterator>>* iters, bool fill_cache) const {
  for (const auto& f : files_[0]) {
    iters->push_back(vset_->table_cache_->NewIterator(f->number, f->file_size, fill_cache));
  }
  for (int level = 1; level < kNumLevels; level++) {
    if (!files_[level].empty()) iters->push_back(NewConcatenatingIterator(level, fill_cache));
  }
}

namespace {

// An iterator over one table for a prefix scan; nullptr when the table's
// prefix filter shows that no key starts with prefix (counted in *skips).
std::unique_ptr<Iterator> OpenForPrefix(TableCache* cache, uint64_t number, uint64_t file_size,
                                        bool fill_cache, Slice prefix,
                                        std::atomic<uint64_t>* skips) {
  bool may_match = true;
  Status s = cache->PrefixMayMatch(number, file_size, prefix, &may_match);
  if (!s.ok()) return NewEmptyIterator(s);
  if (!may_match) {
    skips->fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  return cache->NewIterator(number, file_size, fill_cache);
}

}  // namespace

void Version::AddPrefixIterators(std::vector<std::unique_ptr<Iterator>>* iters, bool fill_cache,
                                 Slice prefix, std::atomic<uint64_t>* filter_skips) const {
  TableCache* cache = vset_->table_cache_;
  const Comparator* ucmp = vset_->icmp_->user_comparator();
  const std::optional<std::string> end = PrefixSuccessor(prefix);
  // A file may hold keys starting with prefix iff its range meets [prefix, end).
  const auto below_end = [&](const FileMetaData& f) {
    return !end.has_value() || ucmp->Compare(f.smallest.user_key(), *end) < 0;
  };
  for (const auto& f : files_[0]) {
    if (ucmp->Compare(f->largest.user_key(), prefix) < 0 || !below_end(*f)) continue;
    auto it = OpenForPrefix(cache, f->number, f->file_size, fill_cache, prefix, filter_skips);
    if (it != nullptr) iters->push_back(std::move(it));
  }
  std::string seek;
  AppendInternalKey(&seek, ParsedInternalKey{prefix, kMaxSequenceNumber, kValueTypeForSeek});
  for (int level = 1; level < kNumLevels; level++) {
    const FileList& files = files_[level];
    // Sorted, disjoint files: the candidates are a run [lo, hi).
    const auto lo = files.begin() + static_cast<ptrdiff_t>(FindFile(*vset_->icmp_, files, seek));
    const auto hi = std::partition_point(lo, files.end(), [&](const auto& f) { return below_end(*f); });
    if (lo == hi) continue;
    if (hi - lo == 1) {
      const FileMetaData& f = **lo;
      auto it = OpenForPrefix(cache, f.number, f.file_size, fill_cache, prefix, filter_skips);
      if (it != nullptr) iters->push_back(std::move(it));
      continue;
    }
    auto run = std::make_shared<FileList>(lo, hi);
    auto iter = NewTwoLevelIterator(
        std::make_unique<LevelFileNumIterator>(*vset_->icmp_, run.get()),
        [cache, fill_cache, filter_skips, run, p = std::string(prefix)](
            Slice file_value) -> std::unique_ptr<Iterator> {
          if (file_value.size() != 16) {
            return NewEmptyIterator(Status::Corruption("bad file entry in level iterator"));
          }
          auto it = OpenForPrefix(cache, DecodeFixed64(file_value.data()),
                                  DecodeFixed64(file_value.data() + 8), fill_cache, p,
                                  filter_skips);
          return it != nullptr ? std::move(it) : NewEmptyIterator();
        });
    iters->push_back(std::move(iter));
  }
}

int Version::DeepestNonEmptyLevel() const {
  for (int level = kNumLevels - 1; level > 0; level--) {
    if (!files_[level].empty()) return level;
  }
  return 0;
}

bool Version::OverlapInLevel(int level, const Slice* smallest_user_key,
                             const Slice* largest_user_key) const {
  const Comparator* ucmp = vset_->icmp_->user_comparator();
  const FileList& files = files_[level];
  if (level == 0) {
    for (const auto& f : files) {
      if (!AfterFile(ucmp, smallest_user_key, f.get()) &&
          !BeforeFile(ucmp, largest_user_key, f.get())) {
        return true;
      }
    }
    return false;
  }
  size_t index = 0;
  if (smallest_user_key != nullptr) {
    InternalKey small(*smallest_user_key, kMaxSequenceNumber, kValueTypeForSeek);
    index = FindFile(*vset_->icmp_, files, small.Encode());
  }
  if (index >= files.size()) return false;
  return !BeforeFile(ucmp, largest_user_key, files[index].get());
}

int Version::PickLevelForMemTableOutput(Slice smallest_user_key, Slice largest_user_key) const {
  int level = 0;
  if (OverlapInLevel(0, &smallest_user_key, &largest_user_key)) return 0;
  // Push the file down while the next level does not overlap and the level after
  // that would not make a later compaction of it too expensive. With dynamic
  // level sizing the levels above the base level stay empty: jump over them.
  const bool dynamic = vset_->options_->dynamic_level_bytes;
  const int limit = dynamic ? base_level_ : kMaxMemCompactLevel;
  InternalKey start(smallest_user_key, kMaxSequenceNumber, kValueTypeForSeek);
  InternalKey end(largest_user_key, 0, kTypeDeletion);
  while (level < limit) {
    int next = (dynamic && level == 0) ? base_level_ : level + 1;
    if (OverlapInLevel(next, &smallest_user_key, &largest_user_key)) break;
    if (next + 1 < kNumLevels) {
      FileList overlaps;
      GetOverlappingInputs(next + 1, &start, &end, &overlaps);
      if (TotalFileSize(overlaps) > 10 * vset_->options_->target_file_size) break;
    }
    level = next;
  }
  return level;
}

void Version::GetOverlappingInputs(int level, const InternalKey* begin, const InternalKey* end,
                                   FileList* inputs) const {
  inputs->clear();
  const Comparator* ucmp = vset_->icmp_->user_comparator();
  std::string user_begin = begin != nullptr ? std::string(begin->user_key()) : std::string();
  std::string user_end = end != nullptr ? std::string(end->user_key()) : std::string();
  for (size_t i = 0; i < files_[level].size();) {
    const auto& f = files_[level][i++];
    Slice file_start = f->smallest.user_key();
    Slice file_limit = f->largest.user_key();
    if (begin != nullptr && ucmp->Compare(file_limit, user_begin) < 0) continue;
    if (end != nullptr && ucmp->Compare(file_start, user_end) > 0) continue;
    inputs->push_back(f);
    if (level == 0) {
      // L0 files overlap each other: widen the range and start over if this
      // file extends it.
      bool widened = false;
      if (begin != nullptr && ucmp->Compare(file_start, user_begin) < 0) {
        user_begin = std::string(file_start);
        widened = true;
      }
      if (end != nullptr && ucmp->Compare(file_limit, user_end) > 0) {
        user_end = std::string(file_limit);
        widened = true;
      }
      if (widened) {
        inputs->clear();
        i = 0;
      }
    }
  }
}

// ---------------------------------------------------------------- Builder

// Applies a sequence of edits to a base version without creating the
// intermediate versions.
class VersionSet::Builder {
 public:
  Builder(VersionSet* vset, const Version* base) : vset_(vset), base_(base) {}

  Status Apply(const VersionEdit& edit) {
    for (const auto& [level, key] : edit.compact_pointers_) {
      vset_->compact_pointer_[level] = std::string(key.Encode());
    }
    for (const auto& [level, number] : edit.deleted_files_) {
      levels_[level].deleted.insert(number);
    }
    for (const auto& [level, meta] : edit.new_files_) {
      auto f = std::make_shared<FileMetaData>(meta);
      levels_[level].deleted.erase(f->number);
      levels_[level].added.push_back(std::move(f));
    }
    return Status::OK();
  }

  // Builds the result; Corruption if it would break the level invariants.
  Status SaveTo(Version* v) {
    const InternalKeyComparator& icmp = *vset_->icmp_;
    for (int level = 0; level < kNumLevels; level++) {
      FileList& out = v->files_[level];
      for (const auto& f : base_->files_[level]) {
        if (!levels_[level].deleted.contains(f->number)) out.push_back(f);
      }
      for (const auto& f : levels_[level].added) {
        if (!levels_[level].deleted.contains(f->number)) out.push_back(f);
      }
      if (level == 0) {
        std::sort(out.begin(), out.end(), NewestFirst);
        continue;
      }
      std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
        int r = icmp.Compare(a->smallest.Encode(), b->smallest.Encode());
        return r != 0 ? r < 0 : a->number < b->number;
      });
      for (size_t i = 1; i < out.size(); i++) {
        if (icmp.user_comparator()->Compare(out[i - 1]->largest.user_key(),
                                            out[i]->smallest.user_key()) >= 0) {
          return Status::Corruption("MANIFEST: overlapping files in level " +
                                    std::to_string(level));
        }
      }
    }
    return Status::OK();
  }

 private:
  struct LevelState {
    std::set<uint64_t> deleted;
    FileList added;
  };
  VersionSet* vset_;
  const Version* base_;
  std::array<LevelState, kNumLevels> levels_;
};

// ---------------------------------------------------------------- VersionSet

VersionSet::VersionSet(std::string dbname, const Options* options, TableCache* table_cache,
                       const InternalKeyComparator* icmp)
    : env_(options->env),
      dbname_(std::move(dbname)),
      options_(options),
      table_cache_(table_cache),
      icmp_(icmp) {
  AppendVersion(std::shared_ptr<Version>(new Version(this)));
}

VersionSet::~VersionSet() {
  if (descriptor_file_ != nullptr) descriptor_file_->Close();
}

void VersionSet::AppendVersion(std::shared_ptr<Version> v) {
  versions_.remove_if([](const std::weak_ptr<Version>& w) { return w.expired(); });
  versions_.push_back(v);
  current_ = std::move(v);
}

void VersionSet::Finalize(Version* v) const {
  const auto base_bytes = static_cast<double>(options_->max_bytes_for_level_base);
  const auto mult = static_cast<double>(options_->level_size_multiplier);
  // Size targets for levels 1 .. kNumLevels-2 (the last level has none).
  std::array<double, kNumLevels> target{};
  if (options_->dynamic_level_bytes) {
    // From the last level up: each level 1/mult of the one below, down to the
    // first whose target would fall under max_bytes_for_level_base.
    double cur = static_cast<double>(v->LevelBytes(kNumLevels - 1));
    v->base_level_ = kNumLevels - 1;
    for (int level = kNumLevels - 2; level >= 1; level--) {
      cur /= mult;
      if (cur < base_bytes) break;
      target[level] = cur;
      v->base_level_ = level;
    }
  } else {
    v->base_level_ = 1;
    double cur = base_bytes;
    for (int level = 1; level < kNumLevels - 1; level++) {
      target[level] = cur;
      cur *= mult;
    }
  }
  v->scores_.clear();
  for (int level = 0; level < kNumLevels - 1; level++) {
    double score;
    if (level == 0) {
      // Count files, not bytes: every L0 file costs a read of its own.
      score = v->NumFiles(0) / static_cast<double>(options_->level0_compaction_trigger);
    } else if (target[level] > 0) {
      score = static_cast<double>(v->LevelBytes(level)) / target[level];
    } else {
      // A level above the base level should be empty: move what is there down.
      score = v->NumFiles(level) > 0 ? 1.0 + static_cast<double>(v->LevelBytes(level)) : 0.0;
    }
    v->scores_.emplace_back(score, level);
  }
  std::sort(v->scores_.begin(), v->scores_.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
}

bool VersionSet::NeedsCompaction() const { return current_->max_score() >= 1; }

Status VersionSet::WriteSnapshot(log::Writer* log) {
  VersionEdit edit;
  edit.SetComparatorName(icmp_->user_comparator()->Name());
  for (int level = 0; level < kNumLevels; level++) {
    if (!compact_pointer_[level].empty()) {
      InternalKey key;
      key.DecodeFrom(compact_pointer_[level]);
      edit.SetCompactPointer(level, key);
    }
    for (const auto& f : current_->files_[level]) {
      edit.AddFile(level, f->number, f->file_size, f->smallest, f->largest);
    }
  }
  std::string record;
  edit.EncodeTo(&record);
  descriptor_bytes_ += record.size();
  return log->AddRecord(record);
}

Status VersionSet::LogAndApply(VersionEdit* edit, std::unique_lock<std::mutex>* lock) {
  while (manifest_busy_) manifest_cv_.wait(*lock);
  manifest_busy_ = true;
  Status s = LogAndApplyLocked(edit, lock);
  manifest_busy_ = false;
  manifest_cv_.notify_all();
  return s;
}

Status VersionSet::LogAndApplyLocked(VersionEdit* edit, std::unique_lock<std::mutex>* lock) {
  if (edit->has_log_number_) {
    if (edit->log_number_ < log_number_ || edit->log_number_ >= next_file_number_) {
      return Status::Corruption("LogAndApply: bad log number");
    }
  } else {
    edit->SetLogNumber(log_number_);
  }
  edit->SetNextFile(next_file_number_);
  edit->SetLastSequence(LastSequence());

  auto v = std::shared_ptr<Version>(new Version(this));
  {
    Builder builder(this, current_.get());
    builder.Apply(*edit);
    Status s = builder.SaveTo(v.get());
    if (!s.ok()) return s;
  }
  Finalize(v.get());

  // Start a new MANIFEST (holding a snapshot of the state) on first use after
  // Open, or when the current one has grown large.
  uint64_t new_manifest_number = 0;
  std::unique_ptr<WritableFile> new_file;
  std::unique_ptr<log::Writer> new_log;
  std::string new_manifest_name;
  Status s;
  if (descriptor_log_ == nullptr || descriptor_bytes_ > kMaxManifestBytes) {
    new_manifest_number = NewFileNumber();
    edit->SetNextFile(next_file_number_);
    new_manifest_name = DescriptorFileName(dbname_, new_manifest_number);
    s = env_->NewWritableFile(new_manifest_name, &new_file);
    if (s.ok()) {
      new_log = std::make_unique<log::Writer>(new_file.get());
      descriptor_bytes_ = 0;
      s = WriteSnapshot(new_log.get());
    }
  }

  log::Writer* log = new_log != nullptr ? new_log.get() : descriptor_log_.get();
  WritableFile* file = new_file != nullptr ? new_file.get() : descriptor_file_.get();
  std::string record;
  edit->EncodeTo(&record);

  // Only this thread writes the MANIFEST: unlock while doing I/O.
  lock->unlock();
  // New tables must be durably named before the MANIFEST refers to them.
  if (s.ok() && !edit->new_files_.empty()) s = env_->SyncDir(dbname_);
  if (s.ok()) s = log->AddRecord(record);
  if (s.ok()) s = file->Sync();
  if (s.ok() && new_file != nullptr) s = SetCurrentFile(env_, dbname_, new_manifest_number);
  lock->lock();

  if (!s.ok()) {
    if (new_file != nullptr) {
      new_log.reset();
      new_file->Close();
      new_file.reset();
      env_->RemoveFile(new_manifest_name);
    } else {
      // The MANIFEST may now end in a partial record: never append to it again.
      descriptor_log_.reset();
      descriptor_file_.reset();
    }
    return s;
  }
  descriptor_bytes_ += record.size();
  if (new_file != nullptr) {
    if (descriptor_file_ != nullptr) descriptor_file_->Close();
    descriptor_file_ = std::move(new_file);
    descriptor_log_ = std::move(new_log);
    manifest_file_number_ = new_manifest_number;
  }
  log_number_ = edit->log_number_;
  AppendVersion(std::move(v));
  return Status::OK();
}

Status VersionSet::Recover() {
  std::string current;
  Status s = ReadFileToString(env_, CurrentFileName(dbname_), &current);
  if (!s.ok()) return s;
  if (current.empty() || current.back() != '\n') {
    return Status::Corruption("CURRENT file does not end with newline");
  }
  current.pop_back();
  uint64_t manifest_number;
  FileType type;
  if (!ParseFileName(current, &manifest_number, &type) || type != FileType::kDescriptorFile) {
    return Status::Corruption("CURRENT names no MANIFEST", current);
  }
  std::string manifest = dbname_ + "/" + current;
  std::unique_ptr<SequentialFile> file;
  s = env_->NewSequentialFile(manifest, &file);
  if (!s.ok()) {
    if (!env_->FileExists(manifest)) {
      return Status::Corruption("CURRENT points to a missing MANIFEST", manifest);
    }
    return s;
  }

  struct Reporter final : public log::Reader::Reporter {
    Status* status;
    void Corruption(size_t, const Status& s) override {
      if (status->ok()) *status = s;
    }
  };
  Status read_status;
  Reporter reporter;
  reporter.status = &read_status;
  log::Reader reader(file.get(), &reporter);

  bool have_log_number = false, have_next_file = false, have_last_sequence = false;
  uint64_t log_number = 0, next_file = 0;
  SequenceNumber last_sequence = 0;
  Builder builder(this, current_.get());
  Slice record;
  std::string scratch;
  while (reader.ReadRecord(&record, &scratch) && read_status.ok()) {
    VersionEdit edit;
    s = edit.DecodeFrom(record);
    if (s.ok() && edit.has_comparator_ &&
        edit.comparator_ != icmp_->user_comparator()->Name()) {
      s = Status::InvalidArgument(edit.comparator_ + " does not match the comparator",
                                  icmp_->user_comparator()->Name());
    }
    if (!s.ok()) return Status(s.IsCorruption() ? Status::Corruption(manifest, s.message()) : s);
    builder.Apply(edit);
    if (edit.has_log_number_) {
      log_number = edit.log_number_;
      have_log_number = true;
    }
    if (edit.has_next_file_number_) {
      next_file = edit.next_file_number_;
      have_next_file = true;
    }
    if (edit.has_last_sequence_) {
      last_sequence = edit.last_sequence_;
      have_last_sequence = true;
    }
  }
  if (!read_status.ok()) {
    if (read_status.IsIOError()) return read_status;
    return Status::Corruption(manifest, read_status.message());
  }
  if (!have_next_file) return Status::Corruption(manifest, "no next-file entry");
  if (!have_log_number) return Status::Corruption(manifest, "no log-number entry");
  if (!have_last_sequence) return Status::Corruption(manifest, "no last-sequence entry");

  auto v = std::shared_ptr<Version>(new Version(this));
  s = builder.SaveTo(v.get());
  if (!s.ok()) return s;
  Finalize(v.get());
  AppendVersion(std::move(v));
  manifest_file_number_ = manifest_number;
  next_file_number_ = next_file;
  MarkFileNumberUsed(manifest_number);
  MarkFileNumberUsed(log_number);
  log_number_ = log_number;
  SetLastSequence(last_sequence);
  return Status::OK();
}

void VersionSet::AddLiveFiles(std::set<uint64_t>* live) {
  versions_.remove_if([](const std::weak_ptr<Version>& w) { return w.expired(); });
  for (const auto& weak : versions_) {
    if (auto v = weak.lock()) {
      for (int level = 0; level < kNumLevels; level++) {
        for (const auto& f : v->files_[level]) live->insert(f->number);
      }
    }
  }
}

void VersionSet::GetRange(const FileList& inputs, InternalKey* smallest,
                          InternalKey* largest) const {
  smallest->Clear();
  largest->Clear();
  for (size_t i = 0; i < inputs.size(); i++) {
    const auto& f = inputs[i];
    if (i == 0 || icmp_->Compare(f->smallest.Encode(), smallest->Encode()) < 0) {
      *smallest = f->smallest;
    }
    if (i == 0 || icmp_->Compare(f->largest.Encode(), largest->Encode()) > 0) {
      *largest = f->largest;
    }
  }
}

void VersionSet::GetRange2(const FileList& a, const FileList& b, InternalKey* smallest,
                           InternalKey* largest) const {
  FileList all = a;
  all.insert(all.end(), b.begin(), b.end());
  GetRange(all, smallest, largest);
}

std::unique_ptr<Iterator> VersionSet::MakeInputIterator(Compaction* c) {
  std::vector<std::unique_ptr<Iterator>> list;
  for (int which = 0; which < 2; which++) {
    if (c->inputs_[which].empty()) continue;
    if (c->level() + which == 0) {
      for (const auto& f : c->inputs_[which]) {
        list.push_back(table_cache_->NewIterator(f->number, f->file_size, /*fill_cache=*/false));
      }
    } else {
      // The input files of one sorted level, concatenated.
      auto files = std::make_shared<FileList>(c->inputs_[which]);
      TableCache* cache = table_cache_;
      auto iter = NewTwoLevelIterator(
          std::make_unique<LevelFileNumIterator>(*icmp_, files.get()),
          [cache](Slice file_value) -> std::unique_ptr<Iterator> {
            if (file_value.size() != 16) {
              return NewEmptyIterator(Status::Corruption("bad file entry in level iterator"));
            }
            return cache->NewIterator(DecodeFixed64(file_value.data()),
                                      DecodeFixed64(file_value.data() + 8),
                                      /*fill_cache=*/false);
          });
      iter->RegisterCleanup([files]() mutable { files.reset(); });
      list.push_back(std::move(iter));
    }
  }
  return NewMergingIterator(icmp_, std::move(list));
}

bool VersionSet::AnyBeingCompacted(const FileList& files) {
  return std::any_of(files.begin(), files.end(), [](const auto& f) { return f->being_compacted; });
}

void VersionSet::MarkInputs(Compaction* c, bool value) {
  for (int which = 0; which < 2; which++) {
    for (const auto& f : c->inputs_[which]) f->being_compacted = value;
  }
}

void VersionSet::ReleaseInputs(Compaction* c) { MarkInputs(c, false); }

std::unique_ptr<Compaction> VersionSet::PickCompaction() {
  for (const auto& [score, level] : current_->scores_) {
    if (score < 1) break;
    if (auto c = PickCompactionAt(level)) return c;
  }
  return nullptr;
}

// Tries each file of level, starting after the key where the previous
// compaction of the level stopped, until one whose compaction touches no file
// that a running compaction holds.
std::unique_ptr<Compaction> VersionSet::PickCompactionAt(int level) {
  const Version* v = current_.get();
  const FileList& files = v->files_[level];
  if (files.empty()) return nullptr;
  size_t start = 0;
  if (level > 0 && !compact_pointer_[level].empty()) {
    while (start < files.size() &&
           icmp_->Compare(files[start]->largest.Encode(), compact_pointer_[level]) <= 0) {
      start++;
    }
  } else if (level == 0) {
    start = files.size() - 1;  // L0 is newest first: begin with the oldest file
  }
  const int output_level = level == 0 ? v->base_level_ : level + 1;
  for (size_t n = 0; n < files.size(); n++) {
    size_t i = level == 0 ? (start + files.size() - n) % files.size() : (start + n) % files.size();
    if (files[i]->being_compacted) continue;
    std::unique_ptr<Compaction> c(new Compaction(options_, level, output_level));
    c->inputs_[0].push_back(files[i]);
    if (level == 0) {
      InternalKey smallest, largest;
      GetRange(c->inputs_[0], &smallest, &largest);
      v->GetOverlappingInputs(0, &smallest, &largest, &c->inputs_[0]);
      if (AnyBeingCompacted(c->inputs_[0])) continue;
    }
    c->input_version_ = current_;
    SetupOtherInputs(c.get());
    if (AnyBeingCompacted(c->inputs_[1])) continue;
    MarkInputs(c.get(), true);
    c->edit_.SetCompactPointer(level, c->compact_pointer_);
    compact_pointer_[level] = std::string(c->compact_pointer_.Encode());
    return c;
  }
  return nullptr;
}

void VersionSet::SetupOtherInputs(Compaction* c) {
  InternalKey smallest, largest;
  GetRange(c->inputs_[0], &smallest, &largest);
  current_->GetOverlappingInputs(c->output_level_, &smallest, &largest, &c->inputs_[1]);

  InternalKey all_start, all_limit;
  GetRange2(c->inputs_[0], c->inputs_[1], &all_start, &all_limit);
  c->grandparents_.clear();
  if (c->output_level_ + 1 < kNumLevels) {
    current_->GetOverlappingInputs(c->output_level_ + 1, &all_start, &all_limit,
                                   &c->grandparents_);
  }
  // The next compaction of this level starts after this one's range.
  c->compact_pointer_ = largest;
}


std::unique_ptr<Compaction> VersionSet::CompactRange(int level, const InternalKey* begin,
                                                     const InternalKey* end) {
  FileList inputs;
  current_->GetOverlappingInputs(level, begin, end, &inputs);
  if (inputs.empty()) return nullptr;
  // Bound the work of one step for deeper levels (L0 files overlap, take them all).
  if (level > 0) {
    uint64_t limit = 25 * options_->target_file_size;
    uint64_t total = 0;
    for (size_t i = 0; i < inputs.size(); i++) {
      total += inputs[i]->file_size;
      if (total >= limit) {
        inputs.resize(i + 1);
        break;
      }
    }
  }
  const int output_level = level == 0 ? current_->base_level_ : level + 1;
  std::unique_ptr<Compaction> c(new Compaction(options_, level, output_level));
  c->input_version_ = current_;
  c->inputs_[0] = std::move(inputs);
  SetupOtherInputs(c.get());
  MarkInputs(c.get(), true);
  return c;
}

// ---------------------------------------------------------------- Compaction

Compaction::Compaction(const Options* options, int level, int output_level)
    : level_(level), output_level_(output_level), max_output_file_size_(options->target_file_size) {}

bool Compaction::IsTrivialMove() const {
  const uint64_t max_grandparent_overlap = 10 * max_output_file_size_;
  return num_input_files(0) == 1 && num_input_files(1) == 0 &&
         TotalFileSize(grandparents_) <= max_grandparent_overlap;
}

void Compaction::AddInputDeletions(VersionEdit* edit) const {
  for (int which = 0; which < 2; which++) {
    for (const auto& f : inputs_[which]) {
      edit->RemoveFile(which == 0 ? level_ : output_level_, f->number);
    }
  }
}

bool Compaction::IsBaseLevelForKey(Slice user_key, Cursor* cursor) const {
  const Comparator* ucmp = input_version_->vset_->icmp_->user_comparator();
  std::array<size_t, kNumLevels>& level_ptrs = cursor->level_ptrs;
  for (int lvl = output_level_ + 1; lvl < kNumLevels; lvl++) {
    const FileList& files = input_version_->files_[lvl];
    while (level_ptrs[lvl] < files.size()) {
      const auto& f = files[level_ptrs[lvl]];
      if (ucmp->Compare(user_key, f->largest.user_key()) <= 0) {
        if (ucmp->Compare(user_key, f->smallest.user_key()) >= 0) return false;
        break;
      }
      level_ptrs[lvl]++;  // keys arrive in order: this file is behind us for good
    }
  }
  return true;
}

bool Compaction::ShouldStopBefore(Slice internal_key, Cursor* cursor) const {
  const InternalKeyComparator* icmp = input_version_->vset_->icmp_;
  while (cursor->grandparent_index < grandparents_.size() &&
         icmp->Compare(internal_key, grandparents_[cursor->grandparent_index]->largest.Encode()) >
             0) {
    if (cursor->seen_key) cursor->overlapped_bytes += grandparents_[cursor->grandparent_index]->file_size;
    cursor->grandparent_index++;
  }
  cursor->seen_key = true;
  if (cursor->overlapped_bytes > 10 * max_output_file_size_) {
    cursor->overlapped_bytes = 0;
    return true;
  }
  return false;
}

std::vector<std::string> Compaction::SubcompactionCuts(int max_parts) const {
  std::vector<std::string> cuts;
  uint64_t total = 0;
  std::vector<std::pair<Slice, uint64_t>> ends;  // (largest user key, file size)
  for (int which = 0; which < 2; which++) {
    for (const auto& f : inputs_[which]) {
      ends.emplace_back(f->largest.user_key(), f->file_size);
      total += f->file_size;
    }
  }
  if (max_parts < 2 || total < 2 * max_output_file_size_) return cuts;
  const Comparator* ucmp = input_version_->vset_->icmp_->user_comparator();
  std::sort(ends.begin(), ends.end(), [ucmp](const auto& a, const auto& b) {
    return ucmp->Compare(a.first, b.first) < 0;
  });
  // Parts of at least one output file each, at most max_parts of them.
  const uint64_t parts = std::min<uint64_t>(static_cast<uint64_t>(max_parts),
                                            total / max_output_file_size_);
  uint64_t seen = 0;
  for (size_t i = 0; i + 1 < ends.size() && cuts.size() + 1 < parts; i++) {
    seen += ends[i].second;
    // Cut after ends[i] once the parts so far hold their share of the bytes.
    if (seen * parts >= total * (cuts.size() + 1) &&
        (cuts.empty() || ucmp->Compare(ends[i].first, cuts.back()) > 0) &&
        ucmp->Compare(ends[i].first, ends.back().first) < 0) {
      cuts.emplace_back(ends[i].first.data(), ends[i].first.size());
    }
  }
  return cuts;
}

}  // namespace kvstore
