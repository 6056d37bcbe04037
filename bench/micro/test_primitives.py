"""pytest-benchmark micro-benchmarks of the engine's hot C++ primitives, without the engine
around them (kvstore._core._primitives):

    python -m pytest bench/micro/test_primitives.py --benchmark-only

Each object is built with its data outside the timing; one benchmark round is one run() call,
which performs the batch of operations its name ends with (``_x10000`` = 10000 operations) in
C++ with the GIL released, so the Python call costs a few hundred ns over the whole batch.
After the run, a "ns per operation" section prints each median divided by its batch size.
Every benchmark also checks run()'s result, so a broken primitive fails rather than times.

Shapes are the engine suite's: 16-byte keys, 100-byte values, 10 bits per key, 4 KiB blocks.
"""

from __future__ import annotations

import random

from kvstore._core import _primitives as prim

from .conftest import KEY, Bench, timed_per_op

VALUE = b"v" * 100


def keys(n: int) -> list[bytes]:
    return [KEY % i for i in range(n)]


def shuffled(items: list[bytes], seed: int) -> list[bytes]:
    return random.Random(seed).sample(items, len(items))


# ---------------------------------------------------------------- skiplist insert (memtable)
MEM_N = 100_000


def memtable_insert(
    benchmark: Bench, order: list[bytes], concurrent: bool = False, threads: int = 1
) -> None:
    m = prim.MemTableInsert(order, VALUE, concurrent=concurrent, threads=threads)
    used = timed_per_op(benchmark, m.run, len(order))
    assert used >= len(order) * (16 + 8 + len(VALUE))
    assert len(m.user_keys()) == len(order)


def test_memtable_insert_seq_x100000(benchmark: Bench) -> None:
    memtable_insert(benchmark, keys(MEM_N))


def test_memtable_insert_random_x100000(benchmark: Bench) -> None:
    memtable_insert(benchmark, shuffled(keys(MEM_N), seed=1))


def test_memtable_insert_concurrent_1thread_random_x100000(benchmark: Bench) -> None:
    """The concurrent (compare-and-swap) insert path, on one thread."""
    memtable_insert(benchmark, shuffled(keys(MEM_N), seed=1), concurrent=True)


def test_memtable_insert_concurrent_2threads_random_x100000(benchmark: Bench) -> None:
    """Two threads inserting alternate keys into one memtable (time per run, both threads)."""
    memtable_insert(benchmark, shuffled(keys(MEM_N), seed=1), concurrent=True, threads=2)


# ---------------------------------------------------------------- block seek
# A data block as the table builder closes it: about 4 KiB of internal keys with 100-byte
# values, a restart point every 16 entries. Hits seek the block's keys, misses the keys
# between them.
SEEKS = 10_000
BLOCK_KEYS = [KEY % (2 * i) for i in range(36)]
_rng = random.Random(2)
SEEK_HITS = [_rng.choice(BLOCK_KEYS) for _ in range(SEEKS)]
SEEK_MISSES = [KEY % (2 * _rng.randrange(len(BLOCK_KEYS)) + 1) for _ in range(SEEKS)]


def block_seek(benchmark: Bench, targets: list[bytes], iterator: bool, found: int) -> None:
    b = prim.BlockSeek(BLOCK_KEYS, VALUE, targets, iterator=iterator)
    assert 3500 < b.block_size < 4500
    assert timed_per_op(benchmark, b.run, len(targets)) == found


def test_block_seek_iterator_hit_x10000(benchmark: Bench) -> None:
    block_seek(benchmark, SEEK_HITS, iterator=True, found=SEEKS)


def test_block_seek_iterator_miss_x10000(benchmark: Bench) -> None:
    block_seek(benchmark, SEEK_MISSES, iterator=True, found=0)


def test_block_seek_direct_hit_x10000(benchmark: Bench) -> None:
    """Block::Seek, the iterator-free lookup that Table::InternalGet uses."""
    block_seek(benchmark, SEEK_HITS, iterator=False, found=SEEKS)


def test_block_seek_direct_miss_x10000(benchmark: Bench) -> None:
    block_seek(benchmark, SEEK_MISSES, iterator=False, found=0)


# ---------------------------------------------------------------- bloom probe
# A filter over 100k keys (125 KiB at 10 bits per key), probed 10000 times.
BLOOM_KEYS = keys(100_000)
PROBES = 10_000


def test_bloom_probe_hit_x10000(benchmark: Bench) -> None:
    f = prim.BloomProbe(BLOOM_KEYS, random.Random(3).sample(BLOOM_KEYS, PROBES))
    assert timed_per_op(benchmark, f.run, PROBES) == PROBES


def test_bloom_probe_miss_x10000(benchmark: Bench) -> None:
    rng = random.Random(4)
    absent = [b"%015d." % rng.randrange(len(BLOOM_KEYS)) for _ in range(PROBES)]
    f = prim.BloomProbe(BLOOM_KEYS, absent)
    assert timed_per_op(benchmark, f.run, PROBES) < PROBES * 0.03  # false positives, ~1%


# ---------------------------------------------------------------- block cache, checksum
def test_cache_lookup_hit_x10000(benchmark: Bench) -> None:
    """Hash, Lookup and Release of 16-byte keys in a cache of 10000 4 KiB blocks."""
    cached = keys(10_000)
    c = prim.CacheLookup(cached, shuffled(cached, seed=5))
    assert timed_per_op(benchmark, c.run, len(cached)) == len(cached)


def test_checksum_4k_x256(benchmark: Bench) -> None:
    """The block checksum of 256 different 4 KiB blocks (1 MiB)."""
    c = prim.ChecksumBlocks(random.Random(6).randbytes(256 * 4096))
    assert timed_per_op(benchmark, c.run, 256) > 0
