// Byte encodings shared by every on-disk format: little-endian fixed-width
// integers, LEB128 varints and length-prefixed slices (see docs/format.md).
//
// Get* functions consume from the front of *input and return false (leaving
// *input unspecified) on truncated or malformed input; they never read past
// the end of the slice.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#include "kvstore/slice.h"

namespace kvstore {

inline void EncodeFixed32(char* dst, uint32_t v) { std::memcpy(dst, &v, 4); }  // little-endian hosts
inline void EncodeFixed64(char* dst, uint64_t v) { std::memcpy(dst, &v, 8); }
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
static_assert(std::endian::native == std::endian::little, "kvstore formats assume a little-endian host");

void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);
void PutVarint32(std::string* dst, uint32_t v);
void PutVarint64(std::string* dst, uint64_t v);
// varint32 length followed by the bytes.
void PutLengthPrefixedSlice(std::string* dst, Slice value);

bool GetFixed32(Slice* input, uint32_t* value);
bool GetFixed64(Slice* input, uint64_t* value);
bool GetVarint32(Slice* input, uint32_t* value);
bool GetVarint64(Slice* input, uint64_t* value);
bool GetLengthPrefixedSlice(Slice* input, Slice* result);

// Pointer-based forms: parse from [p, limit); return the byte after the value or nullptr.
const char* GetVarint64Ptr(const char* p, const char* limit, uint64_t* value);
const char* GetVarint32PtrFallback(const char* p, const char* limit, uint32_t* value);
// Inline: one-byte varints (lengths under 128) are the common case on hot paths.
inline const char* GetVarint32Ptr(const char* p, const char* limit, uint32_t* value) {
  if (p < limit) {
    auto byte = static_cast<unsigned char>(*p);
    if ((byte & 0x80) == 0) {
      *value = byte;
      return p + 1;
    }
  }
  return GetVarint32PtrFallback(p, limit, value);
}

// Writes v at dst; returns the byte after it. dst needs room for 5 (10) bytes.
char* EncodeVarint32(char* dst, uint32_t v);
char* EncodeVarint64(char* dst, uint64_t v);
int VarintLength(uint64_t v);

}  // namespace kvstore
