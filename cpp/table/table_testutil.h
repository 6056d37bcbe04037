// Builders shared by the table-layer tests (header-only, uses GoogleTest):
//   - BuildBlock / BuildTable: a block, or a whole table in memory, from
//     sorted entries (BuildTable checks the builder's own accounting);
//   - OpenTable: a table over such a string;
//   - TestInternalComparator / IKey: the internal-key order (user key
//     ascending, then the 8-byte tag descending) without the db layer.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "table/block_builder.h"
#include "table/iterator_testutil.h"
#include "table/mem_file_testutil.h"
#include "table/table.h"
#include "table/table_builder.h"
#include "util/coding.h"

namespace kvstore::testing {

inline std::string BuildBlock(const Entries& entries, int restart_interval) {
  BlockBuilder b(restart_interval);
  for (const auto& [k, v] : entries) b.Add(k, v);
  return std::string(b.Finish());
}

inline std::string BuildTable(const Entries& entries, const TableOptions& options) {
  StringSink sink;
  TableBuilder builder(options, &sink);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  EXPECT_TRUE(builder.Finish().ok());
  EXPECT_EQ(builder.NumEntries(), entries.size());
  EXPECT_EQ(builder.FileSize(), sink.contents().size());
  return sink.contents();
}

inline std::unique_ptr<Table> OpenTable(const TableOptions& options, const std::string& file) {
  std::unique_ptr<Table> table;
  Status s = Table::Open(options, std::make_unique<StringSource>(file), file.size(), &table);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return table;
}

class TestInternalComparator final : public Comparator {
 public:
  int Compare(Slice a, Slice b) const override {
    int r = Slice(a.data(), a.size() - 8).compare(Slice(b.data(), b.size() - 8));
    if (r != 0) return r;
    const uint64_t ta = DecodeFixed64(a.data() + a.size() - 8);
    const uint64_t tb = DecodeFixed64(b.data() + b.size() - 8);
    return ta > tb ? -1 : (ta < tb ? 1 : 0);
  }
  const char* Name() const override { return "test.Internal"; }
  void FindShortestSeparator(std::string*, Slice) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

// user_key with a value tag of sequence seq.
inline std::string IKey(const std::string& user_key, uint64_t seq) {
  std::string k = user_key;
  PutFixed64(&k, (seq << 8) | 1);
  return k;
}

}  // namespace kvstore::testing
