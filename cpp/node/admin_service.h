// AdminService: kvstore.v1.Admin on the callback API. Status reports the node's
// identity, uptime, on-disk size and every engine counter; it runs on the read
// pool (it takes the engine mutex) and is subject to auth like KV calls.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kvstore/v1/admin.grpc.pb.h"
#include "node/node_state.h"

namespace kvstore::node {

// The engine counters by their Python names (kvstore.DB.stats()).
std::vector<std::pair<std::string, uint64_t>> EngineCounters(const DbStats& s);

class AdminService final : public v1::Admin::CallbackService {
 public:
  AdminService(NodeState* state, std::string version) : state_(state), version_(std::move(version)) {}

  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx, const v1::StatusRequest* req,
                                   v1::StatusResponse* resp) override;

 private:
  NodeState* state_;
  std::string version_;
};

}  // namespace kvstore::node
