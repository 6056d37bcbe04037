// Request validation: every KV request is checked here before it reaches the
// engine, so a bad request costs no engine work and gets INVALID_ARGUMENT with a
// message naming the field and the limit. Pure functions, safe from any thread.
//
// Limits: keys 1 byte .. kMaxKeySize (64 KiB), values up to kMaxValueSize
// (256 MiB), Write batches up to NodeLimits::max_batch_mutations mutations and
// max_batch_bytes key+value bytes, MultiGet up to max_multi_get_keys keys.
#pragma once

#include <grpcpp/support/status.h>

#include "kvstore/slice.h"
#include "kvstore/v1/kv.pb.h"
#include "node/node_config.h"

namespace kvstore::node {

// `what` names the field in the message, e.g. "key" or "mutations[3].put.key".
grpc::Status ValidateKey(Slice key, const std::string& what);
grpc::Status ValidateValue(Slice value, const std::string& what);
grpc::Status ValidateDurability(int durability);

grpc::Status ValidateGet(const v1::GetRequest& r);
grpc::Status ValidateMultiGet(const v1::MultiGetRequest& r, const NodeLimits& limits);
grpc::Status ValidatePut(const v1::PutRequest& r);
grpc::Status ValidateDelete(const v1::DeleteRequest& r);
grpc::Status ValidateWrite(const v1::WriteRequest& r, const NodeLimits& limits);
grpc::Status ValidateScan(const v1::ScanRequest& r, const NodeLimits& limits);
grpc::Status ValidateCompareAndSwap(const v1::CompareAndSwapRequest& r);

// true unless the request asked for DURABILITY_ASYNC.
bool WantsSync(int durability);

}  // namespace kvstore::node
