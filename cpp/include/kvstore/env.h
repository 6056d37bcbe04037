// Env: every file-system operation the engine performs goes through this small
// interface, so tests can substitute an implementation that injects faults or
// drops unsynced data (see cpp/util/fault_env_testutil.h).
//
// Thread safety: an Env is safe for concurrent use. A file object is used by one
// thread at a time unless its comment says otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kvstore/slice.h"
#include "kvstore/status.h"

namespace kvstore {

// Read sequentially from the start (WAL and MANIFEST replay).
class SequentialFile {
 public:
  virtual ~SequentialFile();
  // Reads up to n bytes. *result may point into scratch (of at least n bytes).
  // A short read (result->size() < n) means end of file.
  virtual Status Read(size_t n, Slice* result, char* scratch) = 0;
  virtual Status Skip(uint64_t n) = 0;
};

// Positioned reads (SST files). Safe for concurrent use by many threads.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile();
  // Reads up to n bytes at offset. *result may point into scratch.
  virtual Status Read(uint64_t offset, size_t n, Slice* result, char* scratch) const = 0;
};

// Append-only output. Data is durable only after Sync() returns OK.
class WritableFile {
 public:
  virtual ~WritableFile();
  virtual Status Append(Slice data) = 0;
  // Hands buffered data to the operating system (survives a process crash).
  virtual Status Flush() = 0;
  // Flush() plus fsync/fdatasync (survives power loss).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

// An exclusive lock held on a file until UnlockFile().
class FileLock {
 public:
  virtual ~FileLock();
};

class Env {
 public:
  virtual ~Env();

  // The process-wide POSIX environment. Never deleted.
  static Env* Default();

  virtual Status NewSequentialFile(const std::string& fname,
                                   std::unique_ptr<SequentialFile>* result) = 0;
  virtual Status NewRandomAccessFile(const std::string& fname,
                                     std::unique_ptr<RandomAccessFile>* result) = 0;
  // Creates or truncates fname.
  virtual Status NewWritableFile(const std::string& fname,
                                 std::unique_ptr<WritableFile>* result) = 0;
  // Like NewWritableFile, for a log appended in small pieces and synced often
  // (the WAL). An implementation may leave zeros after the data, so a reader
  // must take zeros at the end of such a file as its end (the record log's
  // reader drops them as a torn tail). The POSIX env does: see env_posix.cc.
  // The default is NewWritableFile.
  virtual Status NewSyncedLogFile(const std::string& fname,
                                  std::unique_ptr<WritableFile>* result);

  virtual bool FileExists(const std::string& fname) = 0;
  // Names (not paths) of the entries in dir, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* result) = 0;
  virtual Status RemoveFile(const std::string& fname) = 0;
  // Creates dir; OK if it already exists.
  virtual Status CreateDir(const std::string& dir) = 0;
  virtual Status RemoveDir(const std::string& dir) = 0;
  virtual Status GetFileSize(const std::string& fname, uint64_t* size) = 0;
  // Atomically replaces target with src (rename(2)). Durable after SyncDir().
  virtual Status RenameFile(const std::string& src, const std::string& target) = 0;
  // fsyncs a directory so creations, renames and removals in it are durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive lock on fname (created if missing). Fails with Busy if
  // another process, or another DB in this process, holds it.
  virtual Status LockFile(const std::string& fname, std::unique_ptr<FileLock>* lock) = 0;
  virtual Status UnlockFile(std::unique_ptr<FileLock> lock) = 0;

  virtual uint64_t NowMicros() = 0;
  virtual void SleepForMicroseconds(int micros) = 0;
};

// Helpers built on the interface.
Status WriteStringToFile(Env* env, Slice data, const std::string& fname, bool sync);
Status ReadFileToString(Env* env, const std::string& fname, std::string* data);

}  // namespace kvstore
