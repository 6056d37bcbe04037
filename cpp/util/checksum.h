// Checksums for on-disk records and blocks: the low 32 bits of XXH3-64
// (libxxhash). Every format in docs/format.md uses these two functions.
#pragma once

#include <cstdint>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include "kvstore/slice.h"

namespace kvstore {

inline uint32_t Checksum(const char* data, size_t n) {
  return static_cast<uint32_t>(XXH3_64bits(data, n));
}

// Checksum of a's bytes followed by b's bytes, without concatenating them.
inline uint32_t Checksum2(Slice a, Slice b) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, a.data(), a.size());
  XXH3_64bits_update(&state, b.data(), b.size());
  return static_cast<uint32_t>(XXH3_64bits_digest(&state));
}

}  // namespace kvstore
