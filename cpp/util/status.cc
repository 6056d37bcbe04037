#include "kvstore/status.h"

namespace kvstore {

Status::Status(Code code, Slice msg, Slice msg2) : code_(code), msg_(msg) {
  if (!msg2.empty()) {
    msg_.append(": ");
    msg_.append(msg2);
  }
}

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kNotFound: name = "NotFound"; break;
    case Code::kCorruption: name = "Corruption"; break;
    case Code::kInvalidArgument: name = "Invalid argument"; break;
    case Code::kIOError: name = "IO error"; break;
    case Code::kBusy: name = "Busy"; break;
    case Code::kNotSupported: name = "Not supported"; break;
    case Code::kIncomplete: name = "Incomplete"; break;
  }
  return std::string(name) + ": " + msg_;
}

}  // namespace kvstore
