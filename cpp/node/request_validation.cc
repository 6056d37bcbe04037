#include "node/request_validation.h"

#include <string>

#include "kvstore/options.h"

namespace kvstore::node {
namespace {

grpc::Status Invalid(const std::string& msg) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, msg);
}

}  // namespace

grpc::Status ValidateKey(Slice key, const std::string& what) {
  if (key.empty()) return Invalid(what + " is empty (keys must be 1 byte to 64 KiB)");
  if (key.size() > kMaxKeySize) {
    return Invalid(what + " is " + std::to_string(key.size()) + " bytes, over the limit of " +
                   std::to_string(kMaxKeySize) + " bytes (64 KiB)");
  }
  return grpc::Status::OK;
}

grpc::Status ValidateValue(Slice value, const std::string& what) {
  if (value.size() > kMaxValueSize) {
    return Invalid(what + " is " + std::to_string(value.size()) + " bytes, over the limit of " +
                   std::to_string(kMaxValueSize) + " bytes (256 MiB)");
  }
  return grpc::Status::OK;
}

grpc::Status ValidateDurability(int durability) {
  if (!v1::Durability_IsValid(durability)) {
    return Invalid("durability " + std::to_string(durability) +
                   " is not one of DURABILITY_DEFAULT, DURABILITY_SYNC, DURABILITY_ASYNC");
  }
  return grpc::Status::OK;
}

bool WantsSync(int durability) { return durability != v1::DURABILITY_ASYNC; }

grpc::Status ValidateGet(const v1::GetRequest& r) { return ValidateKey(r.key(), "key"); }

grpc::Status ValidateMultiGet(const v1::MultiGetRequest& r, const NodeLimits& limits) {
  if (static_cast<size_t>(r.keys_size()) > limits.max_multi_get_keys) {
    return Invalid("MultiGet asks for " + std::to_string(r.keys_size()) + " keys, over the limit of " +
                   std::to_string(limits.max_multi_get_keys));
  }
  for (int i = 0; i < r.keys_size(); i++) {
    if (auto s = ValidateKey(r.keys(i), "keys[" + std::to_string(i) + "]"); !s.ok()) return s;
  }
  return grpc::Status::OK;
}

grpc::Status ValidatePut(const v1::PutRequest& r) {
  if (auto s = ValidateKey(r.key(), "key"); !s.ok()) return s;
  if (auto s = ValidateValue(r.value(), "value"); !s.ok()) return s;
  return ValidateDurability(r.durability());
}

grpc::Status ValidateDelete(const v1::DeleteRequest& r) {
  if (auto s = ValidateKey(r.key(), "key"); !s.ok()) return s;
  return ValidateDurability(r.durability());
}

grpc::Status ValidateWrite(const v1::WriteRequest& r, const NodeLimits& limits) {
  if (auto s = ValidateDurability(r.durability()); !s.ok()) return s;
  if (static_cast<size_t>(r.mutations_size()) > limits.max_batch_mutations) {
    return Invalid("Write has " + std::to_string(r.mutations_size()) +
                   " mutations, over the limit of " + std::to_string(limits.max_batch_mutations));
  }
  size_t bytes = 0;
  for (int i = 0; i < r.mutations_size(); i++) {
    const auto& m = r.mutations(i);
    const std::string at = "mutations[" + std::to_string(i) + "]";
    switch (m.op_case()) {
      case v1::Mutation::kPut:
        if (auto s = ValidateKey(m.put().key(), at + ".put.key"); !s.ok()) return s;
        if (auto s = ValidateValue(m.put().value(), at + ".put.value"); !s.ok()) return s;
        bytes += m.put().key().size() + m.put().value().size();
        break;
      case v1::Mutation::kDelete:
        if (auto s = ValidateKey(m.delete_().key(), at + ".delete.key"); !s.ok()) return s;
        bytes += m.delete_().key().size();
        break;
      case v1::Mutation::OP_NOT_SET:
        return Invalid(at + " has neither put nor delete set");
    }
    if (bytes > limits.max_batch_bytes) {
      return Invalid("Write batch exceeds the limit of " + std::to_string(limits.max_batch_bytes) +
                     " key+value bytes at " + at);
    }
  }
  return grpc::Status::OK;
}

grpc::Status ValidateScan(const v1::ScanRequest& r, const NodeLimits& limits) {
  // Bounds may be empty (the empty key sorts first), but not longer than a key.
  if (r.has_start() && r.start().size() > kMaxKeySize) return Invalid("start is longer than 64 KiB");
  if (r.has_stop() && r.stop().size() > kMaxKeySize) return Invalid("stop is longer than 64 KiB");
  if (r.prefix().size() > kMaxKeySize) return Invalid("prefix is longer than 64 KiB");
  if (r.max_bytes_per_message() > limits.max_scan_message_bytes) {
    return Invalid("max_bytes_per_message " + std::to_string(r.max_bytes_per_message()) +
                   " is over the node's limit of " + std::to_string(limits.max_scan_message_bytes));
  }
  return grpc::Status::OK;
}

grpc::Status ValidateCompareAndSwap(const v1::CompareAndSwapRequest& r) {
  if (auto s = ValidateKey(r.key(), "key"); !s.ok()) return s;
  if (r.has_expected()) {
    if (auto s = ValidateValue(r.expected(), "expected"); !s.ok()) return s;
  }
  if (r.has_new_value()) {
    if (auto s = ValidateValue(r.new_value(), "new_value"); !s.ok()) return s;
  }
  return ValidateDurability(r.durability());
}

}  // namespace kvstore::node
