#!/usr/bin/env bash
# Installs what kvstore needs on a Debian/Ubuntu machine and builds it into a
# virtual environment at .venv. Safe to run again: it skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(g++ make python3 python3-venv python3-dev libxxhash-dev libgtest-dev libgmock-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler)
APT_PACKAGES+=(libabsl-dev)               # the node includes abseil itself (cpp/node/grpc_runtime.cc)
APT_PACKAGES+=(liblz4-dev libzstd-dev)  # block compression codecs (lz4, zstd)
APT_PACKAGES+=(openssl)                   # the TLS tests make their certificates with it

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# Build tools first (cmake and ninja from PyPI: recent versions on any Debian).
.venv/bin/python -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" cmake ninja
echo "setup: building and installing kvstore into .venv"
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
  .venv/bin/python -m pip install -q --no-build-isolation ".[test,bench]"
