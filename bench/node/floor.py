"""The gRPC floor: what a kvstore.v1.KV server that does no work reaches, beside Redis and the
real node, all driven by node_load in one run: ``python -m bench.node.floor [options]``.

Servers (all kept running; every (workload, c) cell runs each of them back to back, so a
change in the machine's other load hits them alike):
  redis          : as the node benchmark starts it (appendfsync always)
  node           : ``kvstore serve`` as the node benchmark starts it
  floor-callback : bench/node/grpc_floor.cc, callback API (the node's shape), no work
  floor-cq       : grpc_floor, completion queues with one polling thread per core, no work
Then the knobs: the callback floor restarted with one server option (or node_load with one
client option) changed at a time, get at --knob-concurrency, alternating with the default.
Writes floor.json and floor.md to --out (default bench/results/node).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..machine import machine_info
from . import systems as S
from .proc import free_port
from .report import _rate, _ratio
from .runner import Generators, Params, build_generator, find_generator

DEFAULT_OUT = os.path.join("bench", "results", "node")
FLOORS = ("floor-callback", "floor-cq")
SERVERS = ("redis", "node", *FLOORS)
# (label, grpc_floor flags, extra environment, node_load --channels; 0 = its default)
KNOBS: list[tuple[str, list[str], dict[str, str], int]] = [
    ("default", [], {}, 0),
    ("grpc.max_concurrent_streams=100", ["--arg=grpc.max_concurrent_streams=100"], {}, 0),
    ("grpc.optimization_target=latency", ["--arg=grpc.optimization_target=latency"], {}, 0),
    ("grpc.optimization_target=throughput", ["--arg=grpc.optimization_target=throughput"], {}, 0),
    ("grpc.minimal_stack=1", ["--arg=grpc.minimal_stack=1"], {}, 0),
    ("grpc.http2.bdp_probe=0", ["--arg=grpc.http2.bdp_probe=0"], {}, 0),
    ("resource quota 4 GiB", ["--quota-mib=4096"], {}, 0),
    ("GRPC_POLL_STRATEGY=poll", [], {"GRPC_POLL_STRATEGY": "poll"}, 0),
    ("client: 1 channel", [], {}, 1),
    ("client: 2 channels", [], {}, 2),
    ("client: 1 channel per request", [], {}, -1),
]


def start_floor(binary: Path, mode: str, base: Path, flags: Sequence[str] = (),
                env: dict[str, str] | None = None) -> S.Server:  # fmt: skip
    """grpc_floor on a free port, as an S.Server named kvstore (node_load's --system)."""
    srv = S.Server("kvstore", base / f"floor-{mode}")
    srv.data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    srv.address = f"127.0.0.1:{port}"
    srv.command = [str(binary), f"--mode={mode}", f"--port={port}", *flags]
    srv.log_path = srv.data_dir / "floor.log"
    with open(srv.log_path, "wb") as log:
        srv.proc = subprocess.Popen(
            srv.command, stdout=log, stderr=log, env=dict(os.environ, **(env or {}))
        )
    return srv


def ready(gens: Generators, srv: S.Server, label: str, load: bool) -> None:
    ping = gens.native_run(srv, "ping", 1)
    if ping["exit_code"] != 0:
        raise RuntimeError(f"{label} did not answer: {ping['first_error']}")
    if load:
        r = gens.native_run(srv, "load", gens.p.load_concurrency)
        if r["exit_code"] != 0:
            raise RuntimeError(f"{label} load failed: {r['first_error']}")


def summarize(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Medians over rounds; cores = CPU seconds per second of window."""
    med = {
        k: statistics.median(r[k] for r in runs)
        for k in ("ops_per_s", "client_cpu_per_op_us", "server_cpu_per_op_us", "p50_us")
    }
    w = runs[0]["seconds"]
    med["machine_busy_cores"] = statistics.median(r["machine_busy_cpu_s"] / w for r in runs)
    med["spread"] = max(r["ops_per_s"] for r in runs) / max(1.0, min(r["ops_per_s"] for r in runs))
    return med


def run(a: argparse.Namespace, node_load: Path, floor: Path) -> dict[str, Any]:
    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    info = machine_info()
    p = Params(
        systems=list(SERVERS), concurrency=a.concurrency, python_concurrency=[], keys=a.keys,
        key_size=16, value_size=100, warmup=a.warmup, duration=a.duration,
        load_concurrency=64, channels=0, native=True, python=False, data_dir=a.data_dir,
    )  # fmt: skip
    gens = Generators(p, node_load)
    base = Path(tempfile.mkdtemp(prefix="kvstore-floor-", dir=a.data_dir))
    servers: dict[str, S.Server] = {}
    matrix: list[dict[str, Any]] = []
    knobs: list[dict[str, Any]] = []
    try:
        for label in SERVERS:
            if label in FLOORS:
                servers[label] = start_floor(floor, label.split("-")[1], base)
            else:
                name = "kvstore" if label == "node" else label
                why = S.missing(name)
                if why is not None:
                    progress(f"{label}: skipped: {why}")
                    continue
                servers[label] = S.Server(name, base / label).start()
            ready(gens, servers[label], label, load=label not in FLOORS)
            progress(f"{label}: ready at {servers[label].address}")
        for rnd in range(a.rounds):
            for w in ("get", "put"):
                for c in a.concurrency:
                    for label, srv in servers.items():
                        r = gens.native_run(srv, w, c)
                        r.update(server=label, round=rnd)
                        matrix.append(r)
                        progress(_line(label, r))
        for srv in servers.values():
            srv.stop()
        for rnd in range(a.rounds):
            for label, flags, env, channels in KNOBS[: 2 if a.quick else None]:
                srv = start_floor(floor, "callback", base, flags, env)
                try:
                    ch = a.knob_concurrency if channels < 0 else channels
                    g = Generators(dataclasses.replace(p, channels=ch), node_load)
                    ready(g, srv, label, load=False)
                    r = g.native_run(srv, "get", a.knob_concurrency)
                    r.update(knob=label, round=rnd)
                    knobs.append(r)
                    progress(_line(f"knob {label}", r))
                finally:
                    srv.stop()
    finally:
        for srv in servers.values():
            srv.stop()
        shutil.rmtree(base, ignore_errors=True)
    info["load_average_at_end"] = list(os.getloadavg())
    info["versions"] = {"redis": S.version("redis"), "kvstore": S.version("kvstore")}
    return {
        "kind": "kvstore-grpc-floor", "machine": info, "params": p.as_dict(),
        "rounds": a.rounds, "knob_concurrency": a.knob_concurrency,
        "matrix": matrix, "knobs": knobs,
    }  # fmt: skip


def _line(label: str, r: dict[str, Any]) -> str:
    return (
        f"{label:16s} {r['workload']:3s} c={r['concurrency']:<4d} {r['ops_per_s']:9.0f} ops/s  "
        f"cpu/op client {r['client_cpu_per_op_us']:6.1f} µs server "
        f"{r['server_cpu_per_op_us']:6.1f} µs  exit {r['exit_code']}"
    )


def cells(res: dict[str, Any]) -> dict[tuple[str, str, int], dict[str, float]]:
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in res["matrix"]:
        if r["exit_code"] == 0:
            groups.setdefault((r["server"], r["workload"], r["concurrency"]), []).append(r)
    return {k: summarize(v) for k, v in groups.items()}


def markdown(res: dict[str, Any]) -> str:
    m, p = res["machine"], res["params"]
    cores = m["cores"]
    cs = cells(res)
    la = [" ".join(f"{x:.2f}" for x in m[k]) for k in ("load_average_at_start",
                                                       "load_average_at_end")]  # fmt: skip

    def cpu(k: tuple[str, str, int]) -> float:
        return cs[k]["client_cpu_per_op_us"] + cs[k]["server_cpu_per_op_us"]

    out = ["# The gRPC floor: a server that does no work vs Redis vs the node", ""]
    out += [
        (
            f"{m['date']}, {m['cpu']}, {cores} cores, commit {m['git_commit']}. Load average "
            f"{la[0]} at start, {la[1]} at end (shared machine: `busy` is every core's busy time "
            "in the window, so busy minus client minus server cores was other work)."
        ),
        "",
        "## Summary",
        "",
    ]
    out += _summary(res, cs)
    out += [
        "",
        "## Method",
        "",
        (
            f"`python -m bench.node.floor`: every server started once and kept running; each "
            f"(workload, c) cell runs node_load against each server back to back, {res['rounds']} "
            f"round(s); the tables give the median over rounds. {p['warmup']:g} s warmup + "
            f"{p['duration']:g} s window per run, 16-byte keys, 100-byte values, {p['keys']} keys "
            "loaded into Redis and the node first. The node's and Redis' puts are durable "
            "(fsync per commit group); the floor's Put does nothing, so for puts the floor bounds "
            "what gRPC allows, not a like-for-like durable write. CPU is utime+stime of each "
            "process over the window divided by the operations in it (node_load's own "
            f"accounting). *ceiling* = {cores} cores × 10⁶ / (client + server µs/op): the rate "
            "if the pair had the whole machine and nothing else ran; its ratio to Redis' is the "
            "load-independent comparison."
        ),
        "",
        "## Throughput and CPU per operation",
        "",
        (
            "| workload | c | server | ops/s | × redis | client µs/op | server µs/op | "
            "ceiling | ceiling × redis | p50 | busy cores | max/min ops over rounds |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for w in ("get", "put"):
        for c in p["concurrency"]:
            rk = ("redis", w, c)
            for label in SERVERS:
                k = (label, w, c)
                if k not in cs:
                    continue
                s = cs[k]
                ceil = cores * 1e6 / cpu(k)
                vs = s["ops_per_s"] / cs[rk]["ops_per_s"] if rk in cs else None
                cvs = cpu(rk) / cpu(k) if rk in cs else None
                out.append(
                    f"| {w} | {c} | {label} | {_rate(s['ops_per_s'])} | {_ratio(vs)} | "
                    f"{s['client_cpu_per_op_us']:.1f} | {s['server_cpu_per_op_us']:.1f} | "
                    f"{_rate(ceil)} | {_ratio(cvs)} | {s['p50_us']:.0f} µs | "
                    f"{s['machine_busy_cores']:.2f} | {s['spread']:.2f} |"
                )
    out += _knob_table(res)
    return "\n".join(out) + "\n"


def _summary(res: dict[str, Any], cs: dict[tuple[str, str, int], dict[str, float]]) -> list[str]:
    out = []
    conc = res["params"]["concurrency"]
    for w in ("get", "put"):
        rows = []
        for label in ("node", *FLOORS):
            vals = []
            for c in conc:
                k, rk = (label, w, c), ("redis", w, c)
                if k in cs and rk in cs:
                    vals.append(f"c={c} {cs[k]['ops_per_s'] / cs[rk]['ops_per_s']:.2f}×")
            if vals:
                rows.append(f"{label}: " + ", ".join(vals))
        if rows:
            out.append(f"- **{w}, ops/s relative to Redis** — " + "; ".join(rows) + ".")
    for c in conc:
        ks = {lb: (lb, "get", c) for lb in SERVERS}
        if not all(k in cs for k in ks.values()):
            continue
        parts = [
            f"{lb} {cs[k]['client_cpu_per_op_us']:.1f} + {cs[k]['server_cpu_per_op_us']:.1f}"
            for lb, k in ks.items()
        ]
        out.append(f"- get c={c}, CPU µs/op client + server: " + ", ".join(parts) + ".")
    for c in conc:
        a, b = ("floor-callback", "get", c), ("floor-cq", "get", c)
        if a in cs and b in cs:
            sa, sb = cs[a]["server_cpu_per_op_us"], cs[b]["server_cpu_per_op_us"]
            out.append(f"- get c={c}: cq floor server CPU/op is {100 * (sb / sa - 1):+.0f}% "
                       f"of the callback floor's ({sb:.1f} vs {sa:.1f} µs).")  # fmt: skip
    return out


def _knob_table(res: dict[str, Any]) -> list[str]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in res["knobs"]:
        if r["exit_code"] == 0:
            groups.setdefault(r["knob"], []).append(r)
    if "default" not in groups:
        return []
    base = summarize(groups["default"])
    bcpu = base["client_cpu_per_op_us"] + base["server_cpu_per_op_us"]
    out = [
        "",
        f"## Knobs (callback floor, get c={res['knob_concurrency']})",
        "",
        (
            "One option changed at a time against the default (server restarted per run, "
            "rounds alternate). Medians over rounds; a change under ~10% is within this "
            "machine's noise."
        ),
        "",
        "| knob | ops/s | client µs/op | server µs/op | total µs/op vs default | busy cores |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for label, runs in groups.items():
        s = summarize(runs)
        tot = s["client_cpu_per_op_us"] + s["server_cpu_per_op_us"]
        out.append(
            f"| {label} | {_rate(s['ops_per_s'])} | {s['client_cpu_per_op_us']:.1f} | "
            f"{s['server_cpu_per_op_us']:.1f} | {100 * (tot / bcpu - 1):+.0f}% | "
            f"{s['machine_busy_cores']:.2f} |"
        )
    return out


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m bench.node.floor", description=__doc__)
    ap.add_argument("--concurrency", type=lambda t: [int(x) for x in t.split(",")],
                    default=[1, 16, 64, 256])  # fmt: skip
    ap.add_argument("--keys", type=int, default=100_000)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--knob-concurrency", type=int, default=64)
    ap.add_argument("--generator", default=None, help="node_load (default: as bench.node)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--quick", action="store_true", help="smoke run: tiny and short")
    return ap


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    if a.quick:
        a.keys, a.warmup, a.duration, a.rounds, a.concurrency = 1000, 0.2, 0.5, 1, [4]
        a.knob_concurrency = 4

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    node_load = find_generator(a.generator)
    if node_load is None or not (node_load.parent / "grpc_floor").is_file():
        node_load = build_generator(progress, ("node_load", "grpc_floor"))
    floor = node_load.parent / "grpc_floor"
    res = run(a, node_load, floor)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "floor.json").write_text(json.dumps(res, indent=1) + "\n")
    (out / "floor.md").write_text(markdown(res))
    print(f"wrote {out}/floor.json, floor.md", file=sys.stderr)
    return 0 if all(r["exit_code"] == 0 for r in res["matrix"] + res["knobs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
