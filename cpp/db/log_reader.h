// log::Reader reads back the logical records of a record log (log_format.h).
//
// Damage is classified by what follows it:
//   * Torn tail: the end of the log does not hold a complete record (a crash
//     in the middle of an append: a record cut off by end of file, or zeros or
//     garbage after which no valid record follows). It is dropped and
//     reported only through Reporter::TornTail; it is not an error.
//   * Corruption: damage (bad checksum, impossible length, unknown type,
//     fragments out of FIRST/MIDDLE/LAST order) that IS followed by a valid
//     record. The damaged bytes are skipped, reported through
//     Reporter::Corruption just before that next valid record is returned, and
//     reading continues.
// The reader holds damage as "pending" until it knows which case it is.
// Resynchronisation: a record with a bad checksum (or unknown type) whose
// length still fits in its block is skipped by that length, so records after
// it in the same block survive when the damage spared the length field; an
// impossible length drops the rest of the block and reading resumes at the
// next block boundary (a record never spans blocks, so each block starts with
// a header).
// A read error from the file is reported at once through Corruption with the
// IOError status (check status.IsIOError()) and ends the log.
//
// Not thread-safe. Does not own the file or the reporter.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "db/log_format.h"
#include "kvstore/env.h"
#include "kvstore/slice.h"
#include "kvstore/status.h"

namespace kvstore::log {

class Reader {
 public:
  class Reporter {
   public:
    virtual ~Reporter();
    // bytes of damaged log were skipped, and valid records follow them.
    virtual void Corruption(size_t bytes, const Status& status) = 0;
    // bytes at the end of the log were dropped as an incomplete write.
    virtual void TornTail(size_t bytes) {}
  };

  // reporter may be null.
  Reader(SequentialFile* file, Reporter* reporter);
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Reads the next record into *record, which stays valid until the next call
  // or until *scratch changes. Returns false at the end of the log.
  bool ReadRecord(Slice* record, std::string* scratch);

  // File offset of the first byte of the last record ReadRecord returned.
  uint64_t LastRecordOffset() const { return last_record_offset_; }

 private:
  // ReadPhysicalRecord results besides the record types.
  static constexpr int kEof = kMaxRecordType + 1;
  static constexpr int kBadRecord = kMaxRecordType + 2;  // damage, already made pending

  // Returns a record type with *fragment and *offset set, kBadRecord or kEof.
  int ReadPhysicalRecord(Slice* fragment, uint64_t* offset);
  void AddPending(size_t bytes, const char* reason);
  void ReportPendingAsCorruption();
  void ReportPendingAsTornTail();

  SequentialFile* const file_;
  Reporter* const reporter_;
  std::unique_ptr<char[]> backing_store_;
  Slice buffer_;                  // unread part of the current block
  bool eof_ = false;              // the last read returned a partial block
  uint64_t end_of_buffer_offset_ = 0;  // file offset just past buffer_
  uint64_t last_record_offset_ = 0;

  size_t pending_bytes_ = 0;      // damage not yet classified
  std::string pending_reason_;    // the first reason among them
};

}  // namespace kvstore::log
