// NodeMetrics: request counters per method and gRPC status code, and a latency
// histogram per method with fixed bucket bounds (Prometheus-style cumulative
// export is done by the reader; here each bucket counts its own observations).
//
// Record() is lock-free (relaxed atomics) and safe from any thread. Snapshot()
// may run concurrently with Record(); it sees each counter at some recent value.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <grpcpp/support/status_code_enum.h>

namespace kvstore::node {

enum class Method : int {
  kGet = 0,
  kMultiGet,
  kPut,
  kDelete,
  kWrite,
  kScan,
  kCompareAndSwap,
  kStatus,
  kCount,  // not a method
};
const char* MethodName(Method m);
// "OK", "INVALID_ARGUMENT", ... (the gRPC canonical names).
const char* StatusCodeName(int code);

// Upper bounds (seconds) of the latency buckets; a final +Inf bucket is implied.
inline constexpr std::array<double, 18> kLatencyBuckets = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,    0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0, 30.0};
inline constexpr int kStatusCodes = 17;  // gRPC codes 0..16

struct MethodMetricsSnapshot {
  std::string method;
  std::array<uint64_t, kStatusCodes> requests{};           // by status code
  std::array<uint64_t, kLatencyBuckets.size() + 1> buckets{};  // non-cumulative, last = +Inf
  uint64_t latency_count = 0;
  double latency_sum_seconds = 0;
};

struct MetricsSnapshot {
  std::vector<MethodMetricsSnapshot> methods;  // indexed by Method
  uint64_t rejected_overload = 0;              // RESOURCE_EXHAUSTED from full queues
  uint64_t open_scans = 0;
  uint64_t queued_writes = 0;
  uint64_t queued_reads = 0;
};

class NodeMetrics {
 public:
  void Record(Method m, grpc::StatusCode code, double seconds);
  void RecordOverload() { overload_.fetch_add(1, std::memory_order_relaxed); }
  MetricsSnapshot Snapshot() const;

 private:
  struct PerMethod {
    std::array<std::atomic<uint64_t>, kStatusCodes> requests{};
    std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_nanos{0};
  };
  std::array<PerMethod, static_cast<int>(Method::kCount)> methods_;
  std::atomic<uint64_t> overload_{0};
};

}  // namespace kvstore::node
