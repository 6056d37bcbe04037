#include "util/fault_env_testutil.h"

#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace kvstore {
namespace {

using Op = FaultInjectionEnv::Op;

class FaultEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kvstore_fault_env_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string Contents(const std::string& name) {
    std::string data;
    Status s = ReadFileToString(Env::Default(), Path(name), &data);
    return s.ok() ? data : "<" + s.ToString() + ">";
  }
  std::unique_ptr<WritableFile> Create(const std::string& name) {
    std::unique_ptr<WritableFile> f;
    EXPECT_TRUE(env_.NewWritableFile(Path(name), &f).ok());
    return f;
  }

  FaultInjectionEnv env_{Env::Default()};
  std::string dir_;
};

TEST_F(FaultEnvTest, UnsyncedBytesAreDropped) {
  auto f = Create("log");
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(f->Append("abc").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append("def").ok());
  ASSERT_TRUE(f->Flush().ok());  // reaches the OS, but is not durable
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Contents("log"), "abcdef");
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("log"), "abc");
  // After a drop the survivors count as durable.
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("log"), "abc");
}

TEST_F(FaultEnvTest, CreationsNeedADirectorySync) {
  auto a = Create("a");
  ASSERT_TRUE(a->Append("data").ok());
  ASSERT_TRUE(a->Sync().ok());  // data synced, directory entry not
  ASSERT_TRUE(a->Close().ok());
  auto b = Create("b");
  ASSERT_TRUE(env_.SyncDir(dir_ + "/").ok());  // trailing slash is the same directory
  ASSERT_TRUE(b->Append("unsynced").ok());
  ASSERT_TRUE(b->Close().ok());
  auto c = Create("c");  // after the directory sync
  ASSERT_TRUE(c->Close().ok());

  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_TRUE(env_.FileExists(Path("a")));  // a was created before the SyncDir
  EXPECT_EQ(Contents("a"), "data");
  EXPECT_TRUE(env_.FileExists(Path("b")));
  EXPECT_EQ(Contents("b"), "");
  EXPECT_FALSE(env_.FileExists(Path("c")));
}

TEST_F(FaultEnvTest, PreexistingFilesAreLeftAlone) {
  ASSERT_TRUE(WriteStringToFile(Env::Default(), "outside", Path("old"), false).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("old"), "outside");
}

// The CURRENT-file pattern: write a temp file, sync it, rename it over the target.
void ReplaceViaRename(FaultInjectionEnv* env, const std::string& dir, const std::string& contents,
                      bool sync_dir) {
  std::unique_ptr<WritableFile> tmp;
  ASSERT_TRUE(env->NewWritableFile(dir + "/tmp", &tmp).ok());
  ASSERT_TRUE(tmp->Append(contents).ok());
  ASSERT_TRUE(tmp->Sync().ok());
  ASSERT_TRUE(tmp->Close().ok());
  ASSERT_TRUE(env->RenameFile(dir + "/tmp", dir + "/CURRENT").ok());
  if (sync_dir) {
    ASSERT_TRUE(env->SyncDir(dir).ok());
  }
}

TEST_F(FaultEnvTest, UnsyncedRenameIsUndone) {
  ReplaceViaRename(&env_, dir_, "v1", true);
  ReplaceViaRename(&env_, dir_, "v2", false);
  EXPECT_EQ(Contents("CURRENT"), "v2");
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("CURRENT"), "v1");
  EXPECT_FALSE(env_.FileExists(Path("tmp")));  // its creation was never made durable either
}

TEST_F(FaultEnvTest, SyncedRenameSurvives) {
  ReplaceViaRename(&env_, dir_, "v1", true);
  ReplaceViaRename(&env_, dir_, "v2", true);
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("CURRENT"), "v2");
  EXPECT_FALSE(env_.FileExists(Path("tmp")));
}

TEST_F(FaultEnvTest, RenameOfDurableFileIsUndone) {
  auto f = Create("x");
  ASSERT_TRUE(f->Append("payload").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(env_.RenameFile(Path("x"), Path("y")).ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("x"), "payload");
  EXPECT_FALSE(env_.FileExists(Path("y")));
}

TEST_F(FaultEnvTest, FailAfterCountsCallsOfOneKind) {
  auto f = Create("f");
  env_.FailAfter(Op::kAppend, 2);
  EXPECT_TRUE(f->Append("1").ok());
  EXPECT_TRUE(f->Sync().ok());  // other kinds do not count
  EXPECT_TRUE(f->Append("2").ok());
  Status s = f->Append("3");
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_TRUE(f->Append("4").ok());  // one shot
  EXPECT_TRUE(f->Close().ok());
  EXPECT_EQ(Contents("f"), "124");
  EXPECT_EQ(env_.InjectedFailures(), 1);
}

TEST_F(FaultEnvTest, FailNextOfEachKind) {
  auto f = Create("f");
  ASSERT_TRUE(f->Append("data").ok());

  env_.FailAfter(Op::kSync, 0);
  EXPECT_TRUE(f->Sync().IsIOError());
  EXPECT_TRUE(f->Sync().ok());

  env_.FailAfter(Op::kNewWritableFile, 0);
  std::unique_ptr<WritableFile> g;
  EXPECT_TRUE(env_.NewWritableFile(Path("g"), &g).IsIOError());
  EXPECT_EQ(g, nullptr);
  EXPECT_FALSE(env_.FileExists(Path("g")));

  ASSERT_TRUE(f->Close().ok());
  env_.FailAfter(Op::kRename, 0);
  EXPECT_TRUE(env_.RenameFile(Path("f"), Path("h")).IsIOError());
  EXPECT_TRUE(env_.FileExists(Path("f")));
  EXPECT_TRUE(env_.RenameFile(Path("f"), Path("h")).ok());

  env_.FailAfter(Op::kSyncDir, 0);
  EXPECT_TRUE(env_.SyncDir(dir_).IsIOError());
  // The failed SyncDir made nothing durable.
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_FALSE(env_.FileExists(Path("f")));
  EXPECT_FALSE(env_.FileExists(Path("h")));
  EXPECT_EQ(env_.InjectedFailures(), 4);
}

TEST_F(FaultEnvTest, InactiveFilesystemRefusesWrites) {
  auto f = Create("f");
  ASSERT_TRUE(f->Append("kept").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());

  env_.SetFilesystemActive(false);
  EXPECT_FALSE(env_.IsFilesystemActive());
  EXPECT_TRUE(f->Append("lost").IsIOError());
  EXPECT_TRUE(f->Flush().IsIOError());
  EXPECT_TRUE(f->Sync().IsIOError());
  std::unique_ptr<WritableFile> g;
  EXPECT_TRUE(env_.NewWritableFile(Path("g"), &g).IsIOError());
  EXPECT_TRUE(env_.RenameFile(Path("f"), Path("h")).IsIOError());
  EXPECT_TRUE(env_.RemoveFile(Path("f")).IsIOError());
  EXPECT_TRUE(env_.SyncDir(dir_).IsIOError());
  EXPECT_TRUE(env_.CreateDir(Path("d")).IsIOError());
  // Reads still work.
  std::string data;
  EXPECT_TRUE(ReadFileToString(&env_, Path("f"), &data).ok());
  EXPECT_EQ(data, "kept");
  EXPECT_TRUE(f->Close().ok());

  env_.SetFilesystemActive(true);
  EXPECT_TRUE(env_.RemoveFile(Path("f")).ok());
}

TEST_F(FaultEnvTest, CrashRecipe) {
  auto f = Create("wal");
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(f->Append("synced|").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append("buffered-only").ok());  // still in the user-space buffer
  env_.SetFilesystemActive(false);
  f.reset();  // closing flushes the buffer to the OS...
  ASSERT_TRUE(env_.DropUnsyncedData().ok());  // ...but the power goes out
  env_.SetFilesystemActive(true);
  EXPECT_EQ(Contents("wal"), "synced|");
}

}  // namespace
}  // namespace kvstore
