#include "bindings/bindings.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "kvstore native core: the LSM engine (and, as they land, the other native parts).";
  kvstore::bindings::RegisterEngine(m);
  kvstore::bindings::RegisterRaft(m);
  kvstore::bindings::RegisterPrimitives(m);
}
