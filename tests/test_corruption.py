"""Corruption tests: damaged SST files and WAL files.

Damage is made by flipping bytes at fixed offsets (nothing is parsed): reads
must raise CorruptionError or return the right data — never wrong data, never
a crash. A damaged WAL refuses to open unless salvage_wal=True; a torn WAL tail
(a crash mid-append) opens with the earlier writes present.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import kvstore
import pytest


def expected_data(n: int) -> dict[bytes, bytes]:
    return {b"key%06d" % i: b"value-%06d-" % i + bytes([i % 251]) * 60 for i in range(n)}


def flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        assert byte, f"offset {offset} is past the end of {path}"
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x5A]))


def files(path: Path, suffix: str) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.name.endswith(suffix))


@pytest.fixture(scope="module")
def sst_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[bytes, bytes]]:
    """A pristine database whose data sits in one SST file (no WAL data)."""
    path = tmp_path_factory.mktemp("sst") / "db"
    data = expected_data(3000)
    with kvstore.DB(path) as db:
        with db.write_batch() as batch:
            for k, v in data.items():
                batch.put(k, v)
        db.flush()
        assert sum(level["files"] for level in db.stats()["levels"]) == 1
    return path, data


def check_reads(path: Path, data: dict[bytes, bytes]) -> int:
    """Reads everything every way; returns how many reads raised CorruptionError."""
    corrupt = 0
    try:
        db = kvstore.DB(path)
    except kvstore.CorruptionError:
        return 1
    with db:
        for k, v in data.items():
            try:
                assert db.get(k) == v, k
            except kvstore.CorruptionError:
                corrupt += 1
        try:
            got = db.multi_get(list(data))
            assert got == list(data.values())
        except kvstore.CorruptionError:
            corrupt += 1
        for reverse in (False, True):
            order = sorted(data, reverse=reverse)
            seen = 0
            try:
                for k, v in db.items(reverse=reverse):
                    # Entries before the damage come out right and in order.
                    assert k == order[seen] and v == data[k], k
                    seen += 1
            except kvstore.CorruptionError:
                corrupt += 1
            else:
                assert seen == len(order)
    return corrupt


def test_sst_pristine_copy_reads_fine(
    sst_db: tuple[Path, dict[bytes, bytes]], tmp_path: Path
) -> None:
    src, data = sst_db
    copy = tmp_path / "copy"
    shutil.copytree(src, copy)
    assert check_reads(copy, data) == 0


@pytest.mark.parametrize("fraction", [0.0, 0.05, 0.2, 0.4, 0.6])
def test_sst_flipped_byte_is_detected(
    sst_db: tuple[Path, dict[bytes, bytes]], tmp_path: Path, fraction: float
) -> None:
    src, data = sst_db
    copy = tmp_path / "copy"
    shutil.copytree(src, copy)
    [sst] = files(copy, ".sst")
    size = sst.stat().st_size
    # The first part of the file holds the data blocks (index and footer come last).
    offset = 7 + int(size * fraction)
    flip(sst, offset)
    assert check_reads(copy, data) > 0, f"a flipped byte at {offset} of {size} went unnoticed"


def test_sst_several_flipped_bytes(sst_db: tuple[Path, dict[bytes, bytes]], tmp_path: Path) -> None:
    src, data = sst_db
    copy = tmp_path / "copy"
    shutil.copytree(src, copy)
    [sst] = files(copy, ".sst")
    size = sst.stat().st_size
    for offset in range(100, size // 2, size // 17):
        flip(sst, offset)
    assert check_reads(copy, data) > 0


def write_wal(path: Path, n: int) -> dict[bytes, bytes]:
    """Writes n sync'd records that stay in the WAL (no flush)."""
    data = expected_data(n)
    with kvstore.DB(path) as db:
        for k, v in data.items():
            db.put(k, v, sync=True)
        assert sum(level["files"] for level in db.stats()["levels"]) == 0
    return data


def the_wal(path: Path) -> Path:
    logs = files(path, ".log")
    assert logs, list(path.iterdir())
    return max(logs, key=lambda p: p.stat().st_size)


def records_end(wal: Path) -> int:
    """Where the WAL's records end: a synced WAL keeps zeros written after them
    (docs/format.md), which are not part of any record."""
    data = wal.read_bytes()
    end = len(data.rstrip(b"\0"))
    assert len(data) > end, "a densely synced WAL ends in zeros"
    return end


def test_wal_flipped_byte_refuses_open_unless_salvaged(db_path: Path) -> None:
    data = write_wal(db_path, 400)
    wal = the_wal(db_path)
    size = records_end(wal)
    assert size > 400 * 60
    flip(wal, size // 2)
    with pytest.raises(kvstore.CorruptionError):
        kvstore.DB(db_path)
    with pytest.raises(kvstore.CorruptionError):
        kvstore.DB(db_path)  # a failed open changes nothing
    with kvstore.DB(db_path, salvage_wal=True) as db:
        stats = db.stats()
        assert stats["wal_bytes_dropped"] > 0
        got = dict(db.items())
    # Only records near the damage are gone; everything kept is right.
    assert len(got) >= len(data) * 3 // 4
    for k, v in got.items():
        assert data[k] == v
    assert b"key000000" in got and b"key000399" in got
    # After a salvaged open the database is consistent again.
    with kvstore.DB(db_path) as db:
        assert dict(db.items()) == got


@pytest.mark.parametrize("cut", [1, 7, 50, 333])
def test_wal_torn_tail_opens(db_path: Path, cut: int) -> None:
    data = write_wal(db_path, 200)
    wal = the_wal(db_path)
    size = records_end(wal)
    with open(wal, "r+b") as f:
        f.truncate(size - cut)  # the zeros after the records go too
    with kvstore.DB(db_path) as db:
        got = dict(db.items())
        assert db.stats()["wal_bytes_dropped"] == 0 or cut > 0
    keys = sorted(data)
    # The torn record(s) at the end are gone; every earlier write is present.
    assert len(got) >= len(data) - 1 - cut // 60
    assert sorted(got) == keys[: len(got)]
    for k, v in got.items():
        assert data[k] == v


def test_wal_garbage_tail_opens(db_path: Path) -> None:
    """Zeroes appended after the last record (a preallocated or torn tail) are not corruption."""
    data = write_wal(db_path, 50)
    wal = the_wal(db_path)
    with open(wal, "ab") as f:
        f.write(b"\x00" * 100)
    with kvstore.DB(db_path) as db:
        assert dict(db.items()) == data
