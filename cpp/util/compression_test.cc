#include "util/compression.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "util/coding.h"

namespace kvstore {
namespace {

// Text-like data: words from a small vocabulary (compresses well).
std::string Compressible(size_t n, std::mt19937* rng) {
  static const char* words[] = {"alpha ", "beta ", "gamma ", "delta ", "key", "value", "0001"};
  std::string s;
  while (s.size() < n) s += words[(*rng)() % 7];
  s.resize(n);
  return s;
}

std::string Random(size_t n, std::mt19937* rng) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>((*rng)());
  return s;
}

const Compression kCodecs[] = {Compression::kLZ4, Compression::kZstd};

TEST(CompressionTest, RoundTripEveryCodec) {
  std::mt19937 rng(1);
  for (Compression c : kCodecs) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{4096}, size_t{1 << 20}}) {
      for (bool random : {false, true}) {
        const std::string raw = random ? Random(n, &rng) : Compressible(n, &rng);
        std::string compressed = "prefix";
        ASSERT_TRUE(CompressBlock(c, raw, 3, &compressed));
        ASSERT_EQ(compressed.substr(0, 6), "prefix");
        std::string back = "junk";
        Status s = UncompressBlock(c, Slice(compressed).substr(6), &back);
        ASSERT_TRUE(s.ok()) << s.ToString();
        ASSERT_EQ(back, raw);
        if (!random && n >= 4096) {
          EXPECT_TRUE(CompressionIsWorthIt(raw.size(), compressed.size() - 6));
        }
      }
    }
  }
}

TEST(CompressionTest, ZstdLevelsAreClamped) {
  std::mt19937 rng(2);
  const std::string raw = Compressible(10000, &rng);
  for (int level : {-1000, 1, 3, 19, 1000}) {
    std::string compressed;
    ASSERT_TRUE(CompressBlock(Compression::kZstd, raw, level, &compressed)) << level;
    std::string back;
    ASSERT_TRUE(UncompressBlock(Compression::kZstd, compressed, &back).ok());
    EXPECT_EQ(back, raw);
  }
}

TEST(CompressionTest, NoneIsNotACodec) {
  std::string out = "x";
  EXPECT_FALSE(CompressBlock(Compression::kNone, "abc", 3, &out));
  EXPECT_EQ(out, "x");
  EXPECT_TRUE(UncompressBlock(Compression::kNone, "abc", &out).IsCorruption());
}

TEST(CompressionTest, RandomDataIsNotWorthIt) {
  std::mt19937 rng(3);
  const std::string raw = Random(4096, &rng);
  for (Compression c : kCodecs) {
    std::string compressed;
    ASSERT_TRUE(CompressBlock(c, raw, 3, &compressed));
    EXPECT_FALSE(CompressionIsWorthIt(raw.size(), compressed.size()));
  }
  EXPECT_TRUE(CompressionIsWorthIt(800, 700));
  EXPECT_FALSE(CompressionIsWorthIt(800, 701));
  EXPECT_FALSE(CompressionIsWorthIt(0, 0));
}

TEST(CompressionTest, BadLengthsAreCorruption) {
  std::mt19937 rng(4);
  const std::string raw = Compressible(5000, &rng);
  for (Compression c : kCodecs) {
    std::string compressed;
    ASSERT_TRUE(CompressBlock(c, raw, 3, &compressed));
    Slice payload(compressed);
    uint32_t len;
    ASSERT_TRUE(GetVarint32(&payload, &len));
    for (uint32_t wrong : {len - 1, len + 1, 0u, 1u << 30, 0xffffffffu}) {
      std::string bad;
      PutVarint32(&bad, wrong);
      bad.append(payload.data(), payload.size());
      std::string out;
      EXPECT_TRUE(UncompressBlock(c, bad, &out).IsCorruption()) << wrong;
    }
    std::string out;
    EXPECT_TRUE(UncompressBlock(c, "", &out).IsCorruption());
    EXPECT_TRUE(UncompressBlock(c, "\x80", &out).IsCorruption());
    // Truncated payloads.
    for (size_t cut = 1; cut < payload.size(); cut += 97) {
      EXPECT_TRUE(UncompressBlock(c, Slice(compressed).substr(0, compressed.size() - cut), &out)
                      .IsCorruption())
          << cut;
    }
  }
}

// Flips bytes of compressed payloads: every outcome is Corruption or the exact
// original (a flip in a literal the codec does not check), never a crash.
// Run under ASan in the sanitizer build.
TEST(CompressionTest, FlippedBytesNeverCrash) {
  std::mt19937 rng(5);
  for (Compression c : kCodecs) {
    const std::string raw = Compressible(3000, &rng) + Random(500, &rng);
    std::string compressed;
    ASSERT_TRUE(CompressBlock(c, raw, 3, &compressed));
    int corrupt = 0;
    for (size_t i = 0; i < compressed.size(); i++) {
      for (int delta : {0x01, 0x10, 0x80, 0xff}) {
        std::string bad = compressed;
        bad[i] = static_cast<char>(bad[i] ^ delta);
        std::string out;
        Status s = UncompressBlock(c, bad, &out);
        if (s.ok()) {
          ASSERT_EQ(out.size(), raw.size());  // a literal changed at worst
        } else {
          ASSERT_TRUE(s.IsCorruption());
          corrupt++;
        }
      }
    }
    EXPECT_GT(corrupt, 0);
  }
}

}  // namespace
}  // namespace kvstore
