"""CLI: python -m kvstore.sim --seeds N [--first-seed S] [--nodes 3|5] [--steps K] [--jobs J]

Prints one line per failing seed (the violation and the command that replays
it), then one summary line. Exit status 1 if any seed violated a property.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from kvstore.sim import replay_command, run_seeds

FAULT_KEYS = (
    "crashes",
    "crashes_mid_ready",
    "restarts",
    "partitions",
    "heals",
    "messages_dropped",
    "messages_duplicated",
    "conf_changes",
    "transfers",
    "compactions",
    "snapshots_sent",
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kvstore.sim", description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=300, help="number of seeds to run (default 300)")
    p.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    p.add_argument("--nodes", type=int, choices=(3, 5), default=3, help="initial voters")
    p.add_argument(
        "--steps", type=int, default=1500, help="ticks of faults per seed (default 1500)"
    )
    p.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="parallel seeds (threads)"
    )
    args = p.parse_args(argv)
    if args.seeds < 1 or args.steps < 0:
        p.error("--seeds must be >= 1 and --steps >= 0")

    start = time.monotonic()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    results = run_seeds(seeds, nodes=args.nodes, steps=args.steps, jobs=args.jobs)
    elapsed = time.monotonic() - start

    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"VIOLATION seed={r.seed}: {r.violation}", file=sys.stderr)
        print(f"  replay: {replay_command(r.seed, r.nodes, r.steps)}", file=sys.stderr)
    totals = {k: sum(r.stats[k] for r in results) for k in results[0].stats}
    faults = " ".join(f"{k}={totals[k]}" for k in FAULT_KEYS)
    status = "FAIL" if failed else "ok"
    print(
        f"kvstore.sim {status}: {len(results)} seeds [{args.first_seed}..{args.first_seed + args.seeds - 1}]"
        f" nodes={args.nodes} steps={args.steps} violations={len(failed)}"
        f" committed={totals['committed']} leaders={totals['leaders_elected']}"
        f" reads_checked={totals['reads_checked']} {faults} time={elapsed:.1f}s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
