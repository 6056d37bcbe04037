"""kvstore benchmarks. Not part of the installed package: run from a checkout.

- ``python -m bench.engine``: the engine suite against RocksDB, LevelDB and LMDB (bench/engine)
- ``bench/native``: the same workloads in C++, no Python (CMake, -DKVSTORE_BENCH=ON)
- ``bench/micro``: pytest-benchmark micro-benchmarks of the binding's hot calls
"""
