"""kvstore.AsyncClient: the asyncio twin of kvstore.Client (grpc.aio)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import grpc
import grpc.aio

from .._errors import ClosedError
from .._proto.kvstore.v1 import admin_pb2, admin_pb2_grpc, kv_pb2, kv_pb2_grpc
from . import _common as c
from ._common import BytesLike, RetryPolicy, TLSConfig, WriteBatch

if TYPE_CHECKING:
    from typing_extensions import Self

_T = TypeVar("_T")
_D = TypeVar("_D")


class AsyncScanIterator(Generic[_T]):
    """A lazy scan for `async for`: the stream starts at the first `__anext__`, a failure
    before the first answer is retried, `await it.aclose()` (or `async with`) cancels it."""

    def __init__(self, client: AsyncClient, request: kv_pb2.ScanRequest, mode: str) -> None:
        self._client = client
        self._request = request
        self._mode = mode
        self._call: Any = None
        self._buffer: deque[kv_pb2.KeyValue] = deque()
        self._started = False
        self._closed = False

    def __aiter__(self) -> AsyncScanIterator[_T]:
        return self

    async def __anext__(self) -> _T:
        while not self._buffer:
            if self._closed:
                raise StopAsyncIteration
            resp = await self._next_response()
            if resp is None:
                self._closed = True
                raise StopAsyncIteration
            self._buffer.extend(resp.entries)
        return c.project(self._buffer.popleft(), self._mode)  # type: ignore[no-any-return]

    async def _next_response(self) -> kv_pb2.ScanResponse | None:
        client = self._client
        deadline = client._deadline()
        attempt = 0
        while True:
            if self._call is None:
                self._call = client._kv.Scan(self._request, metadata=client._metadata)
            try:
                resp = await self._call.read()
            except grpc.RpcError as err:
                self._call = None
                if client._closed:
                    self._closed = True
                    raise ClosedError("client is closed") from None
                if self._started or not await client._may_retry(err, True, attempt, deadline):
                    self._closed = True
                    raise c.map_error(err, client.address, attempt + 1) from None
                attempt += 1
                continue
            if resp is grpc.aio.EOF:
                return None
            self._started = True
            return resp  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        """Cancels the stream. Idempotent."""
        self._closed = True
        self._buffer.clear()
        if self._call is not None:
            self._call.cancel()
            self._call = None

    @property
    def closed(self) -> bool:
        return self._closed

    async def __aenter__(self) -> AsyncScanIterator[_T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class AsyncBatchContext:
    """`async with client.write_batch() as batch:` writes the batch atomically when the
    block exits normally and discards it if the block raises."""

    def __init__(self, client: AsyncClient, sync: bool | None) -> None:
        self._client = client
        self._sync = sync
        self._batch = WriteBatch()

    async def __aenter__(self) -> WriteBatch:
        return self._batch

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc_type is None and len(self._batch):
            await self._client.write(self._batch, sync=self._sync)
        return False


class AsyncClient:
    """kvstore.Client for asyncio: the same verbs and arguments, awaited.

    ::

        async with kvstore.AsyncClient("127.0.0.1:7379") as db:
            await db.put(b"user:1", b"ada")
            print(await db.get(b"user:1"))
            async for key, value in db.items(prefix=b"user:"):
                print(key, value)
            async with db.write_batch() as batch:
                batch.put(b"user:2", b"grace")

    There is no mapping protocol (`db[k]`); use get/put/delete. Create and use it inside
    one running event loop.
    """

    def __init__(
        self,
        address: str = c.DEFAULT_ADDRESS,
        *,
        timeout: float | None = c.DEFAULT_TIMEOUT,
        tls: bool | TLSConfig = False,
        token: str | None = None,
        retries: int = c.DEFAULT_RETRIES,
        backoff: float = 0.05,
        max_backoff: float = 1.0,
    ) -> None:
        self._address = c.check_address(address)
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive or None, not {timeout!r}")
        self._timeout = timeout
        self._retry = RetryPolicy(retries, backoff, max_backoff)
        self._metadata = c.call_metadata(token)
        creds = c.channel_credentials(tls)
        opts = c.channel_options(tls)
        if creds is None:
            self._channel = grpc.aio.insecure_channel(address, options=opts)
        else:
            self._channel = grpc.aio.secure_channel(address, creds, options=opts)
        self._kv = kv_pb2_grpc.KVStub(self._channel)
        self._admin = admin_pb2_grpc.AdminStub(self._channel)
        self._closed = False

    # --- plumbing ---------------------------------------------------------------------

    def _deadline(self) -> float | None:
        if self._closed:
            raise ClosedError("client is closed")
        return None if self._timeout is None else time.monotonic() + self._timeout

    async def _may_retry(
        self, err: grpc.RpcError, idempotent: bool, attempt: int, deadline: float | None
    ) -> bool:
        if self._closed or attempt >= self._retry.retries or not c.should_retry(err, idempotent):
            return False
        delay = self._retry.delay(attempt)
        if deadline is not None and time.monotonic() + delay >= deadline:
            return False
        await asyncio.sleep(delay)
        return True

    async def _call(self, method: Callable[..., Any], request: Any, idempotent: bool = True) -> Any:
        deadline = self._deadline()
        attempt = 0
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise c.deadline_error(self._address)
            try:
                return await method(request, timeout=remaining, metadata=self._metadata)
            except grpc.RpcError as err:
                if not await self._may_retry(err, idempotent, attempt, deadline):
                    raise c.map_error(err, self._address, attempt + 1) from None
                attempt += 1
            except grpc.aio.UsageError as err:  # the channel was closed under a running call
                raise ClosedError("client is closed") from err

    # --- reads ------------------------------------------------------------------------

    @overload
    async def get(self, key: BytesLike) -> bytes | None: ...
    @overload
    async def get(self, key: BytesLike, default: _D) -> bytes | _D: ...
    async def get(self, key: BytesLike, default: Any = None) -> Any:
        """Returns the value of key, or default if it is absent."""
        resp = await self._call(self._kv.Get, c.get_request(key))
        return resp.value if resp.found else default

    async def multi_get(self, keys: Iterable[BytesLike]) -> list[bytes | None]:
        """The value of each key (None where absent), all from one consistent view."""
        resp = await self._call(self._kv.MultiGet, c.multi_get_request(keys))
        return [v.value if v.found else None for v in resp.values]

    async def contains(self, key: BytesLike) -> bool:
        """Whether key is present (the `key in db` of kvstore.Client)."""
        return bool((await self._call(self._kv.Get, c.get_request(key))).found)

    def _scan(
        self,
        mode: str,
        start: BytesLike | None,
        stop: BytesLike | None,
        prefix: BytesLike | None,
        reverse: bool,
        limit: int | None,
    ) -> AsyncScanIterator[Any]:
        if self._closed:
            raise ClosedError("client is closed")
        req = c.scan_request(start, stop, prefix, reverse, limit, keys_only=mode == "keys")
        return AsyncScanIterator(self, req, mode)

    def items(
        self,
        start: BytesLike | None = None,
        stop: BytesLike | None = None,
        *,
        prefix: BytesLike | None = None,
        reverse: bool = False,
        limit: int | None = None,
    ) -> AsyncScanIterator[tuple[bytes, bytes]]:
        """`async for key, value in db.items(...)`: as kvstore.Client.items()."""
        return self._scan("items", start, stop, prefix, reverse, limit)

    def keys(
        self,
        start: BytesLike | None = None,
        stop: BytesLike | None = None,
        *,
        prefix: BytesLike | None = None,
        reverse: bool = False,
        limit: int | None = None,
    ) -> AsyncScanIterator[bytes]:
        return self._scan("keys", start, stop, prefix, reverse, limit)

    def values(
        self,
        start: BytesLike | None = None,
        stop: BytesLike | None = None,
        *,
        prefix: BytesLike | None = None,
        reverse: bool = False,
        limit: int | None = None,
    ) -> AsyncScanIterator[bytes]:
        return self._scan("values", start, stop, prefix, reverse, limit)

    def __aiter__(self) -> AsyncScanIterator[bytes]:
        return self.keys()

    # --- writes -----------------------------------------------------------------------

    async def put(self, key: BytesLike, value: BytesLike, *, sync: bool | None = None) -> None:
        await self._call(self._kv.Put, c.put_request(key, value, sync))

    async def delete(self, key: BytesLike, *, sync: bool | None = None) -> None:
        await self._call(self._kv.Delete, c.delete_request(key, sync))

    async def write(self, batch: WriteBatch, *, sync: bool | None = None) -> None:
        req = c.check_batch(batch).request(sync)
        await self._call(self._kv.Write, req, idempotent=False)

    def write_batch(self, *, sync: bool | None = None) -> AsyncBatchContext:
        if self._closed:
            raise ClosedError("client is closed")
        return AsyncBatchContext(self, sync)

    async def compare_and_swap(
        self,
        key: BytesLike,
        expected: BytesLike | None,
        new: BytesLike | None,
        *,
        sync: bool | None = None,
    ) -> tuple[bool, bytes | None]:
        """As kvstore.Client.compare_and_swap()."""
        req = c.cas_request(key, expected, new, sync)
        return c.cas_result(await self._call(self._kv.CompareAndSwap, req, idempotent=False))

    # --- admin ------------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        return c.status_dict(await self._call(self._admin.Status, admin_pb2.StatusRequest()))

    async def stats(self) -> dict[str, Any]:
        return c.stats_dict(await self._call(self._admin.Status, admin_pb2.StatusRequest()))

    # --- lifetime ---------------------------------------------------------------------

    @property
    def address(self) -> str:
        return self._address

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Closes the connection; running calls and scans are cancelled. Idempotent."""
        if not self._closed:
            self._closed = True
            await self._channel.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        await self.close()
        return False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<kvstore.AsyncClient {self._address} {state}>"
