#!/usr/bin/env bash
# Sets everything up, then runs kvstore's main job on an embedded default: a
# single local database in ./kvstore-data, written, read back, scanned and
# reopened.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m kvstore demo "${@:-./kvstore-data}"
