#include "util/compression.h"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>

#include "util/coding.h"

namespace kvstore {

namespace {

// Both codecs take int sizes; stay well inside them.
constexpr size_t kMaxBlockSize = std::numeric_limits<int>::max() / 2;
// lz4 never expands a byte of payload to more than 255 output bytes.
constexpr uint64_t kMaxLZ4Ratio = 255;

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

}  // namespace

bool CompressBlock(Compression type, Slice raw, int zstd_level, std::string* out) {
  if (type == Compression::kNone || raw.size() > kMaxBlockSize) return false;
  const size_t start = out->size();
  PutVarint32(out, static_cast<uint32_t>(raw.size()));
  const size_t header = out->size();
  switch (type) {
    case Compression::kLZ4: {
      const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
      out->resize(header + static_cast<size_t>(bound));
      const int n = LZ4_compress_default(raw.data(), out->data() + header,
                                         static_cast<int>(raw.size()), bound);
      if (n <= 0) break;
      out->resize(header + static_cast<size_t>(n));
      return true;
    }
    case Compression::kZstd: {
      ZSTD_CCtx* ctx = ThreadCCtx();
      if (ctx == nullptr) break;
      const int level = std::clamp(zstd_level, ZSTD_minCLevel(), ZSTD_maxCLevel());
      const size_t bound = ZSTD_compressBound(raw.size());
      out->resize(header + bound);
      const size_t n =
          ZSTD_compressCCtx(ctx, out->data() + header, bound, raw.data(), raw.size(), level);
      if (ZSTD_isError(n)) break;
      out->resize(header + n);
      return true;
    }
    case Compression::kNone:
      break;
  }
  out->resize(start);
  return false;
}

Status UncompressBlock(Compression type, Slice compressed, std::string* out) {
  out->clear();
  Slice input = compressed;
  uint32_t length = 0;
  if (!GetVarint32(&input, &length)) {
    return Status::Corruption("bad compressed block", "truncated length");
  }
  if (length > kMaxBlockSize) {
    return Status::Corruption("bad compressed block", "impossible length");
  }
  switch (type) {
    case Compression::kLZ4: {
      if (length > (input.size() + 1) * kMaxLZ4Ratio) {
        return Status::Corruption("bad compressed block", "length beyond lz4's ratio");
      }
      out->resize(length);
      const int n = LZ4_decompress_safe(input.data(), out->data(), static_cast<int>(input.size()),
                                        static_cast<int>(length));
      if (n < 0 || static_cast<uint32_t>(n) != length) {
        out->clear();
        return Status::Corruption("bad compressed block", "lz4 decompression failed");
      }
      return Status::OK();
    }
    case Compression::kZstd: {
      // The frame header carries the content size too: it must agree.
      const unsigned long long frame_size = ZSTD_getFrameContentSize(input.data(), input.size());
      if (frame_size != length) {
        return Status::Corruption("bad compressed block", "zstd frame size mismatch");
      }
      ZSTD_DCtx* ctx = ThreadDCtx();
      if (ctx == nullptr) return Status::Corruption("bad compressed block", "no zstd context");
      out->resize(length);
      const size_t n = ZSTD_decompressDCtx(ctx, out->data(), length, input.data(), input.size());
      if (ZSTD_isError(n) || n != length) {
        out->clear();
        return Status::Corruption("bad compressed block", "zstd decompression failed");
      }
      return Status::OK();
    }
    case Compression::kNone:
      break;
  }
  return Status::Corruption("bad compressed block", "not a compressed type");
}

}  // namespace kvstore
