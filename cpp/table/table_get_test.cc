// The point-lookup path (Table::InternalGet over the decoded index and
// Block::Seek) against the iterator path it replaced: on valid tables both
// must give the same entry for every target, and on damaged blocks the same
// Corruption.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "table/block.h"
#include "table/block_builder.h"
#include "table/format.h"
#include "table/iterator_testutil.h"
#include "table/mem_file_testutil.h"
#include "table/table_testutil.h"
#include "table/table.h"
#include "table/table_builder.h"
#include "util/coding.h"

namespace kvstore {
namespace {

using testing::Entries;
using testing::BuildBlock;
using testing::BuildTable;

struct GetResult {
  int calls = 0;
  std::string key, value;
};

void SaveResult(void* arg, Slice key, Slice value) {
  auto* r = static_cast<GetResult*>(arg);
  r->calls++;
  r->key.assign(key.data(), key.size());
  r->value.assign(value.data(), value.size());
}

// Targets around every key (equal, just after, a prefix of it) plus random ones.
std::vector<std::string> Targets(const Entries& model, std::mt19937* rng) {
  std::vector<std::string> targets = {std::string(), std::string(300, '\xff')};
  for (const auto& [k, v] : model) {
    targets.push_back(k);
    targets.push_back(k + std::string(1, '\0'));
    if (!k.empty()) targets.push_back(k.substr(0, k.size() - 1));
  }
  for (int i = 0; i < 300; i++) targets.push_back(testing::RandomKey(rng));
  return targets;
}

// Block::Seek must land where the block iterator's Seek (or SeekToFirst for
// a null target) lands, with the same status.
void ExpectSeekMatchesIterator(const Block& block, const std::vector<std::string>& targets) {
  auto it = block.NewIterator(BytewiseComparator());
  BlockKey key;  // reused across seeks, as a lookup reuses it across blocks
  for (size_t i = 0; i <= targets.size(); i++) {
    const Slice target = i < targets.size() ? Slice(targets[i]) : Slice();
    const Slice* t = i < targets.size() ? &target : nullptr;
    if (t != nullptr) {
      it->Seek(target);
    } else {
      it->SeekToFirst();
    }
    Slice value;
    bool found = true;
    Status s = block.Seek(BytewiseComparator(), t, &key, &value, &found);
    ASSERT_EQ(s.ok(), it->status().ok()) << s.ToString() << " vs " << it->status().ToString();
    if (!s.ok()) {
      ASSERT_TRUE(s.IsCorruption());
      ASSERT_EQ(s.ToString(), it->status().ToString());
      ASSERT_FALSE(found);
      it = block.NewIterator(BytewiseComparator());  // the iterator's corruption is sticky
      continue;
    }
    ASSERT_EQ(found, it->Valid()) << "target " << i;
    if (found) {
      ASSERT_EQ(key.slice(), it->key());
      ASSERT_EQ(value, it->value());
    }
  }
}

TEST(BlockSeekTest, MatchesIteratorOnRandomBlocks) {
  for (int restart_interval : {1, 2, 16}) {
    for (size_t count : {0, 1, 2, 15, 16, 17, 100, 700}) {
      std::mt19937 rng(static_cast<unsigned>(restart_interval * 7919 + count));
      Entries model = testing::RandomEntries(&rng, count);
      SCOPED_TRACE("restart_interval=" + std::to_string(restart_interval) +
                   " count=" + std::to_string(model.size()));
      Block block(BuildBlock(model, restart_interval));
      ExpectSeekMatchesIterator(block, Targets(model, &rng));
    }
  }
}

TEST(BlockSeekTest, KeysLongerThanTheInlineBuffer) {
  // Shared prefixes that push the rebuilt key past BlockKey::kInline, then
  // short keys again (the buffer stays on the heap and must stay correct).
  Entries model;
  for (int i = 0; i < 60; i++) {
    std::string k(BlockKey::kInline - 30 + i * 7, 'k');
    k += std::to_string(1000 + i);
    model.emplace_back(std::move(k), "v" + std::to_string(i));
  }
  model.emplace_back("z", "last");
  std::sort(model.begin(), model.end());
  std::mt19937 rng(3);
  for (int restart_interval : {1, 16}) {
    Block block(BuildBlock(model, restart_interval));
    ExpectSeekMatchesIterator(block, Targets(model, &rng));
  }
  BlockKey key;
  std::string big(100000, 'x');
  key.Append(big.data(), big.size());
  key.Truncate(3);
  key.Append("yz", 2);
  EXPECT_EQ(key.slice(), Slice("xxxyz"));
}

TEST(BlockSeekTest, DamagedBlocksGiveTheIteratorsCorruption) {
  std::mt19937 rng(5);
  Entries model = testing::RandomEntries(&rng, 40);
  for (auto& [k, v] : model) v.resize(std::min<size_t>(v.size(), 10));
  std::vector<std::string> targets = Targets(model, &rng);
  targets.resize(std::min<size_t>(targets.size(), 60));
  for (int restart_interval : {1, 4, 16}) {
    const std::string good = BuildBlock(model, restart_interval);
    for (size_t i = 0; i < good.size(); i++) {
      for (int delta : {1, 0x80, 0xff}) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ delta);
        SCOPED_TRACE("restart_interval=" + std::to_string(restart_interval) + " byte " +
                     std::to_string(i));
        ASSERT_NO_FATAL_FAILURE(ExpectSeekMatchesIterator(Block(bad), targets));
      }
    }
    for (size_t len = 0; len < good.size(); len += 3) {
      ASSERT_NO_FATAL_FAILURE(ExpectSeekMatchesIterator(Block(good.substr(0, len)), targets));
    }
  }
}

// InternalGet against the table's own iterator: the same first entry >=
// target for every target (no filter, so a miss may not be skipped).
void ExpectGetsMatchIterator(const Table& table, const Entries& model, std::mt19937* rng) {
  auto it = table.NewIterator();
  for (const std::string& t : Targets(model, rng)) {
    GetResult r;
    ASSERT_TRUE(table.InternalGet(t, &r, SaveResult).ok());
    it->Seek(t);
    ASSERT_TRUE(it->status().ok());
    ASSERT_EQ(r.calls, it->Valid() ? 1 : 0);
    const size_t pos = testing::LowerBound(model, t, BytewiseComparator());
    ASSERT_EQ(it->Valid(), pos < model.size());
    if (r.calls == 1) {
      ASSERT_EQ(r.key, it->key());
      ASSERT_EQ(r.value, it->value());
      ASSERT_EQ(r.key, model[pos].first);
    }
  }
}

TEST(TableGetTest, MatchesIteratorOnRandomTables) {
  int tables = 0;
  for (int restart_interval : {1, 16}) {
    for (size_t block_size : {1, 64, 512, 4096}) {
      for (bool cached : {false, true}) {
        for (Compression c : {Compression::kNone, Compression::kLZ4}) {
          std::mt19937 rng(static_cast<unsigned>(tables++));
          Entries model = testing::RandomEntries(&rng, 1 + rng() % 400);
          TableOptions options;
          options.block_restart_interval = restart_interval;
          options.block_size = block_size;
          options.compression = c;
          if (cached) options.block_cache = std::make_shared<Cache>(1 << 20);
          const std::string file = BuildTable(model, options);
          std::unique_ptr<Table> table;
          ASSERT_TRUE(Table::Open(options, std::make_unique<StringSource>(file), file.size(), &table)
                          .ok());
          SCOPED_TRACE("restart_interval=" + std::to_string(restart_interval) +
                       " block_size=" + std::to_string(block_size) +
                       " cached=" + std::to_string(cached));
          ASSERT_NO_FATAL_FAILURE(ExpectGetsMatchIterator(*table, model, &rng));
          // A second pass is served from the cache (when there is one).
          ASSERT_NO_FATAL_FAILURE(ExpectGetsMatchIterator(*table, model, &rng));
        }
      }
    }
  }
}

TEST(TableGetTest, TargetsBetweenABlockAndItsSeparator) {
  // Keys with long common prefixes and one entry per block: the shortened
  // separator of a block lies between its last key and the next block's
  // first key, so targets there must move on to the next block.
  Entries model;
  for (int i = 0; i < 50; i++) {
    model.emplace_back("prefix" + std::to_string(100 + 2 * i) + "tail", std::to_string(i));
  }
  std::mt19937 rng(11);
  for (size_t block_size : {1, 40, 100}) {
    TableOptions options;
    options.block_size = block_size;
    options.block_cache = std::make_shared<Cache>(1 << 20);
    const std::string file = BuildTable(model, options);
    std::unique_ptr<Table> table;
    ASSERT_TRUE(
        Table::Open(options, std::make_unique<StringSource>(file), file.size(), &table).ok());
    ASSERT_NO_FATAL_FAILURE(ExpectGetsMatchIterator(*table, model, &rng));
    for (int i = 0; i < 50; i++) {
      GetResult r;
      const std::string between = "prefix" + std::to_string(101 + 2 * i);
      ASSERT_TRUE(table->InternalGet(between, &r, SaveResult).ok());
      ASSERT_EQ(r.calls, i < 49 ? 1 : 0) << between;
      if (i < 49) {
        EXPECT_EQ(r.key, model[i + 1].first);
      }
    }
  }
}

// A table of raw blocks whose first data block's contents are replaced by
// damaged, but checksummed, bytes. No filter: file = data blocks | metaindex
// | index | footer, the first data block at offset 0.
TEST(TableGetTest, DamagedDataBlockBehindValidChecksumIsCorruption) {
  Entries model;
  for (int i = 0; i < 20; i++) {
    model.emplace_back("key" + std::to_string(100 + i), "value" + std::to_string(i));
  }
  TableOptions options;
  options.block_size = 1 << 20;  // one data block
  options.block_restart_interval = 4;
  const std::string good = BuildTable(model, options);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(
      Table::Open(options, std::make_unique<StringSource>(good), good.size(), &table).ok());
  const uint64_t block_size = table->ApproximateOffsetOf("zzz") - kBlockTrailerSize;
  const std::string contents = good.substr(0, block_size);
  ASSERT_EQ(contents, BuildBlock(model, 4));

  auto rewrite = [&](std::string damaged) {
    EXPECT_EQ(damaged.size(), contents.size());
    std::string trailer;
    AppendBlockTrailer(&trailer, damaged, CompressionType::kNone);
    std::string file = good;
    file.replace(0, damaged.size(), damaged);
    file.replace(damaged.size(), kBlockTrailerSize, trailer);
    return file;
  };
  std::vector<std::string> damaged;
  {
    std::string bad = contents;  // more restarts than the block can hold
    EncodeFixed32(bad.data() + bad.size() - 4, 100000);
    damaged.push_back(bad);
  }
  {
    std::string bad = contents;  // the first entry claims far more bytes than there are
    bad[1] = '\x7f';
    bad[2] = '\x7f';
    damaged.push_back(bad);
  }
  {
    std::string bad = contents;  // the last restart's entry shares bytes with nothing
    const uint32_t num_restarts = DecodeFixed32(bad.data() + bad.size() - 4);
    const uint32_t last = DecodeFixed32(bad.data() + bad.size() - 8);
    ASSERT_GT(num_restarts, 1u);
    bad[last] = '\x03';
    damaged.push_back(bad);
  }
  for (size_t d = 0; d < damaged.size(); d++) {
    SCOPED_TRACE("damage " + std::to_string(d));
    const std::string file = rewrite(damaged[d]);
    for (bool cached : {false, true}) {
      TableOptions o = options;
      if (cached) o.block_cache = std::make_shared<Cache>(1 << 20);
      std::unique_ptr<Table> t;
      ASSERT_TRUE(Table::Open(o, std::make_unique<StringSource>(file), file.size(), &t).ok());
      auto it = t->NewIterator();
      int corrupt = 0;
      for (const auto& [k, v] : model) {
        GetResult r;
        Status s = t->InternalGet(k, &r, SaveResult);
        it->Seek(k);
        if (it->Valid()) {
          // The seek did not reach the damage: nor may the lookup.
          ASSERT_TRUE(s.ok()) << k << ": " << s.ToString();
          ASSERT_EQ(r.calls, 1);
          ASSERT_EQ(r.key, it->key());
        } else {
          ASSERT_TRUE(it->status().IsCorruption()) << k;
          ASSERT_TRUE(s.IsCorruption()) << k << ": " << s.ToString();
          ASSERT_EQ(r.calls, 0);
          corrupt++;
        }
        it = t->NewIterator();
      }
      EXPECT_GT(corrupt, 0);
    }
  }
}

TEST(TableGetTest, IndexSearchMatchesApproximateOffsets) {
  // ApproximateOffsetOf shares the decoded index with the lookup path.
  std::mt19937 rng(21);
  Entries model = testing::RandomEntries(&rng, 300);
  TableOptions options;
  options.block_size = 128;
  const std::string file = BuildTable(model, options);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(
      Table::Open(options, std::make_unique<StringSource>(file), file.size(), &table).ok());
  uint64_t prev = 0;
  for (const auto& [k, v] : model) {
    const uint64_t off = table->ApproximateOffsetOf(k);
    EXPECT_GE(off, prev);
    EXPECT_LT(off, file.size());
    prev = off;
  }
  EXPECT_EQ(table->ApproximateOffsetOf(std::string(300, '\xff')),
            table->ApproximateOffsetOf(std::string(301, '\xff')));
}

}  // namespace
}  // namespace kvstore
