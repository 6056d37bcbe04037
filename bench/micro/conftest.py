"""Fixtures of the micro-benchmarks: a loaded kvstore.DB in a temporary directory."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import kvstore
import pytest

N = 100_000
KEY = b"%016d"


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
