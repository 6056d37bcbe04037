#include "node/status_map.h"

#include <string>

namespace kvstore::node {

grpc::Status ToGrpcStatus(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return grpc::Status::OK;
    case Status::Code::kNotFound:
      return grpc::Status(grpc::StatusCode::NOT_FOUND, s.message());
    case Status::Code::kCorruption:
      return grpc::Status(grpc::StatusCode::DATA_LOSS, "corruption: " + s.message());
    case Status::Code::kInvalidArgument:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, s.message());
    case Status::Code::kIOError:
      return grpc::Status(grpc::StatusCode::INTERNAL, "I/O error: " + s.message());
    case Status::Code::kBusy:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "busy: " + s.message());
    case Status::Code::kNotSupported:
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, s.message());
    case Status::Code::kIncomplete:  // the node never reads with no_io
      return grpc::Status(grpc::StatusCode::INTERNAL, "incomplete: " + s.message());
  }
  return grpc::Status(grpc::StatusCode::UNKNOWN, s.ToString());
}

grpc::Status OverloadedStatus(const char* what) {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      std::string("node overloaded: ") + what + " queue is full, retry later");
}

}  // namespace kvstore::node
