// Mapping from engine Status to gRPC status codes, the one place it is defined:
//   InvalidArgument -> INVALID_ARGUMENT   Corruption   -> DATA_LOSS
//   IOError         -> INTERNAL           Busy         -> UNAVAILABLE
//   NotSupported    -> UNIMPLEMENTED      NotFound     -> NOT_FOUND
// The message keeps the engine's text.
#pragma once

#include <grpcpp/support/status.h>

#include "kvstore/status.h"

namespace kvstore::node {

grpc::Status ToGrpcStatus(const Status& s);

// The answer for a request refused because a worker queue is full.
grpc::Status OverloadedStatus(const char* what);

}  // namespace kvstore::node
