// Status: the result of an engine operation. OK carries no message; every other
// code carries a human-readable message. Cheap to copy when OK.
//
// Codes map 1:1 onto the Python exception hierarchy (kvstore.Error subclasses)
// and onto gRPC status codes at the service boundary.
#pragma once

#include <string>

#include "kvstore/slice.h"

namespace kvstore {

class Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound = 1,
    kCorruption = 2,
    kInvalidArgument = 3,
    kIOError = 4,
    kBusy = 5,          // resource in use (e.g. data directory locked by another process)
    kNotSupported = 6,
    kIncomplete = 7,    // a memory-only read (ReadOptions::no_io) needed a file read
  };

  Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(Slice msg, Slice msg2 = {}) { return Status(Code::kNotFound, msg, msg2); }
  static Status Corruption(Slice msg, Slice msg2 = {}) { return Status(Code::kCorruption, msg, msg2); }
  static Status InvalidArgument(Slice msg, Slice msg2 = {}) {
    return Status(Code::kInvalidArgument, msg, msg2);
  }
  static Status IOError(Slice msg, Slice msg2 = {}) { return Status(Code::kIOError, msg, msg2); }
  static Status Busy(Slice msg, Slice msg2 = {}) { return Status(Code::kBusy, msg, msg2); }
  static Status NotSupported(Slice msg, Slice msg2 = {}) {
    return Status(Code::kNotSupported, msg, msg2);
  }
  static Status Incomplete(Slice msg, Slice msg2 = {}) {
    return Status(Code::kIncomplete, msg, msg2);
  }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsIncomplete() const { return code_ == Code::kIncomplete; }

  Code code() const { return code_; }
  const std::string& message() const { return msg_; }
  // "Corruption: <message>", or "OK".
  std::string ToString() const;

 private:
  Status(Code code, Slice msg, Slice msg2);

  Code code_ = Code::kOk;
  std::string msg_;
};

}  // namespace kvstore
