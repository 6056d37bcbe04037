"""Prefix scans with prefix filters: the prefix_length option of kvstore.DB."""

from __future__ import annotations

import random
from pathlib import Path

import kvstore
import pytest


def test_prefix_length_option_and_stat(db_path: Path) -> None:
    assert kvstore.default_options()["prefix_length"] == 0
    with kvstore.DB(db_path) as db:
        assert db.stats()["prefix_filter_skips"] == 0
    with pytest.raises(kvstore.InvalidArgumentError, match="prefix_length"):
        kvstore.DB(db_path, prefix_length=-1)
    with pytest.raises(kvstore.InvalidArgumentError, match="prefix_length"):
        kvstore.DB(db_path, prefix_length=kvstore.MAX_KEY_SIZE + 1)
    with pytest.raises(TypeError, match="prefix_length must be int"):
        kvstore.DB(db_path, prefix_length="4")


def _expected(model: dict[bytes, bytes], prefix: bytes, reverse: bool) -> list[bytes]:
    return sorted((k for k in model if k.startswith(prefix)), reverse=reverse)


def test_prefix_scans_skip_tables_and_match_a_model(db_path: Path) -> None:
    rng = random.Random(7)
    model: dict[bytes, bytes] = {}
    opts = {
        "prefix_length": 4,
        "level0_compaction_trigger": 100,
        "level0_slowdown_writes_trigger": 100,
        "level0_stop_writes_trigger": 100,
    }
    with kvstore.DB(db_path, **opts) as db:
        # Eight flushed tables, each with its own prefixes spread over the key range.
        for table in range(8):
            for p in range(table, 400, 8):
                for i in range(rng.randrange(1, 4)):
                    key = b"u%03d" % p + b":%d" % i
                    model[key] = b"%d" % table
                    db.put(key, model[key])
            db.put(b"u", b"short")  # shorter than prefix_length
            model[b"u"] = b"short"
            db.flush()
        # The first flush, overlapping nothing, may land below L0.
        assert sum(level["files"] for level in db.stats()["levels"]) == 8

        before = db.stats()["prefix_filter_skips"]
        for p in rng.sample(range(400), 40):
            prefix = b"u%03d" % p
            assert list(db.keys(prefix=prefix)) == _expected(model, prefix, False)
            assert list(db.keys(prefix=prefix + b":", reverse=True)) == _expected(
                model, prefix, True
            )
        skipped = db.stats()["prefix_filter_skips"] - before
        assert 80 * 7 * 9 // 10 <= skipped <= 80 * 7

        # Absent prefixes inside every table's range: almost every table is skipped.
        before = db.stats()["prefix_filter_skips"]
        for p in range(40):
            assert list(db.items(prefix=b"u%02dx" % p)) == []
        assert db.stats()["prefix_filter_skips"] - before >= 40 * 8 * 9 // 10

        # Shorter prefixes are answered in full, with bounds too.
        assert list(db.keys(prefix=b"u")) == _expected(model, b"u", False)
        assert list(db.keys(prefix=b"u01", start=b"u015", stop=b"u018")) == [
            k for k in sorted(model) if k.startswith(b"u01") and b"u015" <= k < b"u018"
        ]

    # Reopened with another length, or none: the same answers.
    for length in (2, 0, 6):
        with kvstore.DB(db_path, **{**opts, "prefix_length": length}) as db:
            for p in rng.sample(range(400), 10):
                prefix = b"u%03d" % p
                assert list(db.keys(prefix=prefix)) == _expected(model, prefix, False)
            db.compact_range()
            for p in rng.sample(range(400), 10):
                prefix = b"u%03d:" % p
                assert list(db.keys(prefix=prefix, reverse=True)) == _expected(model, prefix, True)
