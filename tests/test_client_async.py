"""kvstore.AsyncClient: the Client's surface with await / async for / async with."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import kvstore
import pytest
from node_harness import Node, free_port, running_node

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp = tmp_path_factory.mktemp("node")
    n = Node(tmp / "data", tmp / "node.log").start()
    try:
        yield n
    finally:
        n.stop()


def test_point_operations(node: Node) -> None:
    async def main() -> None:
        async with kvstore.AsyncClient(node.address) as db:
            assert await db.get(b"ap:a") is None
            assert await db.get(b"ap:a", b"d") == b"d"
            await db.put(b"ap:a", b"1")
            await db.put(bytearray(b"ap:b"), memoryview(b"2"), sync=False)
            assert await db.get(b"ap:a") == b"1"
            assert await db.multi_get([b"ap:a", b"ap:b", b"ap:c"]) == [b"1", b"2", None]
            assert await db.contains(b"ap:b")
            await db.delete(b"ap:b")
            assert not await db.contains(b"ap:b")
            with pytest.raises(TypeError, match="key must be bytes-like, not str"):
                await db.get("ap:a")  # type: ignore[arg-type]
            with pytest.raises(kvstore.InvalidArgumentError):
                await db.put(b"k" * (kvstore.MAX_KEY_SIZE + 1), b"v")

    run(main())


def test_scans_batches_cas_status(node: Node) -> None:
    async def main() -> None:
        async with kvstore.AsyncClient(node.address) as db:
            async with db.write_batch() as batch:
                for i in range(2000):
                    batch.put(b"as:%04d" % i, b"x" * 1000)  # ~2 MB: several messages
            keys = [k async for k in db.keys(prefix=b"as:")]
            assert keys == [b"as:%04d" % i for i in range(2000)]
            items = [kv async for kv in db.items(b"as:0005", b"as:0008")]
            assert items == [(b"as:%04d" % i, b"x" * 1000) for i in (5, 6, 7)]
            rev = [v async for v in db.values(prefix=b"as:", reverse=True, limit=2)]
            assert rev == [b"x" * 1000] * 2
            async with db.items(prefix=b"as:") as it:
                first = await it.__anext__()
                assert first[0] == b"as:0000"
            assert it.closed

            with pytest.raises(RuntimeError):
                async with db.write_batch() as batch:
                    batch.put(b"as:discarded", b"1")
                    raise RuntimeError("abort")
            assert await db.get(b"as:discarded") is None

            assert await db.compare_and_swap(b"as:cas", None, b"1") == (True, b"1")
            assert await db.compare_and_swap(b"as:cas", b"0", b"2") == (False, b"1")
            assert await db.compare_and_swap(b"as:cas", b"1", None) == (True, None)

            st = await db.status()
            assert st["address"] and "levels" in await db.stats()

    run(main())


def test_many_concurrent_calls(node: Node) -> None:
    async def main() -> None:
        async with kvstore.AsyncClient(node.address) as db:
            await asyncio.gather(*(db.put(b"cc:%03d" % i, b"%d" % i) for i in range(200)))
            got = await asyncio.gather(*(db.get(b"cc:%03d" % i) for i in range(200)))
            assert got == [b"%d" % i for i in range(200)]

    run(main())


def test_down_node_and_closed_client() -> None:
    async def main() -> None:
        db = kvstore.AsyncClient(f"127.0.0.1:{free_port()}", timeout=3, retries=2)
        with pytest.raises(kvstore.UnavailableError, match="tried 3 times"):
            await db.get(b"k")
        with pytest.raises(kvstore.UnavailableError):
            [k async for k in db.items()]
        await db.close()
        assert db.closed
        with pytest.raises(kvstore.ClosedError):
            await db.get(b"k")
        await db.close()

    run(main())


def test_rides_out_a_restart(tmp_path: Path) -> None:
    with running_node(tmp_path) as n:

        async def before() -> None:
            async with kvstore.AsyncClient(n.address) as db:
                await db.put(b"k", b"1")

        run(before())
        n.stop()
        n.start()

        async def after() -> bytes | None:
            async with kvstore.AsyncClient(n.address, timeout=30, retries=50) as db:
                return await db.get(b"k")

        assert run(after()) == b"1"
