// The byte layout of an SST file below the block level: block handles, the
// per-block trailer and the fixed-size footer (see docs/format.md).
//
//   file    = data block* | metaindex block | index block | footer
//   block   = contents | trailer
//   trailer = compression type (1 byte) | fixed32 Checksum2(contents, type byte)
//   footer  = metaindex handle | index handle | zero padding to 40 bytes
//             | fixed32 format version | fixed64 magic number        (52 bytes)
//
// ReadBlock is the one function through which every block read passes, so a
// block cache (keyed by file and offset) can later be placed in front of it.
// It verifies the checksum of every block it returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kvstore/env.h"
#include "kvstore/slice.h"
#include "kvstore/status.h"

namespace kvstore {

// The location of a block inside a file. size counts the block contents only,
// not its trailer.
struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;

  // Appends varint64(offset) | varint64(size).
  void EncodeTo(std::string* dst) const;
  // Consumes a handle from the front of *input; Corruption if malformed.
  Status DecodeFrom(Slice* input);

  static constexpr size_t kMaxEncodedLength = 20;  // two varint64s of at most 10 bytes
};

// How a block's contents are stored. Values are persisted: never renumber.
// They equal those of kvstore::Compression (kvstore/options.h). A compressed
// block's contents are varint32 uncompressed length | codec payload
// (util/compression.h); handles and checksums cover the stored bytes.
enum class CompressionType : unsigned char {
  kNone = 0,
  kLZ4 = 1,
  kZstd = 2,
};

// Bytes that follow every block: type byte + fixed32 checksum.
inline constexpr size_t kBlockTrailerSize = 5;

// Identifies an SST file written by this engine (checked by Footer::DecodeFrom).
inline constexpr uint64_t kTableMagicNumber = 0x4b56535354424c31ull;  // "KVSSTBL1"
inline constexpr uint32_t kTableFormatVersion = 1;

struct Footer {
  BlockHandle metaindex_handle;
  BlockHandle index_handle;

  // Handles area (padded) + version + magic.
  static constexpr size_t kHandlesLength = 40;
  static constexpr size_t kEncodedLength = kHandlesLength + 4 + 8;  // 52

  // Appends exactly kEncodedLength bytes.
  void EncodeTo(std::string* dst) const;
  // Parses the last kEncodedLength bytes of input (input may be longer; the
  // footer is taken from its end). Corruption on a bad magic number, an
  // unknown version, malformed handles or non-zero padding.
  Status DecodeFrom(Slice input);
};

// Reads the block at handle from file, verifies its trailer checksum and
// stores its (uncompressed) contents in *contents. Returns Corruption on a
// short read, a checksum mismatch, an unknown compression type or a payload
// that does not decompress to its recorded length; IOError
// (from the file) if the read itself fails. Never trusts handle beyond
// bounds checks: callers that know the file size should reject handles that
// do not fit in the file before calling (see Table).
Status ReadBlock(const RandomAccessFile* file, const BlockHandle& handle, std::string* contents);

// The checks and decoding of ReadBlock applied to a block already in memory:
// raw holds the block's handle.size bytes of contents followed by its
// trailer (exactly). offset is only used in error messages.
Status DecodeBlock(Slice raw, uint64_t offset, std::string* contents);

// Appends the trailer for contents stored with type (used by TableBuilder).
void AppendBlockTrailer(std::string* dst, Slice contents, CompressionType type);

}  // namespace kvstore
