#include "node/node_metrics.h"

#include <algorithm>

namespace kvstore::node {

const char* MethodName(Method m) {
  switch (m) {
    case Method::kGet: return "Get";
    case Method::kMultiGet: return "MultiGet";
    case Method::kPut: return "Put";
    case Method::kDelete: return "Delete";
    case Method::kWrite: return "Write";
    case Method::kScan: return "Scan";
    case Method::kCompareAndSwap: return "CompareAndSwap";
    case Method::kStatus: return "Status";
    case Method::kCount: break;
  }
  return "?";
}

const char* StatusCodeName(int code) {
  static const char* const kNames[kStatusCodes] = {
      "OK",          "CANCELLED",          "UNKNOWN",           "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",    "ALREADY_EXISTS",    "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",   "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",         "UNAVAILABLE",       "DATA_LOSS",
      "UNAUTHENTICATED"};
  return code >= 0 && code < kStatusCodes ? kNames[code] : "UNKNOWN";
}

void NodeMetrics::Record(Method m, grpc::StatusCode code, double seconds) {
  auto& pm = methods_[static_cast<int>(m)];
  int c = static_cast<int>(code);
  if (c < 0 || c >= kStatusCodes) c = static_cast<int>(grpc::StatusCode::UNKNOWN);
  pm.requests[c].fetch_add(1, std::memory_order_relaxed);
  size_t b = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds) -
             kLatencyBuckets.begin();
  pm.buckets[b].fetch_add(1, std::memory_order_relaxed);
  pm.count.fetch_add(1, std::memory_order_relaxed);
  pm.sum_nanos.fetch_add(static_cast<uint64_t>(std::max(0.0, seconds) * 1e9),
                         std::memory_order_relaxed);
}

MetricsSnapshot NodeMetrics::Snapshot() const {
  MetricsSnapshot out;
  for (int i = 0; i < static_cast<int>(Method::kCount); i++) {
    const auto& pm = methods_[i];
    MethodMetricsSnapshot s;
    s.method = MethodName(static_cast<Method>(i));
    for (int c = 0; c < kStatusCodes; c++) s.requests[c] = pm.requests[c].load(std::memory_order_relaxed);
    for (size_t b = 0; b < s.buckets.size(); b++) s.buckets[b] = pm.buckets[b].load(std::memory_order_relaxed);
    s.latency_count = pm.count.load(std::memory_order_relaxed);
    s.latency_sum_seconds = static_cast<double>(pm.sum_nanos.load(std::memory_order_relaxed)) / 1e9;
    out.methods.push_back(std::move(s));
  }
  out.rejected_overload = overload_.load(std::memory_order_relaxed);
  return out;
}

}  // namespace kvstore::node
