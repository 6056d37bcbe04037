// In-memory files for table tests: a WritableFile that appends to a string
// and a RandomAccessFile that reads from one (optionally failing every read,
// to exercise IOError paths). Test-only.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "kvstore/env.h"

namespace kvstore {

class StringSink final : public WritableFile {
 public:
  Status Append(Slice data) override;
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  const std::string& contents() const { return contents_; }

 private:
  std::string contents_;
};

class StringSource final : public RandomAccessFile {
 public:
  explicit StringSource(std::string contents) : contents_(std::move(contents)) {}
  // Reads that return at most the bytes that exist (short at end of file).
  Status Read(uint64_t offset, size_t n, Slice* result, char* scratch) const override;
  // When set, every Read fails with IOError.
  void set_fail_reads(bool fail) { fail_reads_ = fail; }
  uint64_t size() const { return contents_.size(); }
  // Read calls and bytes asked for so far (thread-safe counters).
  uint64_t num_reads() const { return reads_.load(); }
  uint64_t bytes_read() const { return bytes_.load(); }

 private:
  std::string contents_;
  bool fail_reads_ = false;
  mutable std::atomic<uint64_t> reads_{0};
  mutable std::atomic<uint64_t> bytes_{0};
};

}  // namespace kvstore
