// FaultInjectionEnv (tests only): an Env wrapper that models power loss and
// injects I/O failures, so crash-recovery paths can be tested in-process.
//
// What is modelled, for files written through this Env:
//   * Data: each file's size at its last successful Sync() is remembered.
//     DropUnsyncedData() truncates the file back to that size (0 if never
//     synced). Flush() does not count: it survives a process crash, not power
//     loss.
//   * Directory entries: a file created by NewWritableFile (where none existed
//     before), and every RenameFile, is pending until SyncDir() of the
//     directory holding the new name. DropUnsyncedData() removes files whose
//     creation is pending and undoes pending renames, newest first: the file
//     goes back to its old name and a target it replaced gets its old
//     contents back (captured at rename time, so keep renamed-over files
//     small, like CURRENT).
// What is not modelled: removals (RemoveFile/RemoveDir are durable at once),
// out-of-order persistence of unsynced pages (unsynced bytes vanish as a
// whole), and files written by other Envs. Files are tracked by the exact
// name passed in; a file's directory is the text before its last '/'.
//
// Failure injection: FailAfter(op, n) makes the n-th following call of op
// (0 = the very next one) fail once with IOError. SetFilesystemActive(false)
// makes every mutating call (NewWritableFile, Append, Flush, Sync, RenameFile,
// RemoveFile, CreateDir, RemoveDir, SyncDir) fail until it is reactivated;
// reads, Close and locks keep working.
//
// Thread safety: like any Env, safe for concurrent use. Call
// DropUnsyncedData() only when nothing is writing; it rewrites files through
// the base Env. A crash test typically does:
//   env.SetFilesystemActive(false);  // nothing more reaches the disk
//   db.reset();                      // close everything
//   env.DropUnsyncedData();          // the power goes out
//   env.SetFilesystemActive(true);   // reboot, then reopen and check
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "kvstore/env.h"

namespace kvstore {

class FaultInjectionEnv final : public Env {
 public:
  enum class Op { kAppend, kSync, kRename, kNewWritableFile, kSyncDir };

  explicit FaultInjectionEnv(Env* base) : base_(base) {}
  FaultInjectionEnv(const FaultInjectionEnv&) = delete;
  FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

  // Power loss: see the header comment. Afterwards every surviving file counts
  // as fully synced and nothing is pending.
  Status DropUnsyncedData();
  // Forgets all tracking (the current state becomes the durable state),
  // cancels pending FailAfter()s and reactivates the filesystem.
  void ResetState();

  void FailAfter(Op op, int n);
  void SetFilesystemActive(bool active);
  bool IsFilesystemActive() const;
  // Number of calls that failed by injection so far.
  int InjectedFailures() const;

  // Env
  Status NewSequentialFile(const std::string& fname,
                           std::unique_ptr<SequentialFile>* result) override {
    return base_->NewSequentialFile(fname, result);
  }
  Status NewRandomAccessFile(const std::string& fname,
                             std::unique_ptr<RandomAccessFile>* result) override {
    return base_->NewRandomAccessFile(fname, result);
  }
  Status NewWritableFile(const std::string& fname, std::unique_ptr<WritableFile>* result) override;
  bool FileExists(const std::string& fname) override { return base_->FileExists(fname); }
  Status GetChildren(const std::string& dir, std::vector<std::string>* result) override {
    return base_->GetChildren(dir, result);
  }
  Status RemoveFile(const std::string& fname) override;
  Status CreateDir(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Status GetFileSize(const std::string& fname, uint64_t* size) override {
    return base_->GetFileSize(fname, size);
  }
  Status RenameFile(const std::string& src, const std::string& target) override;
  Status SyncDir(const std::string& dir) override;
  Status LockFile(const std::string& fname, std::unique_ptr<FileLock>* lock) override {
    return base_->LockFile(fname, lock);
  }
  Status UnlockFile(std::unique_ptr<FileLock> lock) override {
    return base_->UnlockFile(std::move(lock));
  }
  uint64_t NowMicros() override { return base_->NowMicros(); }
  void SleepForMicroseconds(int micros) override { base_->SleepForMicroseconds(micros); }

 private:
  class File;
  friend class File;

  struct FileState {
    uint64_t size = 0;         // bytes appended through this Env
    uint64_t synced_size = 0;  // size at the last successful Sync()
  };
  struct PendingRename {
    std::string src, target;
    bool target_existed = false;
    std::string old_target_contents;
  };

  // Checks the filesystem is active and consumes a FailAfter countdown.
  // REQUIRES: mu_ held.
  Status MaybeFail(Op op, const std::string& what);
  Status CheckActive(const std::string& what);
  // Called by File.
  Status BeforeAppend(const std::string& fname);
  void AfterAppend(const std::string& fname, size_t n);
  Status BeforeSync(const std::string& fname);
  void AfterSync(const std::string& fname);

  Env* const base_;
  mutable std::mutex mu_;
  bool active_ = true;
  int injected_ = 0;
  std::map<Op, int> countdown_;                  // op -> calls left before failing
  std::map<std::string, FileState> files_;       // by file name
  std::set<std::string> pending_creates_;        // created since their dir was synced (current names)
  std::vector<PendingRename> pending_renames_;   // oldest first
};

}  // namespace kvstore
