"""API tests for kvstore.DB, WriteBatch, Snapshot and Iterator."""

from __future__ import annotations

import collections.abc
import gc
import itertools
import os
import pathlib
import subprocess
import sys
import threading
from pathlib import Path

import kvstore
import pytest

STATS_FIELDS = {
    "levels",
    "memtable_bytes",
    "immutable_memtables",
    "last_sequence",
    "live_snapshots",
    "flushes",
    "compactions",
    "compaction_bytes_read",
    "compaction_bytes_written",
    "flush_bytes_written",
    "wal_bytes_written",
    "wal_syncs",
    "write_groups",
    "writes",
    "stall_slowdowns",
    "stall_stops",
    "stall_micros",
    "wal_bytes_dropped",
    "disk_bytes",
}

CORE_OPTIONS = {
    "create_if_missing",
    "error_if_exists",
    "sync",
    "salvage_wal",
    "write_buffer_size",
    "block_size",
    "block_restart_interval",
    "target_file_size",
    "max_bytes_for_level_base",
    "level_size_multiplier",
    "level0_compaction_trigger",
    "level0_slowdown_writes_trigger",
    "level0_stop_writes_trigger",
    "max_open_files",
}


def fill(db: kvstore.DB, n: int, prefix: bytes = b"k") -> dict[bytes, bytes]:
    data = {prefix + b"%05d" % i: b"v%d" % i for i in range(n)}
    with db.write_batch() as batch:
        for k, v in data.items():
            batch.put(k, v)
    return data


# --- basics -------------------------------------------------------------------


def test_put_get_delete(db: kvstore.DB) -> None:
    assert db.get(b"a") is None
    assert db.get(b"a", b"dflt") == b"dflt"
    db.put(b"a", b"1")
    assert db.get(b"a") == b"1"
    db.put(b"a", b"2")
    assert db.get(b"a") == b"2"
    db.delete(b"a")
    assert db.get(b"a") is None
    db.delete(b"never-there")  # deleting an absent key is fine


def test_bytes_like_keys_and_values(db: kvstore.DB) -> None:
    db.put(bytearray(b"ba"), memoryview(b"mv"))
    assert db.get(memoryview(b"ba")) == b"mv"
    assert db[bytearray(b"ba")] == b"mv"
    db.put(b"\x00nul\x00", b"\x00\xff")
    assert db.get(b"\x00nul\x00") == b"\x00\xff"
    # A slice of a memoryview is bytes-like too.
    db.put(memoryview(b"xxkeyxx")[2:5], b"sliced")
    assert db.get(b"key") == b"sliced"
    assert isinstance(db.get(b"key"), bytes)


def test_empty_value(db: kvstore.DB) -> None:
    db.put(b"k", b"")
    assert db.get(b"k") == b""
    assert b"k" in db


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda db: db.put("a", b"x"), "key must be bytes-like, not str"),
        (lambda db: db.put(b"a", "x"), "value must be bytes-like, not str"),
        (lambda db: db.put(b"a", 1), "value must be bytes-like, not int"),
        (lambda db: db.get("a"), "key must be bytes-like, not str"),
        (lambda db: db.get(None), "key must be bytes-like, not NoneType"),
        (lambda db: db.delete(3), "key must be bytes-like, not int"),
        (lambda db: db.multi_get([b"a", "b"]), "key must be bytes-like, not str"),
        (lambda db: db["a"], "key must be bytes-like, not str"),
        (lambda db: db.__setitem__("a", b"x"), "key must be bytes-like, not str"),
        (lambda db: "a" in db, "key must be bytes-like, not str"),
        (lambda db: db.items(start="a"), "start must be bytes-like, not str"),
        (lambda db: db.keys(stop=1.5), "stop must be bytes-like, not float"),
        (lambda db: db.iterator(prefix="p"), "prefix must be bytes-like, not str"),
        (lambda db: db.compact_range("a"), "start must be bytes-like, not str"),
        (lambda db: db.iterator().seek("a"), "key must be bytes-like, not str"),
        (lambda db: kvstore.WriteBatch().put("a", b"x"), "key must be bytes-like, not str"),
        (lambda db: kvstore.WriteBatch().delete(["a"]), "key must be bytes-like, not list"),
        (lambda db: db.snapshot().get("a"), "key must be bytes-like, not str"),
    ],
)
def test_type_errors(db: kvstore.DB, call, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call(db)


def test_non_contiguous_buffer_rejected(db: kvstore.DB) -> None:
    strided = memoryview(b"abcdef")[::2]
    with pytest.raises(TypeError, match="contiguous"):
        db.put(strided, b"x")


def test_write_rejects_non_batch(db: kvstore.DB) -> None:
    with pytest.raises(TypeError):
        db.write([(b"a", b"b")])  # type: ignore[arg-type]


def test_size_limits(db: kvstore.DB) -> None:
    assert kvstore.MAX_KEY_SIZE == 64 * 1024
    assert kvstore.MAX_VALUE_SIZE == 256 * 1024 * 1024
    big_key = b"k" * (kvstore.MAX_KEY_SIZE + 1)
    with pytest.raises(kvstore.InvalidArgumentError, match="key is 65537 bytes"):
        db.put(big_key, b"v")
    with pytest.raises(ValueError):
        db.get(big_key)
    with pytest.raises(kvstore.InvalidArgumentError):
        kvstore.WriteBatch().put(big_key, b"v")
    with pytest.raises(kvstore.InvalidArgumentError):
        kvstore.WriteBatch().delete(big_key)
    # bytes(n) is calloc'ed: its pages are never touched, so this costs no real memory.
    huge_value = bytes(kvstore.MAX_VALUE_SIZE + 1)
    with pytest.raises(kvstore.InvalidArgumentError, match="value is"):
        db.put(b"k", huge_value)
    del huge_value
    max_key = b"m" * kvstore.MAX_KEY_SIZE
    db.put(max_key, b"ok")
    assert db.get(max_key) == b"ok"


def test_exception_hierarchy() -> None:
    for cls in (
        kvstore.NotFoundError,
        kvstore.CorruptionError,
        kvstore.InvalidArgumentError,
        kvstore.IOError,
        kvstore.BusyError,
        kvstore.NotSupportedError,
        kvstore.ClosedError,
    ):
        assert issubclass(cls, kvstore.Error)
    assert issubclass(kvstore.InvalidArgumentError, ValueError)
    assert issubclass(kvstore.IOError, OSError)
    assert kvstore.IOError is not OSError


# --- mapping protocol ----------------------------------------------------------


def test_mapping_protocol(db: kvstore.DB) -> None:
    with pytest.raises(KeyError):
        db[b"missing"]
    db[b"a"] = b"1"
    db[b"b"] = b"2"
    assert db[b"a"] == b"1"
    assert b"a" in db
    assert b"c" not in db
    del db[b"a"]
    assert b"a" not in db
    with pytest.raises(KeyError):
        db[b"a"]
    del db[b"a"]  # blind delete: no KeyError for an absent key
    assert list(db) == [b"b"]


def test_multi_get(db: kvstore.DB) -> None:
    db.put(b"a", b"1")
    db.put(b"c", b"3")
    assert db.multi_get([b"a", b"b", b"c", b"a"]) == [b"1", None, b"3", b"1"]
    assert db.multi_get([]) == []
    assert db.multi_get(k for k in (b"c",)) == [b"3"]


# --- write batches -------------------------------------------------------------


def test_write_batch_context_commits(db: kvstore.DB) -> None:
    db.put(b"old", b"x")
    with db.write_batch() as batch:
        batch.put(b"a", b"1")
        batch.put(b"b", b"2")
        batch.delete(b"old")
        assert len(batch) == 3
        assert db.get(b"a") is None  # nothing visible before the block exits
    assert db.multi_get([b"a", b"b", b"old"]) == [b"1", b"2", None]


def test_write_batch_context_discards_on_exception(db: kvstore.DB) -> None:
    db.put(b"keep", b"x")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.write_batch(sync=True) as batch:
        batch.put(b"a", b"1")
        batch.delete(b"keep")
        raise Boom
    assert db.get(b"a") is None
    assert db.get(b"keep") == b"x"


def test_standalone_write_batch(db: kvstore.DB) -> None:
    batch = kvstore.WriteBatch()
    assert len(batch) == 0
    batch.put(b"a", b"1")
    batch.put(b"b", b"2")
    batch.delete(b"a")
    assert len(batch) == 3
    assert batch.approximate_size() > 0
    db.write(batch, sync=True)
    assert db.get(b"a") is None
    assert db.get(b"b") == b"2"
    batch.clear()
    assert len(batch) == 0
    batch.put(b"c", b"3")
    db.write(batch)
    assert db.get(b"c") == b"3"
    db.write(kvstore.WriteBatch())  # an empty batch is a no-op


def test_batch_order_last_wins(db: kvstore.DB) -> None:
    batch = kvstore.WriteBatch()
    batch.put(b"k", b"1")
    batch.delete(b"k")
    batch.put(b"k", b"2")
    db.write(batch)
    assert db[b"k"] == b"2"


# --- iteration -----------------------------------------------------------------


@pytest.fixture
def abc_db(db: kvstore.DB) -> kvstore.DB:
    for k in [b"a", b"ab", b"abc", b"abd", b"b", b"ba", b"c", b"\xff", b"\xff\xff\x01"]:
        db.put(k, k.upper())
    return db


def test_items_full_and_reverse(abc_db: kvstore.DB) -> None:
    keys = [b"a", b"ab", b"abc", b"abd", b"b", b"ba", b"c", b"\xff", b"\xff\xff\x01"]
    assert list(abc_db.keys()) == keys
    assert list(abc_db.keys(reverse=True)) == keys[::-1]
    assert list(abc_db.items()) == [(k, k.upper()) for k in keys]
    assert list(abc_db.values()) == [k.upper() for k in keys]
    assert list(abc_db.values(reverse=True)) == [k.upper() for k in keys][::-1]


def test_items_bounds(abc_db: kvstore.DB) -> None:
    assert list(abc_db.keys(b"ab", b"b")) == [b"ab", b"abc", b"abd"]
    assert list(abc_db.keys(b"ab", b"b", reverse=True)) == [b"abd", b"abc", b"ab"]
    assert list(abc_db.keys(start=b"abz")) == [b"b", b"ba", b"c", b"\xff", b"\xff\xff\x01"]
    assert list(abc_db.keys(stop=b"ab")) == [b"a"]
    assert list(abc_db.keys(stop=b"ab", reverse=True)) == [b"a"]
    assert list(abc_db.keys(b"b", b"b")) == []
    assert list(abc_db.keys(b"c", b"a")) == []
    assert list(abc_db.keys(b"c", b"a", reverse=True)) == []
    assert list(abc_db.keys(b"zzz")) == [b"\xff", b"\xff\xff\x01"]


def test_items_prefix(abc_db: kvstore.DB) -> None:
    assert list(abc_db.keys(prefix=b"ab")) == [b"ab", b"abc", b"abd"]
    assert list(abc_db.keys(prefix=b"ab", reverse=True)) == [b"abd", b"abc", b"ab"]
    assert list(abc_db.keys(prefix=b"ab", start=b"abc")) == [b"abc", b"abd"]
    assert list(abc_db.keys(prefix=b"ab", stop=b"abd")) == [b"ab", b"abc"]
    assert list(abc_db.keys(prefix=b"a", start=b"0", stop=b"zz")) == [b"a", b"ab", b"abc", b"abd"]
    assert list(abc_db.keys(prefix=b"x")) == []
    assert list(abc_db.keys(prefix=b"\xff")) == [b"\xff", b"\xff\xff\x01"]
    assert list(abc_db.keys(prefix=b"\xff\xff", reverse=True)) == [b"\xff\xff\x01"]
    assert list(abc_db.keys(prefix=b"")) == list(abc_db.keys())
    assert list(abc_db.items(prefix=memoryview(b"ba"))) == [(b"ba", b"BA")]


def test_iteration_crosses_chunks(db: kvstore.DB) -> None:
    data = fill(db, 3000)
    assert list(db.items()) == sorted(data.items())
    assert list(db.items(reverse=True)) == sorted(data.items(), reverse=True)
    db.flush()
    db.put(b"k01500", b"new")
    data[b"k01500"] = b"new"
    assert dict(db.items()) == data
    assert list(db.keys(b"k00100", b"k02900")) == sorted(data)[100:2900]


def test_iterator_next_by_slot_and_by_name(db: kvstore.DB) -> None:
    # for loops and next() take the type's iternext slot; it.__next__() goes
    # through the bound method: both walk the same cursor.
    data = fill(db, 40)
    it = db.items()
    assert isinstance(it, collections.abc.Iterator)
    first = it.__next__()
    second = next(it)
    assert [first, second, *it] == sorted(data.items())
    with pytest.raises(StopIteration):
        next(it)
    with pytest.raises(StopIteration):
        it.__next__()
    keys = db.keys(reverse=True)
    assert next(keys) == max(data)
    db.close()
    with pytest.raises(kvstore.ClosedError):
        next(keys)  # entries are still buffered, the DB is not
    with pytest.raises(kvstore.ClosedError):
        keys.__next__()


def test_iteration_large_values(db: kvstore.DB) -> None:
    big = {b"big%d" % i: bytes([i]) * (300 * 1024) for i in range(4)}
    for k, v in big.items():
        db.put(k, v)
    assert list(db.items()) == sorted(big.items())
    assert list(db.values(reverse=True)) == [v for _, v in sorted(big.items(), reverse=True)]


def test_iterator_sees_view_at_creation(db: kvstore.DB) -> None:
    fill(db, 50)
    it = db.items()
    db.put(b"k00000", b"changed")
    db.put(b"zz", b"new")
    db.delete(b"k00010")
    got = dict(it)
    assert got[b"k00000"] == b"v0"
    assert b"zz" not in got
    assert b"k00010" in got


def test_iteration_skips_deleted(db: kvstore.DB) -> None:
    fill(db, 100)
    for i in range(0, 100, 2):
        db.delete(b"k%05d" % i)
    assert list(db.keys()) == [b"k%05d" % i for i in range(1, 100, 2)]
    assert list(db.keys(reverse=True)) == [b"k%05d" % i for i in range(99, 0, -2)]


# --- the reusable cursor ---------------------------------------------------------


def test_cursor_forward_seek(abc_db: kvstore.DB) -> None:
    with abc_db.iterator() as it:
        assert next(it) == (b"a", b"A")
        it.seek(b"abc")
        assert next(it) == (b"abc", b"ABC")
        assert next(it) == (b"abd", b"ABD")
        it.seek(b"abcc")  # between keys: the next one
        assert next(it)[0] == b"abd"
        it.seek(b"\xff\xff\xff")
        with pytest.raises(StopIteration):
            next(it)
        it.seek(b"")  # usable again after exhaustion
        assert next(it)[0] == b"a"
        it.seek_to_last()
        assert list(it) == [(b"\xff\xff\x01", b"\xff\xff\x01")]
        it.seek_to_first()
        assert [k for k, _ in it] == list(abc_db.keys())


def test_cursor_reverse_seek(abc_db: kvstore.DB) -> None:
    with abc_db.iterator(reverse=True) as it:
        assert it.reverse
        assert next(it)[0] == b"\xff\xff\x01"
        it.seek(b"abc")  # exact: positions at it
        assert [k for k, _ in it][:3] == [b"abc", b"ab", b"a"]
        it.seek(b"abcc")  # between keys: the last key <= target
        assert next(it)[0] == b"abc"
        it.seek(b"0")  # before every key
        with pytest.raises(StopIteration):
            next(it)
        it.seek(b"\xff\xff\xff")  # after every key
        assert next(it)[0] == b"\xff\xff\x01"
        it.seek_to_first()
        assert list(it) == [(b"a", b"A")]
        it.seek_to_last()
        assert [k for k, _ in it] == list(abc_db.keys(reverse=True))


def test_cursor_bounded_seek(abc_db: kvstore.DB) -> None:
    with abc_db.iterator(b"ab", b"b") as it:
        it.seek(b"a")  # before the range: clamps to its start
        assert next(it)[0] == b"ab"
        it.seek(b"c")  # past the range
        assert list(it) == []
        it.seek_to_last()
        assert [k for k, _ in it] == [b"abd"]
    with abc_db.iterator(b"ab", b"b", reverse=True) as it:
        it.seek(b"zzz")  # past the range: clamps to its last key
        assert [k for k, _ in it] == [b"abd", b"abc", b"ab"]
        it.seek(b"abc")
        assert next(it)[0] == b"abc"
        it.seek(b"a")  # before the range
        assert list(it) == []
        it.seek_to_first()
        assert [k for k, _ in it] == [b"ab"]
    with abc_db.iterator(prefix=b"ab", reverse=True) as it:
        it.seek(b"ab\xff")
        assert [k for k, _ in it] == [b"abd", b"abc", b"ab"]


def test_cursor_seek_loop_many(db: kvstore.DB) -> None:
    data = fill(db, 2000)
    db.flush()
    keys = sorted(data)
    with db.iterator() as it:
        for i in range(0, 2000, 37):
            it.seek(keys[i])
            got = list(itertools.islice(it, 3))
            assert got == [(k, data[k]) for k in keys[i : i + 3]]


def test_cursor_close(abc_db: kvstore.DB) -> None:
    it = abc_db.iterator()
    next(it)
    it.close()
    assert it.closed
    it.close()  # idempotent
    with pytest.raises(kvstore.ClosedError, match="iterator is closed"):
        next(it)
    with pytest.raises(kvstore.ClosedError):
        it.seek(b"a")


# --- snapshots -----------------------------------------------------------------


def test_snapshot_isolates_later_writes(db: kvstore.DB) -> None:
    db.put(b"a", b"1")
    db.put(b"b", b"2")
    with db.snapshot() as snap:
        assert snap.sequence >= 2
        db.put(b"a", b"changed")
        db.delete(b"b")
        db.put(b"c", b"3")
        db.flush()
        db.compact_range()
        assert snap.get(b"a") == b"1"
        assert snap[b"b"] == b"2"
        assert snap.get(b"c") is None
        assert snap.get(b"c", b"d") == b"d"
        assert b"c" not in snap
        with pytest.raises(KeyError):
            snap[b"c"]
        assert snap.multi_get([b"a", b"b", b"c"]) == [b"1", b"2", None]
        assert list(snap.items()) == [(b"a", b"1"), (b"b", b"2")]
        assert list(snap.keys(reverse=True)) == [b"b", b"a"]
        assert list(snap.values(prefix=b"b")) == [b"2"]
        with snap.iterator() as it:
            it.seek(b"b")
            assert next(it) == (b"b", b"2")
        assert db.get(b"a") == b"changed"
        assert db.stats()["live_snapshots"] == 1
    assert snap.closed
    with pytest.raises(kvstore.ClosedError, match="snapshot is closed"):
        snap.get(b"a")
    snap.close()  # idempotent
    assert db.stats()["live_snapshots"] == 0


def test_snapshot_iterator_outlives_snapshot_close(db: kvstore.DB) -> None:
    fill(db, 20)
    snap = db.snapshot()
    it = snap.items()
    db.put(b"k00000", b"new")
    snap.close()
    assert next(it) == (b"k00000", b"v0")
    assert len(list(it)) == 19


# --- closed handles ------------------------------------------------------------


def test_closed_db_raises(db_path: Path) -> None:
    db = kvstore.DB(db_path)
    db.put(b"a", b"1")
    it = db.items()
    cursor = db.iterator()
    next(cursor)
    snap = db.snapshot()
    ctx = db.write_batch()
    assert not db.closed
    db.close()
    assert db.closed
    db.close()  # idempotent
    assert "closed" in repr(db)
    for call in (
        lambda: db.get(b"a"),
        lambda: db.put(b"a", b"1"),
        lambda: db.delete(b"a"),
        lambda: db[b"a"],
        lambda: b"a" in db,
        lambda: db.multi_get([b"a"]),
        lambda: db.items(),
        lambda: db.iterator(),
        lambda: db.snapshot(),
        lambda: db.flush(),
        lambda: db.compact_range(),
        lambda: db.stats(),
        lambda: db.approximate_size(),
        lambda: db.write(kvstore.WriteBatch()),
        lambda: db.write_batch(),
        lambda: next(it),
        lambda: next(cursor),
        lambda: cursor.seek(b"a"),
        lambda: snap.get(b"a"),
        lambda: snap.items(),
    ):
        with pytest.raises(kvstore.ClosedError):
            call()
    with pytest.raises(kvstore.ClosedError), ctx as batch:
        batch.put(b"x", b"y")
    assert it.closed and cursor.closed and snap.closed
    # Closing the orphans afterwards is harmless.
    it.close()
    cursor.close()
    snap.close()


def test_context_manager_closes(db_path: Path) -> None:
    with kvstore.DB(db_path) as db:
        db.put(b"a", b"1")
    assert db.closed
    with kvstore.DB(db_path) as db2:
        assert db2.get(b"a") == b"1"


def test_iterator_keeps_db_alive(db_path: Path) -> None:
    with kvstore.DB(db_path) as db:
        fill(db, 10)
    it = kvstore.DB(db_path).items()
    gc.collect()
    assert len(list(it)) == 10
    del it
    gc.collect()
    # The DB was collected with its last iterator: the directory is free again.
    with kvstore.DB(db_path) as db:
        assert db.get(b"k00000") == b"v0"


def test_dropped_db_releases_lock(db_path: Path) -> None:
    db = kvstore.DB(db_path)
    db.put(b"a", b"1")
    del db
    gc.collect()
    with kvstore.DB(db_path) as db:
        assert db[b"a"] == b"1"


# --- flush, compaction, stats ----------------------------------------------------


def test_stats_keys(db: kvstore.DB) -> None:
    fill(db, 500)
    stats = db.stats()
    assert STATS_FIELDS <= set(stats)
    assert stats["writes"] >= 1
    assert stats["last_sequence"] >= 500
    assert stats["memtable_bytes"] > 0
    assert isinstance(stats["levels"], list) and stats["levels"]
    for level in stats["levels"]:
        assert set(level) == {"files", "bytes"}
    db.flush()
    stats = db.stats()
    assert stats["flushes"] >= 1
    assert sum(level["files"] for level in stats["levels"]) >= 1
    assert sum(level["bytes"] for level in stats["levels"]) > 0
    assert stats["disk_bytes"] > 0
    assert db.approximate_size() > 0


def test_flush_and_compact_range(db: kvstore.DB) -> None:
    data = fill(db, 1000)
    db.flush()
    for i in range(0, 1000, 3):
        db.delete(b"k%05d" % i)
        del data[b"k%05d" % i]
    db.flush()
    db.compact_range(b"k00000", b"k00500")
    db.compact_range()
    assert dict(db.items()) == data
    stats = db.stats()
    assert stats["levels"][0]["files"] == 0
    assert stats["compactions"] >= 1


def test_small_write_buffer_runs_background_work(db_path: Path) -> None:
    with kvstore.DB(db_path, write_buffer_size=16 * 1024, target_file_size=32 * 1024) as db:
        value = b"x" * 200
        for i in range(3000):
            db.put(b"key%06d" % i, value)
        assert db.stats()["flushes"] >= 1
        assert sum(1 for _ in db) == 3000
    with kvstore.DB(db_path) as db:
        assert db.get(b"key002999") == value


# --- opening ---------------------------------------------------------------------


def test_reopen_persistence(db_path: Path) -> None:
    with kvstore.DB(db_path) as db:
        data = fill(db, 200)
        db.flush()
        db.put(b"after-flush", b"x", sync=True)
        db.delete(b"k00007")
        del data[b"k00007"]
    data[b"after-flush"] = b"x"
    with kvstore.DB(db_path) as db:
        assert dict(db.items()) == data
    with kvstore.DB(str(db_path)) as db:
        assert db.get(b"after-flush") == b"x"


def test_path_types(tmp_path: Path) -> None:
    with kvstore.DB(str(tmp_path / "s")) as db:
        assert db.path == str(tmp_path / "s")
    with kvstore.DB(pathlib.PurePath(tmp_path / "p")) as db:
        assert os.fspath(db.path) == str(tmp_path / "p")
    with kvstore.DB(os.fsencode(tmp_path / "b")) as db:
        assert db.path == os.fsencode(tmp_path / "b")
    with pytest.raises(TypeError):
        kvstore.DB(123)  # type: ignore[arg-type]


def test_open_options(db_path: Path) -> None:
    with pytest.raises(kvstore.Error):
        kvstore.DB(db_path, create_if_missing=False)
    with kvstore.DB(db_path, error_if_exists=True):
        pass
    with pytest.raises(kvstore.Error):
        kvstore.DB(db_path, error_if_exists=True)
    with pytest.raises(kvstore.InvalidArgumentError, match="write_buffer_size"):
        kvstore.DB(db_path, write_buffer_size=0)
    with pytest.raises(kvstore.InvalidArgumentError):
        kvstore.DB(db_path, max_open_files=-2)
    with pytest.raises(kvstore.InvalidArgumentError, match="max_open_files"):
        kvstore.DB(db_path, max_open_files=5)
    with pytest.raises(kvstore.InvalidArgumentError):
        kvstore.DB(db_path, block_size=2**70)
    with pytest.raises(kvstore.InvalidArgumentError, match="compression"):
        kvstore.DB(db_path, compression="gzip")
    with pytest.raises(TypeError, match="unexpected keyword argument 'no_such_option'"):
        kvstore.DB(db_path, no_such_option=1)
    with pytest.raises(TypeError, match="sync must be bool"):
        kvstore.DB(db_path, sync=1)
    with pytest.raises(TypeError, match="block_size must be int"):
        kvstore.DB(db_path, block_size="4096")
    with pytest.raises(TypeError):
        kvstore.DB(db_path, False)  # type: ignore[misc]
    with kvstore.DB(db_path, block_size=1024, block_restart_interval=4, max_open_files=50) as db:
        db.put(b"a", b"1")


def test_every_option_with_its_default(db_path: Path) -> None:
    defaults = kvstore.default_options()
    assert CORE_OPTIONS <= set(defaults)
    assert defaults["create_if_missing"] is True
    assert defaults["sync"] is False
    with kvstore.DB(db_path, **defaults) as db:
        db.put(b"a", b"1")
    for compression in ("none", "lz4", "zstd"):
        with kvstore.DB(db_path, compression=compression, bottommost_compression=compression) as db:
            assert db.get(b"a") == b"1"


def test_docstring_documents_every_option() -> None:
    doc = kvstore.DB.__doc__ or ""
    for name, default in kvstore.default_options().items():
        assert f"  {name} [{default!r}]\n      " in doc, name


def test_default_sync_option(db_path: Path) -> None:
    with kvstore.DB(db_path, sync=True) as db:
        before = db.stats()["wal_syncs"]
        db.put(b"a", b"1")
        assert db.stats()["wal_syncs"] > before
        before = db.stats()["wal_syncs"]
        db.put(b"b", b"1", sync=False)
        assert db.stats()["wal_syncs"] == before
    with kvstore.DB(db_path) as db:
        before = db.stats()["wal_syncs"]
        db.put(b"c", b"1")
        assert db.stats()["wal_syncs"] == before
        db.put(b"d", b"1", sync=True)
        db.delete(b"d", sync=True)
        with db.write_batch(sync=True) as batch:
            batch.put(b"e", b"1")
        assert db.stats()["wal_syncs"] >= before + 3


def test_second_open_in_process_is_busy(db_path: Path) -> None:
    with kvstore.DB(db_path) as db:
        with pytest.raises(kvstore.BusyError, match="already in use"):
            kvstore.DB(db_path)
        with pytest.raises(kvstore.BusyError, match="already in use"):
            kvstore.DB(str(db_path) + "/.")
        db.put(b"still", b"works")
    with kvstore.DB(db_path) as db:
        assert db.get(b"still") == b"works"


BUSY_CHILD = """
import sys, kvstore
try:
    kvstore.DB(sys.argv[1])
except kvstore.BusyError as e:
    print("busy:", e)
    sys.exit(3)
print("opened")
"""


def test_second_open_from_subprocess_is_busy(db_path: Path) -> None:
    with kvstore.DB(db_path):
        proc = subprocess.run(
            [sys.executable, "-c", BUSY_CHILD, str(db_path)],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 3, proc.stdout + proc.stderr
        assert "already in use" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-c", BUSY_CHILD, str(db_path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "opened" in proc.stdout


def test_destroy(db_path: Path) -> None:
    with kvstore.DB(db_path) as db:
        fill(db, 10)
        db.flush()
        with pytest.raises(kvstore.Error):
            kvstore.destroy(db_path)
        assert db.get(b"k00001") == b"v1"
    kvstore.destroy(db_path)
    assert not db_path.exists() or not any(db_path.iterdir())
    with kvstore.DB(db_path) as db:
        assert list(db.items()) == []


# --- threads -----------------------------------------------------------------


def test_concurrent_writers_and_readers(db_path: Path) -> None:
    with kvstore.DB(db_path, write_buffer_size=64 * 1024) as db:
        errors: list[BaseException] = []

        def writer(t: int) -> None:
            try:
                for i in range(500):
                    db.put(b"t%d-%04d" % (t, i), b"v" * 50)
                    if i % 100 == 0:
                        with db.write_batch() as batch:
                            batch.put(b"b%d-%04d" % (t, i), b"x")
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        def reader() -> None:
            try:
                for _ in range(20):
                    keys = list(db.keys(prefix=b"t"))
                    assert keys == sorted(keys)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
        threads.append(threading.Thread(target=reader))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert sum(1 for _ in db.keys(prefix=b"t")) == 2000
        assert sum(1 for _ in db.keys(prefix=b"b")) == 20


def test_close_while_other_threads_use_db(db_path: Path) -> None:
    """Closing under concurrent readers, writers and iterators never crashes."""
    db = kvstore.DB(db_path, write_buffer_size=32 * 1024)
    fill(db, 2000)
    started = threading.Barrier(5)
    unexpected: list[BaseException] = []

    def work(kind: int) -> None:
        started.wait()
        try:
            i = 0
            while True:
                i += 1
                if kind == 0:
                    db.put(b"w%08d" % i, b"x" * 100)
                elif kind == 1:
                    db.get(b"k%05d" % (i % 2000))
                elif kind == 2:
                    for _ in db.items():
                        pass
                else:
                    with db.snapshot() as snap:
                        snap.multi_get([b"k00001", b"k00002"])
        except kvstore.ClosedError:
            return
        except BaseException as e:  # noqa: BLE001 - reported below
            unexpected.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    started.wait()
    # Let every worker get going (poll the writer's progress, no sleeps).
    while db.stats()["writes"] < 50 and all(t.is_alive() for t in threads):
        pass
    db.close()
    for t in threads:
        t.join()
    assert not unexpected, unexpected
    with kvstore.DB(db_path) as db2:
        assert db2.get(b"k00001") == b"v1"


SMALL_BUFFER_CHILD = """
import sys, kvstore
with kvstore.DB(sys.argv[1], write_buffer_size=int(sys.argv[2])) as db:
    db.put(b"a", b"1")
    db.flush()
    assert db.get(b"a") == b"1"
print("ok")
"""


def test_smallest_accepted_write_buffer_size(db_path: Path) -> None:
    """Regression: an empty memtable once used more than 4096 bytes, so the first write
    froze memtables and started WAL files forever. Runs in a child so that a hang costs a
    timeout, not the whole suite."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", SMALL_BUFFER_CHILD, str(db_path), "4096"],
            check=False,
            capture_output=True,
            text=True,
            timeout=15,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("a DB with write_buffer_size=4096 hangs on its first write")
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr


@pytest.mark.parametrize("cache", [0, 64 * 1024, 64 * 1024 * 1024])
def test_point_reads_from_memory_and_disk_agree(db_path: Path, cache: int) -> None:
    """get / [] / in answer from memory with the GIL held when they can and read files
    otherwise (no cache: always; a tiny one: often; a large one: once per block); the
    answers are the same either way, before and after a reopen."""
    keys = [b"key%06d" % i for i in range(5000)]
    opts = {"block_cache_size": cache, "write_buffer_size": 64 * 1024}
    with kvstore.DB(db_path, **opts) as db:
        for i, k in enumerate(keys):
            db.put(k, b"v%d" % i)
        db.flush()
    with kvstore.DB(db_path, **opts) as db:
        for _ in range(2):
            for i in range(0, len(keys), 7):
                assert db.get(keys[i]) == b"v%d" % i
                assert db[keys[i]] == b"v%d" % i
                assert keys[i] in db
                assert db.get(keys[i] + b"-absent") is None
                assert keys[i] + b"-absent" not in db
        with db.snapshot() as snap:
            db.put(keys[0], b"new")
            assert snap.get(keys[0]) == b"v0"
            assert db.get(keys[0]) == b"new"
