#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kvstore/env.h"

namespace kvstore {
namespace {

class EnvPosixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kvstore_env_posix_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  Env* env_ = Env::Default();
  std::string dir_;
};

std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 9)) & 0xff);
  return s;
}

TEST_F(EnvPosixTest, WriteThenReadSequentially) {
  std::unique_ptr<WritableFile> w;
  ASSERT_TRUE(env_->NewWritableFile(Path("f"), &w).ok());
  // Mix small appends with ones larger than the 64 KiB buffer.
  std::string expected;
  ASSERT_TRUE(w->Append(Slice()).ok());  // null data, zero length
  for (size_t n : {0, 1, 100, 65535, 65536, 65537, 200000, 7, 3}) {
    std::string piece = Pattern(n, static_cast<uint32_t>(n));
    ASSERT_TRUE(w->Append(piece).ok());
    expected += piece;
  }
  ASSERT_TRUE(w->Flush().ok());
  uint64_t size = 0;
  ASSERT_TRUE(env_->GetFileSize(Path("f"), &size).ok());
  EXPECT_EQ(size, expected.size());
  ASSERT_TRUE(w->Sync().ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_TRUE(w->Close().ok());        // idempotent
  EXPECT_FALSE(w->Append("x").ok());   // but no more writes

  std::unique_ptr<SequentialFile> r;
  ASSERT_TRUE(env_->NewSequentialFile(Path("f"), &r).ok());
  std::string got;
  std::vector<char> scratch(10007);
  while (true) {
    Slice chunk;
    ASSERT_TRUE(r->Read(scratch.size(), &chunk, scratch.data()).ok());
    got.append(chunk.data(), chunk.size());
    if (chunk.size() < scratch.size()) break;
  }
  EXPECT_EQ(got, expected);
}

TEST_F(EnvPosixTest, SequentialSkip) {
  ASSERT_TRUE(WriteStringToFile(env_, "0123456789", Path("f"), true).ok());
  std::unique_ptr<SequentialFile> r;
  ASSERT_TRUE(env_->NewSequentialFile(Path("f"), &r).ok());
  ASSERT_TRUE(r->Skip(4).ok());
  char scratch[16];
  Slice s;
  ASSERT_TRUE(r->Read(3, &s, scratch).ok());
  EXPECT_EQ(s, "456");
  ASSERT_TRUE(r->Read(16, &s, scratch).ok());
  EXPECT_EQ(s, "789");
  ASSERT_TRUE(r->Read(16, &s, scratch).ok());
  EXPECT_TRUE(s.empty());
}

TEST_F(EnvPosixTest, RandomAccessFromManyThreads) {
  std::string data = Pattern(300000, 9);
  ASSERT_TRUE(WriteStringToFile(env_, data, Path("f"), false).ok());
  std::unique_ptr<RandomAccessFile> f;
  ASSERT_TRUE(env_->NewRandomAccessFile(Path("f"), &f).ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      char scratch[1000];
      for (uint64_t off = t; off < data.size(); off += 997) {
        Slice s;
        if (!f->Read(off, sizeof(scratch), &s, scratch).ok() ||
            s != Slice(data).substr(off, sizeof(scratch))) {
          failures++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  char scratch[10];
  Slice s;
  ASSERT_TRUE(f->Read(data.size() - 3, 10, &s, scratch).ok());
  EXPECT_EQ(s.size(), 3u);  // short read at end of file
  ASSERT_TRUE(f->Read(data.size() + 100, 10, &s, scratch).ok());
  EXPECT_TRUE(s.empty());
}

TEST_F(EnvPosixTest, StringHelpers) {
  std::string data = Pattern(150000, 3);
  ASSERT_TRUE(WriteStringToFile(env_, data, Path("f"), true).ok());
  std::string got;
  ASSERT_TRUE(ReadFileToString(env_, Path("f"), &got).ok());
  EXPECT_EQ(got, data);
  ASSERT_TRUE(WriteStringToFile(env_, "", Path("empty"), false).ok());
  ASSERT_TRUE(ReadFileToString(env_, Path("empty"), &got).ok());
  EXPECT_TRUE(got.empty());
}

TEST_F(EnvPosixTest, DirectoryOperations) {
  ASSERT_TRUE(env_->CreateDir(Path("sub")).ok());
  ASSERT_TRUE(env_->CreateDir(Path("sub")).ok());  // already exists: fine
  ASSERT_TRUE(WriteStringToFile(env_, "a", Path("sub/a"), false).ok());
  ASSERT_TRUE(WriteStringToFile(env_, "bb", Path("sub/b"), false).ok());
  EXPECT_FALSE(env_->CreateDir(Path("sub/a")).ok());  // exists but is a file

  std::vector<std::string> children;
  ASSERT_TRUE(env_->GetChildren(Path("sub"), &children).ok());
  std::sort(children.begin(), children.end());
  EXPECT_EQ(children, (std::vector<std::string>{"a", "b"}));

  ASSERT_TRUE(env_->RenameFile(Path("sub/b"), Path("sub/a")).ok());  // replaces the target
  ASSERT_TRUE(env_->SyncDir(Path("sub")).ok());
  EXPECT_FALSE(env_->FileExists(Path("sub/b")));
  std::string got;
  ASSERT_TRUE(ReadFileToString(env_, Path("sub/a"), &got).ok());
  EXPECT_EQ(got, "bb");

  EXPECT_FALSE(env_->RemoveDir(Path("sub")).ok());  // not empty
  ASSERT_TRUE(env_->RemoveFile(Path("sub/a")).ok());
  ASSERT_TRUE(env_->RemoveDir(Path("sub")).ok());
  EXPECT_FALSE(env_->FileExists(Path("sub")));
}

TEST_F(EnvPosixTest, ErrorsNameThePath) {
  std::unique_ptr<SequentialFile> r;
  Status s = env_->NewSequentialFile(Path("missing"), &r);
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find(Path("missing")), std::string::npos);
  EXPECT_NE(s.message().find("No such file"), std::string::npos) << s.ToString();
  uint64_t size;
  EXPECT_TRUE(env_->GetFileSize(Path("missing"), &size).IsIOError());
  EXPECT_TRUE(env_->RemoveFile(Path("missing")).IsIOError());
  EXPECT_TRUE(env_->RenameFile(Path("missing"), Path("x")).IsIOError());
  std::vector<std::string> children;
  EXPECT_TRUE(env_->GetChildren(Path("missing"), &children).IsIOError());
  EXPECT_TRUE(env_->SyncDir(Path("missing")).IsIOError());
  std::string data;
  EXPECT_TRUE(ReadFileToString(env_, Path("missing"), &data).IsIOError());
}

TEST_F(EnvPosixTest, LockIsExclusiveInsideTheProcess) {
  std::unique_ptr<FileLock> lock1, lock2;
  ASSERT_TRUE(env_->LockFile(Path("LOCK"), &lock1).ok());
  Status s = env_->LockFile(Path("LOCK"), &lock2);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_NE(s.message().find("already in use"), std::string::npos) << s.ToString();
  // Another spelling of the same path is the same lock.
  EXPECT_TRUE(env_->LockFile(dir_ + "/./LOCK", &lock2).IsBusy());
  ASSERT_TRUE(env_->UnlockFile(std::move(lock1)).ok());
  ASSERT_TRUE(env_->LockFile(Path("LOCK"), &lock2).ok());
  ASSERT_TRUE(env_->UnlockFile(std::move(lock2)).ok());
}

// A child process: report over a pipe whether an fcntl write lock on path is free.
bool ChildCanLock(const std::string& path) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct flock fl;
    std::memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    ::_exit(fd >= 0 && ::fcntl(fd, F_SETLK, &fl) == 0 ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST_F(EnvPosixTest, LockExcludesOtherProcesses) {
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(env_->LockFile(Path("LOCK"), &lock).ok());
  EXPECT_FALSE(ChildCanLock(Path("LOCK")));
  // A failed in-process attempt must not release the lock we hold.
  std::unique_ptr<FileLock> again;
  EXPECT_TRUE(env_->LockFile(Path("LOCK"), &again).IsBusy());
  EXPECT_FALSE(ChildCanLock(Path("LOCK")));
  ASSERT_TRUE(env_->UnlockFile(std::move(lock)).ok());
  EXPECT_TRUE(ChildCanLock(Path("LOCK")));
}

TEST_F(EnvPosixTest, LockHeldByAnotherProcessIsBusy) {
  int to_parent[2], to_child[2];
  ASSERT_EQ(::pipe(to_parent), 0);
  ASSERT_EQ(::pipe(to_child), 0);
  std::string path = Path("LOCK");
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
    struct flock fl;
    std::memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    char ok = (fd >= 0 && ::fcntl(fd, F_SETLK, &fl) == 0) ? 'y' : 'n';
    if (::write(to_parent[1], &ok, 1) != 1) ::_exit(2);
    char c;
    if (::read(to_child[0], &c, 1) != 1) ::_exit(3);  // hold the lock until told
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(to_parent[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  std::unique_ptr<FileLock> lock;
  Status s = env_->LockFile(path, &lock);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_NE(s.message().find("another process"), std::string::npos) << s.ToString();
  ASSERT_EQ(::write(to_child[1], "x", 1), 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) ::close(fd);
  // The child is gone: the lock is ours now.
  ASSERT_TRUE(env_->LockFile(path, &lock).ok());
  ASSERT_TRUE(env_->UnlockFile(std::move(lock)).ok());
}

TEST_F(EnvPosixTest, NewWritableFileTruncates) {
  ASSERT_TRUE(WriteStringToFile(env_, "long contents", Path("f"), false).ok());
  ASSERT_TRUE(WriteStringToFile(env_, "short", Path("f"), false).ok());
  std::string got;
  ASSERT_TRUE(ReadFileToString(env_, Path("f"), &got).ok());
  EXPECT_EQ(got, "short");
}

// The file as bytes: the data, then zeros.
void ExpectDataThenZeros(Env* env, const std::string& path, const std::string& data,
                         uint64_t min_zeros, uint64_t max_zeros) {
  std::string got;
  ASSERT_TRUE(ReadFileToString(env, path, &got).ok());
  ASSERT_GE(got.size(), data.size() + min_zeros);
  ASSERT_LE(got.size(), data.size() + max_zeros);
  EXPECT_EQ(got.compare(0, data.size(), data), 0);
  EXPECT_EQ(got.find_first_not_of('\0', data.size()), std::string::npos);
}

TEST_F(EnvPosixTest, SyncedLogFileKeepsZerosAheadOfItsData) {
  constexpr uint64_t kAhead = 1 << 20;  // kSyncedLogFillAhead
  std::unique_ptr<WritableFile> w;
  ASSERT_TRUE(env_->NewSyncedLogFile(Path("log"), &w).ok());
  std::string data;
  // Small synced appends: the first sync writes ~1 MiB of zeros after the data.
  for (int i = 0; i < 50; i++) {
    std::string piece = Pattern(100 + i, static_cast<uint32_t>(i));
    ASSERT_TRUE(w->Append(piece).ok());
    ASSERT_TRUE(w->Sync().ok());
    data += piece;
  }
  ExpectDataThenZeros(env_, Path("log"), data, kAhead / 2, kAhead + 4096);
  // Past half of them the zeros are topped up again, never written over data.
  while (data.size() < 3 * kAhead / 2) {
    std::string piece = Pattern(4000, static_cast<uint32_t>(data.size()));
    ASSERT_TRUE(w->Append(piece).ok());
    ASSERT_TRUE(w->Sync().ok());
    data += piece;
  }
  ExpectDataThenZeros(env_, Path("log"), data, kAhead / 2, kAhead + 4096);
  // Unsynced appends (Flush) overwrite the zeros without adding any, and the
  // sync after them adds none either: only a sync that follows synced writes
  // only tops the zeros up.
  uint64_t zeros = 0;
  for (;;) {
    std::string got;
    ASSERT_TRUE(ReadFileToString(env_, Path("log"), &got).ok());
    zeros = got.size() - data.size();
    if (zeros < kAhead / 2 + 8000) break;
    std::string piece = Pattern(4000, static_cast<uint32_t>(data.size()));  // use some up
    ASSERT_TRUE(w->Append(piece).ok());
    ASSERT_TRUE(w->Sync().ok());
    data += piece;
  }
  std::string unsynced = Pattern(9000, 77);  // takes the zeros below half
  ASSERT_TRUE(w->Append(unsynced).ok());
  ASSERT_TRUE(w->Flush().ok());
  data += unsynced;
  ASSERT_TRUE(w->Append("synced after an unsynced write").ok());
  ASSERT_TRUE(w->Sync().ok());  // below half now, but no top-up
  data += "synced after an unsynced write";
  ExpectDataThenZeros(env_, Path("log"), data, 0, kAhead / 2 - 1000);
  ASSERT_TRUE(w->Append("synced only").ok());
  ASSERT_TRUE(w->Sync().ok());  // synced writes only since the last sync: topped up
  data += "synced only";
  ExpectDataThenZeros(env_, Path("log"), data, kAhead - 4096, kAhead + 4096);
  ASSERT_TRUE(w->Close().ok());

  // A log synced only after more than kAhead bytes gets no zeros.
  ASSERT_TRUE(env_->NewSyncedLogFile(Path("log"), &w).ok());  // truncates
  std::string big = Pattern(kAhead + 10, 3);
  ASSERT_TRUE(w->Append(big).ok());
  ASSERT_TRUE(w->Sync().ok());
  ASSERT_TRUE(w->Close().ok());
  ExpectDataThenZeros(env_, Path("log"), big, 0, 0);

  // A plain writable file never gets zeros.
  ASSERT_TRUE(env_->NewWritableFile(Path("plain"), &w).ok());
  ASSERT_TRUE(w->Append("abc").ok());
  ASSERT_TRUE(w->Sync().ok());
  ASSERT_TRUE(w->Close().ok());
  ExpectDataThenZeros(env_, Path("plain"), "abc", 0, 0);
}

TEST_F(EnvPosixTest, Clock) {
  uint64_t a = env_->NowMicros();
  env_->SleepForMicroseconds(2000);
  uint64_t b = env_->NowMicros();
  EXPECT_GE(b - a, 1000u);
}

}  // namespace
}  // namespace kvstore
