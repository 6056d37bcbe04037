// util/checksum.h uses XXH3_state_t, which xxhash.h declares only under
// XXH_STATIC_LINKING_ONLY; define it until checksum.h does so itself.
#ifndef XXH_STATIC_LINKING_ONLY
#define XXH_STATIC_LINKING_ONLY
#endif
#include "db/log_reader.h"

#include "util/checksum.h"
#include "util/coding.h"

namespace kvstore::log {

Reader::Reporter::~Reporter() = default;

Reader::Reader(SequentialFile* file, Reporter* reporter)
    : file_(file), reporter_(reporter), backing_store_(new char[kBlockSize]) {}

void Reader::AddPending(size_t bytes, const char* reason) {
  if (bytes == 0) return;
  if (pending_bytes_ == 0) pending_reason_ = reason;
  pending_bytes_ += bytes;
}

void Reader::ReportPendingAsCorruption() {
  if (pending_bytes_ == 0) return;
  if (reporter_ != nullptr) {
    reporter_->Corruption(pending_bytes_, Status::Corruption("log record", pending_reason_));
  }
  pending_bytes_ = 0;
  pending_reason_.clear();
}

void Reader::ReportPendingAsTornTail() {
  if (pending_bytes_ == 0) return;
  if (reporter_ != nullptr) reporter_->TornTail(pending_bytes_);
  pending_bytes_ = 0;
  pending_reason_.clear();
}

bool Reader::ReadRecord(Slice* record, std::string* scratch) {
  scratch->clear();
  *record = Slice();
  bool in_fragmented_record = false;
  size_t fragmented_bytes = 0;  // physical bytes of the fragments in *scratch
  uint64_t record_offset = 0;

  auto drop_fragments = [&](const char* reason) {
    if (in_fragmented_record) AddPending(fragmented_bytes, reason);
    in_fragmented_record = false;
    fragmented_bytes = 0;
    scratch->clear();
  };

  while (true) {
    Slice fragment;
    uint64_t offset = 0;
    int type = ReadPhysicalRecord(&fragment, &offset);
    size_t physical = kHeaderSize + fragment.size();
    switch (type) {
      case kFullType:
        drop_fragments("partial record without end");
        ReportPendingAsCorruption();
        last_record_offset_ = offset;
        *record = fragment;
        return true;

      case kFirstType:
        drop_fragments("partial record without end");
        in_fragmented_record = true;
        record_offset = offset;
        scratch->assign(fragment.data(), fragment.size());
        fragmented_bytes = physical;
        break;

      case kMiddleType:
        if (!in_fragmented_record) {
          AddPending(physical, "missing start of fragmented record");
        } else {
          scratch->append(fragment.data(), fragment.size());
          fragmented_bytes += physical;
        }
        break;

      case kLastType:
        if (!in_fragmented_record) {
          AddPending(physical, "missing start of fragmented record");
        } else {
          scratch->append(fragment.data(), fragment.size());
          ReportPendingAsCorruption();
          last_record_offset_ = record_offset;
          *record = Slice(*scratch);
          return true;
        }
        break;

      case kBadRecord:
        drop_fragments("partial record without end");
        break;

      case kEof:
      default:
        drop_fragments("record cut off by end of file");
        ReportPendingAsTornTail();
        scratch->clear();
        return false;
    }
  }
}

int Reader::ReadPhysicalRecord(Slice* fragment, uint64_t* offset) {
  while (true) {
    if (buffer_.size() < kHeaderSize) {
      if (!eof_) {
        // Whatever is left is the zero-filled tail of a full block: skip it,
        // counting it with any damage it sits in.
        if (pending_bytes_ > 0) AddPending(buffer_.size(), "damaged block tail");
        buffer_ = Slice();
        Status s = file_->Read(kBlockSize, &buffer_, backing_store_.get());
        if (!s.ok()) {
          buffer_ = Slice();
          eof_ = true;
          if (reporter_ != nullptr) reporter_->Corruption(kBlockSize, s);
          return kEof;
        }
        end_of_buffer_offset_ += buffer_.size();
        if (buffer_.size() < kBlockSize) eof_ = true;
        continue;
      }
      // A header cut off by the end of the file.
      AddPending(buffer_.size(), "truncated record header");
      buffer_ = Slice();
      return kEof;
    }

    const char* header = buffer_.data();
    const uint32_t expected_checksum = DecodeFixed32(header);
    const size_t length = static_cast<unsigned char>(header[4]) |
                          (static_cast<size_t>(static_cast<unsigned char>(header[5])) << 8);
    const unsigned char type = static_cast<unsigned char>(header[6]);

    if (kHeaderSize + length > buffer_.size()) {
      const char* reason = eof_ ? "record cut off by end of file" : "bad record length";
      AddPending(buffer_.size(), reason);
      buffer_ = Slice();
      if (eof_) return kEof;
      return kBadRecord;  // resynchronise at the next block
    }

    Slice payload(header + kHeaderSize, length);
    bool checksum_ok = Checksum2(Slice(header + 6, 1), payload) == expected_checksum;
    if (!checksum_ok || type == kZeroType || type > kMaxRecordType) {
      // The length fits in the block, so try the bytes right after this
      // record: if the damage spared the length field, the next record starts
      // there and the records behind the damage are not lost. If the length was
      // damaged we land on garbage, which fails again and eventually
      // resynchronises at the next block (above).
      const char* reason = !checksum_ok ? (type == kZeroType && length == 0 && expected_checksum == 0
                                               ? "zeroed bytes"
                                               : "checksum mismatch")
                                        : "unknown record type";
      AddPending(kHeaderSize + length, reason);
      buffer_.remove_prefix(kHeaderSize + length);
      return kBadRecord;
    }

    *offset = end_of_buffer_offset_ - buffer_.size();
    buffer_.remove_prefix(kHeaderSize + length);
    *fragment = payload;
    return type;
  }
}

}  // namespace kvstore::log
