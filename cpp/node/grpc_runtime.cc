#include "node/grpc_runtime.h"

#include <absl/synchronization/mutex.h>

namespace kvstore::node {

void ConfigureGrpcRuntime() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace kvstore::node
