#!/usr/bin/env bash
# Sets everything up and runs every test: the C++ unit tests (GoogleTest, via
# ctest) in a normal build and under AddressSanitizer + UndefinedBehaviorSanitizer,
# then the Python suite (pytest) over the installed package, and ruff.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

JOBS=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
CMAKE=.venv/bin/cmake

echo "== C++ unit tests (warnings are errors)"
$CMAKE -S . -B build/test -G Ninja -DCMAKE_MAKE_PROGRAM="$PWD/.venv/bin/ninja" \
  -DKVSTORE_TESTS=ON -DKVSTORE_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
$CMAKE --build build/test -j "$JOBS"
(cd build/test && ../../.venv/bin/ctest --output-on-failure -j "$JOBS")

echo "== C++ unit tests under ASan + UBSan"
$CMAKE -S . -B build/asan -G Ninja -DCMAKE_MAKE_PROGRAM="$PWD/.venv/bin/ninja" \
  -DKVSTORE_TESTS=ON -DKVSTORE_WERROR=ON -DKVSTORE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
$CMAKE --build build/asan -j "$JOBS"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ../../.venv/bin/ctest --output-on-failure -j "$JOBS")

echo "== ruff"
.venv/bin/ruff check python tests bench

echo "== Raft simulator: 300 seeds on 3 nodes and 300 on 5, every fault kind"
.venv/bin/python -m kvstore.sim --seeds 300 --nodes 3 --steps 3000
.venv/bin/python -m kvstore.sim --seeds 300 --nodes 5 --steps 3000

echo "== Python tests"
# Run from tests/ so that `import kvstore` finds the installed package, not ./python.
.venv/bin/python -m pytest -q tests
