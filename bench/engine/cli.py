"""Command line of the engine suite: ``python -m bench.engine [options]``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self

from .engines import MODULES, available, default_configs
from .workloads import ALL_WORKLOADS, Params

DEFAULT_OUT = os.path.join("bench", "results")


def _kv_option(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    value: Any = raw
    for conv in (int, float):
        try:
            value = conv(raw)
            break
        except ValueError:
            pass
    if raw in ("True", "False", "true", "false"):
        value = raw.lower() == "true"
    return name, value


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m bench.engine",
        description="db_bench-style workloads through the Python bindings of kvstore, RocksDB "
        "(rocksdict), LevelDB (plyvel) and LMDB (lmdb), one process per engine.",
    )
    ap.add_argument("-n", "--num", type=int, default=1_000_000, help="keys (default 1M)")
    ap.add_argument(
        "--engines",
        default=",".join(MODULES),
        help="comma-separated: kvstore,rocksdb,leveldb,lmdb (missing bindings are "
        "skipped with a note)",
    )
    ap.add_argument(
        "--workloads",
        default=",".join(ALL_WORKLOADS),
        help="comma-separated subset of: " + ",".join(ALL_WORKLOADS),
    )
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default bench/results)")
    ap.add_argument(
        "--data-dir",
        default=None,
        help="where the databases are written (default: the system temp dir)",
    )
    ap.add_argument("--key-size", type=int, default=16)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--seed", type=int, default=301)
    ap.add_argument(
        "--time-cap",
        type=float,
        default=20.0,
        help="seconds per workload before it stops (default 20)",
    )
    ap.add_argument(
        "--sync-ops",
        type=int,
        default=20_000,
        help="writes in fillsync / fillsync4 at most (default 20000)",
    )
    ap.add_argument(
        "--sample-every",
        type=int,
        default=16,
        help="time one op in this many for p50/p99 (default 16)",
    )
    ap.add_argument(
        "--kvstore-option",
        action="append",
        type=_kv_option,
        default=[],
        metavar="NAME=VALUE",
        help="extra kvstore.DB keyword option (repeatable)",
    )
    ap.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    ap.add_argument("--no-progress", action="store_true", help="plain log lines, no progress bar")
    ap.add_argument(
        "--scale",
        action="store_true",
        help="the scale run instead: load --scale-keys keys with kvstore (or "
        "--engines), plotting throughput and stalls over time",
    )
    ap.add_argument(
        "--scale-keys",
        type=int,
        default=20_000_000,
        help="keys loaded by --scale (default 20M, about 2.3 GB of user data)",
    )
    ap.add_argument("--interval", type=float, default=1.0, help="--scale sampling interval, s")
    return ap


class Reporter:
    """A rich progress bar per workload (or plain lines without a terminal or rich)."""

    def __init__(self, plain: bool) -> None:
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}
        if not plain:
            try:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                )

                self.progress = Progress(
                    TextColumn("{task.description:<30}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                )
            except ImportError:
                pass

    def __enter__(self) -> Self:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def log(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text)
        else:
            print(text, flush=True)

    def __call__(self, label: str, event: dict[str, Any]) -> None:
        kind = event.get("event")
        key = f"{label} {event.get('workload', '')}"
        if kind == "start":
            if self.progress is not None:
                self.tasks[key] = self.progress.add_task(key, total=event["total"])
        elif kind in ("progress", "end") and self.progress is not None and key in self.tasks:
            self.progress.update(self.tasks[key], completed=event["done"])
        elif kind == "error":
            self.log(f"[{label}] failed:\n{event['error']}")
        if kind == "end":
            if self.progress is None:
                self.log(f"{key}: {event['done']:,} ops")
            elif key in self.tasks:
                self.progress.update(self.tasks[key], total=event["done"])


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from . import report, runner

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in MODULES]
    if unknown:
        print(
            f"unknown engine(s): {', '.join(unknown)}; choose from {', '.join(MODULES)}",
            file=sys.stderr,
        )
        return 2
    skipped = [e for e in engines if not available(e)]
    engines = [e for e in engines if e not in skipped]
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    bad = [w for w in workloads if w not in ALL_WORKLOADS]
    if bad:
        print(f"unknown workload(s): {', '.join(bad)}", file=sys.stderr)
        return 2
    if args.scale:
        engines = engines if "--engines" in (argv or sys.argv) else ["kvstore"]
    if not engines:
        print("no engine binding is installed", file=sys.stderr)
        return 2
    params = Params(
        n=args.scale_keys if args.scale else args.num,
        key_size=args.key_size,
        value_size=args.value_size,
        seed=args.seed,
        sample_every=max(1, args.sample_every),
        time_cap=args.time_cap,
        sync_ops=args.sync_ops,
        workloads=workloads,
    )
    configs = default_configs(engines, dict(args.kvstore_option))
    with Reporter(args.no_progress or not sys.stdout.isatty()) as rep:
        for e in skipped:
            rep.log(
                f"skipping {e}: its binding ({MODULES[e]}) is not installed "
                "(pip install '.[bench]')"
            )
        rep.log(f"durability: {runner.DURABILITY['sync']}")
        for c in configs:
            rep.log(
                f"config {c.name}: bloom_bits={c.bloom_bits or 'binding default'}"
                + (f", kvstore options {c.extra}" if c.extra else "")
            )
        if args.scale:
            res = runner.run_scale(configs, params, args.data_dir, rep, args.interval)
            files = report.write_scale(res, args.out)
            summary = report.scale_markdown(res)
        else:
            res = runner.run_suite(configs, params, args.data_dir, rep)
            files = report.write_suite(res, args.out, with_plots=not args.no_plots)
            summary = report.markdown(res, not args.no_plots)
    print(summary)
    print(f"wrote {', '.join(os.path.join(args.out, f) for f in files)}")
    failed = [n for n, e in res["engines"].items() if not e.get("ok")]
    return 1 if failed else 0
