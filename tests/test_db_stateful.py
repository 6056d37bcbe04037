"""A hypothesis state machine: kvstore.DB against a dict model.

Covers puts, deletes, batches (committed and discarded), point reads,
multi_get, bounded/prefix/reverse iteration, reusable cursors with seeks,
snapshots (compared with a frozen copy of the model), flush, compact_range and
reopen. A small write_buffer_size makes flushes and compactions really run.

Runtime is bounded by KVSTORE_STATEFUL_EXAMPLES (default 150) and
KVSTORE_STATEFUL_STEPS (default 100); the CI hypothesis profile is deterministic.
"""

from __future__ import annotations

import bisect
import os
import shutil
import tempfile

import kvstore
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
)

EXAMPLES = int(os.environ.get("KVSTORE_STATEFUL_EXAMPLES", "150"))
STEPS = int(os.environ.get("KVSTORE_STATEFUL_STEPS", "100"))

# A small alphabet so keys collide, share prefixes and hit the 0x00/0xff edges.
keys = st.lists(st.sampled_from([b"a", b"b", b"\x00", b"\xff"]), min_size=1, max_size=4).map(
    b"".join
)
bounds = st.none() | st.lists(st.sampled_from([b"a", b"b", b"\x00", b"\xff"]), max_size=3).map(
    b"".join
)
values = st.binary(max_size=16) | st.tuples(st.integers(0, 255), st.integers(0, 3000)).map(
    lambda t: bytes([t[0]]) * t[1]
)
batch_ops = st.lists(st.tuples(keys, st.none() | values), min_size=0, max_size=12)
cursor_ops = st.lists(
    st.one_of(
        st.tuples(st.just("seek"), keys | st.just(b"")),
        st.tuples(st.just("first"), st.none()),
        st.tuples(st.just("last"), st.none()),
        st.tuples(st.just("take"), st.integers(1, 40)),
    ),
    max_size=8,
)


def select(
    model: dict[bytes, bytes],
    start: bytes | None,
    stop: bytes | None,
    prefix: bytes | None,
) -> list[bytes]:
    return sorted(
        k
        for k in model
        if (start is None or k >= start)
        and (stop is None or k < stop)
        and (prefix is None or k.startswith(prefix))
    )


class ModelCursor:
    """The reference behaviour of Iterator over a sorted key list."""

    def __init__(self, keys: list[bytes], reverse: bool) -> None:
        self.keys = keys
        self.reverse = reverse
        self.pos = len(keys) - 1 if reverse else 0

    def seek(self, target: bytes) -> None:
        if self.reverse:
            self.pos = bisect.bisect_right(self.keys, target) - 1
        else:
            self.pos = bisect.bisect_left(self.keys, target)

    def first(self) -> None:
        self.pos = 0

    def last(self) -> None:
        self.pos = len(self.keys) - 1

    def take(self, n: int) -> list[bytes]:
        out = []
        while len(out) < n and 0 <= self.pos < len(self.keys):
            out.append(self.keys[self.pos])
            self.pos += -1 if self.reverse else 1
        if not (0 <= self.pos < len(self.keys)):
            # Exhausted: park out of range on the side of travel.
            self.pos = -1 if self.reverse else len(self.keys)
        return out


class DBMachine(RuleBasedStateMachine):
    snapshots = Bundle("snapshots")

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="kvstore-stateful-")
        self.db: kvstore.DB | None = None
        self.model: dict[bytes, bytes] = {}
        self.live: list[tuple[kvstore.Snapshot, dict[bytes, bytes]]] = []
        self.options: dict[str, int] = {}

    @initialize(
        write_buffer_size=st.sampled_from([4096, 16384, 65536]),
        target_file_size=st.sampled_from([8192, 65536]),
        block_size=st.sampled_from([256, 4096]),
    )
    def open_db(self, write_buffer_size: int, target_file_size: int, block_size: int) -> None:
        self.options = {
            "write_buffer_size": write_buffer_size,
            "target_file_size": target_file_size,
            "block_size": block_size,
            "max_bytes_for_level_base": 64 * 1024,
            "level0_compaction_trigger": 2,
        }
        self.db = kvstore.DB(self.dir, **self.options)

    def teardown(self) -> None:
        if self.db is not None:
            self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def handle(self) -> kvstore.DB:
        assert self.db is not None
        return self.db

    # --- writes ---------------------------------------------------------------

    @rule(key=keys, value=values, sync=st.sampled_from([None, False, True]))
    def put(self, key: bytes, value: bytes, sync: bool | None) -> None:
        self.handle.put(key, value, sync=sync)
        self.model[key] = value

    @rule(key=keys)
    def delete(self, key: bytes) -> None:
        del self.handle[key]
        self.model.pop(key, None)

    @rule(ops=batch_ops, standalone=st.booleans())
    def batch(self, ops: list[tuple[bytes, bytes | None]], standalone: bool) -> None:
        def apply(b: kvstore.WriteBatch) -> None:
            for k, v in ops:
                if v is None:
                    b.delete(k)
                else:
                    b.put(k, v)

        if standalone:
            wb = kvstore.WriteBatch()
            apply(wb)
            assert len(wb) == len(ops)
            self.handle.write(wb)
        else:
            with self.handle.write_batch() as wb:
                apply(wb)
        for k, v in ops:
            if v is None:
                self.model.pop(k, None)
            else:
                self.model[k] = v

    @rule(ops=batch_ops)
    def discarded_batch(self, ops: list[tuple[bytes, bytes | None]]) -> None:
        with pytest.raises(ZeroDivisionError), self.handle.write_batch() as wb:
            for k, v in ops:
                if v is None:
                    wb.delete(k)
                else:
                    wb.put(k, v)
            _ = 1 // 0

    @rule(first=st.integers(0, 10_000), count=st.integers(10, 300))
    def fill(self, first: int, count: int) -> None:
        """Many sequential keys, so that memtables fill and flush."""
        with self.handle.write_batch() as wb:
            for i in range(first, first + count):
                k = b"f%05d" % i
                v = b"%d" % i * 20
                wb.put(k, v)
                self.model[k] = v

    # --- reads ----------------------------------------------------------------

    @rule(key=keys)
    def get(self, key: bytes) -> None:
        assert self.handle.get(key) == self.model.get(key)
        assert (key in self.handle) == (key in self.model)

    @rule(ks=st.lists(keys, max_size=8))
    def multi_get(self, ks: list[bytes]) -> None:
        assert self.handle.multi_get(ks) == [self.model.get(k) for k in ks]

    @rule(
        start=bounds,
        stop=bounds,
        prefix=bounds,
        reverse=st.booleans(),
        mode=st.sampled_from(["items", "keys", "values"]),
    )
    def scan(
        self,
        start: bytes | None,
        stop: bytes | None,
        prefix: bytes | None,
        reverse: bool,
        mode: str,
    ) -> None:
        expected = select(self.model, start, stop, prefix)
        if reverse:
            expected.reverse()
        got = list(getattr(self.handle, mode)(start, stop, prefix=prefix, reverse=reverse))
        if mode == "items":
            assert got == [(k, self.model[k]) for k in expected]
        elif mode == "keys":
            assert got == expected
        else:
            assert got == [self.model[k] for k in expected]

    @rule(
        start=bounds,
        stop=bounds,
        prefix=bounds,
        reverse=st.booleans(),
        ops=cursor_ops,
    )
    def cursor(
        self,
        start: bytes | None,
        stop: bytes | None,
        prefix: bytes | None,
        reverse: bool,
        ops: list[tuple[str, object]],
    ) -> None:
        in_range = select(self.model, start, stop, prefix)
        view = dict(self.model)
        ref = ModelCursor(in_range, reverse)
        with self.handle.iterator(start, stop, prefix=prefix, reverse=reverse) as it:
            # A write after the cursor's creation must not show up in it.
            self.handle.put(b"a", b"written-after-the-cursor")
            self.model[b"a"] = b"written-after-the-cursor"
            for op, arg in ops + [("take", 5)]:
                if op == "seek":
                    assert isinstance(arg, bytes)
                    it.seek(arg)
                    ref.seek(arg)
                elif op == "first":
                    it.seek_to_first()
                    ref.first()
                elif op == "last":
                    it.seek_to_last()
                    ref.last()
                else:
                    assert isinstance(arg, int)
                    want = ref.take(arg)
                    got = [kv for _, kv in zip(range(arg), it)]
                    assert got == [(k, view[k]) for k in want]

    # --- snapshots -------------------------------------------------------------

    @precondition(lambda self: len(self.live) < 4)
    @rule(target=snapshots)
    def take_snapshot(self) -> tuple[kvstore.Snapshot, dict[bytes, bytes]]:
        entry = (self.handle.snapshot(), dict(self.model))
        self.live.append(entry)
        return entry

    @rule(
        entry=snapshots,
        key=keys,
        start=bounds,
        stop=bounds,
        prefix=bounds,
        reverse=st.booleans(),
    )
    def read_snapshot(
        self,
        entry: tuple[kvstore.Snapshot, dict[bytes, bytes]],
        key: bytes,
        start: bytes | None,
        stop: bytes | None,
        prefix: bytes | None,
        reverse: bool,
    ) -> None:
        snap, frozen = entry
        if entry not in self.live:
            with pytest.raises(kvstore.ClosedError):
                snap.get(key)
            return
        assert snap.get(key) == frozen.get(key)
        assert snap.multi_get([key, b"f00001"]) == [frozen.get(key), frozen.get(b"f00001")]
        expected = select(frozen, start, stop, prefix)
        if reverse:
            expected.reverse()
        got = list(snap.items(start, stop, prefix=prefix, reverse=reverse))
        assert got == [(k, frozen[k]) for k in expected]

    @rule(entry=consumes(snapshots))
    def release_snapshot(self, entry: tuple[kvstore.Snapshot, dict[bytes, bytes]]) -> None:
        snap, _ = entry
        snap.close()
        if entry in self.live:
            self.live.remove(entry)
        assert snap.closed

    # --- maintenance -------------------------------------------------------------

    @rule()
    def flush(self) -> None:
        self.handle.flush()

    @rule(start=bounds, stop=bounds)
    def compact_range(self, start: bytes | None, stop: bytes | None) -> None:
        self.handle.compact_range(start, stop)

    @rule(write_buffer_size=st.sampled_from([4096, 16384, 65536]))
    def reopen(self, write_buffer_size: int) -> None:
        self.handle.close()
        for snap, _ in self.live:
            assert snap.closed
        self.live.clear()
        self.options["write_buffer_size"] = write_buffer_size
        self.db = kvstore.DB(self.dir, **self.options)

    @rule()
    def check_all(self) -> None:
        assert list(self.handle.items()) == sorted(self.model.items())

    @invariant()
    def stats_consistent(self) -> None:
        if self.db is None:
            return
        stats = self.handle.stats()
        assert stats["live_snapshots"] == len(self.live)


TestDBStateMachine = DBMachine.TestCase
TestDBStateMachine.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
)
