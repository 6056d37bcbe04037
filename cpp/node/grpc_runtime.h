#pragma once

// Process-wide settings of the gRPC runtime the node (and the node's load
// generator) run on. Call once, before the first gRPC object is built.
//
// Debian's abseil is built without NDEBUG, so absl::Mutex runs its debug
// deadlock detector in every process that links it: each lock records the
// lock order in a global graph (taking a global lock, sometimes a stack
// trace) and each destroyed mutex is removed from it. gRPC locks several
// absl mutexes per call and creates and destroys some per call; measured on
// a node under durable puts, the detector was ~5% of the server's CPU.
// ConfigureGrpcRuntime turns it off, as release builds of abseil do.

namespace kvstore::node {

void ConfigureGrpcRuntime();

}  // namespace kvstore::node
