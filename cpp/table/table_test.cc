#include "table/table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include <unistd.h>

#include "table/iterator_testutil.h"
#include "kvstore/env.h"
#include "table/block_builder.h"
#include "table/mem_file_testutil.h"
#include "table/table_testutil.h"
#include "table/table_builder.h"
#include "util/reverse_comparator_testutil.h"

namespace kvstore {
namespace {

using testing::Entries;
using testing::BuildTable;

Status OpenTable(const std::string& contents, const TableOptions& options,
                 std::unique_ptr<Table>* table) {
  return Table::Open(options, std::make_unique<StringSource>(contents), contents.size(), table);
}

struct GetResult {
  bool found = false;
  std::string key, value;
};

void SaveResult(void* arg, Slice key, Slice value) {
  auto* r = static_cast<GetResult*>(arg);
  EXPECT_FALSE(r->found) << "handle called twice";
  r->found = true;
  r->key.assign(key.data(), key.size());
  r->value.assign(value.data(), value.size());
}

// The answer must be the first entry >= target, except that a table with a
// filter (strict = false) may report nothing for a target not in the table.
void ExpectGets(const Table& table, const Entries& model, std::mt19937* rng,
                bool strict = false) {
  std::vector<std::string> targets;
  for (const auto& [k, v] : model) {
    targets.push_back(k);
    targets.push_back(k + std::string(1, '\0'));
  }
  for (int i = 0; i < 200; i++) targets.push_back(testing::RandomKey(rng));
  for (const auto& t : targets) {
    GetResult r;
    ASSERT_TRUE(table.InternalGet(t, &r, SaveResult).ok());
    const size_t pos = testing::LowerBound(model, t, BytewiseComparator());
    const bool exact = pos < model.size() && model[pos].first == t;
    if (strict || exact) {
      ASSERT_EQ(r.found, pos < model.size());
    } else if (pos == model.size()) {
      ASSERT_FALSE(r.found);
    }
    if (r.found) {
      ASSERT_EQ(r.key, model[pos].first);
      ASSERT_EQ(r.value, model[pos].second);
    }
  }
}

TEST(TableTest, EmptyTable) {
  TableOptions options;
  std::string file = BuildTable({}, options);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(file, options, &table).ok());
  std::mt19937 rng(1);
  auto it = table->NewIterator();
  testing::ExpectIteratorMatches(it.get(), {}, &rng, 100);
  ExpectGets(*table, {}, &rng);
  EXPECT_LE(table->ApproximateOffsetOf("x"), file.size());
}

TEST(TableTest, RandomRoundTrips) {
  for (size_t block_size : {size_t{1}, size_t{64}, size_t{1024}, size_t{4096}}) {
    for (int restart_interval : {1, 16}) {
      for (size_t count : {1, 10, 500}) {
        std::mt19937 rng(static_cast<unsigned>(block_size + restart_interval * 7 + count));
        Entries model = testing::RandomEntries(&rng, count);
        TableOptions options;
        options.block_size = block_size;
        options.block_restart_interval = restart_interval;
        options.bloom_bits_per_key = (count == 10) ? 10 : 0;
        std::string file = BuildTable(model, options);
        std::unique_ptr<Table> table;
        ASSERT_TRUE(OpenTable(file, options, &table).ok());
        SCOPED_TRACE("block_size=" + std::to_string(block_size) +
                     " restart_interval=" + std::to_string(restart_interval) +
                     " count=" + std::to_string(model.size()));
        auto it = table->NewIterator();
        ASSERT_NO_FATAL_FAILURE(testing::ExpectIteratorMatches(it.get(), model, &rng, 1500));
        ASSERT_NO_FATAL_FAILURE(ExpectGets(*table, model, &rng, options.bloom_bits_per_key == 0));
      }
    }
  }
}

TEST(TableTest, LargeValues) {
  std::mt19937 rng(7);
  Entries model;
  for (int i = 0; i < 5; i++) {
    std::string v((i + 1) * 300000, '\0');
    for (auto& c : v) c = static_cast<char>(rng());
    model.emplace_back("key" + std::to_string(i), std::move(v));
  }
  TableOptions options;
  std::string file = BuildTable(model, options);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(file, options, &table).ok());
  auto it = table->NewIterator();
  testing::ExpectIteratorMatches(it.get(), model, &rng, 200);
  ExpectGets(*table, model, &rng);
}

TEST(TableTest, InternalGetCrossesIntoNextBlock) {
  // With one entry per block, a target between a block's last key and its
  // (shortened) separator must find the next block's first entry.
  Entries model = {{"abc", "1"}, {"abz", "2"}, {"b", "3"}};
  TableOptions options;
  options.block_size = 1;
  std::string file = BuildTable(model, options);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(file, options, &table).ok());
  for (const char* target : {"abd", "abca", "abzz", "ac", "a"}) {
    GetResult r;
    ASSERT_TRUE(table->InternalGet(target, &r, SaveResult).ok());
    const size_t pos = testing::LowerBound(model, target, BytewiseComparator());
    ASSERT_TRUE(r.found) << target;
    EXPECT_EQ(r.key, model[pos].first) << target;
  }
}

TEST(TableTest, ApproximateOffsets) {
  std::mt19937 rng(8);
  Entries model;
  for (int i = 0; i < 1000; i++) {
    char buf[16];
    snprintf(buf, sizeof(buf), "k%06d", i);
    model.emplace_back(buf, std::string(100, 'v'));
  }
  TableOptions options;
  std::string file = BuildTable(model, options);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(file, options, &table).ok());
  EXPECT_EQ(table->ApproximateOffsetOf(""), 0u);
  uint64_t prev = 0;
  for (const auto& [k, v] : model) {
    uint64_t off = table->ApproximateOffsetOf(k);
    EXPECT_GE(off, prev);
    prev = off;
  }
  const uint64_t mid = table->ApproximateOffsetOf("k000500");
  EXPECT_GT(mid, file.size() / 3);
  EXPECT_LT(mid, file.size() * 2 / 3);
  const uint64_t end = table->ApproximateOffsetOf("z");
  EXPECT_GE(end, 100000u);
  EXPECT_LE(end, file.size());
}

TEST(TableTest, OutOfOrderKeysAreRejected) {
  StringSink sink;
  TableBuilder builder(TableOptions(), &sink);
  builder.Add("b", "1");
  builder.Add("a", "2");
  EXPECT_TRUE(builder.status().IsInvalidArgument());
  EXPECT_TRUE(builder.Finish().IsInvalidArgument());
  StringSink sink2;
  TableBuilder dup(TableOptions(), &sink2);
  dup.Add("a", "1");
  dup.Add("a", "2");
  EXPECT_TRUE(dup.status().IsInvalidArgument());
  dup.Abandon();
}

TEST(TableTest, FileSizeGrowsAsBlocksAreWritten) {
  StringSink sink;
  TableOptions options;
  options.block_size = 100;
  TableBuilder builder(options, &sink);
  EXPECT_EQ(builder.FileSize(), 0u);
  uint64_t prev = 0;
  for (int i = 0; i < 100; i++) {
    builder.Add("key" + std::to_string(1000 + i), std::string(30, 'v'));
    EXPECT_GE(builder.FileSize(), prev);
    EXPECT_EQ(builder.FileSize(), sink.contents().size());
    prev = builder.FileSize();
  }
  EXPECT_GT(prev, 2000u);
  ASSERT_TRUE(builder.Finish().ok());
  EXPECT_EQ(builder.FileSize(), sink.contents().size());
  EXPECT_EQ(builder.NumEntries(), 100u);
}

// Hand-assembles a table whose blocks all have valid checksums but whose
// index points outside the file: Open must refuse it.
TEST(TableTest, IndexHandleOutsideFileIsCorruption) {
  std::string file;
  auto append_block = [&file](BlockBuilder* b) {
    Slice contents = b->Finish();
    BlockHandle h{file.size(), contents.size()};
    file.append(contents.data(), contents.size());
    AppendBlockTrailer(&file, contents, CompressionType::kNone);
    return h;
  };
  BlockBuilder data(16);
  data.Add("a", "1");
  BlockHandle data_handle = append_block(&data);
  BlockBuilder meta(1);
  BlockHandle meta_handle = append_block(&meta);
  BlockBuilder index(1);
  std::string bad_handle;
  BlockHandle{data_handle.offset, 1 << 20}.EncodeTo(&bad_handle);
  index.Add("b", bad_handle);
  BlockHandle index_handle = append_block(&index);
  Footer{meta_handle, index_handle}.EncodeTo(&file);

  std::unique_ptr<Table> table;
  Status s = OpenTable(file, TableOptions(), &table);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("bad sstable index block"), std::string::npos) << s.ToString();
}

TEST(TableTest, PosixFileRoundTrip) {
  Env* env = Env::Default();
  const std::string fname = ::testing::TempDir() + "/kvstore_table_test_" +
                            std::to_string(::getpid()) + ".sst";
  std::mt19937 rng(14);
  Entries model = testing::RandomEntries(&rng, 300);
  TableOptions options;
  options.block_size = 512;
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env->NewWritableFile(fname, &file).ok());
    TableBuilder builder(options, file.get());
    for (const auto& [k, v] : model) builder.Add(k, v);
    ASSERT_TRUE(builder.Finish().ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Close().ok());
  }
  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(fname, &size).ok());
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_TRUE(env->NewRandomAccessFile(fname, &file).ok());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Table::Open(options, std::move(file), size, &table).ok());
  auto it = table->NewIterator();
  testing::ExpectIteratorMatches(it.get(), model, &rng, 500);
  ExpectGets(*table, model, &rng);
  it.reset();
  table.reset();
  EXPECT_TRUE(env->RemoveFile(fname).ok());
}

// The table must follow the user comparator (reversed bytewise here).
using testing::ReverseComparator;

TEST(TableTest, UsesTheComparator) {
  ReverseComparator cmp;
  std::mt19937 rng(9);
  Entries model = testing::RandomEntries(&rng, 300);
  std::reverse(model.begin(), model.end());
  TableOptions options;
  options.comparator = &cmp;
  options.block_size = 256;
  std::string file = BuildTable(model, options);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(file, options, &table).ok());
  auto it = table->NewIterator();
  testing::ExpectIteratorMatches(it.get(), model, &rng, 1000, &cmp);
}

TEST(TableTest, BadMagicAndShortFiles) {
  TableOptions options;
  std::string file = BuildTable({{"a", "1"}, {"b", "2"}}, options);
  std::unique_ptr<Table> table;

  std::string bad = file;
  bad[bad.size() - 1] ^= 0x20;
  Status s = OpenTable(bad, options, &table);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("not an sstable (bad magic number)"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(table, nullptr);

  s = OpenTable("", options, &table);
  EXPECT_TRUE(s.IsCorruption());
  s = OpenTable(std::string(100, 'x'), options, &table);
  EXPECT_NE(s.message().find("bad magic number"), std::string::npos) << s.ToString();
}

TEST(TableTest, TruncatedFilesAreCorruption) {
  std::mt19937 rng(10);
  TableOptions options;
  options.block_size = 64;
  Entries model = testing::RandomEntries(&rng, 20);
  std::string file = BuildTable(model, options);
  for (size_t len = 0; len < file.size(); len++) {
    std::unique_ptr<Table> table;
    Status s = OpenTable(file.substr(0, len), options, &table);
    EXPECT_TRUE(s.IsCorruption()) << len << " " << s.ToString();
  }
  // The right bytes but a wrong (smaller) size: the footer is not at the end.
  std::unique_ptr<Table> table;
  Status s = Table::Open(options, std::make_unique<StringSource>(file), file.size() - 1, &table);
  EXPECT_TRUE(s.IsCorruption());
}

TEST(TableTest, ReadErrorsAreReported) {
  TableOptions options;
  options.block_size = 64;
  std::mt19937 rng(11);
  Entries model = testing::RandomEntries(&rng, 50);
  std::string file = BuildTable(model, options);

  auto failing = std::make_unique<StringSource>(file);
  failing->set_fail_reads(true);
  std::unique_ptr<Table> table;
  EXPECT_TRUE(Table::Open(options, std::move(failing), file.size(), &table).IsIOError());

  auto source = std::make_unique<StringSource>(file);
  StringSource* raw = source.get();
  ASSERT_TRUE(Table::Open(options, std::move(source), file.size(), &table).ok());
  raw->set_fail_reads(true);
  auto it = table->NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsIOError());
  GetResult r;
  EXPECT_TRUE(table->InternalGet(model[0].first, &r, SaveResult).IsIOError());
  EXPECT_FALSE(r.found);
}

// Flips each byte of a small multi-block table in turn. Every outcome must be
// a Corruption status or exactly the right data, never a crash and never
// silently wrong or missing data.
TEST(TableTest, EveryFlippedByteIsDetected) {
  std::mt19937 rng(12);
  Entries model;
  for (int i = 0; i < 30; i++) {
    model.emplace_back("key" + std::to_string(1000 + i), "value" + std::to_string(i));
  }
  TableOptions options;
  options.block_size = 64;
  options.block_restart_interval = 4;
  options.bloom_bits_per_key = 10;  // the filter block is damaged too
  const std::string good = BuildTable(model, options);
  int open_failures = 0;
  for (size_t i = 0; i < good.size(); i++) {
    for (int delta : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ delta);
      std::unique_ptr<Table> table;
      Status s = OpenTable(bad, options, &table);
      if (!s.ok()) {
        EXPECT_TRUE(s.IsCorruption()) << i << ": " << s.ToString();
        open_failures++;
        continue;
      }
      SCOPED_TRACE("flipped byte " + std::to_string(i));
      // Forward: a correct prefix, then either the end or Corruption.
      auto it = table->NewIterator();
      size_t n = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
        ASSERT_LT(n, model.size());
        ASSERT_EQ(it->key(), model[n].first);
        ASSERT_EQ(it->value(), model[n].second);
      }
      ASSERT_TRUE(n == model.size() ? it->status().ok() : it->status().IsCorruption())
          << n << " " << it->status().ToString();
      // Backward: a correct suffix, then either the beginning or Corruption.
      n = model.size();
      for (it->SeekToLast(); it->Valid(); it->Prev()) {
        ASSERT_GT(n, 0u);
        n--;
        ASSERT_EQ(it->key(), model[n].first);
        ASSERT_EQ(it->value(), model[n].second);
      }
      ASSERT_TRUE(n == 0 ? it->status().ok() : it->status().IsCorruption());
      // Point lookups: right answer or Corruption.
      for (const auto& [k, v] : model) {
        GetResult r;
        Status gs = table->InternalGet(k, &r, SaveResult);
        if (gs.ok()) {
          ASSERT_TRUE(r.found) << k;
          ASSERT_EQ(r.key, k);
          ASSERT_EQ(r.value, v);
        } else {
          ASSERT_TRUE(gs.IsCorruption()) << gs.ToString();
        }
      }
    }
  }
  EXPECT_GT(open_failures, 0);
}

TEST(TableTest, ConcurrentReaders) {
  std::mt19937 rng(13);
  Entries model = testing::RandomEntries(&rng, 400);
  TableOptions options;
  options.block_size = 256;
  std::string file = BuildTable(model, options);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(file, options, &table).ok());
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; round++) {
        auto it = table->NewIterator();
        size_t n = 0;
        for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
          if (it->key() != model[n].first) errors++;
        }
        if (n != model.size()) errors++;
        for (size_t i = t; i < model.size(); i += 4) {
          GetResult r;
          if (!table->InternalGet(model[i].first, &r, SaveResult).ok() ||
              r.value != model[i].second) {
            errors++;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
}

}  // namespace
}  // namespace kvstore
