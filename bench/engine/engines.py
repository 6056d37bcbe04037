"""One adapter per engine binding, all with the same small interface.

Each adapter opens one database directory and exposes the operations the workloads need as
plain callables (bound methods where the binding allows, so the harness adds as little as it
can). Where a binding lacks an operation, the adapter uses the binding's best equivalent and says
so in ``notes``; every option the adapter sets away from the binding's defaults is listed in
``options`` and printed with the results.

Durability is pinned the same way everywhere: every write is its own committed operation (a WAL
record for the LSM engines, a write transaction for LMDB), not fsynced, except in the fillsync
workloads where each write is fsynced before it returns.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Key = bytes
Pair = tuple[bytes, bytes]


@dataclass(frozen=True)
class EngineConfig:
    """An engine and the options it runs with."""

    name: str  # unique label used in the results, e.g. "rocksdb+bloom"
    engine: str  # kvstore | rocksdb | leveldb | lmdb
    bloom_bits: int = 0  # 0 = the binding's default (no filter for the peers)
    cache_bytes: int = 0  # block cache (RocksDB); 0 = the binding's default
    extra: dict[str, Any] = field(default_factory=dict)  # extra kvstore.DB keyword options


MODULES = {"kvstore": "kvstore", "rocksdb": "rocksdict", "leveldb": "plyvel", "lmdb": "lmdb"}
KVSTORE_CACHE_BYTES = 128 << 20  # kvstore's default block_cache_size


def available(engine: str) -> bool:
    """True when the Python binding of ``engine`` can be imported."""
    return importlib.util.find_spec(MODULES[engine]) is not None


def default_configs(engines: Iterable[str], kvstore_options: dict[str, Any]) -> list[EngineConfig]:
    """Each engine with its defaults, and each peer that has them also with 10-bit blooms."""
    out: list[EngineConfig] = []
    for engine in engines:
        if engine == "kvstore":
            out.append(EngineConfig("kvstore", "kvstore", extra=dict(kvstore_options)))
        elif engine in ("rocksdb", "leveldb"):
            out.append(EngineConfig(engine, engine))
            out.append(EngineConfig(f"{engine}+bloom", engine, bloom_bits=10))
            if engine == "rocksdb":
                # Memory at equal cache: RocksDB with kvstore's default block cache size.
                out.append(
                    EngineConfig(
                        "rocksdb+bloom+128M", engine, bloom_bits=10, cache_bytes=KVSTORE_CACHE_BYTES
                    )
                )
        elif engine == "lmdb":
            out.append(EngineConfig("lmdb", "lmdb"))  # a B+tree: no filters to turn on
        else:
            raise ValueError(f"unknown engine {engine!r}")
    return out


class Engine:
    """The operations the workloads drive. Subclasses bind them in ``open``."""

    options: dict[str, str]
    notes: list[str]

    # Bound by open(): single-key operations, as direct as the binding allows.
    put: Callable[[bytes, bytes], Any]
    get: Callable[[bytes], bytes | None]

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.options = {}
        self.notes = []

    def open(self, path: str, *, sync: bool) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def write_batch(self, pairs: Sequence[Pair]) -> None:
        raise NotImplementedError

    def multi_get(self, keys: Sequence[bytes]) -> int:
        """Looks up every key in one call where possible; returns how many were found."""
        raise NotImplementedError

    def scan(self, reverse: bool) -> int:
        """Reads every entry in key order (or reverse); returns the count."""
        raise NotImplementedError

    def seeker(self) -> Callable[[bytes, int], int]:
        """A function seek(key, n) -> entries read, reusing one cursor across calls."""
        raise NotImplementedError

    def begin_reads(self) -> None:
        """Called before a read workload (LMDB opens its read transaction here)."""

    def end_reads(self) -> None:
        """Called after a read workload."""

    def refresh_reads(self) -> None:
        """Called periodically by readers beside a writer, to see new writes (may rebind get)."""

    def engine_stats(self) -> dict[str, Any]:
        """Counters the engine reports (write amplification inputs, stalls); may be empty."""
        return {}

    def compact(self) -> bool:
        """Compacts the whole key range and waits for it; False if the engine has no such call."""
        return False


class KvstoreEngine(Engine):
    def __init__(self, config: EngineConfig) -> None:
        super().__init__(config)
        import kvstore

        self._kv = kvstore
        self.options = {k: repr(v) for k, v in config.extra.items()}
        self.options["sync"] = "False (per-write sync=True in fillsync)"
        self.db: Any = None

    def open(self, path: str, *, sync: bool) -> None:
        self.db = self._kv.DB(path, sync=sync, **self.config.extra)
        self.put = self.db.put
        self.get = self.db.get

    def close(self) -> None:
        self.db.close()
        self.db = None

    def write_batch(self, pairs: Sequence[Pair]) -> None:
        batch = self._kv.WriteBatch()
        put = batch.put
        for k, v in pairs:
            put(k, v)
        self.db.write(batch)

    def multi_get(self, keys: Sequence[bytes]) -> int:
        return sum(v is not None for v in self.db.multi_get(keys))

    def compact(self) -> bool:
        self.db.compact_range()
        return True

    def scan(self, reverse: bool) -> int:
        n = 0
        for _ in self.db.items(reverse=reverse):
            n += 1
        return n

    def seeker(self) -> Callable[[bytes, int], int]:
        it = self.db.iterator()

        def seek(key: bytes, count: int) -> int:
            it.seek(key)
            n = 0
            for _ in it:
                n += 1
                if n == count:
                    break
            return n

        return seek

    def engine_stats(self) -> dict[str, Any]:
        s = self.db.stats()
        return {
            "flush_bytes_written": s["flush_bytes_written"],
            "compaction_bytes_written": s["compaction_bytes_written"],
            "compaction_bytes_read": s["compaction_bytes_read"],
            "wal_bytes_written": s["wal_bytes_written"],
            "stall_micros": s["stall_micros"],
            "stall_slowdowns": s["stall_slowdowns"],
            "stall_stops": s["stall_stops"],
            "wal_syncs": s["wal_syncs"],
            "write_groups": s["write_groups"],
            "flushes": s["flushes"],
            "compactions": s["compactions"],
        }


_GB = 1 << 30


class RocksdbEngine(Engine):
    def __init__(self, config: EngineConfig) -> None:
        super().__init__(config)
        import rocksdict

        self._r = rocksdict
        self.options = {"raw_mode": "True (bytes stored as-is, no type tag)"}
        if config.bloom_bits:
            self.options["block_based_table_factory"] = (
                f"BlockBasedOptions.set_bloom_filter({config.bloom_bits}, False)"
            )
        if config.cache_bytes:
            self.options["block_cache"] = f"Cache({config.cache_bytes >> 20} MiB)"
        self.options["WriteOptions.sync"] = "False (True in fillsync)"
        self.notes = [
            "multiget: Rdict.get(list) (RocksDB MultiGet)",
            "seek: one reused raw iterator (seek, then key()/value()/next())",
        ]
        self.db: Any = None

    def open(self, path: str, *, sync: bool) -> None:
        r = self._r
        opts = r.Options(raw_mode=True)
        opts.create_if_missing(True)
        if self.config.bloom_bits or self.config.cache_bytes:
            table = r.BlockBasedOptions()
            if self.config.bloom_bits:
                table.set_bloom_filter(self.config.bloom_bits, False)
            if self.config.cache_bytes:
                table.set_block_cache(r.Cache(self.config.cache_bytes))
            opts.set_block_based_table_factory(table)
        self.db = r.Rdict(path, opts)
        wo = r.WriteOptions()
        wo.sync = sync
        self.db.set_write_options(wo)
        self.put = self.db.put
        self.get = self.db.get

    def close(self) -> None:
        self.db.close()
        self.db = None

    def compact(self) -> bool:
        self.db.compact_range(None, None)
        return True

    def write_batch(self, pairs: Sequence[Pair]) -> None:
        batch = self._r.WriteBatch(raw_mode=True)
        put = batch.put
        for k, v in pairs:
            put(k, v)
        self.db.write(batch)

    def multi_get(self, keys: Sequence[bytes]) -> int:
        return sum(v is not None for v in self.db.get(list(keys)))

    def scan(self, reverse: bool) -> int:
        n = 0
        for _ in self.db.items(backwards=reverse):
            n += 1
        return n

    def seeker(self) -> Callable[[bytes, int], int]:
        it = self.db.iter()

        def seek(key: bytes, count: int) -> int:
            it.seek(key)
            n = 0
            while n < count and it.valid():
                it.key()
                it.value()
                it.next()
                n += 1
            return n

        return seek

    def engine_stats(self) -> dict[str, Any]:
        text = self.db.property_value("rocksdb.stats") or ""
        m = re.search(r"Cumulative compaction: ([\d.]+) GB write", text)
        f = re.search(r"Flush\(GB\): cumulative ([\d.]+)", text)
        out: dict[str, Any] = {}
        if m:  # the Sum row: flushes (L0 writes) and compactions, 10 MB resolution
            out["sst_bytes_written"] = int(float(m.group(1)) * _GB)
        if f:
            out["flush_bytes_written"] = int(float(f.group(1)) * _GB)
        return out


class LeveldbEngine(Engine):
    def __init__(self, config: EngineConfig) -> None:
        super().__init__(config)
        import plyvel

        self._p = plyvel
        self.options = {"create_if_missing": "True"}
        if config.bloom_bits:
            self.options["bloom_filter_bits"] = str(config.bloom_bits)
        self.options["sync"] = "False (True in fillsync)"
        self.notes = [
            "multiget: a loop of get() (plyvel has no batched get)",
            "seek: one reused iterator (seek, then next())",
        ]
        self.db: Any = None

    def open(self, path: str, *, sync: bool) -> None:
        kwargs: dict[str, Any] = {"create_if_missing": True}
        if self.config.bloom_bits:
            kwargs["bloom_filter_bits"] = self.config.bloom_bits
        self.db = self._p.DB(path, **kwargs)
        if sync:
            db_put = self.db.put

            def put(k: bytes, v: bytes) -> None:
                db_put(k, v, sync=True)

            self.put = put
        else:
            self.put = self.db.put
        self.get = self.db.get

    def close(self) -> None:
        self.db.close()
        self.db = None

    def compact(self) -> bool:
        self.db.compact_range()
        return True

    def write_batch(self, pairs: Sequence[Pair]) -> None:
        with self.db.write_batch() as wb:
            put = wb.put
            for k, v in pairs:
                put(k, v)

    def multi_get(self, keys: Sequence[bytes]) -> int:
        get = self.db.get
        return sum(get(k) is not None for k in keys)

    def scan(self, reverse: bool) -> int:
        n = 0
        with self.db.iterator(reverse=reverse) as it:
            for _ in it:
                n += 1
        return n

    def seeker(self) -> Callable[[bytes, int], int]:
        it = self.db.iterator()

        def seek(key: bytes, count: int) -> int:
            it.seek(key)
            n = 0
            for _ in it:
                n += 1
                if n == count:
                    break
            return n

        return seek

    def engine_stats(self) -> dict[str, Any]:
        text = (self.db.get_property(b"leveldb.stats") or b"").decode()
        total_mb = 0.0
        for line in text.splitlines():
            cols = line.split()
            if len(cols) == 6 and cols[0].isdigit():
                total_mb += float(cols[5])  # Write(MB): flushes land in L0's row
        return {"sst_bytes_written": int(total_mb * (1 << 20))}


class LmdbEngine(Engine):
    # Large enough for any run here; the file grows only as pages are used.
    MAP_SIZE = 1 << 40

    def __init__(self, config: EngineConfig) -> None:
        super().__init__(config)
        import lmdb

        self._l = lmdb
        self.options = {
            "map_size": f"{self.MAP_SIZE} (1 TiB of address space; the file grows as used)",
            "sync": "False (True in fillsync): each put is its own write transaction",
        }
        self.notes = [
            "writes: one write transaction per put (per 100 in fillbatch)",
            "reads: one read transaction per workload (renewed every 100 reads beside a writer)",
            "multiget: Cursor.getmulti",
        ]
        self.env: Any = None
        self._txn: Any = None

    def open(self, path: str, *, sync: bool) -> None:
        self.env = self._l.open(path, map_size=self.MAP_SIZE, sync=sync)
        env = self.env

        def put(k: bytes, v: bytes) -> None:
            with env.begin(write=True) as txn:
                txn.put(k, v)

        self.put = put
        self.get = self._get_in_txn

    def _get_in_txn(self, key: bytes) -> bytes | None:
        # Only used outside begin_reads(); begin_reads() rebinds get to the txn's own get.
        with self.env.begin() as txn:
            return txn.get(key)

    def close(self) -> None:
        self.end_reads()
        self.env.close()
        self.env = None

    def begin_reads(self) -> None:
        self._txn = self.env.begin(buffers=False)
        self.get = self._txn.get

    def end_reads(self) -> None:
        if self._txn is not None:
            self._txn.abort()
            self._txn = None
            self.get = self._get_in_txn

    def refresh_reads(self) -> None:
        if self._txn is not None:
            self.end_reads()
            self.begin_reads()

    def write_batch(self, pairs: Sequence[Pair]) -> None:
        with self.env.begin(write=True) as txn:
            put = txn.put
            for k, v in pairs:
                put(k, v)

    def multi_get(self, keys: Sequence[bytes]) -> int:
        assert self._txn is not None
        return len(self._txn.cursor().getmulti(keys))

    def scan(self, reverse: bool) -> int:
        n = 0
        with self.env.begin() as txn:
            cur = txn.cursor()
            if reverse:
                cur.last()
                for _ in cur.iterprev():
                    n += 1
            else:
                for _ in cur:
                    n += 1
        return n

    def seeker(self) -> Callable[[bytes, int], int]:
        assert self._txn is not None
        cur = self._txn.cursor()

        def seek(key: bytes, count: int) -> int:
            if not cur.set_range(key):
                return 0
            n = 0
            for _ in cur.iternext():
                n += 1
                if n == count:
                    break
            return n

        return seek


ADAPTERS: dict[str, type[Engine]] = {
    "kvstore": KvstoreEngine,
    "rocksdb": RocksdbEngine,
    "leveldb": LeveldbEngine,
    "lmdb": LmdbEngine,
}


def make(config: EngineConfig) -> Engine:
    return ADAPTERS[config.engine](config)
