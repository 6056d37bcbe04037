// Tables with compressed data blocks: every codec round-trips, blocks that do
// not shrink are stored raw, and damage is detected.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "table/block_builder.h"
#include "table/iterator_testutil.h"
#include "table/mem_file_testutil.h"
#include "table/table_testutil.h"
#include "table/table.h"
#include "table/table_builder.h"

namespace kvstore {
namespace {

using testing::Entries;
using testing::BuildTable;

Entries TextEntries(int n) {
  Entries e;
  for (int i = 0; i < n; i++) {
    char key[32];
    snprintf(key, sizeof(key), "user:%08d", i);
    std::string v = "{\"name\": \"user" + std::to_string(i) + "\", \"group\": " +
                    std::to_string(i % 10) + ", \"flags\": \"aaaaabbbbbccccc\"}";
    e.emplace_back(key, v);
  }
  return e;
}

Entries RandomValueEntries(int n, std::mt19937* rng) {
  Entries e;
  for (int i = 0; i < n; i++) {
    char key[32];
    snprintf(key, sizeof(key), "k%08d", i);
    std::string v(100, '\0');
    for (auto& c : v) c = static_cast<char>((*rng)());
    e.emplace_back(key, v);
  }
  return e;
}

// Counts the data blocks of each stored type by walking the index.
std::vector<int> BlockTypes(const std::string& file) {
  std::vector<int> counts(3, 0);
  Footer footer;
  EXPECT_TRUE(footer.DecodeFrom(file).ok());
  Block index(file.substr(footer.index_handle.offset, footer.index_handle.size));
  auto it = index.NewIterator(BytewiseComparator());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    BlockHandle h;
    Slice v = it->value();
    EXPECT_TRUE(h.DecodeFrom(&v).ok());
    const int type = static_cast<unsigned char>(file[h.offset + h.size]);
    EXPECT_LT(type, 3);
    if (type < 3) counts[type]++;
  }
  return counts;
}

TEST(CompressedTableTest, RoundTripEveryCodec) {
  const Entries model = TextEntries(3000);
  TableOptions plain;
  const std::string raw_file = BuildTable(model, plain);
  for (Compression c : {Compression::kNone, Compression::kLZ4, Compression::kZstd}) {
    SCOPED_TRACE(static_cast<int>(c));
    TableOptions options;
    options.compression = c;
    options.zstd_level = 5;
    const std::string file = BuildTable(model, options);
    const std::vector<int> types = BlockTypes(file);
    if (c == Compression::kNone) {
      EXPECT_EQ(file, raw_file);
    } else {
      EXPECT_LT(file.size(), raw_file.size() / 2);
      EXPECT_EQ(types[0], 0);
      EXPECT_GT(types[static_cast<int>(c)], 10);
    }
    // Read with any options: the codec is per block.
    for (bool cached : {false, true}) {
      TableOptions read;
      if (cached) read.block_cache = std::make_shared<Cache>(1 << 20);
      std::unique_ptr<Table> table;
      ASSERT_TRUE(Table::Open(read, std::make_unique<StringSource>(file), file.size(), &table).ok());
      std::mt19937 rng(1);
      auto it = table->NewIterator();
      size_t n = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
        ASSERT_EQ(it->key(), model[n].first);
        ASSERT_EQ(it->value(), model[n].second);
      }
      ASSERT_TRUE(it->status().ok());
      ASSERT_EQ(n, model.size());
      for (int i = 0; i < 500; i++) {
        const auto& [k, v] = model[rng() % model.size()];
        std::string got;
        ASSERT_TRUE(table
                        ->InternalGet(k, &got,
                                      [](void* arg, Slice, Slice value) {
                                        static_cast<std::string*>(arg)->assign(value);
                                      })
                        .ok());
        ASSERT_EQ(got, v);
      }
    }
  }
}

TEST(CompressedTableTest, IncompressibleBlocksAreStoredRaw) {
  std::mt19937 rng(2);
  const Entries model = RandomValueEntries(1000, &rng);
  TableOptions plain;
  const std::string raw_file = BuildTable(model, plain);
  for (Compression c : {Compression::kLZ4, Compression::kZstd}) {
    TableOptions options;
    options.compression = c;
    const std::string file = BuildTable(model, options);
    EXPECT_EQ(file, raw_file);  // every block fell back to type 0
    const std::vector<int> types = BlockTypes(file);
    EXPECT_GT(types[0], 10);
    EXPECT_EQ(types[1] + types[2], 0);
  }
}

TEST(CompressedTableTest, MixedBlocks) {
  // Alternate compressible and random stretches: both kinds in one table.
  std::mt19937 rng(3);
  Entries model;
  for (int i = 0; i < 2000; i++) {
    char key[32];
    snprintf(key, sizeof(key), "k%08d", i);
    std::string v((i / 100) % 2 ? 100 : 0, 'x');
    if (v.empty()) {
      v.resize(100);
      for (auto& ch : v) ch = static_cast<char>(rng());
    }
    model.emplace_back(key, v);
  }
  TableOptions options;
  options.compression = Compression::kLZ4;
  const std::string file = BuildTable(model, options);
  const std::vector<int> types = BlockTypes(file);
  EXPECT_GT(types[0], 5);
  EXPECT_GT(types[1], 5);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(
      Table::Open(options, std::make_unique<StringSource>(file), file.size(), &table).ok());
  std::mt19937 rng2(4);
  auto it = table->NewIterator();
  testing::ExpectIteratorMatches(it.get(), model, &rng2, 500);
}

// Every flipped byte of a compressed table: Corruption or exactly the right
// data, never a crash.
TEST(CompressedTableTest, EveryFlippedByteIsDetected) {
  const Entries model = TextEntries(60);
  for (Compression c : {Compression::kLZ4, Compression::kZstd}) {
    TableOptions options;
    options.compression = c;
    options.block_size = 512;
    options.bloom_bits_per_key = 10;
    const std::string good = BuildTable(model, options);
    ASSERT_GT(BlockTypes(good)[static_cast<int>(c)], 2);
    for (size_t i = 0; i < good.size(); i++) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ 0x21);
      std::unique_ptr<Table> table;
      Status s = Table::Open(options, std::make_unique<StringSource>(bad), bad.size(), &table);
      if (!s.ok()) {
        ASSERT_TRUE(s.IsCorruption()) << i << ": " << s.ToString();
        continue;
      }
      auto it = table->NewIterator();
      size_t n = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
        ASSERT_LT(n, model.size());
        ASSERT_EQ(it->key(), model[n].first);
        ASSERT_EQ(it->value(), model[n].second);
      }
      ASSERT_TRUE(n == model.size() ? it->status().ok() : it->status().IsCorruption()) << i;
    }
  }
}

}  // namespace
}  // namespace kvstore
