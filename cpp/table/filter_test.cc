// Bloom filters inside tables: built by TableBuilder, loaded at Open and
// consulted by InternalGet before any index or data block is read.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "table/block_builder.h"
#include "table/iterator_testutil.h"
#include "table/mem_file_testutil.h"
#include "table/table_testutil.h"
#include "table/table.h"
#include "table/table_builder.h"
#include "util/coding.h"

namespace kvstore {
namespace {

using testing::Entries;
using testing::BuildTable;
using testing::IKey;
using testing::TestInternalComparator;

std::string UserKey(int i) {
  char buf[32];
  snprintf(buf, sizeof(buf), "user%08d", i);
  return buf;
}

struct Found {
  bool found = false;
  std::string key, value;
};
void Save(void* arg, Slice key, Slice value) {
  auto* f = static_cast<Found*>(arg);
  f->found = true;
  f->key.assign(key);
  f->value.assign(value);
}

// Even user keys 0..2n-2, two versions each, as internal keys.
Entries InternalEntries(int n) {
  Entries e;
  for (int i = 0; i < n; i++) {
    e.emplace_back(IKey(UserKey(2 * i), 9), "new" + std::to_string(i));
    e.emplace_back(IKey(UserKey(2 * i), 3), "old" + std::to_string(i));
  }
  return e;
}

TEST(TableFilterTest, InternalKeysFilterOnUserKeys) {
  TestInternalComparator icmp;
  TableOptions options;
  options.comparator = &icmp;
  options.bloom_bits_per_key = 10;
  options.internal_keys = true;
  options.block_size = 256;
  const int n = 5000;
  const Entries model = InternalEntries(n);
  const std::string file = BuildTable(model, options);
  auto source = std::make_unique<StringSource>(file);
  StringSource* src = source.get();
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Table::Open(options, std::move(source), file.size(), &table).ok());

  // Present user keys, looked up at any sequence number: never filtered out.
  for (int i = 0; i < n; i++) {
    Found f;
    ASSERT_TRUE(table->InternalGet(IKey(UserKey(2 * i), 100), &f, Save).ok());
    ASSERT_TRUE(f.found) << i;
    ASSERT_EQ(f.value, "new" + std::to_string(i));
    Found g;
    ASSERT_TRUE(table->InternalGet(IKey(UserKey(2 * i), 5), &g, Save).ok());
    ASSERT_EQ(g.value, "old" + std::to_string(i));
  }
  // Absent user keys: about 1% get past the filter and read a data block.
  const uint64_t before = src->num_reads();
  int reached = 0;
  for (int i = 0; i < n; i++) {
    Found f;
    ASSERT_TRUE(table->InternalGet(IKey(UserKey(2 * i + 1), 100), &f, Save).ok());
    if (f.found) {
      reached++;
      EXPECT_EQ(f.key.substr(0, f.key.size() - 8), UserKey(2 * i + 2));
    }
  }
  EXPECT_EQ(src->num_reads() - before, static_cast<uint64_t>(reached));
  EXPECT_LT(reached, n * 3 / 100) << reached;
}

TEST(TableFilterTest, WholeKeyFilterRoundTrip) {
  std::mt19937 rng(3);
  Entries model = testing::RandomEntries(&rng, 2000);
  TableOptions options;
  options.block_size = 512;
  options.bloom_bits_per_key = 10;
  const std::string file = BuildTable(model, options);
  auto source = std::make_unique<StringSource>(file);
  StringSource* src = source.get();
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Table::Open(options, std::move(source), file.size(), &table).ok());
  for (const auto& [k, v] : model) {
    Found f;
    ASSERT_TRUE(table->InternalGet(k, &f, Save).ok());
    ASSERT_TRUE(f.found);
    ASSERT_EQ(f.value, v);
  }
  const uint64_t before = src->num_reads();
  for (int i = 0; i < 2000; i++) {
    Found f;
    ASSERT_TRUE(table->InternalGet("absent-" + std::to_string(i), &f, Save).ok());
  }
  EXPECT_LT(src->num_reads() - before, 60u);
}

TEST(TableFilterTest, NoFilterWhenDisabledOrOfAnotherKind) {
  std::mt19937 rng(4);
  Entries model = testing::RandomEntries(&rng, 300);
  TableOptions without;
  without.bloom_bits_per_key = 0;
  const std::string plain = BuildTable(model, without);
  TableOptions with;
  with.bloom_bits_per_key = 10;
  const std::string filtered = BuildTable(model, with);
  EXPECT_GT(filtered.size(), plain.size() + (model.size() * 10 / 512) * 64);

  // Without a filter, or with one written for internal keys while reading
  // whole keys, every lookup gives the lower bound.
  for (const std::string* file : {&plain, &filtered}) {
    TableOptions read = with;
    if (file == &filtered) read.internal_keys = true;  // kind mismatch: filter ignored
    read.comparator = BytewiseComparator();
    std::unique_ptr<Table> table;
    ASSERT_TRUE(Table::Open(read, std::make_unique<StringSource>(*file), file->size(), &table).ok());
    for (int i = 0; i < 100; i++) {
      std::string target = testing::RandomKey(&rng);
      Found f;
      // Internal-key mode strips 8 bytes for the filter; the filter is
      // ignored anyway, so any target length is fine.
      ASSERT_TRUE(table->InternalGet(target, &f, Save).ok());
      const size_t pos = testing::LowerBound(model, target, BytewiseComparator());
      ASSERT_EQ(f.found, pos < model.size());
      if (f.found) {
        ASSERT_EQ(f.key, model[pos].first);
      }
    }
  }
}

// Hand-assembles a table: one data block, the given meta blocks (name ->
// contents, sorted), the metaindex, the index and the footer.
std::string HandBuiltTable(const std::vector<std::pair<std::string, std::string>>& metas) {
  std::string file;
  auto append = [&file](Slice contents) {
    BlockHandle h{file.size(), contents.size()};
    file.append(contents.data(), contents.size());
    AppendBlockTrailer(&file, contents, CompressionType::kNone);
    return h;
  };
  BlockBuilder data(16);
  data.Add("a", "1");
  data.Add("c", "3");
  BlockHandle data_handle = append(data.Finish());
  BlockBuilder meta(1);
  for (const auto& [name, contents] : metas) {
    BlockHandle h = append(contents);
    std::string enc;
    h.EncodeTo(&enc);
    meta.Add(name, enc);
  }
  BlockHandle meta_handle = append(meta.Finish());
  BlockBuilder index(1);
  std::string enc;
  data_handle.EncodeTo(&enc);
  index.Add("d", enc);
  BlockHandle index_handle = append(index.Finish());
  Footer{meta_handle, index_handle}.EncodeTo(&file);
  return file;
}

TEST(TableFilterTest, UnknownFilterNameIsIgnored) {
  const std::string file = HandBuiltTable({{"filter.kvstore.blocked_bloom.9", "whatever"}});
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Table::Open(TableOptions(), std::make_unique<StringSource>(file), file.size(), &table)
                  .ok());
  Found f;
  ASSERT_TRUE(table->InternalGet("b", &f, Save).ok());
  EXPECT_TRUE(f.found);  // no filter: the lower bound "c"
  EXPECT_EQ(f.key, "c");
}

TEST(TableFilterTest, KnownFilterNameWithBadContentsIsCorruption) {
  BloomFilterBuilder bloom(10);
  bloom.AddKey("a");
  bloom.AddKey("c");
  std::string good(1, '\0');
  bloom.Finish(&good);
  // A hand-built table with a well-formed filter works and filters.
  {
    const std::string file = HandBuiltTable({{kFilterBlockName, good}});
    std::unique_ptr<Table> table;
    ASSERT_TRUE(
        Table::Open(TableOptions(), std::make_unique<StringSource>(file), file.size(), &table).ok());
    Found f;
    ASSERT_TRUE(table->InternalGet("c", &f, Save).ok());
    EXPECT_TRUE(f.found);
  }
  const std::string bad_size = good.substr(0, good.size() - 6) + good.substr(good.size() - 5);
  std::string bad_kind = good;
  bad_kind[0] = 7;
  for (const std::string& contents : {bad_size, bad_kind, std::string()}) {
    const std::string file = HandBuiltTable({{kFilterBlockName, contents}});
    std::unique_ptr<Table> table;
    Status s = Table::Open(TableOptions(), std::make_unique<StringSource>(file), file.size(), &table);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
}

TEST(TableFilterTest, CorruptedFilterBlockFailsOpen) {
  std::mt19937 rng(5);
  Entries model = testing::RandomEntries(&rng, 500);
  TableOptions options;
  options.bloom_bits_per_key = 10;
  const std::string file = BuildTable(model, options);
  Footer footer;
  ASSERT_TRUE(footer.DecodeFrom(file).ok());
  // The filter block (and its trailer) sits just before the metaindex block.
  const size_t filter_end = footer.metaindex_handle.offset;
  const size_t filter_size = (model.size() * 10 + 511) / 512 * 64 + 5 + 1;
  for (size_t back = 1; back <= filter_size + kBlockTrailerSize; back += 37) {
    std::string bad = file;
    bad[filter_end - back] ^= 0x10;
    std::unique_ptr<Table> table;
    Status s = Table::Open(options, std::make_unique<StringSource>(bad), bad.size(), &table);
    EXPECT_TRUE(s.IsCorruption()) << back << " " << s.ToString();
  }
}

}  // namespace
}  // namespace kvstore
