#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "db/log_reader.h"
#include "db/log_writer.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace kvstore::log {
namespace {

class StringDest final : public WritableFile {
 public:
  Status Append(Slice data) override {
    contents.append(data.data(), data.size());
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  std::string contents;
};

class StringSource final : public SequentialFile {
 public:
  explicit StringSource(Slice data, bool fail = false) : data_(data), fail_(fail) {}
  Status Read(size_t n, Slice* result, char* scratch) override {
    if (fail_) return Status::IOError("source", "read failed");
    n = std::min(n, data_.size());
    std::memcpy(scratch, data_.data(), n);
    *result = Slice(scratch, n);
    data_.remove_prefix(n);
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    data_.remove_prefix(std::min<uint64_t>(n, data_.size()));
    return Status::OK();
  }

 private:
  Slice data_;
  bool fail_;
};

class CountingReporter final : public Reader::Reporter {
 public:
  void Corruption(size_t bytes, const Status& status) override {
    corruption_calls++;
    corruption_bytes += bytes;
    last_status = status;
  }
  void TornTail(size_t bytes) override {
    torn_calls++;
    torn_bytes += bytes;
  }
  int corruption_calls = 0;
  size_t corruption_bytes = 0;
  int torn_calls = 0;
  size_t torn_bytes = 0;
  Status last_status;
};

std::string RandomRecord(std::mt19937* rnd, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>((*rnd)());
  return s;
}

struct Log {
  StringDest dest;
  std::vector<std::string> records;
  std::vector<uint64_t> offsets;  // where each record's first header starts
  std::vector<uint64_t> ends;     // file size after each record

  void Add(Writer* w, std::string r) {
    uint64_t at = dest.contents.size();
    if (kBlockSize - at % kBlockSize < kHeaderSize) at += kBlockSize - at % kBlockSize;
    ASSERT_TRUE(w->AddRecord(r).ok());
    offsets.push_back(at);
    records.push_back(std::move(r));
    ends.push_back(dest.contents.size());
  }
};

struct ReadResult {
  std::vector<std::string> records;
  std::vector<uint64_t> offsets;
  CountingReporter reporter;
};

void ReadAll(Slice contents, ReadResult* out) {
  StringSource src(contents);
  Reader reader(&src, &out->reporter);
  Slice record;
  std::string scratch;
  while (reader.ReadRecord(&record, &scratch)) {
    out->records.emplace_back(record);
    out->offsets.push_back(reader.LastRecordOffset());
  }
  EXPECT_FALSE(reader.ReadRecord(&record, &scratch));  // stays at the end
}

std::vector<size_t> InterestingSizes() {
  std::vector<size_t> sizes = {0, 1, 2, 100, 1000, kBlockSize - kHeaderSize - 1,
                               kBlockSize - kHeaderSize, kBlockSize - kHeaderSize + 1,
                               kBlockSize, kBlockSize + 1, 2 * kBlockSize, 100 * 1024, 0, 3};
  std::mt19937 rnd(42);
  for (int i = 0; i < 60; i++) sizes.push_back(rnd() % (i % 5 == 0 ? 100 * 1024 : 300));
  // Land a header with fewer than 7 bytes left in a block (zero-filled tails).
  for (size_t pad = 0; pad <= kHeaderSize; pad++) sizes.push_back(kBlockSize - 2 * kHeaderSize - pad);
  return sizes;
}

TEST(LogTest, EmptyLog) {
  ReadResult r;
  ReadAll("", &r);
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(r.reporter.corruption_calls, 0);
  EXPECT_EQ(r.reporter.torn_calls, 0);
}

TEST(LogTest, RoundTripAcrossBlocks) {
  Log log;
  Writer w(&log.dest);
  std::mt19937 rnd(1);
  for (size_t n : InterestingSizes()) log.Add(&w, RandomRecord(&rnd, n));

  ReadResult r;
  ReadAll(log.dest.contents, &r);
  ASSERT_EQ(r.records.size(), log.records.size());
  for (size_t i = 0; i < log.records.size(); i++) {
    EXPECT_EQ(r.records[i], log.records[i]) << i;
    EXPECT_EQ(r.offsets[i], log.offsets[i]) << i;
  }
  EXPECT_EQ(r.reporter.corruption_calls, 0);
  EXPECT_EQ(r.reporter.torn_calls, 0);
}

// Short fragments are checksummed from a copy beside their header, long ones
// in place: both must give the format's checksum, Checksum2(type, payload).
TEST(LogTest, ShortAndLongFragmentsCarryTheSameChecksum) {
  std::mt19937 rnd(3);
  for (size_t n : {size_t{0}, size_t{1}, size_t{4095}, size_t{4096}, size_t{4097}, size_t{20000}}) {
    StringDest dest;
    Writer w(&dest);
    const std::string record = RandomRecord(&rnd, n);
    ASSERT_TRUE(w.AddRecord(record).ok());
    ASSERT_EQ(dest.contents.size(), kHeaderSize + n);
    const char type = static_cast<char>(kFullType);
    EXPECT_EQ(dest.contents[6], type);
    EXPECT_EQ(DecodeFixed32(dest.contents.data()), Checksum2(Slice(&type, 1), record)) << n;
    EXPECT_EQ(dest.contents.substr(kHeaderSize), record);
  }
}

TEST(LogTest, BlockTailsAreZeroFilled) {
  Log log;
  Writer w(&log.dest);
  log.Add(&w, std::string(kBlockSize - kHeaderSize - 3, 'a'));  // leaves 3 bytes in block 0
  log.Add(&w, "next");
  ASSERT_EQ(log.dest.contents.size(), kBlockSize + kHeaderSize + 4);
  EXPECT_EQ(log.dest.contents.substr(kBlockSize - 3, 3), std::string(3, '\0'));
  EXPECT_EQ(log.offsets[1], kBlockSize);
}

TEST(LogTest, AppendingToAnExistingLog) {
  Log log;
  std::mt19937 rnd(2);
  {
    Writer w(&log.dest);
    log.Add(&w, RandomRecord(&rnd, 40000));
    log.Add(&w, RandomRecord(&rnd, 10));
  }
  Writer w2(&log.dest, log.dest.contents.size());
  log.Add(&w2, RandomRecord(&rnd, 30000));
  log.Add(&w2, "");
  ReadResult r;
  ReadAll(log.dest.contents, &r);
  EXPECT_EQ(r.records, log.records);
  EXPECT_EQ(r.offsets, log.offsets);
}

// Truncates the log at every point inside its last record: the earlier records
// all come back and nothing is reported as corruption.
void CheckTornTails(const Log& log, size_t stride) {
  size_t n = log.records.size();
  uint64_t prev_end = n >= 2 ? log.ends[n - 2] : 0;
  uint64_t last_end = log.ends[n - 1];
  for (uint64_t cut = prev_end; cut < last_end; cut++) {
    // Every byte near headers and block boundaries; a stride elsewhere.
    uint64_t in_block = cut % kBlockSize;
    bool dense = cut - prev_end < 64 || last_end - cut < 64 || in_block < 64 ||
                 kBlockSize - in_block < 64;
    if (!dense && cut % stride != 0) continue;
    ReadResult r;
    ReadAll(Slice(log.dest.contents).substr(0, cut), &r);
    ASSERT_EQ(r.records.size(), n - 1) << "cut at " << cut;
    for (size_t i = 0; i + 1 < n; i++) ASSERT_EQ(r.records[i], log.records[i]);
    ASSERT_EQ(r.reporter.corruption_calls, 0) << "cut at " << cut << ": "
                                              << r.reporter.last_status.ToString();
    if (cut > log.offsets[n - 1]) {
      ASSERT_EQ(r.reporter.torn_calls, 1) << "cut at " << cut;
      ASSERT_EQ(r.reporter.torn_bytes, cut - log.offsets[n - 1]) << "cut at " << cut;
    }
  }
}

TEST(LogTest, TornTailOfSmallRecordIsSilent) {
  Log log;
  Writer w(&log.dest);
  std::mt19937 rnd(3);
  log.Add(&w, RandomRecord(&rnd, kBlockSize - 150));
  log.Add(&w, RandomRecord(&rnd, 10));
  log.Add(&w, RandomRecord(&rnd, 400));  // FIRST in block 0, LAST in block 1
  CheckTornTails(log, 1);
}

TEST(LogTest, TornTailOfLargeRecordIsSilent) {
  Log log;
  Writer w(&log.dest);
  std::mt19937 rnd(4);
  for (int i = 0; i < 5; i++) log.Add(&w, RandomRecord(&rnd, 5000));
  log.Add(&w, RandomRecord(&rnd, 100 * 1024));  // FIRST, MIDDLE, MIDDLE, LAST
  CheckTornTails(log, 61);
}

TEST(LogTest, ZeroFilledTailIsSilent) {
  // 1 MiB + 4 KiB: the most a synced log file keeps after its data (env_posix.cc).
  for (size_t zeros : {size_t{1}, size_t{6}, size_t{7}, size_t{100}, size_t{40000},
                       size_t{(1 << 20) + 4096}}) {
    Log log;
    Writer w(&log.dest);
    std::mt19937 rnd(5);
    for (int i = 0; i < 10; i++) log.Add(&w, RandomRecord(&rnd, 1234));
    log.dest.contents.append(zeros, '\0');  // a file extended but never written, or a WAL's zeros
    ReadResult r;
    ReadAll(log.dest.contents, &r);
    EXPECT_EQ(r.records, log.records) << zeros;
    EXPECT_EQ(r.reporter.corruption_calls, 0) << zeros;
    EXPECT_EQ(r.reporter.torn_calls, 1) << zeros;
  }
}

TEST(LogTest, GarbageTailIsATornTail) {
  Log log;
  Writer w(&log.dest);
  std::mt19937 rnd(6);
  for (int i = 0; i < 10; i++) log.Add(&w, RandomRecord(&rnd, 3000));
  log.dest.contents += RandomRecord(&rnd, 50000);
  ReadResult r;
  ReadAll(log.dest.contents, &r);
  EXPECT_EQ(r.records, log.records);
  EXPECT_EQ(r.reporter.corruption_calls, 0);
  EXPECT_EQ(r.reporter.torn_calls, 1);
}

// Damage to one record early in the log, with many valid records after it in
// the same block and in later blocks. The reader reports one Corruption and
// keeps going. When the damage spares the length field only the damaged record
// is lost (exact = true); otherwise the rest of its block may be lost too.
void CheckEarlyDamage(size_t damaged_byte, bool exact) {
  Log log;
  Writer w(&log.dest);
  std::mt19937 rnd(7);
  for (int i = 0; i < 100; i++) log.Add(&w, RandomRecord(&rnd, 1000));
  log.dest.contents[damaged_byte] ^= 0x40;

  ReadResult r;
  ReadAll(log.dest.contents, &r);
  EXPECT_EQ(r.reporter.corruption_calls, 1);
  EXPECT_TRUE(r.reporter.last_status.IsCorruption()) << r.reporter.last_status.ToString();
  EXPECT_GT(r.reporter.corruption_bytes, 0u);
  EXPECT_EQ(r.reporter.torn_calls, 0);

  size_t damaged_record = 0;
  while (log.ends[damaged_record] <= damaged_byte) damaged_record++;
  // What came back is the original sequence with some records missing...
  size_t j = 0;
  for (const auto& rec : r.records) {
    while (j < log.records.size() && log.records[j] != rec) j++;
    ASSERT_LT(j, log.records.size()) << "record out of order or invented";
    j++;
  }
  // ...and never the damaged one, nor any before it, nor any starting in a later block.
  std::vector<std::string> must_have;
  std::vector<std::string> all_but_damaged;
  for (size_t i = 0; i < log.records.size(); i++) {
    if (i != damaged_record) all_but_damaged.push_back(log.records[i]);
    if (i < damaged_record || log.offsets[i] / kBlockSize > damaged_byte / kBlockSize) {
      must_have.push_back(log.records[i]);
    }
  }
  for (const auto& rec : r.records) EXPECT_NE(rec, log.records[damaged_record]);
  for (const auto& rec : must_have) {
    EXPECT_NE(std::find(r.records.begin(), r.records.end(), rec), r.records.end());
  }
  if (exact) {
    EXPECT_EQ(r.records, all_but_damaged);
    // The bytes skipped are exactly the damaged record's.
    EXPECT_EQ(r.reporter.corruption_bytes, log.ends[damaged_record] - log.offsets[damaged_record]);
  }
}

TEST(LogTest, FlippedPayloadByteIsCorruption) { CheckEarlyDamage(2 * 1007 + kHeaderSize + 500, true); }
TEST(LogTest, FlippedChecksumByteIsCorruption) { CheckEarlyDamage(3 * 1007 + 1, true); }
TEST(LogTest, FlippedTypeByteIsCorruption) { CheckEarlyDamage(3 * 1007 + 6, true); }
TEST(LogTest, FlippedLengthByteIsCorruption) {
  CheckEarlyDamage(3 * 1007 + 4, false);  // low byte: lands inside the record
  CheckEarlyDamage(3 * 1007 + 5, false);  // high byte: runs past the block
}
TEST(LogTest, DamageInASecondBlockFragment) {
  // Record 32 starts in block 0 and ends in block 1: damage to its second
  // fragment also discards its first.
  ASSERT_LT(32 * 1007, kBlockSize);
  ASSERT_GT(33 * 1007, kBlockSize);
  CheckEarlyDamage(kBlockSize + 3, true);
}

// The DB-level scenario: a small WAL (one block) with a flipped byte early on.
TEST(LogTest, DamageInASingleBlockLogIsCorruption) {
  Log log;
  Writer w(&log.dest);
  for (int i = 0; i < 200; i++) log.Add(&w, std::string(100, 'v') + std::to_string(i));
  ASSERT_LT(log.dest.contents.size(), kBlockSize);
  log.dest.contents[1000] ^= 0x01;
  ReadResult r;
  ReadAll(log.dest.contents, &r);
  EXPECT_EQ(r.reporter.corruption_calls, 1);
  EXPECT_EQ(r.reporter.torn_calls, 0);
  EXPECT_EQ(r.records.size(), 199u);
  EXPECT_EQ(r.records.back(), log.records.back());
}

TEST(LogTest, ZerosInTheMiddleAreCorruption) {
  Log log;
  Writer w(&log.dest);
  std::mt19937 rnd(8);
  for (int i = 0; i < 100; i++) log.Add(&w, RandomRecord(&rnd, 1000));
  // Zero the second half of block 1, as a lost page would.
  std::fill(log.dest.contents.begin() + kBlockSize + kBlockSize / 2,
            log.dest.contents.begin() + 2 * kBlockSize, '\0');
  ReadResult r;
  ReadAll(log.dest.contents, &r);
  EXPECT_EQ(r.reporter.corruption_calls, 1);
  EXPECT_EQ(r.reporter.torn_calls, 0);
  EXPECT_EQ(r.records.back(), log.records.back());
}

TEST(LogTest, UnfinishedFragmentedRecordFollowedByAValidOne) {
  // A writer died after the FIRST fragment of a big record; a later writer
  // appended a new record after it.
  Log log;
  std::mt19937 rnd(9);
  {
    Writer w(&log.dest);
    log.Add(&w, RandomRecord(&rnd, 100));
    log.Add(&w, RandomRecord(&rnd, 3 * kBlockSize));
  }
  log.dest.contents.resize(kBlockSize);  // only the FIRST fragment survived
  Writer w2(&log.dest, log.dest.contents.size());
  std::string survivor = RandomRecord(&rnd, 50);
  ASSERT_TRUE(w2.AddRecord(survivor).ok());

  ReadResult r;
  ReadAll(log.dest.contents, &r);
  EXPECT_EQ(r.records, (std::vector<std::string>{log.records[0], survivor}));
  EXPECT_EQ(r.reporter.corruption_calls, 1);
  EXPECT_EQ(r.reporter.corruption_bytes, kBlockSize - log.offsets[1]);
  EXPECT_NE(r.reporter.last_status.message().find("partial record"), std::string::npos)
      << r.reporter.last_status.ToString();
  EXPECT_EQ(r.reporter.torn_calls, 0);
}

TEST(LogTest, OrphanFragmentsBeforeAValidRecordAreCorruption) {
  // Block 0 lost entirely (zeroed); block 1 starts with the LAST fragment of a
  // record that began in block 0.
  Log log;
  Writer w(&log.dest);
  std::mt19937 rnd(10);
  log.Add(&w, RandomRecord(&rnd, kBlockSize + 100));
  log.Add(&w, RandomRecord(&rnd, 10));
  std::fill(log.dest.contents.begin(), log.dest.contents.begin() + kBlockSize, '\0');
  ReadResult r;
  ReadAll(log.dest.contents, &r);
  EXPECT_EQ(r.records, (std::vector<std::string>{log.records[1]}));
  EXPECT_EQ(r.reporter.corruption_calls, 1);
  EXPECT_EQ(r.reporter.corruption_bytes, log.offsets[1]);
}

TEST(LogTest, ReadErrorIsReported) {
  StringSource src("whatever", /*fail=*/true);
  CountingReporter reporter;
  Reader reader(&src, &reporter);
  Slice record;
  std::string scratch;
  EXPECT_FALSE(reader.ReadRecord(&record, &scratch));
  EXPECT_EQ(reporter.corruption_calls, 1);
  EXPECT_TRUE(reporter.last_status.IsIOError());
}

TEST(LogTest, NullReporter) {
  std::string junk(100000, '\x17');
  StringSource src(junk);
  Reader reader(&src, nullptr);
  Slice record;
  std::string scratch;
  EXPECT_FALSE(reader.ReadRecord(&record, &scratch));
}

TEST(LogTest, RandomDamageNeverCrashes) {
  std::mt19937 rnd(11);
  for (int iter = 0; iter < 300; iter++) {
    std::string contents;
    if (iter % 3 == 0) {
      contents = RandomRecord(&rnd, rnd() % (3 * kBlockSize));  // pure garbage
    } else {
      StringDest dest;
      Writer w(&dest);
      int n = 1 + rnd() % 20;
      for (int i = 0; i < n; i++) {
        ASSERT_TRUE(w.AddRecord(RandomRecord(&rnd, rnd() % (i % 4 == 0 ? 40000 : 500))).ok());
      }
      contents = std::move(dest.contents);
      int flips = rnd() % 8;
      for (int f = 0; f < flips; f++) contents[rnd() % contents.size()] ^= static_cast<char>(1 + rnd() % 255);
      if (rnd() % 2) contents.resize(rnd() % (contents.size() + 1));
    }
    ReadResult r;
    ReadAll(contents, &r);
    size_t returned = 0;
    for (const auto& rec : r.records) returned += rec.size();
    EXPECT_LE(returned, contents.size());
  }
}

}  // namespace
}  // namespace kvstore::log
