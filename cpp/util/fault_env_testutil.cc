#include "util/fault_env_testutil.h"

#include <algorithm>

namespace kvstore {

namespace {

// The directory part of a file name, as SyncDir() would be called with it.
std::string DirOf(const std::string& fname) {
  size_t slash = fname.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return fname.substr(0, slash);
}

std::string StripTrailingSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

}  // namespace

// A WritableFile that reports appends and syncs to the env, and refuses them
// when the env says so.
class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv* env, std::string fname, std::unique_ptr<WritableFile> base)
      : env_(env), fname_(std::move(fname)), base_(std::move(base)) {}

  Status Append(Slice data) override {
    Status s = env_->BeforeAppend(fname_);
    if (s.ok()) s = base_->Append(data);
    if (s.ok()) env_->AfterAppend(fname_, data.size());
    return s;
  }
  Status Flush() override {
    Status s;
    {
      std::lock_guard<std::mutex> l(env_->mu_);
      s = env_->CheckActive(fname_);
    }
    if (s.ok()) s = base_->Flush();
    return s;
  }
  Status Sync() override {
    Status s = env_->BeforeSync(fname_);
    if (s.ok()) s = base_->Sync();
    if (s.ok()) env_->AfterSync(fname_);
    return s;
  }
  Status Close() override { return base_->Close(); }

 private:
  FaultInjectionEnv* const env_;
  const std::string fname_;
  std::unique_ptr<WritableFile> base_;
};

Status FaultInjectionEnv::CheckActive(const std::string& what) {
  if (!active_) {
    injected_++;
    return Status::IOError(what, "filesystem inactive (fault injection)");
  }
  return Status::OK();
}

Status FaultInjectionEnv::MaybeFail(Op op, const std::string& what) {
  Status s = CheckActive(what);
  if (!s.ok()) return s;
  auto it = countdown_.find(op);
  if (it != countdown_.end()) {
    if (it->second == 0) {
      countdown_.erase(it);
      injected_++;
      return Status::IOError(what, "injected failure");
    }
    it->second--;
  }
  return Status::OK();
}

void FaultInjectionEnv::FailAfter(Op op, int n) {
  std::lock_guard<std::mutex> l(mu_);
  countdown_[op] = std::max(n, 0);
}

void FaultInjectionEnv::SetFilesystemActive(bool active) {
  std::lock_guard<std::mutex> l(mu_);
  active_ = active;
}

bool FaultInjectionEnv::IsFilesystemActive() const {
  std::lock_guard<std::mutex> l(mu_);
  return active_;
}

int FaultInjectionEnv::InjectedFailures() const {
  std::lock_guard<std::mutex> l(mu_);
  return injected_;
}

Status FaultInjectionEnv::BeforeAppend(const std::string& fname) {
  std::lock_guard<std::mutex> l(mu_);
  return MaybeFail(Op::kAppend, fname);
}

void FaultInjectionEnv::AfterAppend(const std::string& fname, size_t n) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(fname);
  if (it != files_.end()) it->second.size += n;
}

Status FaultInjectionEnv::BeforeSync(const std::string& fname) {
  std::lock_guard<std::mutex> l(mu_);
  return MaybeFail(Op::kSync, fname);
}

void FaultInjectionEnv::AfterSync(const std::string& fname) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(fname);
  if (it != files_.end()) it->second.synced_size = it->second.size;
}

Status FaultInjectionEnv::NewWritableFile(const std::string& fname,
                                          std::unique_ptr<WritableFile>* result) {
  result->reset();
  std::lock_guard<std::mutex> l(mu_);
  Status s = MaybeFail(Op::kNewWritableFile, fname);
  if (!s.ok()) return s;
  bool existed = base_->FileExists(fname);
  std::unique_ptr<WritableFile> base_file;
  s = base_->NewWritableFile(fname, &base_file);
  if (!s.ok()) return s;
  files_[fname] = FileState{};  // truncated: nothing of it is durable yet
  if (!existed) pending_creates_.insert(fname);
  *result = std::make_unique<File>(this, fname, std::move(base_file));
  return Status::OK();
}

Status FaultInjectionEnv::RemoveFile(const std::string& fname) {
  std::lock_guard<std::mutex> l(mu_);
  Status s = CheckActive(fname);
  if (s.ok()) s = base_->RemoveFile(fname);
  if (s.ok()) {
    files_.erase(fname);
    pending_creates_.erase(fname);
  }
  return s;
}

Status FaultInjectionEnv::CreateDir(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  Status s = CheckActive(dir);
  return s.ok() ? base_->CreateDir(dir) : s;
}

Status FaultInjectionEnv::RemoveDir(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  Status s = CheckActive(dir);
  return s.ok() ? base_->RemoveDir(dir) : s;
}

Status FaultInjectionEnv::RenameFile(const std::string& src, const std::string& target) {
  std::lock_guard<std::mutex> l(mu_);
  Status s = MaybeFail(Op::kRename, src + " -> " + target);
  if (!s.ok()) return s;
  PendingRename r{src, target, base_->FileExists(target), {}};
  if (r.target_existed) {
    s = ReadFileToString(base_, target, &r.old_target_contents);
    if (!s.ok()) return s;
  }
  s = base_->RenameFile(src, target);
  if (!s.ok()) return s;

  // Move the tracking from the old name to the new one.
  auto it = files_.find(src);
  if (it != files_.end()) {
    files_[target] = it->second;
    files_.erase(it);
  } else {
    files_.erase(target);  // an untracked file now lives under target
  }
  pending_creates_.erase(target);  // the old target's entry is replaced, not created
  if (pending_creates_.erase(src) != 0) pending_creates_.insert(target);
  pending_renames_.push_back(std::move(r));
  return Status::OK();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir_in) {
  std::lock_guard<std::mutex> l(mu_);
  std::string dir = StripTrailingSlashes(dir_in);
  Status s = MaybeFail(Op::kSyncDir, dir);
  if (s.ok()) s = base_->SyncDir(dir);
  if (!s.ok()) return s;
  for (auto it = pending_creates_.begin(); it != pending_creates_.end();) {
    it = DirOf(*it) == dir ? pending_creates_.erase(it) : std::next(it);
  }
  std::erase_if(pending_renames_, [&](const PendingRename& r) { return DirOf(r.target) == dir; });
  return Status::OK();
}

Status FaultInjectionEnv::DropUnsyncedData() {
  std::lock_guard<std::mutex> l(mu_);
  Status result;
  auto keep_first_error = [&](const Status& s) {
    if (result.ok() && !s.ok()) result = s;
  };

  // 1. Unsynced bytes vanish.
  for (const auto& [fname, state] : files_) {
    if (!base_->FileExists(fname)) continue;
    uint64_t size = 0;
    Status s = base_->GetFileSize(fname, &size);
    if (s.ok() && size > state.synced_size) {
      std::string data;
      s = ReadFileToString(base_, fname, &data);
      if (s.ok()) {
        data.resize(state.synced_size);
        s = WriteStringToFile(base_, data, fname, /*sync=*/true);
      }
    }
    keep_first_error(s);
  }

  // 2. Unsynced renames are undone, newest first.
  for (auto it = pending_renames_.rbegin(); it != pending_renames_.rend(); ++it) {
    if (base_->FileExists(it->target)) {
      keep_first_error(base_->RenameFile(it->target, it->src));
      if (pending_creates_.erase(it->target) != 0) pending_creates_.insert(it->src);
    }
    if (it->target_existed) {
      keep_first_error(WriteStringToFile(base_, it->old_target_contents, it->target, true));
    }
  }

  // 3. Unsynced creations vanish.
  for (const auto& fname : pending_creates_) {
    if (base_->FileExists(fname)) keep_first_error(base_->RemoveFile(fname));
  }

  files_.clear();
  pending_creates_.clear();
  pending_renames_.clear();
  return result;
}

void FaultInjectionEnv::ResetState() {
  std::lock_guard<std::mutex> l(mu_);
  files_.clear();
  pending_creates_.clear();
  pending_renames_.clear();
  countdown_.clear();
  active_ = true;
}

}  // namespace kvstore
