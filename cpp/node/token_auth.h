// TokenAuth: optional bearer-token authentication of KV and Admin calls.
//
// A call is accepted when auth is disabled (empty token) or when its metadata
// holds "authorization: Bearer <token>" with the configured token (compared in
// constant time). Otherwise UNAUTHENTICATED. The health and reflection services
// do not pass through here (probes need no token). Immutable after
// construction: safe from any thread.
#pragma once

#include <string>
#include <utility>

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

namespace kvstore::node {

class TokenAuth {
 public:
  explicit TokenAuth(std::string token) : token_(std::move(token)) {}
  bool enabled() const { return !token_.empty(); }
  grpc::Status Check(const grpc::CallbackServerContext* ctx) const;

 private:
  std::string token_;
};

}  // namespace kvstore::node
