"""Command line of the node benchmark: ``python -m bench.node [options]``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..machine import machine_text
from . import report
from .runner import Params, build_generator, find_generator, run_suite
from .systems import SYSTEMS

DEFAULT_OUT = os.path.join("bench", "results", "node")


def _ints(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m bench.node",
        description="Closed-loop durable puts and gets against a kvstore node, etcd (one "
        "member) and Redis (appendfsync always) on loopback, driven by the native generator "
        "(bench/node/node_load.cc) and, for kvstore, by kvstore.AsyncClient too.",
    )
    ap.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help="comma-separated: kvstore,etcd,redis (a missing peer is skipped)",
    )
    ap.add_argument(
        "--concurrency",
        type=_ints,
        default=[1, 16, 64, 256],
        help="outstanding requests, native generator (default 1,16,64,256)",
    )
    ap.add_argument(
        "--python-concurrency",
        type=_ints,
        default=[16, 64],
        help="outstanding requests, Python AsyncClient generator (default 16,64)",
    )
    ap.add_argument(
        "-n",
        "--keys",
        type=int,
        default=100_000,
        help="key space: loaded before the gets, overwritten by the puts",
    )
    ap.add_argument("--key-size", type=int, default=16)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds before each window")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds measured per run")
    ap.add_argument("--load-concurrency", type=int, default=64)
    ap.add_argument(
        "--channels",
        type=int,
        default=0,
        help="gRPC connections of the native generator (default min(c, 8))",
    )
    ap.add_argument(
        "--generator",
        default=None,
        help="path of node_load (default: $KVSTORE_NODE_LOAD, build/nodebench/...)",
    )
    ap.add_argument(
        "--no-build",
        action="store_true",
        help="do not build node_load when it is missing (run kvstore with the "
        "Python generator only)",
    )
    ap.add_argument("--no-native", action="store_true", help="skip the native generator")
    ap.add_argument("--no-python", action="store_true", help="skip the Python generator")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument(
        "--data-dir",
        default=None,
        help="where the servers keep their data (default: the system temp dir)",
    )
    ap.add_argument("--out", default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2000 keys, 0.6 s windows, concurrency 1,16, Python at 4",
    )
    return ap  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    a = ap.parse_args(argv)
    names = [s for s in a.systems.split(",") if s]
    bad = [s for s in names if s not in SYSTEMS]
    if bad:
        ap.error(f"unknown system(s): {', '.join(bad)} (choose from {', '.join(SYSTEMS)})")
    if a.quick:
        a.keys, a.warmup, a.duration = min(a.keys, 2000), 0.2, 0.6
        a.concurrency, a.python_concurrency = [1, 16], [4]

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    native = None
    if not a.no_native:
        native = find_generator(a.generator)
        if native is None and not a.no_build:
            try:
                native = build_generator(progress)
            except RuntimeError as e:
                progress(f"native generator: {e}")
        if native is None:
            progress("native generator: not found (build it: see bench/README.md); "
                     "kvstore runs with the Python generator only, the peers are skipped")  # fmt: skip
    p = Params(
        systems=names, concurrency=a.concurrency, python_concurrency=a.python_concurrency,
        keys=a.keys, key_size=a.key_size, value_size=a.value_size, warmup=a.warmup,
        duration=a.duration, load_concurrency=a.load_concurrency, channels=a.channels,
        native=native is not None, python=not a.no_python, data_dir=a.data_dir,
    )  # fmt: skip
    results = run_suite(p, native, progress)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "machine.txt").write_text(machine_text(results["machine"]))
    plots = not a.no_plots and report.plots(results, out)
    (out / "results.md").write_text(report.markdown(results, with_plots=plots))
    progress(f"wrote {out}/results.json, results.md, machine.txt" + (", plots" if plots else ""))
    ok = any(s.get("ok") for s in results["systems"].values())
    failed = [n for n, s in results["systems"].items() if "error" in s]
    for n in failed:
        progress(f"{n}: {results['systems'][n]['error']}")
    return 0 if ok and not failed else 1
