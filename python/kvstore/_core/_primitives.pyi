"""Type stubs for kvstore._core._primitives: the engine's hot primitives, batched for the
micro-benchmarks (bench/micro/test_primitives.py). Private; not part of kvstore's API.

Each object is built with its data; run() does one fixed batch of operations with the GIL
released and returns a count derived from the results.
"""

from collections.abc import Sequence

# Skiplist insert: every key (in the given order, each with value) into a fresh memtable.
# run() returns the memtable's bytes in use; user_keys() lists the last run's memtable.
class MemTableInsert:
    def __init__(
        self, keys: Sequence[bytes], value: bytes, *, concurrent: bool = False, threads: int = 1
    ) -> None: ...
    def run(self) -> int: ...
    def user_keys(self) -> list[bytes]: ...

# Block seek: one data block of keys (as internal keys, each with value, keys increasing).
# run() seeks every target, through a block iterator or the iterator-free Block::Seek,
# and returns how many were found.
class BlockSeek:
    def __init__(
        self,
        keys: Sequence[bytes],
        value: bytes,
        targets: Sequence[bytes],
        *,
        restart_interval: int = 16,
        iterator: bool = True,
    ) -> None: ...
    def run(self) -> int: ...
    @property
    def block_size(self) -> int: ...
    @property
    def num_entries(self) -> int: ...

# Bloom probe: a filter over keys. run() returns how many probes may match.
class BloomProbe:
    def __init__(
        self, keys: Sequence[bytes], probes: Sequence[bytes], *, bits_per_key: int = 10
    ) -> None: ...
    def run(self) -> int: ...
    @property
    def memory_usage(self) -> int: ...

# Block cache lookup: a cache holding keys. run() looks every probe up and returns the hits.
class CacheLookup:
    def __init__(
        self, keys: Sequence[bytes], probes: Sequence[bytes], *, charge: int = 4096
    ) -> None: ...
    def run(self) -> int: ...

# Block checksum (XXH3) of every block_size bytes of data. run() returns their sum.
class ChecksumBlocks:
    def __init__(self, data: bytes, *, block_size: int = 4096) -> None: ...
    def run(self) -> int: ...
