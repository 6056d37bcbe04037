"""pytest-benchmark micro-benchmarks of the hot calls reachable from Python.

Run from a checkout (not part of the CI test run, which collects only tests/):

    python -m pytest bench/micro --benchmark-only
    python -m pytest bench/micro --benchmark-only --benchmark-json=micro.json

Each benchmark times a fixed-size unit of work (one call, or a loop of 1000 calls where one call
is too short for the timer); the name says which.
"""

from __future__ import annotations

import random
from typing import Any

import kvstore

from .conftest import KEY, N, value

Bench = Any  # pytest-benchmark's fixture type

RNG = random.Random(11)
HIT_KEYS = [KEY % RNG.randrange(N) for _ in range(1000)]
MISS_KEYS = [b"%015d." % RNG.randrange(N) for _ in range(1000)]
VALUE = value(1)


def test_put_x1000(benchmark: Bench, empty: kvstore.DB) -> None:
    keys = [KEY % i for i in range(1000)]
    put = empty.put

    def run() -> None:
        for k in keys:
            put(k, VALUE)

    benchmark(run)


def test_get_hit_x1000(benchmark: Bench, loaded: kvstore.DB) -> None:
    get = loaded.get

    def run() -> None:
        for k in HIT_KEYS:
            get(k)

    benchmark(run)


def test_get_miss_x1000(benchmark: Bench, loaded: kvstore.DB) -> None:
    get = loaded.get

    def run() -> None:
        for k in MISS_KEYS:
            get(k)

    benchmark(run)


def test_multi_get_100(benchmark: Bench, loaded: kvstore.DB) -> None:
    keys = HIT_KEYS[:100]
    result = benchmark(loaded.multi_get, keys)
    assert all(v is not None for v in result)


def test_write_batch_100(benchmark: Bench, empty: kvstore.DB) -> None:
    pairs = [(KEY % i, VALUE) for i in range(100)]

    def run() -> None:
        with empty.write_batch() as b:
            for k, v in pairs:
                b.put(k, v)

    benchmark(run)


def test_iterate_1000(benchmark: Bench, loaded: kvstore.DB) -> None:
    """One chunk of iteration: 1000 entries from a fresh bounded iterator."""
    start = KEY % (N // 2)

    def run() -> int:
        n = 0
        for _ in loaded.items(start):
            n += 1
            if n == 1000:
                break
        return n

    assert benchmark(run) == 1000


def test_seek_next10(benchmark: Bench, loaded: kvstore.DB) -> None:
    it = loaded.iterator()
    keys = HIT_KEYS[:100]

    def run() -> None:
        for k in keys:
            it.seek(k)
            for _ in range(10):
                if next(it, None) is None:
                    break

    benchmark(run)
    it.close()
