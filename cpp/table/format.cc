// util/checksum.h declares an XXH3_state_t on the stack, whose definition
// xxhash.h only exposes under XXH_STATIC_LINKING_ONLY. Until checksum.h
// defines it itself, define it here, before anything includes xxhash.h.
#ifndef XXH_STATIC_LINKING_ONLY
#define XXH_STATIC_LINKING_ONLY
#endif

#include "table/format.h"

#include <limits>

#include "util/checksum.h"
#include "util/coding.h"
#include "util/compression.h"

namespace kvstore {

namespace {

// DecodeBlock, reusing owner's buffer for uncompressed contents when raw is *owner.
Status DecodeBlockImpl(Slice raw, uint64_t offset, std::string* contents, std::string* owner) {
  contents->clear();
  if (raw.size() < kBlockTrailerSize) return Status::Corruption("truncated block read");
  const char* data = raw.data();
  const size_t size = raw.size() - kBlockTrailerSize;
  const uint32_t expected = DecodeFixed32(data + size + 1);
  if (Checksum2(Slice(data, size), Slice(data + size, 1)) != expected) {
    return Status::Corruption("block checksum mismatch", "block at offset " + std::to_string(offset));
  }
  switch (static_cast<CompressionType>(static_cast<unsigned char>(data[size]))) {
    case CompressionType::kNone:
      if (owner != nullptr) {  // raw is *owner: keep its buffer
        owner->resize(size);
        *contents = std::move(*owner);
      } else {
        contents->assign(data, size);
      }
      return Status::OK();
    case CompressionType::kLZ4:
    case CompressionType::kZstd: {
      Status s = UncompressBlock(static_cast<Compression>(data[size]), Slice(data, size), contents);
      if (!s.ok()) {
        return Status::Corruption(s.message(), "block at offset " + std::to_string(offset));
      }
      return Status::OK();
    }
  }
  return Status::Corruption("unknown block compression type",
                            std::to_string(static_cast<unsigned char>(data[size])));
}

}  // namespace

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset);
  PutVarint64(dst, size);
}

Status BlockHandle::DecodeFrom(Slice* input) {
  if (GetVarint64(input, &offset) && GetVarint64(input, &size)) return Status::OK();
  return Status::Corruption("bad block handle");
}

void Footer::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  metaindex_handle.EncodeTo(dst);
  index_handle.EncodeTo(dst);
  dst->resize(start + kHandlesLength, '\0');
  PutFixed32(dst, kTableFormatVersion);
  PutFixed64(dst, kTableMagicNumber);
}

Status Footer::DecodeFrom(Slice input) {
  if (input.size() < kEncodedLength) {
    return Status::Corruption("not an sstable (file too short for a footer)");
  }
  const char* base = input.data() + input.size() - kEncodedLength;
  if (DecodeFixed64(base + kHandlesLength + 4) != kTableMagicNumber) {
    return Status::Corruption("not an sstable (bad magic number)");
  }
  const uint32_t version = DecodeFixed32(base + kHandlesLength);
  if (version != kTableFormatVersion) {
    return Status::Corruption("unsupported sstable format version", std::to_string(version));
  }
  Slice handles(base, kHandlesLength);
  Status s = metaindex_handle.DecodeFrom(&handles);
  if (s.ok()) s = index_handle.DecodeFrom(&handles);
  if (!s.ok()) return Status::Corruption("bad sstable footer", s.message());
  for (char c : handles) {
    if (c != '\0') return Status::Corruption("bad sstable footer (non-zero padding)");
  }
  return Status::OK();
}

void AppendBlockTrailer(std::string* dst, Slice contents, CompressionType type) {
  const char type_byte = static_cast<char>(type);
  dst->push_back(type_byte);
  PutFixed32(dst, Checksum2(contents, Slice(&type_byte, 1)));
}

Status ReadBlock(const RandomAccessFile* file, const BlockHandle& handle, std::string* contents) {
  contents->clear();
  // Restart offsets are fixed32, so no valid block is 4 GiB or larger.
  if (handle.size > std::numeric_limits<uint32_t>::max() ||
      handle.offset > std::numeric_limits<uint64_t>::max() - handle.size - kBlockTrailerSize) {
    return Status::Corruption("bad block handle (block too large)");
  }
  const size_t n = static_cast<size_t>(handle.size) + kBlockTrailerSize;
  std::string buf(n, '\0');
  Slice result;
  Status s = file->Read(handle.offset, n, &result, buf.data());
  if (!s.ok()) return s;
  if (result.size() != n) return Status::Corruption("truncated block read");

  if (result.data() != buf.data()) return DecodeBlock(result, handle.offset, contents);
  return DecodeBlockImpl(Slice(buf), handle.offset, contents, &buf);
}

Status DecodeBlock(Slice raw, uint64_t offset, std::string* contents) {
  return DecodeBlockImpl(raw, offset, contents, nullptr);
}

}  // namespace kvstore
