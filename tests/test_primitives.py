"""kvstore._core._primitives, the micro-benchmarks' hot primitives, run once each at tiny
sizes: behaviour only (bench/micro/test_primitives.py times them)."""

from __future__ import annotations

import random

import pytest
from kvstore._core import _primitives as prim

KEY = b"%016d"
VALUE = b"v" * 100


def shuffled(n: int, seed: int) -> list[bytes]:
    keys = [KEY % i for i in range(n)]
    random.Random(seed).shuffle(keys)
    return keys


@pytest.mark.parametrize(("concurrent", "threads"), [(False, 1), (True, 1), (True, 2), (True, 4)])
def test_memtable_insert_holds_every_key_in_order(concurrent: bool, threads: int) -> None:
    keys = shuffled(300, seed=1)
    m = prim.MemTableInsert(keys, VALUE, concurrent=concurrent, threads=threads)
    assert m.user_keys() == []
    for _ in range(2):  # a fresh memtable each run
        assert m.run() >= len(keys) * (16 + 8 + len(VALUE))
        assert m.user_keys() == sorted(keys)


def test_memtable_insert_rejects_bad_threads() -> None:
    with pytest.raises(ValueError):
        prim.MemTableInsert([b"a"], b"", threads=0)
    with pytest.raises(ValueError):
        prim.MemTableInsert([b"a"], b"", threads=2)  # several threads need the concurrent path


@pytest.mark.parametrize("iterator", [True, False])
def test_block_seek_finds_present_keys_only(iterator: bool) -> None:
    keys = [KEY % (2 * i) for i in range(40)]
    present = keys[::-1] + keys[5:9]
    absent = [KEY % (2 * i + 1) for i in range(40)] + [b"", b"~"]

    def seek(targets: list[bytes], restart_interval: int = 16) -> int:
        b = prim.BlockSeek(
            keys, VALUE, targets, restart_interval=restart_interval, iterator=iterator
        )
        assert b.num_entries == len(keys)
        assert len(keys) * len(VALUE) < b.block_size < len(keys) * (len(VALUE) + 40)
        return b.run()

    assert seek(present) == len(present)
    assert seek(present, restart_interval=1) == len(present)
    assert seek(absent) == 0
    assert seek([]) == 0


def test_block_seek_rejects_unsorted_keys() -> None:
    with pytest.raises(ValueError):
        prim.BlockSeek([b"b", b"a"], b"", [])


def test_bloom_probe_has_no_false_negatives_and_few_false_positives() -> None:
    keys = [KEY % i for i in range(2000)]
    absent = [b"%015d." % i for i in range(2000)]
    assert prim.BloomProbe(keys, keys).run() == len(keys)
    false_positives = prim.BloomProbe(keys, absent).run()
    assert false_positives < len(absent) * 0.03  # about 1% expected at 10 bits per key
    five = prim.BloomProbe(keys, absent, bits_per_key=5)
    assert five.run() > false_positives
    assert five.memory_usage < prim.BloomProbe(keys, absent).memory_usage


def test_cache_lookup_hits_cached_keys_only() -> None:
    keys = [KEY % i for i in range(500)]
    assert prim.CacheLookup(keys, keys).run() == len(keys)
    assert prim.CacheLookup(keys, keys[:7] + [b"absent"]).run() == 7
    assert prim.CacheLookup(keys, [b"%015d." % i for i in range(500)]).run() == 0


def test_checksum_blocks_sums_whole_blocks() -> None:
    block = random.Random(3).randbytes(4096)
    one = prim.ChecksumBlocks(block).run()
    assert 0 < one < 2**32  # one checksum is 32 bits
    assert prim.ChecksumBlocks(block * 3).run() == 3 * one
    assert prim.ChecksumBlocks(block + b"tail").run() == one  # a partial block is ignored
    assert prim.ChecksumBlocks(b"").run() == 0
    assert prim.ChecksumBlocks(bytes(4096)).run() != one
    assert prim.ChecksumBlocks(block, block_size=1024).run() != one
    with pytest.raises(ValueError):
        prim.ChecksumBlocks(block, block_size=0)
