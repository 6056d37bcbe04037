// CompareBytes: the bytewise (memcmp, then shorter-first) order of two byte
// strings, as Slice::compare gives it, for hot paths that compare short keys.
//
// Inline and call-free for the common prefix up to 64 bytes: it compares 8
// bytes at a time as big-endian integers (the last word overlapping the one
// before it, so no byte-at-a-time tail once 8 bytes are shared). Longer common
// prefixes go to memcmp. Returns <0, 0 or >0; only the sign means anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace kvstore {

inline int CompareBytes(const char* a, size_t an, const char* b, size_t bn) {
  const size_t n = an < bn ? an : bn;
  // Orders two unequal words by their first differing byte.
  auto order = [](uint64_t x, uint64_t y) {
    // Little-endian host (util/coding.h): swap so byte 0 is the most significant.
    return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
  };
  auto load = [](const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  if (n - 8 <= 64 - 8) {  // 8 <= n <= 64
    // Whole words, then the last 8 shared bytes (overlapping the word before
    // when n % 8 != 0; the overlap is known equal by then).
    const size_t last = n - 8;
    for (size_t i = 0; i < last; i += 8) {
      const uint64_t x = load(a + i);
      const uint64_t y = load(b + i);
      if (x != y) return order(x, y);
    }
    const uint64_t x = load(a + last);
    const uint64_t y = load(b + last);
    if (x != y) return order(x, y);
  } else if (n < 8) {
    for (size_t i = 0; i < n; i++) {
      const auto x = static_cast<unsigned char>(a[i]);
      const auto y = static_cast<unsigned char>(b[i]);
      if (x != y) return x < y ? -1 : 1;
    }
  } else {
    const int r = std::memcmp(a, b, n);
    if (r != 0) return r;
  }
  return an < bn ? -1 : (an > bn ? 1 : 0);
}

// The smallest byte string greater, in bytewise order, than every string that
// starts with prefix (the exclusive end of a prefix scan); nullopt when there is
// none (prefix empty or all 0xff bytes).
inline std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xff) s.pop_back();
  if (s.empty()) return std::nullopt;
  s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  return s;
}

}  // namespace kvstore
