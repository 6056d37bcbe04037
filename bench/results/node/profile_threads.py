"""Per-thread CPU of a kvstore node under the node benchmark's native load (profile.md).

Starts `kvstore serve` on a fresh data dir, preloads --keys keys, then for each run
(workload, concurrency) runs node_load and, inside its measured window, reads the CPU
(utime + stime) of every thread of the server from /proc/PID/task/*/stat and the
engine's counters (Admin.Status) at both ends of a slice of --slice seconds. CPU per
operation = CPU in the slice / (node_load's ops/s x slice). Threads are grouped by name.

    python bench/results/node/profile_threads.py --node-load build/nodebench/node_load
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import grpc
from kvstore._proto.kvstore.v1 import admin_pb2, admin_pb2_grpc

from bench.node.systems import Server

TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[str, tuple[float, float]]:
    """name -> (user s, sys s), summed over the threads of that name."""
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        out[name][0] += int(fields[11]) / TICK
        out[name][1] += int(fields[12]) / TICK
    return {k: (v[0], v[1]) for k, v in out.items()}


def commit_schedstat(pid: int) -> tuple[float, float]:
    """(on-CPU s, waiting-for-a-CPU s) of the committer thread (kv-commit), from schedstat."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() != "kv-commit":
                    continue
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                run_ns, wait_ns, _ = (int(x) for x in f.read().split())
            return run_ns / 1e9, wait_ns / 1e9
        except OSError:
            continue
    return 0.0, 0.0


def engine_stats(address: str) -> dict[str, int]:
    with grpc.insecure_channel(address) as ch:
        st = admin_pb2_grpc.AdminStub(ch).Status(admin_pb2.StatusRequest(), timeout=10)
    return dict(st.engine_stats)


def group(name: str) -> str:
    if name.startswith("kv-"):
        return name
    if name.startswith("grpc") or name in ("default-executo", "resolver-execut", "global-executo"):
        return "grpc"
    return "other (" + name + ")" if name != "python" else "python"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--node-load", default="build/nodebench/node_load")
    ap.add_argument("--keys", type=int, default=20000)
    ap.add_argument("--runs", default="put:1,put:64,put:256,get:64")
    ap.add_argument("--slice", type=float, default=5.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server("kvstore", Path(tmp) / "data").start()
        try:
            base = [args.node_load, "--system=kvstore", f"--target={srv.address}",
                    f"--keys={args.keys}", "--key-size=16", "--value-size=100"]  # fmt: skip
            subprocess.run([*base, "--workload=ping", "--timeout=30"], check=True,
                           capture_output=True)  # fmt: skip
            subprocess.run([*base, "--workload=load", "--concurrency=64"], check=True,
                           capture_output=True)  # fmt: skip
            rows = []
            for run in args.runs.split(","):
                workload, c = run.split(":")
                warmup, duration = 2.0, args.slice + 1.0
                proc = subprocess.Popen(
                    [*base, f"--workload={workload}", f"--concurrency={c}",
                     f"--warmup={warmup}", f"--duration={duration}"],
                    stdout=subprocess.PIPE, text=True)  # fmt: skip
                time.sleep(warmup + 0.5)
                cpu0, st0 = thread_cpu(srv.pid), engine_stats(srv.address)
                sch0 = commit_schedstat(srv.pid)
                time.sleep(args.slice)
                sch1 = commit_schedstat(srv.pid)
                cpu1, st1 = thread_cpu(srv.pid), engine_stats(srv.address)
                result = json.loads(proc.communicate()[0].strip().splitlines()[-1])
                ops = result["ops_per_s"] * args.slice
                per: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
                for name, (u1, s1) in cpu1.items():
                    u0, s0 = cpu0.get(name, (0.0, 0.0))
                    per[group(name)][0] += (u1 - u0) / ops * 1e6
                    per[group(name)][1] += (s1 - s0) / ops * 1e6
                syncs = st1.get("wal_syncs", 0) - st0.get("wal_syncs", 0)
                groups = st1.get("write_groups", 0) - st0.get("write_groups", 0)
                rows.append({
                    "run": f"{workload} c={c}", "ops_per_s": result["ops_per_s"],
                    "p50_us": result.get("p50_us"), "p99_us": result.get("p99_us"),
                    "ops_per_fsync": ops / syncs if syncs else None,
                    "ops_per_engine_batch": ops / groups if groups else None,
                    "user_us": sum(v[0] for v in per.values()),
                    "sys_us": sum(v[1] for v in per.values()),
                    # Share of the slice the committer ran / waited for a CPU; the
                    # rest it was off-CPU (fsync, or no request queued).
                    "commit_on_cpu": round((sch1[0] - sch0[0]) / args.slice, 3),
                    "commit_runqueue": round((sch1[1] - sch0[1]) / args.slice, 3),
                    "threads_us": {k: [round(v[0], 1), round(v[1], 1)] for k, v in per.items()},
                })  # fmt: skip
                print(json.dumps(rows[-1]), flush=True)
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
