#include "node/node.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "node/admin_service.h"
#include "node/grpc_runtime.h"
#include "node/kv_service.h"
#include "node/node_state.h"

namespace kvstore::node {
namespace {

constexpr char kVersion[] = "0.1.0";

Status MakeCredentials(const NodeConfig& c, std::shared_ptr<grpc::ServerCredentials>* out) {
  const bool want_tls = !c.tls_cert_file.empty() || !c.tls_key_file.empty();
  if (!want_tls) {
    if (!c.tls_client_ca_file.empty()) {
      return Status::InvalidArgument("tls_client_ca needs tls_cert and tls_key as well");
    }
    *out = grpc::InsecureServerCredentials();
    return Status::OK();
  }
  if (c.tls_cert_file.empty() || c.tls_key_file.empty()) {
    return Status::InvalidArgument("TLS needs both tls_cert and tls_key");
  }
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  if (Status s = ReadSmallFile(c.tls_key_file, &pair.private_key); !s.ok()) return s;
  if (Status s = ReadSmallFile(c.tls_cert_file, &pair.cert_chain); !s.ok()) return s;
  grpc::SslServerCredentialsOptions opts(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  opts.pem_key_cert_pairs.push_back(std::move(pair));
  if (!c.tls_client_ca_file.empty()) {
    if (Status s = ReadSmallFile(c.tls_client_ca_file, &opts.pem_root_certs); !s.ok()) return s;
    opts.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  *out = grpc::SslServerCredentials(opts);
  return Status::OK();
}

// "host:port" with the port replaced by the one actually bound.
std::string BoundAddress(const std::string& listen, int port) {
  size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  return host + ":" + std::to_string(port);
}

}  // namespace

Status ReadSmallFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read file", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError("error reading file", path);
  *out = ss.str();
  return Status::OK();
}

Status Node::Open(const NodeConfig& config, std::unique_ptr<Node>* node) {
  const auto& l = config.limits;
  if (l.max_receive_message_bytes <= 0 || l.read_threads < 1 ||
      l.max_queued_writes < 1 || l.max_queued_reads < 1 || l.max_batch_mutations < 1 ||
      l.default_scan_message_bytes < 1 || l.max_scan_message_bytes < l.default_scan_message_bytes) {
    return Status::InvalidArgument("node limits out of range");
  }
  if (config.listen_address.empty()) return Status::InvalidArgument("empty listen address");
  std::unique_ptr<DB> db;
  if (Status s = DB::Open(config.engine, config.data_dir, &db); !s.ok()) return s;
  node->reset(new Node(std::make_unique<NodeState>(config, std::move(db))));
  return Status::OK();
}

Node::Node(std::unique_ptr<NodeState> state)
    : state_(std::move(state)),
      kv_(std::make_unique<KvService>(state_.get())),
      admin_(std::make_unique<AdminService>(state_.get(), kVersion)) {}

Node::~Node() {
  bool need_shutdown;
  {
    std::lock_guard<std::mutex> l(mu_);
    need_shutdown = started_ && !stopped_;
  }
  if (need_shutdown) Shutdown(0);
}

Status Node::Start(int* port) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (started_ || stopped_) return Status::InvalidArgument("node already started");
  }
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (Status s = MakeCredentials(state_->config, &creds); !s.ok()) return s;

  ConfigureGrpcRuntime();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort(state_->config.listen_address, creds, &selected);
  builder.RegisterService(kv_.get());
  builder.RegisterService(admin_.get());
  builder.SetMaxReceiveMessageSize(state_->config.limits.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(-1);
  // A second node on the same port must fail, not silently share the traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || selected == 0) {
    server_.reset();
    return Status::IOError("cannot listen on", state_->config.listen_address);
  }
  state_->bound_address = BoundAddress(state_->config.listen_address, selected);
  if (auto* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(true);
    health->SetServingStatus("kvstore.v1.KV", true);
    health->SetServingStatus("kvstore.v1.Admin", true);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    started_ = true;
  }
  *port = selected;
  return Status::OK();
}

bool Node::Wait(double timeout_seconds) {
  std::unique_lock<std::mutex> l(mu_);
  if (timeout_seconds < 0) {
    cv_.wait(l, [this] { return stopped_; });
    return true;
  }
  return cv_.wait_for(l, std::chrono::duration<double>(timeout_seconds), [this] { return stopped_; });
}

void Node::Shutdown(double grace_seconds) {
  {
    std::unique_lock<std::mutex> l(mu_);
    if (stopping_ || stopped_) {
      cv_.wait(l, [this] { return stopped_; });
      return;
    }
    stopping_ = true;
  }
  state_->shutting_down.store(true, std::memory_order_release);
  if (server_ != nullptr) {
    if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
    auto deadline = std::chrono::system_clock::now() +
                    std::chrono::microseconds(static_cast<int64_t>(std::max(0.0, grace_seconds) * 1e6));
    server_->Shutdown(deadline);  // returns once every call has finished
    server_->Wait();
  }
  state_->commit_queue.Stop();  // commits whatever is still queued
  state_->read_pool.Stop();
  {
    std::lock_guard<std::mutex> l(mu_);  // EngineStats reads the engine under mu_
    state_->db.reset();  // closes the engine: waits for background work, releases LOCK
    stopped_ = true;
  }
  cv_.notify_all();
}

MetricsSnapshot Node::Metrics() const {
  MetricsSnapshot m = state_->metrics.Snapshot();
  m.open_scans = state_->open_scans.load(std::memory_order_relaxed);
  m.queued_writes = state_->commit_queue.queued();
  m.queued_reads = state_->read_pool.queued();
  return m;
}

DbStats Node::EngineStats() const {
  std::lock_guard<std::mutex> l(mu_);
  if (state_->db == nullptr) return DbStats();
  return state_->db->GetStats();
}

const NodeConfig& Node::config() const { return state_->config; }
const std::string& Node::address() const { return state_->bound_address; }

bool Node::running() const {
  std::lock_guard<std::mutex> l(mu_);
  return started_ && !stopped_;
}

}  // namespace kvstore::node
