// Tables reading through a shared block cache, and iterator readahead.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "table/iterator_testutil.h"
#include "table/mem_file_testutil.h"
#include "table/table_testutil.h"
#include "table/table.h"
#include "table/table_builder.h"

namespace kvstore {
namespace {

using testing::Entries;
using testing::BuildTable;

Entries SequentialEntries(int n, size_t value_size) {
  Entries e;
  for (int i = 0; i < n; i++) {
    char buf[32];
    snprintf(buf, sizeof(buf), "key%08d", i);
    e.emplace_back(buf, std::string(value_size, static_cast<char>('a' + i % 26)));
  }
  return e;
}

struct Opened {
  std::unique_ptr<Table> table;
  StringSource* source = nullptr;
};

Opened Open(const std::string& file, const TableOptions& options) {
  Opened o;
  auto src = std::make_unique<StringSource>(file);
  o.source = src.get();
  EXPECT_TRUE(Table::Open(options, std::move(src), file.size(), &o.table).ok());
  return o;
}

void Scan(const Table& table, const Entries& model, bool fill_cache = true) {
  auto it = table.NewIterator(fill_cache);
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
    ASSERT_LT(n, model.size());
    ASSERT_EQ(it->key(), model[n].first);
    ASSERT_EQ(it->value(), model[n].second);
  }
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  ASSERT_EQ(n, model.size());
}

struct Found {
  bool found = false;
  std::string value;
};
void Save(void* arg, Slice, Slice value) {
  auto* f = static_cast<Found*>(arg);
  f->found = true;
  f->value.assign(value);
}

TEST(BlockCacheTest, SecondReadsComeFromTheCache) {
  const Entries model = SequentialEntries(2000, 100);
  TableOptions options;
  options.block_cache = std::make_shared<Cache>(16 << 20);
  Opened t = Open(BuildTable(model, options), options);
  Scan(*t.table, model);
  const uint64_t after_first = t.source->num_reads();
  Scan(*t.table, model);
  for (const auto& [k, v] : model) {
    Found f;
    ASSERT_TRUE(t.table->InternalGet(k, &f, Save).ok());
    ASSERT_EQ(f.value, v);
  }
  EXPECT_EQ(t.source->num_reads(), after_first);
  EXPECT_GT(options.block_cache->TotalCharge(), 200u * 1000);
}

TEST(BlockCacheTest, FillCacheFalseDoesNotPollute) {
  const Entries model = SequentialEntries(2000, 100);
  TableOptions options;
  options.block_cache = std::make_shared<Cache>(16 << 20);
  Opened t = Open(BuildTable(model, options), options);
  const size_t at_open = options.block_cache->TotalCharge();
  Scan(*t.table, model, /*fill_cache=*/false);
  for (size_t i = 0; i < model.size(); i += 7) {
    Found f;
    ASSERT_TRUE(t.table->InternalGet(model[i].first, &f, Save, /*fill_cache=*/false).ok());
    ASSERT_EQ(f.value, model[i].second);
  }
  EXPECT_EQ(options.block_cache->TotalCharge(), at_open);
  // Cached blocks are still used by a no-fill reader.
  Scan(*t.table, model, true);
  const uint64_t reads = t.source->num_reads();
  Scan(*t.table, model, false);
  EXPECT_EQ(t.source->num_reads(), reads);
}

TEST(BlockCacheTest, IndexAndFilterAreChargedWhileOpen) {
  const Entries model = SequentialEntries(5000, 20);
  TableOptions options;
  options.bloom_bits_per_key = 10;
  options.block_cache = std::make_shared<Cache>(16 << 20);
  const std::string file = BuildTable(model, options);
  {
    Opened t = Open(file, options);
    // Filter: 5000 keys * 10 bits = 98 lines of 64 bytes; index: one entry per block.
    EXPECT_GT(options.block_cache->PinnedUsage(), 98u * 64 + 300);
    EXPECT_EQ(options.block_cache->PinnedUsage(), options.block_cache->TotalCharge());
    const size_t one = options.block_cache->PinnedUsage();
    Opened u = Open(file, options);  // a second table: its own entries
    EXPECT_EQ(options.block_cache->PinnedUsage(), 2 * one);
  }
  EXPECT_EQ(options.block_cache->PinnedUsage(), 0u);
  EXPECT_EQ(options.block_cache->TotalCharge(), 0u);
}

// Many tables and threads sharing a cache far smaller than the data: every
// answer is right and the cache stays within its capacity.
TEST(BlockCacheTest, SmallSharedCacheUnderConcurrency) {
  TableOptions options;
  options.block_size = 1024;
  options.bloom_bits_per_key = 10;
  options.block_cache = std::make_shared<Cache>(16 * 8 * 1024);
  std::vector<Entries> models;
  std::vector<Opened> tables;
  for (int i = 0; i < 4; i++) {
    std::mt19937 rng(i);
    models.push_back(testing::RandomEntries(&rng, 1500));
    tables.push_back(Open(BuildTable(models.back(), options), options));
  }
  std::atomic<int> errors{0};
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    while (!stop.load()) {
      if (!options.block_cache->ShardsWithinCapacity()) errors++;
    }
  });
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; th++) {
    threads.emplace_back([&, th] {
      std::mt19937 rng(100 + th);
      for (int round = 0; round < 3; round++) {
        for (size_t t = 0; t < tables.size(); t++) {
          const Entries& model = models[t];
          auto it = tables[t].table->NewIterator(round != 1);
          size_t n = 0;
          for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
            if (n >= model.size() || it->key() != model[n].first || it->value() != model[n].second) {
              errors++;
              break;
            }
          }
          if (n != model.size()) errors++;
          for (int i = 0; i < 300; i++) {
            const auto& [k, v] = model[rng() % model.size()];
            Found f;
            if (!tables[t].table->InternalGet(k, &f, Save).ok() || f.value != v) errors++;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  watcher.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_LE(options.block_cache->TotalCharge(), options.block_cache->capacity());
  // Only the open tables' index and filter blocks may be left outside a full shard.
  EXPECT_EQ(options.block_cache->PinnedUsage() + options.block_cache->DetachedUsage() > 0, true);
  tables.clear();
  EXPECT_EQ(options.block_cache->PinnedUsage(), 0u);
  EXPECT_EQ(options.block_cache->DetachedUsage(), 0u);
}

TEST(ReadaheadTest, SequentialScansReadLargeChunks) {
  const Entries model = SequentialEntries(20000, 100);  // ~2.3 MB, ~570 blocks of 4 KiB
  TableOptions options;
  const std::string file = BuildTable(model, options);
  Opened t = Open(file, options);
  const uint64_t before = t.source->num_reads();
  Scan(*t.table, model);
  const uint64_t reads = t.source->num_reads() - before;
  // Two block reads, then one read per 256 KiB.
  EXPECT_LT(reads, 3 + file.size() / Table::kReadaheadSize + 4) << reads;
  // Scans in both directions, seeks and direction changes stay correct with
  // readahead in play (a smaller table: the model check is quadratic).
  const Entries small = SequentialEntries(1500, 100);
  Opened u = Open(BuildTable(small, options), options);
  std::mt19937 rng(1);
  auto it = u.table->NewIterator();
  testing::ExpectIteratorMatches(it.get(), small, &rng, 3000);
}

TEST(ReadaheadTest, ReverseScansReadLargeChunks) {
  const Entries model = SequentialEntries(20000, 100);
  TableOptions options;
  const std::string file = BuildTable(model, options);
  Opened t = Open(file, options);
  const uint64_t before = t.source->num_reads();
  auto it = t.table->NewIterator();
  size_t i = model.size();
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    ASSERT_GT(i, 0u);
    i--;
    ASSERT_EQ(it->key(), model[i].first);
    ASSERT_EQ(it->value(), model[i].second);
  }
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(i, 0u);
  const uint64_t reads = t.source->num_reads() - before;
  // Two block reads, then one read per 256 KiB, backwards.
  EXPECT_LT(reads, 3 + file.size() / Table::kReadaheadSize + 4) << reads;
  // Switching direction inside a backward window stays correct.
  Opened u = Open(file, options);
  auto it2 = u.table->NewIterator();
  it2->SeekToLast();
  for (int k = 0; k < 5000; k++) it2->Prev();
  for (int k = 0; k < 3000; k++) it2->Next();
  ASSERT_TRUE(it2->Valid());
  EXPECT_EQ(it2->key(), model[model.size() - 1 - 2000].first);
}

TEST(ReadaheadTest, PointReadsDoNotReadAhead) {
  const Entries model = SequentialEntries(5000, 100);
  TableOptions options;
  Opened t = Open(BuildTable(model, options), options);
  const uint64_t before_bytes = t.source->bytes_read();
  for (int i = 0; i < 100; i++) {
    Found f;
    ASSERT_TRUE(t.table->InternalGet(model[i * 50].first, &f, Save).ok());
  }
  EXPECT_LT(t.source->bytes_read() - before_bytes, 100u * 5000);
}

}  // namespace
}  // namespace kvstore
