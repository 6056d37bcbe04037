// Node: one kvstore storage node — the engine plus the gRPC server in front of it
// (KV, Admin, grpc.health.v1 health, server reflection).
//
// Lifecycle: Open (opens the engine) -> Start (binds, serves; reports the port)
// -> Shutdown (stop accepting, let in-flight calls finish until the deadline,
// then cancel the rest, stop the workers, close the engine). Wait blocks until
// Shutdown has completed. The destructor shuts down with a zero deadline if
// needed.
//
// Thread safety: Start once, from one thread. Shutdown, Wait, Metrics and
// EngineStats may be called from any thread, concurrently; Shutdown is
// idempotent (later callers wait for the first one to finish).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "kvstore/db.h"
#include "kvstore/status.h"
#include "node/node_config.h"
#include "node/node_metrics.h"

namespace grpc {
class Server;
}

namespace kvstore::node {

struct NodeState;
class KvService;
class AdminService;

class Node {
 public:
  static Status Open(const NodeConfig& config, std::unique_ptr<Node>* node);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Binds config.listen_address and starts serving. *port gets the bound port.
  // IOError if the address cannot be bound, InvalidArgument for bad TLS files.
  Status Start(int* port);
  // Blocks until Shutdown completed, or until timeout_seconds passed (< 0: no
  // limit). Returns true when the node has stopped.
  bool Wait(double timeout_seconds = -1);
  // Stops the node; in-flight calls get up to grace_seconds to finish.
  void Shutdown(double grace_seconds);

  MetricsSnapshot Metrics() const;
  DbStats EngineStats() const;
  const NodeConfig& config() const;
  const std::string& address() const;  // host:port actually bound
  bool running() const;

 private:
  explicit Node(std::unique_ptr<NodeState> state);

  std::unique_ptr<NodeState> state_;
  std::unique_ptr<KvService> kv_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<grpc::Server> server_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
};

// Reads a whole file (TLS PEMs, token files). IOError naming the file on failure.
Status ReadSmallFile(const std::string& path, std::string* out);

}  // namespace kvstore::node
