#include "util/comparator.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "util/coding.h"

namespace kvstore {
namespace {

int Sign(int x) { return (x > 0) - (x < 0); }

// Random keys over a tiny alphabet (with 0x00 and 0xff) so that long shared
// prefixes, equal keys and prefix pairs are all common.
std::string RandomKey(std::mt19937* rng) {
  static const char kBytes[] = {'\x00', 'a', 'b', '\x7f', '\x80', '\xff'};
  std::string k((*rng)() % 20, '\0');
  for (char& c : k) c = kBytes[(*rng)() % sizeof(kBytes)];
  return k;
}

TEST(ComparatorTest, BytewiseCompareMatchesMemcmpOrder) {
  std::mt19937 rng(3);
  for (int i = 0; i < 200000; i++) {
    const std::string a = RandomKey(&rng);
    const std::string b = (rng() % 4 == 0) ? a.substr(0, rng() % (a.size() + 1)) : RandomKey(&rng);
    ASSERT_EQ(Sign(BytewiseCompare(a, b)), Sign(a.compare(b))) << i;
    ASSERT_EQ(Sign(BytewiseComparator()->Compare(a, b)), Sign(a.compare(b))) << i;
  }
  EXPECT_EQ(BytewiseCompare(Slice(), Slice()), 0);
  EXPECT_LT(BytewiseCompare(Slice(), "a"), 0);
}

TEST(ComparatorTest, InternalBytewiseCompareOrdersUserKeyThenNewestFirst) {
  std::mt19937 rng(4);
  auto internal = [](const std::string& user, uint64_t tag) {
    std::string k = user;
    PutFixed64(&k, tag);
    return k;
  };
  for (int i = 0; i < 200000; i++) {
    const std::string ua = RandomKey(&rng);
    const std::string ub = (rng() % 3 == 0) ? ua : RandomKey(&rng);
    const uint64_t ta = rng() % 4 == 0 ? (uint64_t{1} << 63) + rng() : rng() % 50;
    const uint64_t tb = rng() % 4 == 0 ? ta : rng() % 50;
    int expected = Sign(ua.compare(ub));
    if (expected == 0) expected = ta > tb ? -1 : (ta < tb ? 1 : 0);
    ASSERT_EQ(Sign(InternalBytewiseCompare(internal(ua, ta), internal(ub, tb))), expected) << i;
  }
}

TEST(ComparatorTest, InternalBytewiseCompareIsTotalOnKeysShorterThanATag) {
  EXPECT_LT(InternalBytewiseCompare("ab", "abc"), 0);
  EXPECT_GT(InternalBytewiseCompare("b", "a"), 0);
  EXPECT_EQ(InternalBytewiseCompare("ab", "ab"), 0);
  std::string internal = "a";
  PutFixed64(&internal, 7);
  EXPECT_EQ(InternalBytewiseCompare("a", internal), -InternalBytewiseCompare(internal, "a"));
}

}  // namespace
}  // namespace kvstore
