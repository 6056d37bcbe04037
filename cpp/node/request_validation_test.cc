#include "node/request_validation.h"

#include <gtest/gtest.h>

#include <string>

#include "kvstore/options.h"

namespace kvstore::node {
namespace {

TEST(RequestValidation, Keys) {
  v1::GetRequest get;
  EXPECT_EQ(ValidateGet(get).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(ValidateGet(get).error_message().find("empty"), std::string::npos);
  get.set_key(std::string(kMaxKeySize, 'k'));
  EXPECT_TRUE(ValidateGet(get).ok());
  get.set_key(std::string(kMaxKeySize + 1, 'k'));
  auto s = ValidateGet(get);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("64 KiB"), std::string::npos) << s.error_message();
}

TEST(RequestValidation, PutValueAndDurability) {
  v1::PutRequest put;
  put.set_key("k");
  put.set_value("v");
  EXPECT_TRUE(ValidatePut(put).ok());
  put.set_durability(static_cast<v1::Durability>(7));
  EXPECT_EQ(ValidatePut(put).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  put.set_durability(v1::DURABILITY_ASYNC);
  EXPECT_TRUE(ValidatePut(put).ok());
  EXPECT_FALSE(WantsSync(v1::DURABILITY_ASYNC));
  EXPECT_TRUE(WantsSync(v1::DURABILITY_DEFAULT));
  EXPECT_TRUE(WantsSync(v1::DURABILITY_SYNC));
}

TEST(RequestValidation, OversizedValue) {
  std::string big(kMaxValueSize + 1, 'v');
  auto s = ValidateValue(big, "value");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("256 MiB"), std::string::npos);
  EXPECT_TRUE(ValidateValue(std::string_view(big.data(), kMaxValueSize), "value").ok());
}

TEST(RequestValidation, WriteBatchLimits) {
  NodeLimits limits;
  limits.max_batch_mutations = 3;
  limits.max_batch_bytes = 10;
  v1::WriteRequest w;
  w.add_mutations()->mutable_put()->set_key("a");
  w.add_mutations()->mutable_delete_()->set_key("b");
  EXPECT_TRUE(ValidateWrite(w, limits).ok());

  auto* m = w.add_mutations();  // no op set: malformed
  auto s = ValidateWrite(w, limits);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("mutations[2]"), std::string::npos) << s.error_message();
  m->mutable_put()->set_key("");
  s = ValidateWrite(w, limits);
  EXPECT_NE(s.error_message().find("mutations[2].put.key is empty"), std::string::npos)
      << s.error_message();
  m->mutable_put()->set_key("c");
  m->mutable_put()->set_value("0123456789");
  s = ValidateWrite(w, limits);
  EXPECT_NE(s.error_message().find("exceeds the limit"), std::string::npos) << s.error_message();
  m->mutable_put()->set_value("x");
  EXPECT_TRUE(ValidateWrite(w, limits).ok());
  w.add_mutations()->mutable_put()->set_key("d");
  s = ValidateWrite(w, limits);
  EXPECT_NE(s.error_message().find("4 mutations"), std::string::npos) << s.error_message();
}

TEST(RequestValidation, MultiGetScanCas) {
  NodeLimits limits;
  limits.max_multi_get_keys = 2;
  v1::MultiGetRequest mg;
  mg.add_keys("a");
  mg.add_keys("");
  EXPECT_NE(ValidateMultiGet(mg, limits).error_message().find("keys[1]"), std::string::npos);
  mg.set_keys(1, "b");
  EXPECT_TRUE(ValidateMultiGet(mg, limits).ok());
  mg.add_keys("c");
  EXPECT_EQ(ValidateMultiGet(mg, limits).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ScanRequest scan;
  EXPECT_TRUE(ValidateScan(scan, limits).ok());
  scan.set_start("");  // the empty key is a valid bound
  EXPECT_TRUE(ValidateScan(scan, limits).ok());
  scan.set_prefix(std::string(kMaxKeySize + 1, 'p'));
  EXPECT_EQ(ValidateScan(scan, limits).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  scan.clear_prefix();
  scan.set_max_bytes_per_message(limits.max_scan_message_bytes + 1);
  EXPECT_EQ(ValidateScan(scan, limits).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::CompareAndSwapRequest cas;
  EXPECT_EQ(ValidateCompareAndSwap(cas).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  cas.set_key("k");
  EXPECT_TRUE(ValidateCompareAndSwap(cas).ok());
}

}  // namespace
}  // namespace kvstore::node
