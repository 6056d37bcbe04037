#include "util/bytewise.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "kvstore/slice.h"

namespace kvstore {
namespace {

int Sign(int r) { return r < 0 ? -1 : (r > 0 ? 1 : 0); }

int Expected(const std::string& a, const std::string& b) { return Sign(Slice(a).compare(Slice(b))); }

int Got(const std::string& a, const std::string& b) {
  return Sign(CompareBytes(a.data(), a.size(), b.data(), b.size()));
}

TEST(CompareBytesTest, EdgeCases) {
  EXPECT_EQ(Got("", ""), 0);
  EXPECT_EQ(Got("", "a"), -1);
  EXPECT_EQ(Got("a", ""), 1);
  EXPECT_EQ(Got("abc", "abd"), -1);
  EXPECT_EQ(Got("abc", "abc"), 0);
  EXPECT_EQ(Got("abc", "abcd"), -1);
  // Bytes compare unsigned: 0xff sorts after 0x01.
  EXPECT_EQ(Got(std::string(1, '\xff'), std::string(1, '\x01')), 1);
  EXPECT_EQ(Got(std::string(16, '\0') + '\xff', std::string(16, '\0') + '\x01'), 1);
  EXPECT_EQ(Got(std::string("0000000000123456"), std::string("0000000000123457")), -1);
  // A difference in the first byte of a word outranks every later byte.
  EXPECT_EQ(Got(std::string("\x01\xff\xff\xff\xff\xff\xff\xff", 8),
                std::string("\x02\x00\x00\x00\x00\x00\x00\x00", 8)),
            -1);
}

// Every length from 0 to 80 (word loop, overlapping tail, byte loop, memcmp),
// with the first difference at every position, against Slice::compare.
TEST(CompareBytesTest, MatchesSliceCompare) {
  std::mt19937 rnd(17);
  for (size_t len = 0; len <= 80; len++) {
    std::string base(len, '\0');
    for (auto& c : base) c = static_cast<char>(rnd());
    EXPECT_EQ(Got(base, base), 0);
    for (size_t pos = 0; pos < len; pos++) {
      std::string other = base;
      other[pos] = static_cast<char>(other[pos] ^ (1 + rnd() % 255));
      ASSERT_EQ(Got(base, other), Expected(base, other)) << len << " " << pos;
      ASSERT_EQ(Got(other, base), Expected(other, base)) << len << " " << pos;
      // Different lengths, sharing the prefix before pos.
      std::string shorter = base.substr(0, pos);
      ASSERT_EQ(Got(base, shorter), 1);
      ASSERT_EQ(Got(shorter, base), -1);
    }
  }
}

TEST(PrefixSuccessorTest, SmallestStringAfterEveryExtensionOfThePrefix) {
  EXPECT_EQ(PrefixSuccessor("abc"), std::optional<std::string>("abd"));
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), std::optional<std::string>("b"));
  EXPECT_EQ(PrefixSuccessor(std::string("\x01\xfe", 2)), std::optional<std::string>("\x01\xff"));
  EXPECT_EQ(PrefixSuccessor(std::string("\xff\xff", 2)), std::nullopt);
  EXPECT_EQ(PrefixSuccessor(""), std::nullopt);
  // Every extension of the prefix sorts below the successor, the successor above.
  const std::string prefix("k\xff", 2);
  const std::string succ = *PrefixSuccessor(prefix);
  for (const std::string& ext : {prefix, prefix + "\xff\xff\xff", prefix + std::string(1, '\0')}) {
    EXPECT_LT(CompareBytes(ext.data(), ext.size(), succ.data(), succ.size()), 0);
  }
}

}  // namespace
}  // namespace kvstore
