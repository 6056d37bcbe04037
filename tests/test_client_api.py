"""One API test suite, run against the embedded kvstore.DB and against kvstore.Client
connected to a node in its own process: code written for DB runs against Client.

The `store` fixture is the only place that knows which one a test gets; the tests call
only what both share. Behaviour that differs on purpose is tested in test_client.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import kvstore
import pytest
from node_harness import Node

Store = "kvstore.DB | kvstore.Client"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp = tmp_path_factory.mktemp("node")
    n = Node(tmp / "data", tmp / "node.log").start()
    try:
        yield n
    finally:
        n.stop()


def _wipe(client: kvstore.Client) -> None:
    keys = list(client.keys())
    with client.write_batch() as batch:
        for key in keys:
            batch.delete(key)


@pytest.fixture(params=["db", "client"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "db":
        with kvstore.DB(tmp_path / "db") as db:  # <- the only line that differs:
            yield db
    else:
        node: Node = request.getfixturevalue("node")
        with kvstore.Client(node.address, timeout=20) as db:  # <- this one
            _wipe(db)
            yield db


def fill(db: Store, n: int, prefix: bytes = b"k") -> dict[bytes, bytes]:
    data = {prefix + b"%05d" % i: b"v%d" % i for i in range(n)}
    with db.write_batch() as batch:
        for k, v in data.items():
            batch.put(k, v)
    return data


# --- point operations ---------------------------------------------------------------------


def test_put_get_delete(store: Store) -> None:
    assert store.get(b"a") is None
    assert store.get(b"a", b"dflt") == b"dflt"
    store.put(b"a", b"1")
    assert store.get(b"a") == b"1"
    store.put(b"a", b"2")
    assert store.get(b"a") == b"2"
    store.delete(b"a")
    assert store.get(b"a") is None
    store.delete(b"never-there")


def test_sync_flags(store: Store) -> None:
    store.put(b"s", b"durable", sync=True)
    store.put(b"f", b"fast", sync=False)
    store.delete(b"f", sync=False)
    assert store.get(b"s") == b"durable"
    assert store.get(b"f") is None


def test_bytes_like_keys_and_values(store: Store) -> None:
    store.put(bytearray(b"ba"), memoryview(b"mv"))
    assert store.get(memoryview(b"ba")) == b"mv"
    assert isinstance(store.get(b"ba"), bytes)
    store.put(b"bin\x00\xff", bytes(range(256)))
    assert store.get(b"bin\x00\xff") == bytes(range(256))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda s: s.get("a"), "key must be bytes-like, not str"),
        (lambda s: s.put("a", b"v"), "key must be bytes-like, not str"),
        (lambda s: s.put(b"a", "v"), "value must be bytes-like, not str"),
        (lambda s: s.put(b"a", 1), "value must be bytes-like, not int"),
        (lambda s: s.delete(None), "key must be bytes-like, not NoneType"),
        (lambda s: "a" in s, "key must be bytes-like, not str"),
    ],
)
def test_wrong_types_raise_type_error(store: Store, call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match=message):
        call(store)


def test_mapping_protocol(store: Store) -> None:
    store[b"x"] = b"1"
    assert store[b"x"] == b"1"
    assert b"x" in store
    assert b"y" not in store
    with pytest.raises(KeyError):
        store[b"y"]
    del store[b"x"]
    assert b"x" not in store
    del store[b"x"]  # like delete(): no error for an absent key


def test_multi_get(store: Store) -> None:
    fill(store, 10)
    assert store.multi_get([b"k00001", b"nope", b"k00009"]) == [b"v1", None, b"v9"]
    assert store.multi_get([]) == []


def test_large_value_round_trip(store: Store) -> None:
    big = bytes(range(256)) * 4096 * 4  # 4 MiB: over gRPC's default message limit
    store.put(b"big", big)
    assert store.get(b"big") == big


def test_oversized_key_is_invalid_argument(store: Store) -> None:
    with pytest.raises(kvstore.InvalidArgumentError):
        store.put(b"k" * (kvstore.MAX_KEY_SIZE + 1), b"v")
    with pytest.raises(ValueError):  # InvalidArgumentError is also a ValueError
        store.put(b"k" * (kvstore.MAX_KEY_SIZE + 1), b"v")
    assert store.get(b"k") is None


# --- scans --------------------------------------------------------------------------------


def test_items_keys_values_in_order(store: Store) -> None:
    data = fill(store, 50)
    assert list(store.items()) == sorted(data.items())
    assert list(store.keys()) == sorted(data)
    assert list(store.values()) == [data[k] for k in sorted(data)]
    assert list(store) == sorted(data)


def test_ranges_prefix_reverse(store: Store) -> None:
    fill(store, 20, b"a")
    fill(store, 20, b"b")
    assert list(store.keys(b"a00005", b"a00008")) == [b"a00005", b"a00006", b"a00007"]
    assert list(store.keys(b"a00018", b"b00002")) == [b"a00018", b"a00019", b"b00000", b"b00001"]
    assert list(store.keys(b"a00017", reverse=True))[:2] == [b"b00019", b"b00018"]
    assert list(store.keys(stop=b"a00002")) == [b"a00000", b"a00001"]
    assert list(store.keys(b"a00003", b"a00001")) == []
    assert len(list(store.keys(prefix=b"b"))) == 20
    assert list(store.keys(prefix=b"b0001", reverse=True))[:3] == [b"b00019", b"b00018", b"b00017"]
    assert list(store.items(prefix=b"a0000", reverse=True))[-1] == (b"a00000", b"v0")
    assert list(store.keys(prefix=b"zz")) == []


def test_scan_spanning_many_messages(store: Store) -> None:
    value = b"x" * 4000
    with store.write_batch() as batch:
        for i in range(1000):  # ~4 MB: several stream messages of a node's 1 MiB budget
            batch.put(b"row%04d" % i, value)
    seen = [k for k, v in store.items(prefix=b"row") if v == value]
    assert seen == [b"row%04d" % i for i in range(1000)]
    assert next(iter(store.keys(prefix=b"row", reverse=True))) == b"row0999"


def test_partial_iteration_then_more_calls(store: Store) -> None:
    fill(store, 100)
    it = iter(store.items())
    assert next(it) == (b"k00000", b"v0")
    store.put(b"k00000", b"changed")
    assert store.get(b"k00000") == b"changed"


# --- batches ------------------------------------------------------------------------------


def test_write_batch_is_atomic_and_discarded_on_error(store: Store) -> None:
    store.put(b"gone", b"1")
    with store.write_batch() as batch:
        batch.put(b"a", b"1")
        batch.put(b"b", b"2")
        batch.delete(b"gone")
        assert len(batch) == 3
    assert store.multi_get([b"a", b"b", b"gone"]) == [b"1", b"2", None]

    with pytest.raises(RuntimeError), store.write_batch() as batch:
        batch.put(b"c", b"3")
        raise RuntimeError("abort")
    assert store.get(b"c") is None


def test_write_batch_last_write_wins(store: Store) -> None:
    with store.write_batch(sync=True) as batch:
        batch.put(b"k", b"1")
        batch.delete(b"k")
        batch.put(b"k", b"3")
    assert store.get(b"k") == b"3"


def test_closed_handle_raises_closed_error(store: Store) -> None:
    store.put(b"a", b"1")
    store.close()
    assert store.closed
    with pytest.raises(kvstore.ClosedError):
        store.get(b"a")
    with pytest.raises(kvstore.ClosedError):
        store.put(b"a", b"2")
    store.close()  # idempotent
