"""Prefix-scan benchmark: ``for k in db.keys(prefix=p)`` with the prefix filter off and on.

Run from a checkout against the installed ``kvstore``:

    python -m bench.prefix_scan                       # 1M keys, 10k prefixes
    python -m bench.prefix_scan -n 200000 --prefixes 2000 --queries 5000

Keys are ``%06d:`` (a 7-byte prefix, ``prefix_length=7`` when on) followed by a 9-digit
number: 16 bytes, with 100-byte values. Two load orders: ``random`` (every key in random
order, so every flushed table holds most prefixes) and ``grouped`` (the keys of one prefix
written together, prefixes in random order, so each flushed table holds a few hundred of them,
spread over the whole key range). A 4 MiB write buffer gives many SSTs; ``--l0 40`` keeps
them overlapping in L0 (about 30 at 1M keys) instead of compacted into one level. After the
load settles the database is closed and reopened; then each query scans one prefix:
present prefixes (about n / prefixes keys each) and absent ones (a number between two present
ones: inside the key range of every table, so only a filter can skip it).

Measured per query kind: µs per scan from process CPU time (the machine may be shared; wall
time is printed too), SSTs skipped by the prefix filter per scan, and the speedup of on over off.
On a loaded machine count instructions instead: ``--keep`` leaves the databases in ``--dir``,
and ``--query DB --kind absent --queries Q`` runs only the scans against one of them, so
``valgrind --tool=callgrind`` with Q and with 0 scans gives instructions per scan.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import kvstore

PREFIX_LEN = 7


def key(prefix: int, i: int) -> bytes:
    return b"%06d:%09d" % (prefix, i)


def load(path: Path, n: int, prefixes: int, order: str, prefix_length: int, seed: int) -> None:
    rng = random.Random(seed)
    per = max(1, n // prefixes)
    present = list(range(0, 2 * prefixes, 2))  # even numbers; odd ones are absent
    rng.shuffle(present)
    keys = [key(p, rng.randrange(10**9)) for p in present for _ in range(per)]
    if order == "random":
        rng.shuffle(keys)
    values = [rng.randbytes(50) * 2 for _ in range(1024)]  # about 2:1 compressible
    with kvstore.DB(path, **options(prefix_length)) as db:
        for start in range(0, len(keys), 1000):
            with db.write_batch() as batch:
                for i, k in enumerate(keys[start : start + 1000]):
                    batch.put(k, values[i])
        db.flush()
        # Let background compactions finish, so the scans see a settled tree.
        last = None
        while True:
            st = db.stats()
            now = (st["compactions"], [lv["files"] for lv in st["levels"]])
            if now == last:
                break
            last = now
            time.sleep(2)


L0_FILES = 0  # --l0: keep up to this many files in L0 (0 = the default triggers)


def options(prefix_length: int) -> dict[str, int]:
    opts = {"write_buffer_size": 4 << 20}
    if L0_FILES:
        opts["level0_compaction_trigger"] = L0_FILES
        opts["level0_slowdown_writes_trigger"] = max(L0_FILES, 20)
        opts["level0_stop_writes_trigger"] = max(L0_FILES, 36)
    if prefix_length:  # off: the keyword left out, so a kvstore without it runs too
        opts["prefix_length"] = prefix_length
    return opts


def measure(
    path: Path, prefixes: int, queries: int, absent: bool, seed: int, prefix_length: int
) -> dict[str, float]:
    rng = random.Random(seed)
    warm = [b"%06d:" % (2 * rng.randrange(prefixes) + int(absent)) for _ in range(200)]
    targets = [b"%06d:" % (2 * rng.randrange(prefixes) + int(absent)) for _ in range(queries)]
    with kvstore.DB(path, **options(prefix_length)) as db:
        for p in warm:  # the table cache and block cache
            for _ in db.keys(prefix=p):
                pass
        skips = db.stats().get("prefix_filter_skips", 0)
        found = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for p in targets:
            for _ in db.keys(prefix=p):
                found += 1
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        st = db.stats()
        files = [lv["files"] for lv in st["levels"]]
    return {
        "us_cpu": cpu / max(queries, 1) * 1e6,
        "us_wall": wall / max(queries, 1) * 1e6,
        "keys": found / max(queries, 1),
        "skips": (st.get("prefix_filter_skips", 0) - skips) / max(queries, 1),
        "files": sum(files),
        "l0": files[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="keys")
    ap.add_argument("--prefixes", type=int, default=10_000, help="distinct present prefixes")
    ap.add_argument("--queries", type=int, default=20_000, help="scans per measurement")
    ap.add_argument("--orders", default="random,grouped", help="load orders to run")
    ap.add_argument("--dir", default=None, help="scratch directory (default: a temp dir)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keep", action="store_true", help="keep the databases (needs --dir)")
    ap.add_argument("--query", metavar="DB", help="only scan this database (built with --keep)")
    ap.add_argument("--kind", choices=["present", "absent"], default="present")
    ap.add_argument(
        "--l0", type=int, default=0, help="L0 files that start a compaction (many overlapping SSTs)"
    )
    args = ap.parse_args()
    global L0_FILES
    L0_FILES = args.l0
    if args.query:
        length = PREFIX_LEN if args.query.rstrip("/").endswith(f"-{PREFIX_LEN}") else 0
        r = measure(
            Path(args.query), args.prefixes, args.queries, args.kind == "absent", args.seed, length
        )
        print(json.dumps(r))
        return

    root = Path(args.dir or tempfile.mkdtemp(prefix="prefix-scan-"))
    root.mkdir(parents=True, exist_ok=True)
    print(
        f"kvstore {kvstore.__file__}; n={args.n} prefixes={args.prefixes} q={args.queries}"
        f" l0={args.l0}"
    )
    print("order    kind     prefix_length  files(L0)  keys/scan  skips/scan  us/scan cpu (wall)")
    try:
        for order in args.orders.split(","):
            results: dict[tuple[str, int], dict[str, float]] = {}
            for length in (0, PREFIX_LEN):
                path = root / f"{order}-{length}"
                shutil.rmtree(path, ignore_errors=True)
                try:
                    load(path, args.n, args.prefixes, order, length, args.seed)
                except TypeError:  # an older kvstore without prefix_length
                    continue
                for kind in ("present", "absent"):
                    absent = kind == "absent"
                    r = measure(path, args.prefixes, args.queries, absent, args.seed, length)
                    results[(kind, length)] = r
                    print(
                        f"{order:8} {kind:8} {length:13}  {r['files']:5.0f}({r['l0']:.0f})"
                        f"  {r['keys']:9.1f}  {r['skips']:10.2f}  {r['us_cpu']:7.2f}"
                        f" ({r['us_wall']:.2f})"
                    )
                if not args.keep:
                    shutil.rmtree(path, ignore_errors=True)
            for kind in ("present", "absent"):
                off, on = results.get((kind, 0)), results.get((kind, PREFIX_LEN))
                if off and on:
                    print(f"{order:8} {kind:8} speedup (cpu) {off['us_cpu'] / on['us_cpu']:.2f}x")
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
