"""Type stubs for kvstore._core, the native engine extension."""

import os
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Generic, Literal, TypeAlias, TypeVar, overload

from typing_extensions import Buffer, Self

_T_co = TypeVar("_T_co", covariant=True)
_D = TypeVar("_D")

BytesLike = Buffer
StrPath: TypeAlias = str | bytes | os.PathLike[str] | os.PathLike[bytes]

MAX_KEY_SIZE: int
MAX_VALUE_SIZE: int
MAX_BATCH_SIZE: int

class WriteBatch:
    def __init__(self) -> None: ...
    def put(self, key: BytesLike, value: BytesLike) -> None: ...
    def delete(self, key: BytesLike) -> None: ...
    def clear(self) -> None: ...
    def __len__(self) -> int: ...
    def approximate_size(self) -> int: ...

class BatchContext:
    def __enter__(self) -> WriteBatch: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

class Iterator(Generic[_T_co]):
    def __iter__(self) -> Self: ...
    def __next__(self) -> _T_co: ...
    def seek(self, key: BytesLike) -> None: ...
    def seek_to_first(self) -> None: ...
    def seek_to_last(self) -> None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def reverse(self) -> bool: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

class _Reader:
    @overload
    def get(self, key: BytesLike) -> bytes | None: ...
    @overload
    def get(self, key: BytesLike, default: _D) -> bytes | _D: ...
    def multi_get(self, keys: Iterable[BytesLike]) -> list[bytes | None]: ...
    def __getitem__(self, key: BytesLike) -> bytes: ...
    def __contains__(self, key: object) -> bool: ...
    def items(
        self,
        start: BytesLike | None = None,
        stop: BytesLike | None = None,
        *,
        prefix: BytesLike | None = None,
        reverse: bool = False,
    ) -> Iterator[tuple[bytes, bytes]]: ...
    def keys(
        self,
        start: BytesLike | None = None,
        stop: BytesLike | None = None,
        *,
        prefix: BytesLike | None = None,
        reverse: bool = False,
    ) -> Iterator[bytes]: ...
    def values(
        self,
        start: BytesLike | None = None,
        stop: BytesLike | None = None,
        *,
        prefix: BytesLike | None = None,
        reverse: bool = False,
    ) -> Iterator[bytes]: ...
    def iterator(
        self,
        start: BytesLike | None = None,
        stop: BytesLike | None = None,
        *,
        prefix: BytesLike | None = None,
        reverse: bool = False,
    ) -> Iterator[tuple[bytes, bytes]]: ...

class Snapshot(_Reader):
    @property
    def sequence(self) -> int: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

class DB(_Reader):
    def __init__(
        self,
        path: StrPath,
        *,
        create_if_missing: bool = True,
        error_if_exists: bool = False,
        sync: bool = False,
        salvage_wal: bool = False,
        write_buffer_size: int = ...,
        max_write_buffer_number: int = ...,
        block_size: int = ...,
        block_restart_interval: int = ...,
        target_file_size: int = ...,
        max_bytes_for_level_base: int = ...,
        level_size_multiplier: int = ...,
        dynamic_level_bytes: bool = ...,
        level0_compaction_trigger: int = ...,
        level0_slowdown_writes_trigger: int = ...,
        level0_stop_writes_trigger: int = ...,
        delayed_write_rate: int = ...,
        max_background_jobs: int = ...,
        max_subcompactions: int = ...,
        concurrent_memtable_writes: bool = ...,
        max_open_files: int = ...,
        bloom_bits_per_key: int = ...,
        prefix_length: int = ...,
        block_cache_size: int = ...,
        compression: Literal["none", "lz4", "zstd"] = ...,
        bottommost_compression: Literal["none", "lz4", "zstd"] = ...,
        zstd_level: int = ...,
    ) -> None: ...
    def put(self, key: BytesLike, value: BytesLike, *, sync: bool | None = None) -> None: ...
    def delete(self, key: BytesLike, *, sync: bool | None = None) -> None: ...
    def write(self, batch: WriteBatch, *, sync: bool | None = None) -> None: ...
    def write_batch(self, *, sync: bool | None = None) -> BatchContext: ...
    def __setitem__(self, key: BytesLike, value: BytesLike) -> None: ...
    def __delitem__(self, key: BytesLike) -> None: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def snapshot(self) -> Snapshot: ...
    def flush(self) -> None: ...
    def compact_range(
        self, start: BytesLike | None = None, stop: BytesLike | None = None
    ) -> None: ...
    def stats(self) -> dict[str, Any]: ...
    def approximate_size(self) -> int: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def path(self) -> str | bytes: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

def destroy(path: StrPath) -> None: ...
def default_options() -> dict[str, Any]: ...

# The Raft core's bindings (kvstore._core.raft), used by kvstore.sim.
raft: Any
# kvstore._core._primitives (the micro-benchmarks' hot primitives) is typed in _primitives.pyi.
