"""Fixtures of the micro-benchmarks: a loaded kvstore.DB in a temporary directory, and the
ns-per-operation report of the batched benchmarks."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import kvstore
import pytest

N = 100_000
KEY = b"%016d"
T = TypeVar("T")


def value(i: int) -> bytes:
    half = random.Random(i).randbytes(50)
    return half + half


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kvstore.DB]:
    """N keys written in random order, flushed, reopened: reads come from SST files."""
    path: Path = tmp_path_factory.mktemp("micro")
    order = list(range(N))
    random.Random(7).shuffle(order)
    with kvstore.DB(path) as db:
        for base in range(0, N, 1000):
            with db.write_batch() as b:
                for i in order[base : base + 1000]:
                    b.put(KEY % i, value(i))
        db.flush()
    with kvstore.DB(path) as db:
        yield db


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[kvstore.DB]:
    with kvstore.DB(tmp_path) as db:
        yield db


# ---------------------------------------------------------------- ns per operation
# Benchmarks whose round is a batch of operations (test_primitives.py) time it through
# timed_per_op; the session then prints each one's min and median round divided by the
# batch size (on a loaded machine the min is the nearer to the uncontended cost).
Bench = Any  # pytest-benchmark's fixture type
_PER_OP: dict[str, tuple[float, float, int]] = {}  # name -> (min s, median s, ops per round)


def timed_per_op(benchmark: Bench, run: Callable[[], T], ops: int) -> T:
    """benchmark(run), recording that one call of run does ops operations."""
    result = benchmark(run)
    benchmark.extra_info["ops_per_round"] = ops
    if benchmark.stats is not None:  # None when benchmarks are disabled
        stats = benchmark.stats.stats
        _PER_OP[benchmark.name] = (stats.min, stats.median, ops)
    return result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _PER_OP:
        return
    terminalreporter.section("ns per operation (round time / operations per round)")
    terminalreporter.write_line(f"{'benchmark':58} {'min':>9} {'median':>9}")
    for name, (low, median, ops) in _PER_OP.items():
        terminalreporter.write_line(f"{name:58} {low / ops * 1e9:9.1f} {median / ops * 1e9:9.1f}")
