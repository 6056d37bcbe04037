#!/usr/bin/env bash
# Sets everything up, then runs kvstore's main job on the embedded default: a
# single node serving a local data directory (./kvstore-data) on 127.0.0.1:7379.
# Before handing the terminal to the node it shows the embedded API (a demo on
# the same directory), then a put/get through the CLI and through the Python
# client. Ctrl-C (or SIGTERM) stops the node gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

DATA_DIR=${1:-./kvstore-data}
ADDR=${KVSTORE_ADDR:-127.0.0.1:7379}
export KVSTORE_ADDR=$ADDR
KV=.venv/bin/kvstore

echo "== the embedded database (kvstore.DB) on $DATA_DIR"
$KV demo "$DATA_DIR"

echo "== a node on $ADDR serving $DATA_DIR"
$KV serve --data-dir "$DATA_DIR" --listen "$ADDR" &
node=$!
trap 'kill -TERM $node 2>/dev/null || true; wait $node 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 100); do
  if $KV status --timeout 1 >/dev/null 2>&1; then break; fi
  if ! kill -0 $node 2>/dev/null; then echo "the node exited" >&2; exit 1; fi
  sleep 0.1
done

echo "== the command line"
echo "\$ kvstore put greeting hello";  $KV put greeting hello
echo "\$ kvstore get greeting";        $KV get greeting
echo "\$ kvstore scan --prefix user:0000000 --limit 3"; $KV scan --prefix user:0000000 --limit 3

echo "== the Python client"
.venv/bin/python - "$ADDR" <<'PY'
import sys
import kvstore

with kvstore.Client(sys.argv[1]) as db:       # the same verbs as kvstore.DB
    db.put(b"from-python", b"hi")
    print("client.get(b'greeting') =", db.get(b"greeting"))
    print("client.multi_get(...)   =", db.multi_get([b"from-python", b"missing"]))
    status = db.status()
    print(f"node {status['node_id']} at {status['address']}: sequence {status['sequence']}, "
          f"{status['data_bytes']:,} bytes of data")
PY

echo "== kvstore is serving $DATA_DIR at $ADDR; Ctrl-C stops it"
wait $node
