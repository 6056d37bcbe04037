#include "node/status_map.h"

#include <gtest/gtest.h>

namespace kvstore::node {
namespace {

TEST(StatusMap, EngineCodesToGrpc) {
  EXPECT_TRUE(ToGrpcStatus(Status::OK()).ok());
  EXPECT_EQ(ToGrpcStatus(Status::Corruption("bad block")).error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(ToGrpcStatus(Status::IOError("disk")).error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(ToGrpcStatus(Status::InvalidArgument("x")).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ToGrpcStatus(Status::Busy("x")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ToGrpcStatus(Status::NotSupported("x")).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(ToGrpcStatus(Status::Corruption("bad block")).error_message().find("bad block"),
            std::string::npos);
  EXPECT_EQ(OverloadedStatus("write").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace kvstore::node
