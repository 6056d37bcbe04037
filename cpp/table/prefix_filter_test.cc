// Prefix filters inside tables: with TableOptions::prefix_length the table's
// bloom filter also holds the first prefix_length bytes of every key at least
// that long, the metaindex records the length, and Table::PrefixMayMatch
// consults it (reading no block).
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>
#include <string>

#include "table/block.h"
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
using testing::OpenTable;
using testing::TestInternalComparator;

struct Found {
  bool found = false;
  std::string key;
};
void Save(void* arg, Slice key, Slice) {
  auto* f = static_cast<Found*>(arg);
  f->found = true;
  f->key.assign(key);
}

// User keys "pNNNN:" + suffix for even NNNN below 2 * groups, 1..4 keys per
// prefix, plus keys shorter than 6 bytes; sorted, as internal keys at seq 7.
Entries PrefixEntries(int groups, std::set<std::string>* user_keys) {
  std::mt19937 rng(11);
  for (int g = 0; g < groups; g++) {
    char p[16];
    snprintf(p, sizeof(p), "p%04d:", 2 * g);
    const int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; i++) user_keys->insert(std::string(p) + std::to_string(rng() % 1000));
    if (g % 7 == 0) user_keys->insert(p);  // a key exactly as long as the prefix
  }
  for (const char* shorty : {"", "a", "p00", "p0000", "zz"}) user_keys->insert(shorty);
  Entries e;
  for (const std::string& k : *user_keys) e.emplace_back(IKey(k, 7), "v" + k);
  return e;
}

TEST(PrefixFilterTest, HoldsThePrefixOfEveryLongEnoughKey) {
  TestInternalComparator icmp;
  TableOptions options;
  options.comparator = &icmp;
  options.bloom_bits_per_key = 10;
  options.internal_keys = true;
  options.prefix_length = 6;
  std::set<std::string> keys;
  const int groups = 3000;
  const Entries model = PrefixEntries(groups, &keys);
  const std::string file = BuildTable(model, options);
  auto table = OpenTable(options, file);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->prefix_length(), 6u);

  // No false negatives: every prefix of every key, at least 6 bytes long.
  for (const std::string& k : keys) {
    for (size_t n = 6; n <= k.size(); n++) {
      ASSERT_TRUE(table->PrefixMayMatch(k.substr(0, n))) << k;
    }
  }
  // Shorter prefixes cannot be checked: always a possible match.
  EXPECT_TRUE(table->PrefixMayMatch(""));
  EXPECT_TRUE(table->PrefixMayMatch("q"));
  EXPECT_TRUE(table->PrefixMayMatch("zzzzz"));
  // Absent prefixes (odd numbers): about 1% pass (the filter also holds whole keys).
  int passed = 0;
  for (int g = 0; g < groups; g++) {
    char p[16];
    snprintf(p, sizeof(p), "p%04d:", 2 * g + 1);
    if (table->PrefixMayMatch(std::string(p) + "tail")) passed++;
  }
  EXPECT_LT(passed, groups * 3 / 100) << passed;

  // Whole-key lookups still find every key, short ones included.
  for (const std::string& k : keys) {
    Found f;
    ASSERT_TRUE(table->InternalGet(IKey(k, 100), &f, Save).ok());
    ASSERT_TRUE(f.found) << k;
    ASSERT_EQ(f.key, IKey(k, 7));
  }
}

TEST(PrefixFilterTest, WholeKeyTablesAndTheRecordedLength) {
  std::mt19937 rng(12);
  const Entries model = testing::RandomEntries(&rng, 1000);
  TableOptions options;
  options.bloom_bits_per_key = 10;
  options.prefix_length = 3;
  const std::string file = BuildTable(model, options);
  // The reader's prefix_length does not matter: the table's record does.
  for (size_t read_length : {0u, 3u, 5u}) {
    TableOptions read = options;
    read.prefix_length = read_length;
    auto table = OpenTable(read, file);
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->prefix_length(), 3u);
    for (const auto& [k, v] : model) {
      if (k.size() >= 3) {
        ASSERT_TRUE(table->PrefixMayMatch(k));
      }
    }
  }
  // Written without prefixes, or without a filter: nothing to consult.
  for (int bits : {0, 10}) {
    TableOptions plain;
    plain.bloom_bits_per_key = bits;
    plain.prefix_length = bits == 0 ? 3 : 0;  // no filter: the length is not recorded either
    const std::string f = BuildTable(model, plain);
    TableOptions read;
    read.prefix_length = 3;
    auto table = OpenTable(read, f);
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->prefix_length(), 0u);
    EXPECT_TRUE(table->PrefixMayMatch("\xff\xff\xff\xff absent"));
  }
  // A filter of another key kind is ignored, with its prefixes.
  TableOptions other = options;
  other.internal_keys = true;
  auto table = OpenTable(other, file);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->prefix_length(), 0u);
}

// Rewrites the table's metaindex with mutate applied to its (name, value)
// entries; the index block and footer move accordingly.
std::string RewriteMetaindex(
    const std::string& file,
    const std::function<void(std::vector<std::pair<std::string, std::string>>*)>& mutate) {
  Footer footer;
  EXPECT_TRUE(footer.DecodeFrom(Slice(file).substr(file.size() - Footer::kEncodedLength)).ok());
  const BlockHandle& mh = footer.metaindex_handle;
  const BlockHandle& ih = footer.index_handle;
  std::vector<std::pair<std::string, std::string>> entries;
  Block meta(file.substr(mh.offset, mh.size));
  auto it = meta.NewIterator(BytewiseComparator());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    entries.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  mutate(&entries);
  BlockBuilder builder(1);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  std::string out = file.substr(0, mh.offset);
  const Slice contents = builder.Finish();
  const BlockHandle new_mh{out.size(), contents.size()};
  out.append(contents.data(), contents.size());
  AppendBlockTrailer(&out, contents, CompressionType::kNone);
  const BlockHandle new_ih{out.size(), ih.size};
  out.append(file, ih.offset, ih.size + kBlockTrailerSize);
  Footer{new_mh, new_ih}.EncodeTo(&out);
  return out;
}

TEST(PrefixFilterTest, MalformedPrefixLengthRecordIsCorruption) {
  std::mt19937 rng(13);
  const Entries model = testing::RandomEntries(&rng, 200);
  TableOptions options;
  options.bloom_bits_per_key = 10;
  options.prefix_length = 2;
  const std::string file = BuildTable(model, options);
  // The rewrite itself keeps a good table good.
  const std::string same = RewriteMetaindex(file, [](auto*) {});
  auto table = OpenTable(options, same);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->prefix_length(), 2u);

  std::string overlong;
  PutVarint32(&overlong, 2);
  overlong.push_back('x');
  for (const std::string& bad : {std::string(), std::string(1, '\0'), std::string("\x80"), overlong}) {
    const std::string broken = RewriteMetaindex(file, [&bad](auto* entries) {
      for (auto& [k, v] : *entries) {
        if (k == kFilterPrefixLengthName) v = bad;
      }
    });
    std::unique_ptr<Table> t;
    Status s = Table::Open(options, std::make_unique<StringSource>(broken), broken.size(), &t);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
  // A table whose record is missing (as written before prefix filters) has no prefix filter.
  const std::string old = RewriteMetaindex(file, [](auto* entries) {
    std::erase_if(*entries, [](const auto& e) { return e.first == kFilterPrefixLengthName; });
  });
  table = OpenTable(options, old);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->prefix_length(), 0u);
  for (const auto& [k, v] : model) {
    Found f;
    ASSERT_TRUE(table->InternalGet(k, &f, Save).ok());
    ASSERT_TRUE(f.found);
  }
}

}  // namespace
}  // namespace kvstore
