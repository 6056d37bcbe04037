#include "kvstore/db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "db/db_testutil.h"
#include "db/dbformat.h"
#include "table/table.h"
#include "util/fault_env_testutil.h"

namespace kvstore {
namespace {

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%08d", i);
  return buf;
}

class DBTest : public testing::Test {
 protected:
  DBTest() { options_.write_buffer_size = 64 * 1024; }
  ~DBTest() override { db_.reset(); }

  Status TryOpen() {
    db_.reset();
    return DB::Open(options_, dir_.path(), &db_);
  }
  void Reopen() { ASSERT_TRUE(TryOpen().ok()) << TryOpen().ToString(); }

  std::string Get(const std::string& k, const Snapshot* snap = nullptr) {
    ReadOptions ro;
    ro.snapshot = snap;
    std::string v;
    Status s = db_->Get(ro, k, &v);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return s.ToString();
    return v;
  }

  // All visible entries, forward, as one string "k=v,".
  std::string Contents(ReadOptions ro = {}) {
    std::string out;
    auto it = db_->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out += std::string(it->key()) + "=" + std::string(it->value()) + ",";
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return out;
  }
  std::string ContentsReverse(ReadOptions ro = {}) {
    std::string out;
    auto it = db_->NewIterator(ro);
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      out += std::string(it->key()) + "=" + std::string(it->value()) + ",";
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return out;
  }

  ScratchDir dir_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(DBTest, PutGetDelete) {
  Reopen();
  ASSERT_TRUE(db_->Put({}, "a", "1").ok());
  ASSERT_TRUE(db_->Put({}, "b", "2").ok());
  EXPECT_EQ(Get("a"), "1");
  ASSERT_TRUE(db_->Put({}, "a", "3").ok());
  EXPECT_EQ(Get("a"), "3");
  ASSERT_TRUE(db_->Delete({}, "a").ok());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(Get(""), "NOT_FOUND");
  ASSERT_TRUE(db_->Put({}, "", "empty key").ok());
  EXPECT_EQ(Get(""), "empty key");
}

TEST_F(DBTest, RecoversFromWal) {
  Reopen();
  ASSERT_TRUE(db_->Put({}, "k1", "v1").ok());
  WriteBatch b;
  b.Put("k2", "v2");
  b.Delete("k1");
  b.Put("k3", std::string(100000, 'x'));
  ASSERT_TRUE(db_->Write({}, &b).ok());
  Reopen();
  EXPECT_EQ(Get("k1"), "NOT_FOUND");
  EXPECT_EQ(Get("k2"), "v2");
  EXPECT_EQ(Get("k3"), std::string(100000, 'x'));
  Reopen();  // a second recovery, after the first rewrote the WAL into a table
  EXPECT_EQ(Get("k2"), "v2");
}

TEST_F(DBTest, ErrorIfExistsAndMissing) {
  options_.create_if_missing = false;
  EXPECT_TRUE(TryOpen().IsInvalidArgument());
  options_.create_if_missing = true;
  Reopen();
  db_.reset();
  options_.error_if_exists = true;
  EXPECT_TRUE(TryOpen().IsInvalidArgument());
}

TEST_F(DBTest, SecondOpenIsBusy) {
  Reopen();
  std::unique_ptr<DB> other;
  Status s = DB::Open(options_, dir_.path(), &other);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_NE(s.ToString().find("already in use"), std::string::npos) << s.ToString();
  db_.reset();
  EXPECT_TRUE(DB::Open(options_, dir_.path(), &other).ok());
}

TEST_F(DBTest, SmallestWriteBufferDoesNotSpin) {
  options_.write_buffer_size = 4096;  // smaller than an empty memtable's arena
  Reopen();
  for (int i = 0; i < 200; i++) ASSERT_TRUE(db_->Put({}, Key(i), std::string(100, 'v')).ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Flush().ok());  // nothing left to flush: returns at once
  EXPECT_EQ(Get(Key(199)), std::string(100, 'v'));
  EXPECT_GT(db_->GetStats().flushes, 10u);
}

TEST_F(DBTest, SizeLimits) {
  Reopen();
  EXPECT_TRUE(db_->Put({}, std::string(kMaxKeySize + 1, 'k'), "v").IsInvalidArgument());
  EXPECT_TRUE(db_->Put({}, std::string(kMaxKeySize, 'k'), "v").ok());
  WriteBatch b;
  b.Put("ok", "v");
  b.Put(std::string(kMaxKeySize + 1, 'k'), "v");
  EXPECT_TRUE(db_->Write({}, &b).IsInvalidArgument());
  EXPECT_EQ(Get("ok"), "NOT_FOUND");  // the whole batch was refused
}

TEST_F(DBTest, FlushCompactAndIterate) {
  Reopen();
  std::map<std::string, std::string> model;
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; i++) {
    std::string k = Key(static_cast<int>(rng() % 5000));
    if (rng() % 5 == 0) {
      ASSERT_TRUE(db_->Delete({}, k).ok());
      model.erase(k);
    } else {
      std::string v = "v" + std::to_string(i) + std::string(rng() % 200, 'p');
      ASSERT_TRUE(db_->Put({}, k, v).ok());
      model[k] = v;
    }
  }
  DbStats stats = db_->GetStats();
  EXPECT_GT(stats.flushes, 0u);
  std::string expected, expected_rev;
  for (const auto& [k, v] : model) expected += k + "=" + v + ",";
  for (auto it = model.rbegin(); it != model.rend(); ++it) {
    expected_rev += it->first + "=" + it->second + ",";
  }
  EXPECT_EQ(Contents(), expected);
  EXPECT_EQ(ContentsReverse(), expected_rev);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  stats = db_->GetStats();
  EXPECT_EQ(stats.levels[0].files, 0);
  EXPECT_GT(stats.compactions, 0u);
  EXPECT_EQ(Contents(), expected);
  // A compaction's inputs are deleted as soon as its result is installed (not at the
  // next compaction): the directory holds just the live tables. Polls, since a
  // background compaction may still be finishing.
  size_t live = 0, on_disk = 0;
  for (int attempt = 0; attempt < 1000; attempt++) {
    live = 0;
    for (const auto& level : db_->GetStats().levels) live += static_cast<size_t>(level.files);
    on_disk = FilesWithSuffix(dir_.path(), ".sst").size();
    if (on_disk == live) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(on_disk, live);
  Reopen();
  EXPECT_EQ(Contents(), expected);
  EXPECT_EQ(ContentsReverse(), expected_rev);
  for (int i = 0; i < 5000; i += 7) {
    auto it = model.find(Key(i));
    EXPECT_EQ(Get(Key(i)), it == model.end() ? "NOT_FOUND" : it->second);
  }
}

TEST_F(DBTest, SnapshotsSurviveFlushAndCompaction) {
  Reopen();
  ASSERT_TRUE(db_->Put({}, "k", "old").ok());
  ASSERT_TRUE(db_->Put({}, "gone", "here").ok());
  const Snapshot* snap = db_->GetSnapshot();
  ASSERT_TRUE(db_->Put({}, "k", "new").ok());
  ASSERT_TRUE(db_->Delete({}, "gone").ok());
  ASSERT_TRUE(db_->Put({}, "later", "x").ok());
  EXPECT_EQ(Get("k", snap), "old");
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(Get("k", snap), "old");
  EXPECT_EQ(Get("gone", snap), "here");
  EXPECT_EQ(Get("later", snap), "NOT_FOUND");
  EXPECT_EQ(Get("k"), "new");
  EXPECT_EQ(Get("gone"), "NOT_FOUND");
  ReadOptions ro;
  ro.snapshot = snap;
  EXPECT_EQ(Contents(ro), "gone=here,k=old,");
  EXPECT_EQ(ContentsReverse(ro), "k=old,gone=here,");
  db_->ReleaseSnapshot(snap);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(Contents(), "k=new,later=x,");
}

TEST_F(DBTest, IteratorBoundsSeekAndDirectionChanges) {
  Reopen();
  for (const char* k : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(db_->Put({}, k, k).ok());
  ASSERT_TRUE(db_->Delete({}, "c").ok());
  ReadOptions ro;
  ro.lower_bound = "b";
  ro.upper_bound = "e";
  EXPECT_EQ(Contents(ro), "b=b,d=d,");
  EXPECT_EQ(ContentsReverse(ro), "d=d,b=b,");
  auto it = db_->NewIterator(ro);
  it->Seek("a");  // clamped to the lower bound
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  it->Seek("c");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->Seek("e");
  EXPECT_FALSE(it->Valid());
}

TEST_F(DBTest, IteratorIsAConsistentView) {
  Reopen();
  ASSERT_TRUE(db_->Put({}, "a", "1").ok());
  auto it = db_->NewIterator({});
  ASSERT_TRUE(db_->Put({}, "b", "2").ok());
  ASSERT_TRUE(db_->Delete({}, "a").ok());
  ASSERT_TRUE(db_->Flush().ok());
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  it->Next();
  EXPECT_FALSE(it->Valid());
}

class RandomOpsTest : public DBTest, public testing::WithParamInterface<bool> {};

// With dynamic level sizing (L0 compacts into a base level that moves up as the
// data grows) and without it (classic leveling from L1).
INSTANTIATE_TEST_SUITE_P(LevelSizing, RandomOpsTest, testing::Bool());

TEST_P(RandomOpsTest, RandomOperationsMatchModelAcrossReopen) {
  options_.write_buffer_size = 8 * 1024;
  options_.target_file_size = 8 * 1024;
  options_.max_bytes_for_level_base = 16 * 1024;
  options_.level_size_multiplier = 4;
  options_.dynamic_level_bytes = GetParam();
  options_.max_background_jobs = 4;
  Reopen();
  std::map<std::string, std::string> model;
  std::mt19937 rng(7);
  for (int round = 0; round < 6; round++) {
    for (int i = 0; i < 3000; i++) {
      std::string k = Key(static_cast<int>(rng() % 800));
      int op = static_cast<int>(rng() % 10);
      if (op < 6) {
        std::string v = std::to_string(rng()) + std::string(rng() % 64, 'z');
        ASSERT_TRUE(db_->Put({}, k, v).ok());
        model[k] = v;
      } else if (op < 8) {
        ASSERT_TRUE(db_->Delete({}, k).ok());
        model.erase(k);
      } else {
        WriteBatch b;
        for (int j = 0; j < 5; j++) {
          std::string bk = Key(static_cast<int>(rng() % 800));
          b.Put(bk, "batch");
          model[bk] = "batch";
        }
        ASSERT_TRUE(db_->Write({}, &b).ok());
      }
    }
    // Compare seeks from random places, forward and backward, with the model.
    auto it = db_->NewIterator({});
    for (int probe = 0; probe < 200; probe++) {
      std::string target = Key(static_cast<int>(rng() % 900));
      it->Seek(target);
      auto m = model.lower_bound(target);
      for (int step = 0; step < 5; step++) {
        ASSERT_EQ(it->Valid(), m != model.end());
        if (m == model.end()) break;
        ASSERT_EQ(it->key(), m->first);
        ASSERT_EQ(it->value(), m->second);
        if (step % 2 == 0) {
          it->Next();
          ++m;
        } else {
          it->Prev();
          if (m == model.begin()) {
            ASSERT_FALSE(it->Valid());
            break;
          }
          --m;
          ASSERT_TRUE(it->Valid());
          it->Next();
          ++m;
          it->Next();
          ++m;
        }
      }
    }
    it.reset();
    Reopen();
    std::string expected;
    for (const auto& [k, v] : model) expected += k + "=" + v + ",";
    ASSERT_EQ(Contents(), expected);
  }
  DbStats stats = db_->GetStats();
  int deeper_files = 0;
  for (size_t l = 1; l < stats.levels.size(); l++) deeper_files += stats.levels[l].files;
  EXPECT_GT(deeper_files, 0);
}

TEST_F(DBTest, ConcurrentWritersAndReaders) {
  Reopen();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 3000;
  std::atomic<bool> stop{false};
  std::atomic<int> read_errors{0};
  std::thread reader([&] {
    while (!stop.load()) {
      auto it = db_->NewIterator({});
      std::string prev;
      bool first = true;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        std::string k(it->key());
        if (!first && k <= prev) read_errors++;
        if (it->value() != "v-" + k) read_errors++;
        prev = k;
        first = false;
      }
      if (!it->status().ok()) read_errors++;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; t++) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; i++) {
        std::string k = "t" + std::to_string(t) + "-" + Key(i);
        WriteOptions wo;
        wo.sync = (i % 500 == 0);
        ASSERT_TRUE(db_->Put(wo, k, "v-" + k).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_EQ(read_errors.load(), 0);
  for (int t = 0; t < kThreads; t++) {
    for (int i = 0; i < kPerThread; i += 97) {
      std::string k = "t" + std::to_string(t) + "-" + Key(i);
      EXPECT_EQ(Get(k), "v-" + k);
    }
  }
  DbStats stats = db_->GetStats();
  EXPECT_EQ(stats.writes, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LE(stats.write_groups, stats.writes);
}

// L0 -> base compactions split into key ranges merged by parallel threads
// (max_subcompactions 4) give the same data as unsplit ones (1): random puts and
// deletions against a model, a snapshot held across the compactions, a reopen.
class SubcompactionTest : public DBTest, public testing::WithParamInterface<int> {};

INSTANTIATE_TEST_SUITE_P(MaxSubcompactions, SubcompactionTest, testing::Values(1, 4));

TEST_P(SubcompactionTest, SplitL0CompactionsMatchModel) {
  options_.write_buffer_size = 32 * 1024;
  options_.target_file_size = 8 * 1024;
  options_.max_bytes_for_level_base = 64 * 1024;
  options_.level_size_multiplier = 4;
  options_.level0_compaction_trigger = 4;
  options_.max_background_jobs = 3;
  options_.max_subcompactions = GetParam();
  Reopen();
  std::map<std::string, std::string> model;
  std::mt19937 rng(11);
  const Snapshot* snap = nullptr;
  std::map<std::string, std::string> snap_model;
  for (int i = 0; i < 40000; i++) {
    std::string k = Key(static_cast<int>(rng() % 3000));
    if (rng() % 5 == 0) {
      ASSERT_TRUE(db_->Delete({}, k).ok());
      model.erase(k);
    } else {
      std::string v = std::to_string(i) + std::string(rng() % 80, 'x');
      ASSERT_TRUE(db_->Put({}, k, v).ok());
      model[k] = v;
    }
    if (i == 15000) {
      snap = db_->GetSnapshot();
      snap_model = model;
    }
  }
  auto contents_of = [](const std::map<std::string, std::string>& m) {
    std::string out;
    for (const auto& [k, v] : m) out += k + "=" + v + ",";
    return out;
  };
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  ReadOptions at_snap;
  at_snap.snapshot = snap;
  EXPECT_EQ(Contents(at_snap), contents_of(snap_model));
  EXPECT_EQ(Contents(), contents_of(model));
  db_->ReleaseSnapshot(snap);
  DbStats stats = db_->GetStats();
  if (GetParam() == 1) {
    EXPECT_EQ(stats.subcompactions, 0u);
  } else {
    EXPECT_GT(stats.subcompactions, 0u);
  }
  Reopen();
  EXPECT_EQ(Contents(), contents_of(model));
  EXPECT_EQ(ContentsReverse().size(), Contents().size());
  for (int i = 0; i < 3000; i += 13) {
    auto m = model.find(Key(i));
    EXPECT_EQ(Get(Key(i)), m == model.end() ? "NOT_FOUND" : m->second);
  }
}

// Sequence numbers of the entries in the (full-range compacted) last level
// (every table in the directory), one count per kind.
struct SequenceCounts {
  int zero = 0;
  int other = 0;
};
SequenceCounts CountSequences(const std::string& dir) {
  SequenceCounts counts;
  InternalKeyComparator icmp(BytewiseComparator());
  TableOptions topts;
  topts.comparator = &icmp;
  topts.internal_keys = true;
  for (const std::string& fname : FilesWithSuffix(dir, ".sst")) {
    uint64_t size = 0;
    std::unique_ptr<RandomAccessFile> file;
    EXPECT_TRUE(Env::Default()->GetFileSize(fname, &size).ok());
    EXPECT_TRUE(Env::Default()->NewRandomAccessFile(fname, &file).ok());
    std::unique_ptr<Table> table;
    EXPECT_TRUE(Table::Open(topts, std::move(file), size, &table).ok());
    auto it = table->NewIterator();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedInternalKey ikey;
      EXPECT_TRUE(ParseInternalKey(it->key(), &ikey));
      (ikey.sequence == 0 ? counts.zero : counts.other)++;
    }
  }
  return counts;
}

// A value in the last level that every snapshot sees is written with sequence 0
// (its tag then compresses away); one a live snapshot may not see keeps its
// sequence, and reads at that snapshot and now stay right.
TEST_F(DBTest, LastLevelValuesVisibleToAllLoseTheirSequence) {
  Reopen();
  for (int i = 0; i < 1000; i++) ASSERT_TRUE(db_->Put({}, Key(i), "old").ok());
  const Snapshot* snap = db_->GetSnapshot();
  for (int i = 0; i < 1000; i += 2) ASSERT_TRUE(db_->Put({}, Key(i), "new").ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  SequenceCounts counts = CountSequences(dir_.path());
  EXPECT_EQ(counts.zero, 1000);   // every "old" entry: the snapshot sees them
  EXPECT_EQ(counts.other, 500);   // the "new" ones, newer than the snapshot
  EXPECT_EQ(Get(Key(2), snap), "old");
  EXPECT_EQ(Get(Key(2)), "new");
  EXPECT_EQ(Get(Key(3)), "old");
  db_->ReleaseSnapshot(snap);
  Reopen();
  EXPECT_EQ(Get(Key(2)), "new");
  EXPECT_EQ(Get(Key(3)), "old");
  ASSERT_TRUE(db_->Put({}, Key(3), "newest").ok());  // newer than the zeroed entry
  EXPECT_EQ(Get(Key(3)), "newest");
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(Get(Key(3)), "newest");
}

// Once the memtable is half full a background thread creates the next WAL (and
// syncs its directory entry), so the switch does no file-system I/O under the DB
// mutex. Spares left unused (at close, or after a switch that did not wait for
// them) are empty WALs: reopening replays them harmlessly.
TEST_F(DBTest, NextWalIsPreparedBeforeTheSwitch) {
  options_.write_buffer_size = 256 * 1024;
  Reopen();
  int i = 0;
  while (db_->GetStats().memtable_bytes < options_.write_buffer_size * 3 / 4) {
    ASSERT_TRUE(db_->Put({}, Key(i), std::string(100, 'a')).ok());
    i++;
  }
  size_t logs = 0;
  for (int attempt = 0; attempt < 1000 && logs < 2; attempt++) {
    logs = FilesWithSuffix(dir_.path(), ".log").size();
    if (logs < 2) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(logs, 2u);  // the active WAL and the prepared one
  const uint64_t flushes = db_->GetStats().flushes;
  for (int j = 0; j < 20000; j++) {
    ASSERT_TRUE(db_->Put({}, Key(i + j), std::to_string(j)).ok());
  }
  EXPECT_GT(db_->GetStats().immutable_memtables + db_->GetStats().flushes, flushes);
  Reopen();
  EXPECT_EQ(Get(Key(0)), std::string(100, 'a'));
  EXPECT_EQ(Get(Key(i + 19999)), "19999");
  for (int round = 0; round < 3; round++) Reopen();  // spares left at close replay empty
  EXPECT_EQ(Get(Key(i + 12345)), "12345");
}

// ReadOptions::no_io answers from memtables and cached blocks, and says
// Incomplete (never NotFound or a wrong value) where it would need a file read.
TEST_F(DBTest, NoIoReadsAnswerFromMemoryOrSayIncomplete) {
  Reopen();
  for (int i = 0; i < 2000; i++) ASSERT_TRUE(db_->Put({}, Key(i), "v" + Key(i)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Put({}, "mem", "in-memtable").ok());
  Reopen();  // nothing cached, no table open
  ASSERT_TRUE(db_->Put({}, "mem", "in-memtable").ok());
  ReadOptions memory;
  memory.no_io = true;
  std::string v;
  ASSERT_TRUE(db_->Get(memory, "mem", &v).ok());
  EXPECT_EQ(v, "in-memtable");
  EXPECT_TRUE(db_->Get(memory, Key(5), &v).IsIncomplete());
  EXPECT_EQ(Get(Key(5)), "v" + Key(5));  // reads the block into the cache
  ASSERT_TRUE(db_->Get(memory, Key(5), &v).ok());
  EXPECT_EQ(v, "v" + Key(5));
  // A key absent from a cached block's range is NotFound without I/O, and one
  // whose block was never read is Incomplete.
  Status s = db_->Get(memory, Key(5) + "x", &v);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_TRUE(db_->Get(memory, Key(1999), &v).IsIncomplete());
  std::vector<std::string> values;
  std::vector<Status> statuses = db_->MultiGet(memory, {Key(5), Key(1999), "mem"}, &values);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_TRUE(statuses[1].IsIncomplete());
  EXPECT_TRUE(statuses[2].ok());
  EXPECT_EQ(values[2], "in-memtable");
}

// Point reads racing flushes and compactions that delete the files they read:
// with every table kept open (its pointer left in the file metadata, read
// without the table cache's lock) and with a small LRU that evicts constantly.
class OpenFilesTest : public DBTest, public testing::WithParamInterface<int> {};

INSTANTIATE_TEST_SUITE_P(MaxOpenFiles, OpenFilesTest, testing::Values(-1, 10));

TEST_P(OpenFilesTest, PointReadsRaceCompactionsThatDeleteTheirFiles) {
  options_.write_buffer_size = 16 * 1024;
  options_.target_file_size = 16 * 1024;
  options_.max_bytes_for_level_base = 64 * 1024;
  options_.level_size_multiplier = 4;
  options_.max_background_jobs = 4;
  options_.max_open_files = GetParam();
  Reopen();
  constexpr int kKeys = 500;
  constexpr int kRounds = 30;
  // Round 0 of every key exists before the readers start.
  for (int i = 0; i < kKeys; i++) ASSERT_TRUE(db_->Put({}, Key(i), Key(i) + "#0000").ok());
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; t++) {
    readers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      std::vector<int> seen(kKeys, 0);  // rounds only move forward for one reader
      while (!stop.load()) {
        const int i = static_cast<int>(rng() % kKeys);
        const std::string v = Get(Key(i));
        const size_t hash = v.find('#');
        if (hash == std::string::npos || v.substr(0, hash) != Key(i)) {
          errors++;
          continue;
        }
        const int round = std::stoi(v.substr(hash + 1));
        if (round < seen[i]) errors++;
        seen[i] = round;
      }
    });
  }
  for (int round = 1; round <= kRounds; round++) {
    char suffix[8];
    std::snprintf(suffix, sizeof(suffix), "#%04d", round);
    for (int i = 0; i < kKeys; i++) {
      ASSERT_TRUE(db_->Put({}, Key(i), Key(i) + suffix + std::string(40, 'v')).ok());
    }
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(errors.load(), 0);
  DbStats stats = db_->GetStats();
  EXPECT_GT(stats.compactions, 0u);
  for (int i = 0; i < kKeys; i += 7) {
    EXPECT_EQ(Get(Key(i)).substr(0, Key(i).size() + 5), Key(i) + "#0030");
  }
}

// Synced writers on several threads: a leader may wait (briefly) for the writers
// of the last shared fsync; every write still lands, in order per thread, and
// survives a reopen. (How many writes share an fsync depends on timing: the
// benchmark's fillsync4 measures it, this test does not.)
TEST_F(DBTest, SyncedWritersOnManyThreadsAllLand) {
  Reopen();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; t++) {
    writers.emplace_back([&, t] {
      WriteOptions wo;
      wo.sync = true;
      for (int i = 0; i < kPerThread; i++) {
        ASSERT_TRUE(db_->Put(wo, "s" + std::to_string(t), std::to_string(i)).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  DbStats stats = db_->GetStats();
  EXPECT_LE(stats.wal_syncs, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_GT(stats.wal_syncs, 0u);
  Reopen();
  for (int t = 0; t < kThreads; t++) EXPECT_EQ(Get("s" + std::to_string(t)), "199");
}

// Synced WALs carry zeros after their records (env_posix.cc); replaying them,
// from a clean close or from a copy taken while the DB is open (what a crash
// leaves), drops the zeros silently and loses nothing.
TEST_F(DBTest, SyncedWalsEndInZerosAndReplayCleanly) {
  options_.write_buffer_size = 256 * 1024;
  Reopen();
  WriteOptions wo;
  wo.sync = true;
  for (int i = 0; i < 3000; i++) ASSERT_TRUE(db_->Put(wo, Key(i), std::to_string(i)).ok());
  bool zero_tail = false;
  for (const auto& name : FilesWithSuffix(dir_.path(), ".log")) {
    std::string contents;
    ASSERT_TRUE(ReadFileToString(Env::Default(), name, &contents).ok());
    if (contents.size() > (1u << 19) && contents.back() == '\0') zero_tail = true;
  }
  EXPECT_TRUE(zero_tail);
  ScratchDir copy;
  std::filesystem::copy(dir_.path(), copy.path(), std::filesystem::copy_options::recursive);
  std::filesystem::remove(copy.path() + "/LOCK");
  Reopen();
  EXPECT_EQ(db_->GetStats().wal_bytes_dropped, 0u);
  for (int i = 0; i < 3000; i += 7) ASSERT_EQ(Get(Key(i)), std::to_string(i)) << i;
  db_.reset();
  ASSERT_TRUE(DB::Open(options_, copy.path(), &db_).ok());
  EXPECT_EQ(db_->GetStats().wal_bytes_dropped, 0u);
  for (int i = 0; i < 3000; i++) ASSERT_EQ(Get(Key(i)), std::to_string(i)) << i;
}

// Large batches from several threads form commit groups big enough for the
// writers to insert their own batches in parallel.
TEST_F(DBTest, ConcurrentLargeBatches) {
  options_.write_buffer_size = 4 << 20;
  Reopen();
  constexpr int kThreads = 4;
  constexpr int kBatches = 15;
  constexpr int kPerBatch = 800;  // ~100 KiB per batch
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; t++) {
    writers.emplace_back([&, t] {
      for (int b = 0; b < kBatches; b++) {
        WriteBatch batch;
        for (int i = 0; i < kPerBatch; i++) {
          std::string k = "t" + std::to_string(t) + "-" + Key(b * kPerBatch + i);
          batch.Put(k, "v" + std::to_string(b) + std::string(100, 'x'));
        }
        ASSERT_TRUE(db_->Write({}, &batch).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  auto it = db_->NewIterator({});
  int n = 0;
  std::string prev;
  for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
    ASSERT_TRUE(n == 0 || std::string(it->key()) > prev);
    prev = std::string(it->key());
  }
  EXPECT_EQ(n, kThreads * kBatches * kPerBatch);
  it.reset();
  Reopen();
  EXPECT_EQ(Get("t3-" + Key(kBatches * kPerBatch - 1)),
            "v" + std::to_string(kBatches - 1) + std::string(100, 'x'));
}

TEST_F(DBTest, CorruptWalIsReportedUnlessSalvaging) {
  Reopen();
  for (int i = 0; i < 200; i++) ASSERT_TRUE(db_->Put({}, Key(i), std::string(100, 'v')).ok());
  db_.reset();
  // The WAL holding the writes (an empty next WAL may have been prepared beside it).
  std::string wal;
  uint64_t wal_size = 0;
  for (const std::string& log : FilesWithSuffix(dir_.path(), ".log")) {
    uint64_t size = 0;
    ASSERT_TRUE(Env::Default()->GetFileSize(log, &size).ok());
    if (size > wal_size) {
      wal = log;
      wal_size = size;
    }
  }
  ASSERT_GT(wal_size, 1000u);
  FlipByte(wal, 1000);  // inside an early record; valid records follow
  Status s = TryOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  options_.salvage_wal = true;
  Reopen();
  EXPECT_EQ(Get(Key(199)), std::string(100, 'v'));
  EXPECT_GT(db_->GetStats().wal_bytes_dropped, 0u);
}

TEST_F(DBTest, CorruptTableIsReported) {
  Reopen();
  for (int i = 0; i < 300; i++) ASSERT_TRUE(db_->Put({}, Key(i), std::string(100, 'v')).ok());
  ASSERT_TRUE(db_->Flush().ok());
  db_.reset();
  auto tables = FilesWithSuffix(dir_.path(), ".sst");
  ASSERT_EQ(tables.size(), 1u);
  FlipByte(tables[0], 100);  // inside the first data block
  Reopen();
  std::string v;
  Status s = db_->Get({}, Key(1), &v);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  auto it = db_->NewIterator({});
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  EXPECT_LT(n, 300);
}

TEST_F(DBTest, DestroyRemovesEverything) {
  Reopen();
  ASSERT_TRUE(db_->Put({}, "a", "b").ok());
  EXPECT_TRUE(DestroyDB(dir_.path(), options_).IsBusy());
  db_.reset();
  ASSERT_TRUE(DestroyDB(dir_.path(), options_).ok());
  options_.create_if_missing = false;
  EXPECT_FALSE(TryOpen().ok());
}

// ---------------------------------------------------------------- power loss and I/O faults

class FaultTest : public DBTest {
 protected:
  FaultTest() : env_(Env::Default()) {
    options_.env = &env_;
    options_.write_buffer_size = 16 * 1024;
    options_.target_file_size = 16 * 1024;
  }
  ~FaultTest() override { db_.reset(); }

  void PowerLoss() {
    env_.SetFilesystemActive(false);
    db_.reset();
    ASSERT_TRUE(env_.DropUnsyncedData().ok());
    env_.SetFilesystemActive(true);
  }

  FaultInjectionEnv env_;
};

TEST_F(FaultTest, SyncedWritesSurvivePowerLoss) {
  std::mt19937 rng(3);
  std::map<std::string, std::string> synced;  // acknowledged with sync=true
  for (int round = 0; round < 12; round++) {
    Reopen();
    for (const auto& [k, v] : synced) ASSERT_EQ(Get(k), v) << "round " << round;
    int n = 200 + static_cast<int>(rng() % 400);
    for (int i = 0; i < n; i++) {
      std::string k = Key(static_cast<int>(rng() % 2000));
      std::string v = "r" + std::to_string(round) + "-" + std::to_string(i) + std::string(50, 'x');
      WriteOptions wo;
      wo.sync = (rng() % 3 == 0);
      ASSERT_TRUE(db_->Put(wo, k, v).ok());
      if (wo.sync) {
        synced[k] = v;
      } else {
        synced.erase(k);  // an unsynced overwrite may or may not survive
      }
    }
    PowerLoss();
  }
  Reopen();
  for (const auto& [k, v] : synced) EXPECT_EQ(Get(k), v);
}

TEST_F(FaultTest, FailedWalSyncFailsTheWriteAndLaterWrites) {
  Reopen();
  ASSERT_TRUE(db_->Put({.sync = true}, "a", "1").ok());
  env_.FailAfter(FaultInjectionEnv::Op::kSync, 0);
  Status s = db_->Put({.sync = true}, "b", "2");
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_FALSE(db_->Put({}, "c", "3").ok());
  Reopen();
  EXPECT_EQ(Get("a"), "1");
}

TEST_F(FaultTest, FailedRenameOfCurrentLeavesAnOpenableDb) {
  Reopen();
  ASSERT_TRUE(db_->Put({.sync = true}, "a", "1").ok());
  db_.reset();
  env_.FailAfter(FaultInjectionEnv::Op::kRename, 0);
  EXPECT_FALSE(TryOpen().ok());
  Reopen();
  EXPECT_EQ(Get("a"), "1");
  ASSERT_TRUE(db_->Put({.sync = true}, "b", "2").ok());
  PowerLoss();
  Reopen();
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "2");
}

// Regression: a compaction whose next output file could not be created left a
// half-made output behind, and cleaning it up dereferenced its missing builder.
TEST_F(FaultTest, CompactionSurvivesFailureToCreateAnOutput) {
  options_.write_buffer_size = 8 * 1024;
  options_.target_file_size = 8 * 1024;
  options_.dynamic_level_bytes = false;
  options_.level0_compaction_trigger = 100;  // only the manual compaction below runs
  options_.level0_slowdown_writes_trigger = 200;
  options_.level0_stop_writes_trigger = 300;
  Reopen();
  for (int i = 0; i < 3000; i++) {
    ASSERT_TRUE(db_->Put({}, Key(i % 700), std::string(60, 'c')).ok());
  }
  ASSERT_TRUE(db_->Flush().ok());
  env_.FailAfter(FaultInjectionEnv::Op::kNewWritableFile, 1);  // a compaction output
  Status s = db_->CompactRange(nullptr, nullptr);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  env_.ResetState();
  Reopen();
  EXPECT_EQ(Get(Key(699)), std::string(60, 'c'));
}

TEST_F(FaultTest, FailuresDuringFlushAndCompactionLoseNothingSynced) {
  std::map<std::string, std::string> synced;
  std::mt19937 rng(11);
  const FaultInjectionEnv::Op ops[] = {FaultInjectionEnv::Op::kAppend,
                                       FaultInjectionEnv::Op::kSync,
                                       FaultInjectionEnv::Op::kNewWritableFile,
                                       FaultInjectionEnv::Op::kSyncDir,
                                       FaultInjectionEnv::Op::kRename};
  for (int round = 0; round < 15; round++) {
    Status open = TryOpen();
    if (!open.ok()) {
      // An injected failure may hit Open itself; the next try must succeed.
      Reopen();
    }
    for (const auto& [k, v] : synced) ASSERT_EQ(Get(k), v) << "round " << round;
    env_.FailAfter(ops[round % 5], static_cast<int>(rng() % 40));
    for (int i = 0; i < 600; i++) {
      std::string k = Key(static_cast<int>(rng() % 3000));
      std::string v = std::to_string(round) + "/" + std::to_string(i) + std::string(40, 'y');
      Status s = db_->Put({.sync = true}, k, v);
      if (!s.ok()) break;  // once the engine refuses writes it keeps refusing
      synced[k] = v;
    }
    PowerLoss();
    env_.ResetState();
  }
}

}  // namespace
}  // namespace kvstore
