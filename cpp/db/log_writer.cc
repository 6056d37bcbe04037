// util/checksum.h uses XXH3_state_t, which xxhash.h declares only under
// XXH_STATIC_LINKING_ONLY; define it until checksum.h does so itself.
#ifndef XXH_STATIC_LINKING_ONLY
#define XXH_STATIC_LINKING_ONLY
#endif
#include "db/log_writer.h"

#include <algorithm>
#include <cstring>

#include "util/checksum.h"
#include "util/coding.h"

namespace kvstore::log {

Writer::Writer(WritableFile* dest) : Writer(dest, 0) {}

Writer::Writer(WritableFile* dest, uint64_t dest_length)
    : dest_(dest), block_offset_(dest_length % kBlockSize) {}

Status Writer::AddRecord(Slice record) {
  const char* ptr = record.data();
  size_t left = record.size();
  bool begin = true;
  Status s;
  do {  // runs at least once, so an empty record becomes an empty FULL record
    size_t leftover = kBlockSize - block_offset_;
    if (leftover < kHeaderSize) {
      // No room for a header: zero-fill the block tail.
      static constexpr char kZeros[kHeaderSize] = {};
      if (leftover > 0) {
        s = dest_->Append(Slice(kZeros, leftover));
        if (!s.ok()) return s;
      }
      block_offset_ = 0;
    }
    size_t avail = kBlockSize - block_offset_ - kHeaderSize;
    size_t fragment = std::min(left, avail);
    bool end = fragment == left;
    RecordType type = begin && end ? kFullType : begin ? kFirstType : end ? kLastType : kMiddleType;
    s = EmitPhysicalRecord(type, ptr, fragment);
    ptr += fragment;
    left -= fragment;
    begin = false;
  } while (s.ok() && left > 0);
  return s;
}

Status Writer::EmitPhysicalRecord(RecordType type, const char* data, size_t length) {
  // length <= kBlockSize - kHeaderSize, so it fits the 16-bit field.
  if (length <= kSmallFragment) {
    // Header and payload side by side: the type byte then sits right before the
    // payload, so one one-shot checksum covers both (cheaper than the streaming
    // form for short records) and the file gets one Append.
    char buf[kHeaderSize + kSmallFragment];
    buf[4] = static_cast<char>(length & 0xff);
    buf[5] = static_cast<char>(length >> 8);
    buf[6] = static_cast<char>(type);
    if (length > 0) std::memcpy(buf + kHeaderSize, data, length);  // data may be null when empty
    EncodeFixed32(buf, Checksum(buf + kHeaderSize - 1, length + 1));
    block_offset_ += kHeaderSize + length;
    return dest_->Append(Slice(buf, kHeaderSize + length));
  }
  char header[kHeaderSize];
  const char type_byte = static_cast<char>(type);
  EncodeFixed32(header, Checksum2(Slice(&type_byte, 1), Slice(data, length)));
  header[4] = static_cast<char>(length & 0xff);
  header[5] = static_cast<char>(length >> 8);
  header[6] = type_byte;
  Status s = dest_->Append(Slice(header, kHeaderSize));
  if (s.ok()) s = dest_->Append(Slice(data, length));
  block_offset_ += kHeaderSize + length;
  return s;
}

}  // namespace kvstore::log
