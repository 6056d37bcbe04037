#!/bin/bash
# Per-operation syscalls, context switches and user/system CPU of one server and of node_load,
# get at c=64, over a 5 s slice of the window; optionally a perf profile of the server.
#   bench/results/node/floor_profile.sh redis|callback|cq [perf.data]
# Run from the repository root after building build/nodebench (node_load, grpc_floor).
set -euo pipefail
B=build/nodebench
WHAT=$1
OUT=${2:-}
PORT=$(python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
DIR=$(mktemp -d)
SYSTEM=kvstore
case $WHAT in
  redis)
    redis-server --port "$PORT" --bind 127.0.0.1 --dir "$DIR" --appendonly yes \
      --appendfsync always --save '' --daemonize no --protected-mode no >/dev/null &
    SPID=$!; SYSTEM=redis ;;
  callback|cq)
    $B/grpc_floor --mode="$WHAT" --port="$PORT" >/dev/null & SPID=$! ;;
  *) echo "usage: $0 redis|callback|cq [perf.data]" >&2; exit 2 ;;
esac
sleep 1
if [ "$SYSTEM" = redis ]; then $B/node_load --system=redis --target=127.0.0.1:$PORT --workload=load \
  --keys=100000 --concurrency=64 >/dev/null; fi
$B/node_load --system=$SYSTEM --target=127.0.0.1:$PORT --workload=get --concurrency=64 \
  --warmup=1 --duration=10 --server-pid=$SPID > "$DIR/load.json" &
LPID=$!
sleep 3
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
read -r su0 ss0 < <(ticks $SPID); read -r cu0 cs0 < <(ticks $LPID)
perf stat -x, -e raw_syscalls:sys_enter,context-switches -p $SPID -o "$DIR/server.stat" -- sleep 5 &
P1=$!
perf stat -x, -e raw_syscalls:sys_enter,context-switches -p $LPID -o "$DIR/client.stat" -- sleep 5 &
P2=$!
if [ -n "$OUT" ]; then perf record -q -e cpu-clock -F 499 -g -o "$OUT" -p $SPID -- sleep 5 2>/dev/null; fi
wait $P1 $P2
read -r su1 ss1 < <(ticks $SPID); read -r cu1 cs1 < <(ticks $LPID)
wait $LPID
kill $SPID; wait $SPID 2>/dev/null || true
python3 - "$DIR" $((su1-su0)) $((ss1-ss0)) $((cu1-cu0)) $((cs1-cs0)) "$WHAT" <<'PY'
import json, sys
d, su, ss, cu, cs, what = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6]
r = json.load(open(f"{d}/load.json"))
ops5 = r["ops_per_s"] * 5
def stat(p):
    v = {}
    for ln in open(p):
        f = ln.strip().split(",")
        if len(f) > 2 and f[0].replace(".", "").isdigit():
            v[f[2]] = float(f[0])
    return v
s, c = stat(f"{d}/server.stat"), stat(f"{d}/client.stat")
print(f"{what}: {r['ops_per_s']:.0f} ops/s; server {r['server_cpu_per_op_us']:.1f} µs/op "
      f"(user {100*su/max(1,su+ss):.0f}%), syscalls/op {s['raw_syscalls:sys_enter']/ops5:.2f}, "
      f"ctx switches/op {s['context-switches']/ops5:.2f}; client {r['client_cpu_per_op_us']:.1f} "
      f"µs/op (user {100*cu/max(1,cu+cs):.0f}%), syscalls/op {c['raw_syscalls:sys_enter']/ops5:.2f}, "
      f"ctx switches/op {c['context-switches']/ops5:.2f}")
PY
rm -rf "$DIR"
