// kvstore._node: the storage node (C++ gRPC server) for `kvstore serve`.
//
// Kept apart from kvstore._core so the C++ gRPC runtime is loaded only by the
// server process, never next to grpcio in a client. Thin: converts arguments,
// releases the GIL around everything that blocks (opening the engine, start,
// wait, stop), and turns counters into dicts. No serving logic here.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "node/admin_service.h"
#include "node/node.h"

namespace py = pybind11;

namespace kvstore::node {
namespace {

[[noreturn]] void Raise(const Status& s) {
  if (s.IsInvalidArgument()) throw py::value_error(s.ToString());
  throw std::runtime_error(s.ToString());
}

template <typename T>
void SetFrom(const py::dict& d, const char* key, T* field) {
  if (d.contains(key)) *field = d[key].cast<T>();
}

void ApplyEngineOptions(const py::dict& d, Options* o) {
  static const char* const kKnown[] = {
      "create_if_missing", "error_if_exists", "salvage_wal", "write_buffer_size", "block_size",
      "block_restart_interval", "target_file_size", "max_bytes_for_level_base",
      "level_size_multiplier", "level0_compaction_trigger", "level0_slowdown_writes_trigger",
      "level0_stop_writes_trigger", "max_open_files", "bloom_bits_per_key", "block_cache_size"};
  for (auto item : d) {
    std::string k = py::str(item.first);
    bool known = false;
    for (const char* n : kKnown) known = known || k == n;
    if (!known) throw py::value_error("unknown engine option: " + k);
  }
  SetFrom(d, "create_if_missing", &o->create_if_missing);
  SetFrom(d, "error_if_exists", &o->error_if_exists);
  SetFrom(d, "salvage_wal", &o->salvage_wal);
  SetFrom(d, "write_buffer_size", &o->write_buffer_size);
  SetFrom(d, "block_size", &o->block_size);
  SetFrom(d, "block_restart_interval", &o->block_restart_interval);
  SetFrom(d, "target_file_size", &o->target_file_size);
  SetFrom(d, "max_bytes_for_level_base", &o->max_bytes_for_level_base);
  SetFrom(d, "level_size_multiplier", &o->level_size_multiplier);
  SetFrom(d, "level0_compaction_trigger", &o->level0_compaction_trigger);
  SetFrom(d, "level0_slowdown_writes_trigger", &o->level0_slowdown_writes_trigger);
  SetFrom(d, "level0_stop_writes_trigger", &o->level0_stop_writes_trigger);
  SetFrom(d, "max_open_files", &o->max_open_files);
  SetFrom(d, "bloom_bits_per_key", &o->bloom_bits_per_key);
  SetFrom(d, "block_cache_size", &o->block_cache_size);
}

void ApplyLimits(const py::dict& d, NodeLimits* l) {
  static const char* const kKnown[] = {
      "max_receive_message_bytes", "max_batch_mutations", "max_batch_bytes", "max_multi_get_keys",
      "default_scan_message_bytes", "max_scan_message_bytes", "max_open_scans", "read_threads", "max_queued_writes", "max_queued_reads", "max_inflight_write_bytes"};
  for (auto item : d) {
    std::string k = py::str(item.first);
    bool known = false;
    for (const char* n : kKnown) known = known || k == n;
    if (!known) throw py::value_error("unknown node limit: " + k);
  }
  SetFrom(d, "max_receive_message_bytes", &l->max_receive_message_bytes);
  SetFrom(d, "max_batch_mutations", &l->max_batch_mutations);
  SetFrom(d, "max_batch_bytes", &l->max_batch_bytes);
  SetFrom(d, "max_multi_get_keys", &l->max_multi_get_keys);
  SetFrom(d, "default_scan_message_bytes", &l->default_scan_message_bytes);
  SetFrom(d, "max_scan_message_bytes", &l->max_scan_message_bytes);
  SetFrom(d, "max_open_scans", &l->max_open_scans);
  SetFrom(d, "read_threads", &l->read_threads);
  SetFrom(d, "max_queued_writes", &l->max_queued_writes);
  SetFrom(d, "max_queued_reads", &l->max_queued_reads);
  SetFrom(d, "max_inflight_write_bytes", &l->max_inflight_write_bytes);
}

py::dict LimitsDict(const NodeLimits& l) {
  py::dict d;
  d["max_receive_message_bytes"] = l.max_receive_message_bytes;
  d["max_batch_mutations"] = l.max_batch_mutations;
  d["max_batch_bytes"] = l.max_batch_bytes;
  d["max_multi_get_keys"] = l.max_multi_get_keys;
  d["default_scan_message_bytes"] = l.default_scan_message_bytes;
  d["max_scan_message_bytes"] = l.max_scan_message_bytes;
  d["max_open_scans"] = l.max_open_scans;
  d["read_threads"] = l.read_threads;
  d["max_queued_writes"] = l.max_queued_writes;
  d["max_queued_reads"] = l.max_queued_reads;
  d["max_inflight_write_bytes"] = l.max_inflight_write_bytes;
  return d;
}

py::dict MetricsDict(const MetricsSnapshot& m) {
  py::list buckets;
  for (double b : kLatencyBuckets) buckets.append(b);
  py::dict methods;
  for (const auto& mm : m.methods) {
    py::dict requests;
    for (int c = 0; c < kStatusCodes; c++) {
      if (mm.requests[c] != 0) requests[StatusCodeName(c)] = mm.requests[c];
    }
    py::list counts;
    for (uint64_t v : mm.buckets) counts.append(v);
    py::dict md;
    md["requests"] = requests;
    md["latency_buckets"] = counts;
    md["latency_count"] = mm.latency_count;
    md["latency_sum_seconds"] = mm.latency_sum_seconds;
    methods[mm.method.c_str()] = md;
  }
  py::dict d;
  d["methods"] = methods;
  d["latency_bucket_bounds"] = buckets;
  d["rejected_overload"] = m.rejected_overload;
  d["open_scans"] = m.open_scans;
  d["queued_writes"] = m.queued_writes;
  d["queued_reads"] = m.queued_reads;
  return d;
}

py::dict EngineStatsDict(const DbStats& s) {
  py::dict d;
  for (const auto& [name, value] : EngineCounters(s)) d[name.c_str()] = value;
  py::list levels;
  for (const auto& l : s.levels) {
    py::dict ld;
    ld["files"] = l.files;
    ld["bytes"] = l.bytes;
    levels.append(ld);
  }
  d["levels"] = levels;
  return d;
}

class PyNode {
 public:
  PyNode(std::string data_dir, std::string listen, uint64_t node_id, std::string tls_cert,
         std::string tls_key, std::string tls_client_ca, std::string auth_token,
         py::dict engine_options, py::dict limits) {
    if (node_id == 0) throw py::value_error("node_id must be positive");
    config_.data_dir = std::move(data_dir);
    config_.listen_address = std::move(listen);
    config_.node_id = node_id;
    config_.tls_cert_file = std::move(tls_cert);
    config_.tls_key_file = std::move(tls_key);
    config_.tls_client_ca_file = std::move(tls_client_ca);
    config_.auth_token = std::move(auth_token);
    ApplyEngineOptions(engine_options, &config_.engine);
    ApplyLimits(limits, &config_.limits);
  }

  int Start() {
    if (node_ != nullptr) throw std::runtime_error("node already started");
    Status s;
    int port = 0;
    {
      py::gil_scoped_release release;
      std::unique_ptr<Node> node;
      s = Node::Open(config_, &node);
      if (s.ok()) {
        s = node->Start(&port);
        if (s.ok()) node_ = std::move(node);
      }
    }
    if (!s.ok()) Raise(s);
    return port;
  }

  bool Wait(std::optional<double> timeout) {
    if (node_ == nullptr) return true;
    py::gil_scoped_release release;
    return node_->Wait(timeout.value_or(-1));
  }

  void Stop(double grace_seconds) {
    if (node_ == nullptr) return;
    py::gil_scoped_release release;
    node_->Shutdown(grace_seconds);
  }

  py::dict Metrics() {
    if (node_ == nullptr) return MetricsDict(MetricsSnapshot());
    MetricsSnapshot m;
    {
      py::gil_scoped_release release;
      m = node_->Metrics();
    }
    return MetricsDict(m);
  }

  py::dict EngineStats() {
    if (node_ == nullptr) return EngineStatsDict(DbStats());
    DbStats s;
    {
      py::gil_scoped_release release;
      s = node_->EngineStats();
    }
    return EngineStatsDict(s);
  }

  std::string Address() const { return node_ != nullptr ? node_->address() : std::string(); }
  bool Running() const { return node_ != nullptr && node_->running(); }
  py::dict Limits() const { return LimitsDict(config_.limits); }
  uint64_t NodeId() const { return config_.node_id; }

  void Close() {
    if (node_ == nullptr) return;
    py::gil_scoped_release release;
    node_->Shutdown(0);
    node_.reset();
  }

 private:
  NodeConfig config_;
  std::unique_ptr<Node> node_;
};

}  // namespace
}  // namespace kvstore::node

PYBIND11_MODULE(_node, m) {
  using kvstore::node::PyNode;
  m.doc() = "kvstore storage node: the C++ gRPC server behind `kvstore serve`.";
  py::class_<PyNode>(m, "Node")
      .def(py::init<std::string, std::string, uint64_t, std::string, std::string, std::string,
                    std::string, py::dict, py::dict>(),
           py::arg("data_dir"), py::arg("listen") = "127.0.0.1:7379", py::arg("node_id") = 1,
           py::arg("tls_cert") = "", py::arg("tls_key") = "", py::arg("tls_client_ca") = "",
           py::arg("auth_token") = "", py::arg("engine_options") = py::dict(),
           py::arg("limits") = py::dict())
      .def("start", &PyNode::Start,
           "Open the engine and start serving; returns the bound port.")
      .def("wait", &PyNode::Wait, py::arg("timeout") = py::none(),
           "Block (GIL released) until the node stopped or timeout seconds passed; "
           "True once stopped.")
      .def("stop", &PyNode::Stop, py::arg("grace_seconds") = 10.0,
           "Graceful shutdown: stop accepting, drain in-flight calls up to the grace period, "
           "close the engine.")
      .def("close", &PyNode::Close)
      .def("metrics", &PyNode::Metrics, "Request counters and latency histograms per method.")
      .def("engine_stats", &PyNode::EngineStats, "The engine's counters (kvstore.DB.stats()).")
      .def_property_readonly("address", &PyNode::Address)
      .def_property_readonly("running", &PyNode::Running)
      .def_property_readonly("limits", &PyNode::Limits)
      .def_property_readonly("node_id", &PyNode::NodeId);
}
