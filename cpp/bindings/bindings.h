// The kvstore._core extension is assembled from one registration function per
// area, each in its own file. Bindings are thin: argument conversion, GIL
// handling and lifetime tracking only — no engine or consensus logic.
#pragma once

#include <pybind11/pybind11.h>

namespace kvstore::bindings {

void RegisterEngine(pybind11::module_& m);  // engine_bindings.cc: DB, WriteBatch, Snapshot, Iterator
void RegisterRaft(pybind11::module_& m);    // raft_bindings.cc: the kvstore._core.raft submodule
// primitives_bindings.cc: kvstore._core._primitives, the hot primitives for bench/micro
void RegisterPrimitives(pybind11::module_& m);

}  // namespace kvstore::bindings
