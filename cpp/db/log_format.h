// The record log: the file format shared by the write-ahead log (WAL) and the
// MANIFEST. See docs/format.md ("Record log").
//
// A log is a sequence of 32 KiB blocks (the last one may be partial). A block
// holds physical records, each a 7-byte header followed by its payload:
//
//   fixed32 checksum | fixed16 length | uint8 type | payload[length]
//
// checksum = Checksum2(type byte, payload) (util/checksum.h). A record never
// spans blocks: a logical record too big for the rest of a block is split into
// FIRST, MIDDLE..., LAST fragments; one that fits is a single FULL record. When
// fewer than 7 bytes remain in a block they are zero-filled and the next
// record starts at the next block.
#pragma once

#include <cstddef>

namespace kvstore::log {

enum RecordType : unsigned char {
  kZeroType = 0,  // never written; zeros read back are treated as damage
  kFullType = 1,
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
};
inline constexpr unsigned char kMaxRecordType = kLastType;

inline constexpr size_t kBlockSize = 32768;
// checksum (4) + length (2) + type (1)
inline constexpr size_t kHeaderSize = 4 + 2 + 1;

}  // namespace kvstore::log
