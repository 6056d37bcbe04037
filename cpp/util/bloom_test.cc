#include "util/bloom.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "util/coding.h"

namespace kvstore {
namespace {

std::string Key(uint64_t i, const char* prefix = "key") {
  return prefix + std::to_string(i);
}

std::string BuildFilter(int bits_per_key, uint64_t n, const char* prefix = "key") {
  BloomFilterBuilder builder(bits_per_key);
  for (uint64_t i = 0; i < n; i++) builder.AddKey(Key(i, prefix));
  EXPECT_EQ(builder.num_keys(), n);
  std::string out;
  builder.Finish(&out);
  EXPECT_EQ(builder.num_keys(), 0u);
  return out;
}

TEST(BloomTest, EmptyFilterMatchesNothing) {
  std::string f = BuildFilter(10, 0);
  std::unique_ptr<BloomFilter> filter;
  ASSERT_TRUE(BloomFilter::Parse(f, &filter).ok());
  EXPECT_FALSE(filter->KeyMayMatch("hello"));
  EXPECT_FALSE(filter->KeyMayMatch(""));
}

TEST(BloomTest, NoFalseNegatives) {
  for (int bits : {1, 4, 10, 20}) {
    for (uint64_t n : {1, 10, 1000, 20000}) {
      std::string f = BuildFilter(bits, n);
      EXPECT_EQ(f.size() % kBloomLineBytes, 5u);
      std::unique_ptr<BloomFilter> filter;
      ASSERT_TRUE(BloomFilter::Parse(f, &filter).ok());
      for (uint64_t i = 0; i < n; i++) {
        ASSERT_TRUE(filter->KeyMayMatch(Key(i))) << bits << " " << n << " " << i;
      }
    }
  }
}

TEST(BloomTest, SizeFollowsBitsPerKey) {
  // 100k keys at 10 bits/key: 1M bits = 1954 lines of 512 bits.
  std::string f = BuildFilter(10, 100000);
  EXPECT_EQ(f.size(), 1954 * kBloomLineBytes + 5);
}

// The measured false-positive rate must be within 2x of the theory for this
// layout, and within 2x of the classic (unblocked) filter of the same size.
TEST(BloomTest, FalsePositiveRateMatchesTheory) {
  for (int bits : {6, 10, 16}) {
    const uint64_t n = 100000;
    std::string f = BuildFilter(bits, n);
    std::unique_ptr<BloomFilter> filter;
    ASSERT_TRUE(BloomFilter::Parse(f, &filter).ok());
    const int queries = 1000000;
    int hits = 0;
    for (int i = 0; i < queries; i++) hits += filter->KeyMayMatch(Key(i, "absent")) ? 1 : 0;
    const double measured = static_cast<double>(hits) / queries;
    const double expected = ExpectedFalsePositiveRate(bits);
    const double classic = ClassicFalsePositiveRate(bits, BloomFilterBuilder::NumProbes(bits));
    SCOPED_TRACE("bits=" + std::to_string(bits) + " measured=" + std::to_string(measured) +
                 " expected=" + std::to_string(expected) + " classic=" + std::to_string(classic));
    EXPECT_LE(measured, 2 * expected);
    EXPECT_GE(measured, expected / 2);
    EXPECT_LE(measured, 2 * classic);
    if (bits == 10) {
      EXPECT_LT(measured, 0.015);
    }
  }
}

TEST(BloomTest, ProbesStayInOneLine) {
  // A filter with one key has exactly one non-zero line.
  for (uint64_t i = 0; i < 200; i++) {
    BloomFilterBuilder builder(10);
    builder.AddKey(Key(i));
    // 1000 copies of one key: many lines, but one key's bits.
    for (int j = 0; j < 999; j++) builder.AddKey(Key(i));
    std::string f;
    builder.Finish(&f);
    const size_t lines = (f.size() - 5) / kBloomLineBytes;
    ASSERT_GT(lines, 1u);
    int nonzero = 0;
    for (size_t l = 0; l < lines; l++) {
      bool any = false;
      for (size_t b = 0; b < kBloomLineBytes; b++) any |= f[l * kBloomLineBytes + b] != 0;
      nonzero += any ? 1 : 0;
    }
    EXPECT_EQ(nonzero, 1);
  }
}

TEST(BloomTest, ParseRejectsMalformed) {
  std::unique_ptr<BloomFilter> filter;
  EXPECT_TRUE(BloomFilter::Parse("", &filter).IsCorruption());
  EXPECT_TRUE(BloomFilter::Parse("abcd", &filter).IsCorruption());
  std::string f = BuildFilter(10, 100);
  EXPECT_TRUE(BloomFilter::Parse(Slice(f.data(), f.size() - 1), &filter).IsCorruption());
  EXPECT_TRUE(BloomFilter::Parse(Slice(f.data() + 1, f.size() - 1), &filter).IsCorruption());
  std::string bad = f;
  bad[f.size() - 5] = 0;  // zero probes
  EXPECT_TRUE(BloomFilter::Parse(bad, &filter).IsCorruption());
  bad[f.size() - 5] = 17;  // too many probes
  EXPECT_TRUE(BloomFilter::Parse(bad, &filter).IsCorruption());
  bad = f;
  EncodeFixed32(bad.data() + f.size() - 4, 0xffffffffu);  // absurd line count
  EXPECT_TRUE(BloomFilter::Parse(bad, &filter).IsCorruption());
  ASSERT_TRUE(BloomFilter::Parse(f, &filter).ok());
  EXPECT_EQ(filter->MemoryUsage(), f.size() - 5);
}

}  // namespace
}  // namespace kvstore
