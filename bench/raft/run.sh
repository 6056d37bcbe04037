#!/usr/bin/env bash
# Builds the Raft micro-benchmark against the core's sources (-O2) and runs it.
# Usage: bench/raft/run.sh [seconds-per-case] [payload-bytes]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${BUILD_DIR:-$root/build/bench-raft}"
mkdir -p "$out"
srcs=()
for f in "$root"/cpp/raft/*.cc; do
  case "$f" in *_test.cc|*_testutil.cc|*_fuzz.cc) continue ;; esac
  srcs+=("$f")
done
${CXX:-c++} -std=c++20 -O2 -DNDEBUG -I "$root/cpp/include" -I "$root/cpp" \
  "$root/bench/raft/raft_bench.cc" "${srcs[@]}" "$root/cpp/util/coding.cc" "$root/cpp/util/status.cc" \
  -lxxhash -o "$out/raft_bench"
"$out/raft_bench" "$@"
