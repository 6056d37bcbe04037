// log::Writer appends logical records to a record log (log_format.h).
//
// AddRecord hands bytes to dest->Append() only; making them durable is the
// caller's job (dest->Flush() / dest->Sync()). After an Append error the file
// may hold a partial record: stop using the writer (a reader drops such a
// partial record at the tail as a torn write).
//
// Not thread-safe: one caller at a time. Does not own dest.
#pragma once

#include <cstdint>

#include "db/log_format.h"
#include "kvstore/env.h"
#include "kvstore/slice.h"
#include "kvstore/status.h"

namespace kvstore::log {

class Writer {
 public:
  // dest must be empty.
  explicit Writer(WritableFile* dest);
  // dest already holds dest_length bytes of log (appending to an existing log).
  Writer(WritableFile* dest, uint64_t dest_length);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Any size, including empty.
  Status AddRecord(Slice record);

 private:
  // Fragments up to this size are copied next to their header and checksummed
  // in one pass; longer ones are checksummed in place.
  static constexpr size_t kSmallFragment = 4096;

  Status EmitPhysicalRecord(RecordType type, const char* data, size_t length);

  WritableFile* const dest_;
  size_t block_offset_;  // bytes already used in the current block
};

}  // namespace kvstore::log
