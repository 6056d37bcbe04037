"""kvstore.Client: a blocking client of a kvstore node with the verbs of kvstore.DB."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import grpc

from .._errors import ClosedError
from .._proto.kvstore.v1 import admin_pb2, admin_pb2_grpc, kv_pb2, kv_pb2_grpc
from . import _common as c
from ._common import BytesLike, RetryPolicy, TLSConfig, WriteBatch

if TYPE_CHECKING:
    from typing_extensions import Self

_T = TypeVar("_T")
_D = TypeVar("_D")


class ScanIterator(Generic[_T]):
    """A lazy scan: consumes the node's Scan stream as it is iterated.

    The stream starts at the first `next()`; a failure before the first answer (node
    unavailable) is retried like any idempotent call. `close()` (or leaving a `with`
    block) cancels the stream. The stream itself has no deadline, since its consumer sets
    the pace; the client's timeout bounds the start (connecting and retries).
    """

    def __init__(self, client: Client, request: kv_pb2.ScanRequest, mode: str) -> None:
        self._client = client
        self._request = request
        self._mode = mode
        self._call: Any = None
        self._buffer: deque[kv_pb2.KeyValue] = deque()
        self._started = False  # an answer has arrived: no more retries
        self._closed = False

    def __iter__(self) -> ScanIterator[_T]:
        return self

    def __next__(self) -> _T:
        while not self._buffer:
            if self._closed:
                raise StopIteration
            resp = self._next_response()
            if resp is None:
                self._closed = True
                raise StopIteration
            self._buffer.extend(resp.entries)
        return c.project(self._buffer.popleft(), self._mode)  # type: ignore[no-any-return]

    def _next_response(self) -> kv_pb2.ScanResponse | None:
        client = self._client
        deadline = client._deadline()
        attempt = 0
        while True:
            if self._call is None:
                self._call = client._kv.Scan(self._request, metadata=client._metadata)
            try:
                resp = next(self._call)
            except StopIteration:
                return None
            except grpc.RpcError as err:
                self._call = None
                if client._closed:
                    self._closed = True
                    raise ClosedError("client is closed") from None
                if self._started or not client._may_retry(err, True, attempt, deadline):
                    self._closed = True
                    raise c.map_error(err, client.address, attempt + 1) from None
                attempt += 1
                continue
            self._started = True
            return resp  # type: ignore[no-any-return]

    def close(self) -> None:
        """Cancels the stream. Idempotent."""
        self._closed = True
        self._buffer.clear()
        if self._call is not None:
            self._call.cancel()
            self._call = None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def reverse(self) -> bool:
        return self._request.reverse

    def __enter__(self) -> ScanIterator[_T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        call = getattr(self, "_call", None)
        if call is not None:
            call.cancel()


class BatchContext:
    """`with client.write_batch() as batch:` sends the batch atomically when the block exits
    normally and discards it if the block raises."""

    def __init__(self, client: Client, sync: bool | None) -> None:
        self._client = client
        self._sync = sync
        self._batch = WriteBatch()

    def __enter__(self) -> WriteBatch:
        return self._batch

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc_type is None and len(self._batch):
            self._client.write(self._batch, sync=self._sync)
        return False


class Client:
    """A connection to a kvstore node, with the verbs of the embedded kvstore.DB.

    Code written for `kvstore.DB(path)` runs against a node by constructing
    `kvstore.Client(address)` instead::

        with kvstore.Client("127.0.0.1:7379") as db:
            db.put(b"user:1", b"ada")
            print(db.get(b"user:1"))

    address: "host:port" of the node.
    timeout: seconds one call may take, across its retries (None: no deadline). Scans use
        it for their start only.
    tls: False (plain text), True (TLS checked against the system's roots) or a
        kvstore.client.TLSConfig (own CA, client certificate for mutual TLS).
    token: a bearer token sent with every call (the node's --auth-token-file).
    retries: how many times a call that failed with UNAVAILABLE is sent again, after an
        exponential, jittered backoff. Reads, puts and deletes are retried; write batches
        and compare-and-swap only when the request certainly never reached the node.

    Errors are kvstore.Error subclasses: InvalidArgumentError, CorruptionError, ... as the
    embedded DB raises them, plus UnavailableError, OverloadedError, AuthError and
    DeadlineExceededError. A Client is safe to share between threads.
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
            self._channel = grpc.insecure_channel(address, options=opts)
        else:
            self._channel = grpc.secure_channel(address, creds, options=opts)
        self._kv = kv_pb2_grpc.KVStub(self._channel)
        self._admin = admin_pb2_grpc.AdminStub(self._channel)
        self._closed = False

    # --- plumbing ---------------------------------------------------------------------

    def _deadline(self) -> float | None:
        if self._closed:
            raise ClosedError("client is closed")
        return None if self._timeout is None else time.monotonic() + self._timeout

    def _may_retry(
        self, err: grpc.RpcError, idempotent: bool, attempt: int, deadline: float | None
    ) -> bool:
        """Sleeps the backoff and returns True when err is worth another attempt."""
        if self._closed or attempt >= self._retry.retries or not c.should_retry(err, idempotent):
            return False
        delay = self._retry.delay(attempt)
        if deadline is not None and time.monotonic() + delay >= deadline:
            return False
        time.sleep(delay)
        return True

    def _call(self, method: Callable[..., Any], request: Any, idempotent: bool = True) -> Any:
        deadline = self._deadline()
        attempt = 0
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise c.deadline_error(self._address)
            try:
                return method(request, timeout=remaining, metadata=self._metadata)
            except grpc.RpcError as err:
                if not self._may_retry(err, idempotent, attempt, deadline):
                    raise c.map_error(err, self._address, attempt + 1) from None
                attempt += 1
            except ValueError as err:  # the channel was closed under a running call
                if self._closed:
                    raise ClosedError("client is closed") from err
                raise

    # --- reads ------------------------------------------------------------------------

    @overload
    def get(self, key: BytesLike) -> bytes | None: ...
    @overload
    def get(self, key: BytesLike, default: _D) -> bytes | _D: ...
    def get(self, key: BytesLike, default: Any = None) -> Any:
        """Returns the value of key, or default if it is absent."""
        resp = self._call(self._kv.Get, c.get_request(key))
        return resp.value if resp.found else default

    def multi_get(self, keys: Iterable[BytesLike]) -> list[bytes | None]:
        """The value of each key (None where absent), all from one consistent view."""
        resp = self._call(self._kv.MultiGet, c.multi_get_request(keys))
        return [v.value if v.found else None for v in resp.values]

    def __getitem__(self, key: BytesLike) -> bytes:
        resp = self._call(self._kv.Get, c.get_request(key))
        if not resp.found:
            raise KeyError(key)
        return resp.value  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        return bool(self._call(self._kv.Get, c.get_request(key)).found)

    def _scan(
        self,
        mode: str,
        start: BytesLike | None,
        stop: BytesLike | None,
        prefix: BytesLike | None,
        reverse: bool,
        limit: int | None,
    ) -> ScanIterator[Any]:
        if self._closed:
            raise ClosedError("client is closed")
        req = c.scan_request(start, stop, prefix, reverse, limit, keys_only=mode == "keys")
        return ScanIterator(self, req, mode)

    def items(
        self,
        start: BytesLike | None = None,
        stop: BytesLike | None = None,
        *,
        prefix: BytesLike | None = None,
        reverse: bool = False,
        limit: int | None = None,
    ) -> ScanIterator[tuple[bytes, bytes]]:
        """(key, value) pairs with start <= key < stop that begin with prefix, in key order
        (descending when reverse), at most limit of them; streamed lazily."""
        return self._scan("items", start, stop, prefix, reverse, limit)

    def keys(
        self,
        start: BytesLike | None = None,
        stop: BytesLike | None = None,
        *,
        prefix: BytesLike | None = None,
        reverse: bool = False,
        limit: int | None = None,
    ) -> ScanIterator[bytes]:
        """Keys of the range, as items() (values are not sent)."""
        return self._scan("keys", start, stop, prefix, reverse, limit)

    def values(
        self,
        start: BytesLike | None = None,
        stop: BytesLike | None = None,
        *,
        prefix: BytesLike | None = None,
        reverse: bool = False,
        limit: int | None = None,
    ) -> ScanIterator[bytes]:
        """Values of the range, in key order, as items()."""
        return self._scan("values", start, stop, prefix, reverse, limit)

    def __iter__(self) -> ScanIterator[bytes]:
        return self.keys()

    # --- writes -----------------------------------------------------------------------

    def put(self, key: BytesLike, value: BytesLike, *, sync: bool | None = None) -> None:
        """Sets key to value. sync=None: the node's default (durable); False: acknowledged
        before the fsync."""
        self._call(self._kv.Put, c.put_request(key, value, sync))

    def delete(self, key: BytesLike, *, sync: bool | None = None) -> None:
        """Removes key (a no-op if absent)."""
        self._call(self._kv.Delete, c.delete_request(key, sync))

    def __setitem__(self, key: BytesLike, value: BytesLike) -> None:
        self.put(key, value)

    def __delitem__(self, key: BytesLike) -> None:
        self.delete(key)

    def write(self, batch: WriteBatch, *, sync: bool | None = None) -> None:
        """Applies a kvstore.client.WriteBatch atomically."""
        req = c.check_batch(batch).request(sync)
        self._call(self._kv.Write, req, idempotent=False)

    def write_batch(self, *, sync: bool | None = None) -> BatchContext:
        """`with client.write_batch() as b: b.put(k, v)` writes the batch atomically when
        the block exits normally and discards it if the block raises."""
        if self._closed:
            raise ClosedError("client is closed")
        return BatchContext(self, sync)

    def compare_and_swap(
        self,
        key: BytesLike,
        expected: BytesLike | None,
        new: BytesLike | None,
        *,
        sync: bool | None = None,
    ) -> tuple[bool, bytes | None]:
        """Sets key to new (deletes it when new is None) only if its value is expected (or
        it is absent, when expected is None). Returns (applied, current): current is the
        value after the call, new when applied, else the value that failed the comparison
        (None: absent)."""
        req = c.cas_request(key, expected, new, sync)
        return c.cas_result(self._call(self._kv.CompareAndSwap, req, idempotent=False))

    # --- admin ------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The node's id, address, version, uptime, data size, levels and engine counters."""
        return c.status_dict(self._call(self._admin.Status, admin_pb2.StatusRequest()))

    def stats(self) -> dict[str, Any]:
        """The node's engine counters in the shape of kvstore.DB.stats()."""
        return c.stats_dict(self._call(self._admin.Status, admin_pb2.StatusRequest()))

    # --- lifetime ---------------------------------------------------------------------

    @property
    def address(self) -> str:
        return self._address

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Closes the connection; running scans are cancelled. Idempotent."""
        if not self._closed:
            self._closed = True
            self._channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self.close()
        return False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<kvstore.Client {self._address} {state}>"
