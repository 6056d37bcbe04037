// Out-of-line pieces of the Env interface (kvstore/env.h) and the helpers built
// on it. Nothing here depends on the platform.
#include "kvstore/env.h"

namespace kvstore {

SequentialFile::~SequentialFile() = default;
RandomAccessFile::~RandomAccessFile() = default;
WritableFile::~WritableFile() = default;
FileLock::~FileLock() = default;
Env::~Env() = default;

Status Env::NewSyncedLogFile(const std::string& fname, std::unique_ptr<WritableFile>* result) {
  return NewWritableFile(fname, result);
}

Status WriteStringToFile(Env* env, Slice data, const std::string& fname, bool sync) {
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(fname, &file);
  if (!s.ok()) return s;
  s = file->Append(data);
  if (s.ok() && sync) s = file->Sync();
  if (s.ok()) {
    s = file->Close();
  } else {
    file->Close();  // keep the first error
  }
  if (!s.ok()) env->RemoveFile(fname);  // best effort: never leave a partial file behind
  return s;
}

Status ReadFileToString(Env* env, const std::string& fname, std::string* data) {
  data->clear();
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(fname, &file);
  if (!s.ok()) return s;
  constexpr size_t kChunk = 64 * 1024;
  std::string scratch(kChunk, '\0');
  while (true) {
    Slice fragment;
    s = file->Read(kChunk, &fragment, scratch.data());
    if (!s.ok()) break;
    data->append(fragment.data(), fragment.size());
    if (fragment.size() < kChunk) break;  // short read = end of file
  }
  return s;
}

}  // namespace kvstore
