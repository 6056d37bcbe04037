"""The Python-client view: a closed loop of kvstore.AsyncClient calls on one event loop.

``python -m bench.node.pyload --target HOST:PORT --workload put|get --concurrency N ...``
prints one JSON object with the same fields as the native generator (node_load), so the
runner puts both in one table. It runs in its own process: grpcio never shares a process
with the runner, and its CPU time is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time

from .proc import cpu_seconds, machine_busy_seconds


def key_of(index: int, key_size: int) -> bytes:
    digits = str(index)
    return ("key" + "0" * max(0, key_size - 3 - len(digits)) + digits)[:key_size].encode()


async def _run(a: argparse.Namespace) -> dict[str, object]:
    import kvstore

    rng = random.Random(a.seed)
    pool = bytes(rng.randrange(97, 123) for _ in range(a.value_size + 4096))
    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start = start + a.warmup
    window_end = window_start + a.duration
    lat: list[float] = []
    counts = {"ops_total": 0, "errors": 0, "misses": 0}
    first_error = ""
    cpu: dict[str, float] = {}

    async with kvstore.AsyncClient(a.target, timeout=a.timeout) as db:

        async def slot(seed: int) -> None:
            nonlocal first_error
            r = random.Random(seed)
            while loop.time() < window_end:
                key = key_of(r.randrange(a.keys), a.key_size)
                sent = loop.time()
                try:
                    if a.workload == "put":
                        off = r.randrange(4096)
                        await db.put(key, pool[off : off + a.value_size])
                    elif await db.get(key) is None:
                        counts["misses"] += 1
                except kvstore.Error as e:
                    counts["errors"] += 1
                    first_error = first_error or repr(e)
                    return
                done = loop.time()
                counts["ops_total"] += 1
                if sent >= window_start and done <= window_end:
                    lat.append(done - sent)

        async def edges() -> None:
            await asyncio.sleep(max(0.0, window_start - loop.time()))
            cpu["client0"], cpu["machine0"] = cpu_seconds(None), machine_busy_seconds()
            cpu["server0"] = cpu_seconds(a.server_pid) if a.server_pid else 0.0
            await asyncio.sleep(max(0.0, window_end - loop.time()))
            cpu["client1"], cpu["machine1"] = cpu_seconds(None), machine_busy_seconds()
            cpu["server1"] = cpu_seconds(a.server_pid) if a.server_pid else 0.0

        await asyncio.gather(edges(), *(slot(a.seed * 1000003 + i) for i in range(a.concurrency)))

    lat.sort()

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * (len(lat) - 1) + 0.5))] * 1e6 if lat else 0.0

    ops = len(lat)
    client = cpu["client1"] - cpu["client0"]
    server = cpu["server1"] - cpu["server0"] if a.server_pid else -1.0
    return {
        "system": "kvstore",
        "workload": a.workload,
        "target": a.target,
        "concurrency": a.concurrency,
        "channels": 1,
        "threads": 1,
        "keys": a.keys,
        "key_size": a.key_size,
        "value_size": a.value_size,
        "warmup_s": a.warmup,
        "seconds": a.duration,
        "ops": ops,
        **counts,
        "ops_per_s": ops / a.duration,
        "mean_us": sum(lat) / ops * 1e6 if ops else 0.0,
        "p50_us": pct(0.50),
        "p99_us": pct(0.99),
        "p999_us": pct(0.999),
        "max_us": lat[-1] * 1e6 if lat else 0.0,
        "client_cpu_s": client,
        "server_cpu_s": server,
        "client_cpu_per_op_us": client / ops * 1e6 if ops else 0.0,
        "server_cpu_per_op_us": server / ops * 1e6 if ops and a.server_pid else 0.0,
        "machine_busy_cpu_s": cpu["machine1"] - cpu["machine0"],
        "cores": os.cpu_count(),
        "first_error": first_error,
    }


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.node.pyload")
    ap.add_argument("--target", required=True)
    ap.add_argument("--workload", choices=("put", "get"), required=True)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--keys", type=int, default=100_000)
    ap.add_argument("--key-size", type=int, default=16)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--seed", type=int, default=301)
    a = ap.parse_args()
    t0 = time.monotonic()
    result = asyncio.run(_run(a))
    result["wall_s"] = time.monotonic() - t0
    print(json.dumps(result), flush=True)
    return 0 if result["ops"] and not result["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
