// Block compression with lz4 and zstd.
//
//   compressed block = varint32 uncompressed length | codec payload
//
// The uncompressed length is recorded so that decompression writes into a
// buffer of known size and can check that it produced exactly that many
// bytes. Every failure to decompress (bad payload, size mismatch, an
// impossible length) is a Corruption status, never a crash or an overrun.
//
// Thread-safe: codec contexts are per thread.
#pragma once

#include <string>

#include "kvstore/options.h"
#include "kvstore/slice.h"
#include "kvstore/status.h"

namespace kvstore {

// Appends the compressed form of raw to *out. Returns false (leaving *out as
// it was) when type is kNone, raw is too large for the codec (over 2 GiB), or
// the codec fails. zstd_level is clamped to the levels zstd supports.
bool CompressBlock(Compression type, Slice raw, int zstd_level, std::string* out);

// Decodes a compressed block written by CompressBlock into *out (replacing
// its contents). Corruption on any malformed input.
Status UncompressBlock(Compression type, Slice compressed, std::string* out);

// Whether stored as compressed a block of raw_size bytes that compresses to
// compressed_size bytes: only if that saves at least 1/8 of the block.
inline bool CompressionIsWorthIt(size_t raw_size, size_t compressed_size) {
  return compressed_size <= raw_size - raw_size / 8 && compressed_size < raw_size;
}

}  // namespace kvstore
