// Prefix scans (ReadOptions::prefix) with and without prefix filters
// (Options::prefix_length): SSTs whose filter excludes the prefix are skipped,
// and results are exactly those of a model.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "db/db_testutil.h"
#include "kvstore/db.h"
#include "kvstore/env.h"
#include "table/format.h"

namespace kvstore {
namespace {

using Model = std::map<std::string, std::string>;

class PrefixScanTest : public testing::Test {
 protected:
  PrefixScanTest() {
    options_.write_buffer_size = 64 * 1024;
    options_.prefix_length = 4;
  }
  ~PrefixScanTest() override { db_.reset(); }

  void Reopen() {
    db_.reset();
    Status s = DB::Open(options_, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Many L0 files: no compaction until 1000 of them.
  void KeepL0() {
    options_.level0_compaction_trigger = 1000;
    options_.level0_slowdown_writes_trigger = 1000;
    options_.level0_stop_writes_trigger = 1000;
  }
  uint64_t Skips() { return db_->GetStats().prefix_filter_skips; }

  // "k=v," for every entry a scan with ro shows, forward or reverse.
  std::string Scan(ReadOptions ro, bool reverse = false, Status* status = nullptr) {
    std::string out;
    auto it = db_->NewIterator(ro);
    if (reverse) {
      for (it->SeekToLast(); it->Valid(); it->Prev()) {
        out += std::string(it->key()) + "=" + std::string(it->value()) + ",";
      }
    } else {
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        out += std::string(it->key()) + "=" + std::string(it->value()) + ",";
      }
    }
    if (status != nullptr) {
      *status = it->status();
    } else {
      EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    }
    return out;
  }
  std::string ScanPrefix(const std::string& prefix, bool reverse = false) {
    ReadOptions ro;
    ro.prefix = prefix;
    return Scan(ro, reverse);
  }

  ScratchDir dir_;
  Options options_;
  std::unique_ptr<DB> db_;
};

std::string PrefixKey(int prefix, int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "k%03d:%02d", prefix, i);
  return buf;
}

// Ten overlapping L0 files: file f holds the prefixes p with p % 10 == f.
void FillInterleaved(DB* db) {
  for (int f = 0; f < 10; f++) {
    for (int p = f; p < 200; p += 10) {
      for (int i = 0; i < 5; i++) {
        ASSERT_TRUE(db->Put({}, PrefixKey(p, i), "v" + std::to_string(p)).ok());
      }
    }
    ASSERT_TRUE(db->Flush().ok());
  }
}

std::string Expected(int p) {
  std::string out;
  for (int i = 0; i < 5; i++) out += PrefixKey(p, i) + "=v" + std::to_string(p) + ",";
  return out;
}

TEST_F(PrefixScanTest, SkipsL0FilesWhoseFilterExcludesThePrefix) {
  KeepL0();
  Reopen();
  FillInterleaved(db_.get());
  int files = 0;  // the first flush, overlapping nothing, may go below L0
  for (const LevelStats& level : db_->GetStats().levels) files += level.files;
  ASSERT_EQ(files, 10);

  // A present prefix lives in one file: the other nine are skipped (bar a
  // false positive now and then). Prefixes 10..189 lie inside the key range
  // of every file, so no file is left out for its range alone.
  uint64_t skipped = 0;
  uint64_t scans = 0;
  for (int p = 10; p < 190; p += 7, scans++) {
    char prefix[8];
    std::snprintf(prefix, sizeof(prefix), "k%03d", p);
    const uint64_t before = Skips();
    EXPECT_EQ(ScanPrefix(prefix), Expected(p)) << prefix;
    skipped += Skips() - before;
    // Longer prefixes use the same 4-byte filter key.
    EXPECT_EQ(ScanPrefix(std::string(prefix) + ":0"), Expected(p));
  }
  EXPECT_GE(skipped, scans * 9 * 90 / 100) << skipped;
  EXPECT_LE(skipped, scans * 9);

  // A prefix whose first 4 bytes are in one file but which is absent itself:
  // the other files are skipped, that one is read and shows nothing.
  uint64_t before = Skips();
  for (int p = 0; p < 10; p++) {
    char prefix[8];
    std::snprintf(prefix, sizeof(prefix), "k%03d", 10 + p * 19);
    EXPECT_EQ(ScanPrefix(std::string(prefix) + "x"), "");
  }
  EXPECT_GE(Skips() - before, 10u * 9 * 90 / 100);
  EXPECT_LE(Skips() - before, 10u * 9);
  // An absent prefix inside every file's range: nearly every file is skipped.
  before = Skips();
  for (int p = 0; p < 20; p++) {
    const std::string prefix = "k0" + std::to_string(p % 10) + "z";
    EXPECT_EQ(ScanPrefix(prefix), "");
  }
  EXPECT_GE(Skips() - before, 20u * 10 * 90 / 100);

  // Prefixes shorter than prefix_length cannot use the filter, but are right.
  before = Skips();
  std::string all;
  for (int p = 10; p < 20; p++) all += Expected(p);
  EXPECT_EQ(ScanPrefix("k01"), all);
  EXPECT_EQ(Skips(), before);

  // Without prefix_length (and on reopen), the same answers.
  options_.prefix_length = 0;
  Reopen();
  before = Skips();
  EXPECT_EQ(ScanPrefix("k042"), Expected(42));  // the tables' own length (4) still applies
  EXPECT_GE(Skips() - before, 8u);
  EXPECT_LE(Skips() - before, 9u);
}

TEST_F(PrefixScanTest, SkipsFilesWithinALevel) {
  options_.write_buffer_size = 8 * 1024;  // many small flushes of disjoint ranges
  options_.target_file_size = 8 * 1024;
  options_.compression = Compression::kNone;
  options_.bottommost_compression = Compression::kNone;
  Reopen();
  const std::string value(20, 'v');
  // Prefixes 0, 2, 4, ... present; compacted into sorted levels of many files.
  for (int p = 0; p < 1000; p += 2) {
    for (int i = 0; i < 6; i++) {
      ASSERT_TRUE(db_->Put({}, PrefixKey(p, i), value).ok());
    }
  }
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  DbStats st = db_->GetStats();
  int files = 0;
  for (size_t level = 1; level < st.levels.size(); level++) files += st.levels[level].files;
  ASSERT_EQ(st.levels[0].files, 0);
  ASSERT_GT(files, 5);

  // An absent prefix (odd) falls inside one file's range: that file is skipped.
  const uint64_t before = Skips();
  for (int p = 1; p < 1000; p += 20) {  // 50 prefixes
    char prefix[8];
    std::snprintf(prefix, sizeof(prefix), "k%03d", p);
    EXPECT_EQ(ScanPrefix(prefix), "");
    EXPECT_EQ(ScanPrefix(prefix, /*reverse=*/true), "");
  }
  // Some fall between two files (no candidate, nothing to skip); about 1%
  // pass the filter.
  EXPECT_GE(Skips() - before, 2u * 50 * 80 / 100);
  // Present prefixes are found, forward and reverse.
  for (int p = 0; p < 1000; p += 38) {
    char prefix[8];
    std::snprintf(prefix, sizeof(prefix), "k%03d", p);
    std::string want;
    for (int i = 0; i < 6; i++) want += PrefixKey(p, i) + "=" + value + ",";
    EXPECT_EQ(ScanPrefix(prefix), want);
    std::string reversed;
    for (int i = 5; i >= 0; i--) reversed += PrefixKey(p, i) + "=" + value + ",";
    EXPECT_EQ(ScanPrefix(prefix, true), reversed);
  }
}

// Keys over a small alphabet (so prefixes collide, yet a table of a few
// hundred keys lacks many of the 216 3-byte prefixes), 0..7 bytes long: many
// are shorter than the prefix length, and 0xff bytes exercise the successor edge.
std::string RandomKey(std::mt19937* rng) {
  static const char kAlphabet[] = {'a', 'b', 'c', 'd', 'e', '\xff'};
  std::string k(static_cast<size_t>((*rng)() % 8), 'a');
  for (char& c : k) c = kAlphabet[(*rng)() % 6];
  return k;
}

std::string ModelScan(const Model& m, const ReadOptions& ro, bool reverse) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) {
    if (ro.prefix && k.compare(0, ro.prefix->size(), *ro.prefix) != 0) continue;
    if (ro.lower_bound && k < *ro.lower_bound) continue;
    if (ro.upper_bound && k >= *ro.upper_bound) continue;
    out.push_back(k + "=" + v + ",");
  }
  if (reverse) std::reverse(out.begin(), out.end());
  std::string s;
  for (const auto& e : out) s += e;
  return s;
}

TEST_F(PrefixScanTest, RandomScansMatchAModelAcrossReopens) {
  options_.prefix_length = 3;
  // Few flushes and compactions (each costs fsyncs), but small tables.
  options_.write_buffer_size = 256 * 1024;
  options_.target_file_size = 8 * 1024;
  options_.max_bytes_for_level_base = 32 * 1024;
  Reopen();
  std::mt19937 rng(20261126);
  Model model;
  struct Snap {
    const Snapshot* snap;
    Model model;
  };
  std::vector<Snap> snaps;
  uint64_t skips = 0;

  auto check = [&](int queries) {
    for (int q = 0; q < queries; q++) {
      ReadOptions ro;
      std::string prefix = RandomKey(&rng).substr(0, rng() % 6);
      ro.prefix = prefix;
      if (rng() % 3 == 0) ro.lower_bound = RandomKey(&rng);
      if (rng() % 3 == 0) ro.upper_bound = RandomKey(&rng);
      const Model* m = &model;
      if (!snaps.empty() && rng() % 3 == 0) {
        const Snap& s = snaps[rng() % snaps.size()];
        ro.snapshot = s.snap;
        m = &s.model;
      }
      const bool reverse = rng() % 2 == 0;
      const std::string want = ModelScan(*m, ro, reverse);
      ASSERT_EQ(Scan(ro, reverse), want) << "prefix '" << prefix << "' reverse " << reverse;
      // The same scan through bounds alone, no prefix: the same entries.
      ReadOptions plain = ro;
      plain.prefix.reset();
      std::string lower = prefix;
      if (!plain.lower_bound || *plain.lower_bound < lower) plain.lower_bound = lower;
      std::string end = prefix;
      while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
      if (!end.empty()) {
        end.back() = static_cast<char>(end.back() + 1);
        if (!plain.upper_bound || end < *plain.upper_bound) plain.upper_bound = end;
      }
      ASSERT_EQ(Scan(plain, reverse), want);
      // A seek inside the prefix iterator lands where the model says.
      auto it = db_->NewIterator(ro);
      const std::string target = RandomKey(&rng);
      it->Seek(target);
      std::string got = it->Valid() ? std::string(it->key()) : "<end>";
      std::string expect = "<end>";
      for (const auto& [k, v] : *m) {
        if (k < target || k.compare(0, prefix.size(), prefix) != 0) continue;
        if (ro.lower_bound && k < *ro.lower_bound) continue;
        if (ro.upper_bound && k >= *ro.upper_bound) continue;
        expect = k;
        break;
      }
      ASSERT_EQ(got, expect) << "seek " << target << " prefix " << prefix;
    }
  };

  for (int round = 0; round < 6; round++) {
    for (int op = 0; op < 1000; op++) {
      std::string k = RandomKey(&rng);
      if (rng() % 4 == 0) {
        if (!model.empty() && rng() % 2 == 0) {  // mostly keys that exist
          auto it = model.lower_bound(k);
          k = it == model.end() ? model.begin()->first : it->first;
        }
        ASSERT_TRUE(db_->Delete({}, k).ok());
        model.erase(k);
      } else {
        const std::string v = std::to_string(round) + "." + std::to_string(op) +
                              std::string(rng() % 40, 'x');
        ASSERT_TRUE(db_->Put({}, k, v).ok());
        model[k] = v;
      }
      if (op % 250 == 249) {
        ASSERT_TRUE(db_->Flush().ok());
      }
    }
    if (round == 1 || round == 3) snaps.push_back({db_->GetSnapshot(), model});
    if (round == 2) {
      ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
    }
    check(100);
    if (round == 3) {
      for (const Snap& s : snaps) db_->ReleaseSnapshot(s.snap);
      snaps.clear();
      // Reopen with another prefix length: old tables keep their own.
      options_.prefix_length = 5;
      skips += Skips();
      Reopen();
      check(100);
    }
    if (round == 4) {
      options_.prefix_length = 1;
      skips += Skips();
      Reopen();
    }
  }
  for (const Snap& s : snaps) db_->ReleaseSnapshot(s.snap);
  EXPECT_GT(skips + Skips(), 100u);  // the scans above did skip tables
}

// Locates the filter block of an SST from its footer: it ends where the
// metaindex block starts.
uint64_t FilterBlockEnd(const std::string& fname) {
  Env* env = Env::Default();
  uint64_t size = 0;
  EXPECT_TRUE(env->GetFileSize(fname, &size).ok());
  std::unique_ptr<RandomAccessFile> file;
  EXPECT_TRUE(env->NewRandomAccessFile(fname, &file).ok());
  char buf[Footer::kEncodedLength];
  Slice in;
  EXPECT_TRUE(file->Read(size - sizeof(buf), sizeof(buf), &in, buf).ok());
  Footer footer;
  EXPECT_TRUE(footer.DecodeFrom(in).ok());
  return footer.metaindex_handle.offset;
}

TEST_F(PrefixScanTest, CorruptedFilterBlockIsCorruptionNotAWrongAnswer) {
  KeepL0();
  Reopen();
  FillInterleaved(db_.get());
  db_.reset();
  for (const std::string& fname : FilesWithSuffix(dir_.path(), ".sst")) {
    // Inside the filter's lines, before the filter block's trailer.
    FlipByte(fname, FilterBlockEnd(fname) - 5 - 20);
  }
  Reopen();
  for (const char* prefix : {"k042", "k1", "k199"}) {
    ReadOptions ro;
    ro.prefix = prefix;
    Status s;
    Scan(ro, false, &s);
    EXPECT_TRUE(s.IsCorruption()) << prefix << ": " << s.ToString();
    Scan(ro, true, &s);
    EXPECT_TRUE(s.IsCorruption()) << prefix << ": " << s.ToString();
  }
}

TEST_F(PrefixScanTest, PrefixLengthIsValidated) {
  options_.prefix_length = kMaxKeySize + 1;
  db_.reset();
  EXPECT_TRUE(DB::Open(options_, dir_.path(), &db_).IsInvalidArgument());
}

}  // namespace
}  // namespace kvstore
