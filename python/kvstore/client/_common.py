"""What Client and AsyncClient share: argument checks, requests, credentials, error mapping
and the retry policy. Everything here is synchronous and does no I/O except reading
certificate files."""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc

from .. import __version__
from .._errors import (
    CorruptionError,
    Error,
    InvalidArgumentError,
    IOError,
    NotFoundError,
    NotSupportedError,
)
from .._proto.kvstore.v1 import admin_pb2, kv_pb2
from .._remote_errors import (
    AuthError,
    DeadlineExceededError,
    OverloadedError,
    RemoteError,
    UnavailableError,
)

DEFAULT_ADDRESS = "127.0.0.1:7379"
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 3

BytesLike = bytes | bytearray | memoryview
PemSource = str | bytes | os.PathLike[str]


def to_bytes(obj: object, what: str) -> bytes:
    """obj as bytes, or TypeError worded like the embedded DB's ("key must be bytes-like, not str")."""
    if type(obj) is bytes:
        return obj
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj)
    try:
        view = memoryview(obj)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{what} must be bytes-like, not {type(obj).__name__}") from None
    with view:
        if not view.contiguous:
            raise TypeError(
                f"{what} must be a contiguous bytes-like object, not {type(obj).__name__}"
            )
        return view.tobytes()


def opt_bytes(obj: object, what: str) -> bytes | None:
    return None if obj is None else to_bytes(obj, what)


def durability(sync: bool | None) -> int:
    """sync=None: the node's default (durable); True: fsynced; False: acknowledged from the
    OS page cache (survives a node crash, not a power loss)."""
    if sync is None:
        return kv_pb2.DURABILITY_DEFAULT
    if not isinstance(sync, bool):
        raise TypeError(f"sync must be a bool or None, not {type(sync).__name__}")
    return kv_pb2.DURABILITY_SYNC if sync else kv_pb2.DURABILITY_ASYNC


# --- requests -----------------------------------------------------------------------------


def get_request(key: object) -> kv_pb2.GetRequest:
    return kv_pb2.GetRequest(key=to_bytes(key, "key"))


def multi_get_request(keys: Iterable[object]) -> kv_pb2.MultiGetRequest:
    if isinstance(keys, (bytes, bytearray, memoryview, str)):
        raise TypeError("keys must be an iterable of bytes-like keys, not a single key")
    return kv_pb2.MultiGetRequest(keys=[to_bytes(k, "key") for k in keys])


def put_request(key: object, value: object, sync: bool | None) -> kv_pb2.PutRequest:
    return kv_pb2.PutRequest(
        key=to_bytes(key, "key"), value=to_bytes(value, "value"), durability=durability(sync)
    )


def delete_request(key: object, sync: bool | None) -> kv_pb2.DeleteRequest:
    return kv_pb2.DeleteRequest(key=to_bytes(key, "key"), durability=durability(sync))


def cas_request(
    key: object, expected: object, new: object, sync: bool | None
) -> kv_pb2.CompareAndSwapRequest:
    req = kv_pb2.CompareAndSwapRequest(key=to_bytes(key, "key"), durability=durability(sync))
    if expected is not None:
        req.expected = to_bytes(expected, "expected")
    if new is not None:
        req.new_value = to_bytes(new, "new")
    return req


def scan_request(
    start: object,
    stop: object,
    prefix: object,
    reverse: bool,
    limit: int | None,
    keys_only: bool,
) -> kv_pb2.ScanRequest:
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a non-negative int or None, not {limit!r}")
    req = kv_pb2.ScanRequest(reverse=bool(reverse), limit=limit or 0, keys_only=keys_only)
    if start is not None:
        req.start = to_bytes(start, "start")
    if stop is not None:
        req.stop = to_bytes(stop, "stop")
    if prefix is not None:
        req.prefix = to_bytes(prefix, "prefix")
    return req


def cas_result(resp: kv_pb2.CompareAndSwapResponse) -> tuple[bool, bytes | None]:
    return resp.applied, (resp.current_value if resp.found else None)


def status_dict(resp: admin_pb2.StatusResponse) -> dict[str, Any]:
    return {
        "node_id": resp.node_id,
        "address": resp.address,
        "version": resp.version,
        "uptime_seconds": resp.uptime_seconds,
        "data_bytes": resp.data_bytes,
        "sequence": resp.header.sequence,
        "levels": [{"files": lvl.files, "bytes": lvl.bytes} for lvl in resp.levels],
        "engine_stats": dict(sorted(resp.engine_stats.items())),
    }


def stats_dict(resp: admin_pb2.StatusResponse) -> dict[str, Any]:
    """The node's engine counters in the shape of kvstore.DB.stats()."""
    out: dict[str, Any] = {"levels": [{"files": lv.files, "bytes": lv.bytes} for lv in resp.levels]}
    out.update(sorted(resp.engine_stats.items()))
    return out


# --- write batches ------------------------------------------------------------------------


class WriteBatch:
    """Puts and deletes collected on the client, sent as one atomic Write.

    The client-side counterpart of kvstore.WriteBatch: `put`, `delete`, `clear`, `len()`,
    `approximate_size()`. Apply it with `client.write(batch)`, or use
    `with client.write_batch() as batch:`.
    """

    __slots__ = ("_mutations", "_size")

    def __init__(self) -> None:
        self._mutations: list[kv_pb2.Mutation] = []
        self._size = 0

    def put(self, key: BytesLike, value: BytesLike) -> None:
        k, v = to_bytes(key, "key"), to_bytes(value, "value")
        self._mutations.append(kv_pb2.Mutation(put=kv_pb2.Mutation.Put(key=k, value=v)))
        self._size += len(k) + len(v) + 8

    def delete(self, key: BytesLike) -> None:
        k = to_bytes(key, "key")
        self._mutations.append(kv_pb2.Mutation(delete=kv_pb2.Mutation.Delete(key=k)))
        self._size += len(k) + 4

    def clear(self) -> None:
        self._mutations.clear()
        self._size = 0

    def __len__(self) -> int:
        return len(self._mutations)

    def approximate_size(self) -> int:
        """Approximate bytes of the encoded batch."""
        return self._size

    def __iter__(self) -> Iterator[tuple[str, bytes, bytes | None]]:
        """Yields ("put", key, value) and ("delete", key, None) in order."""
        for m in self._mutations:
            if m.WhichOneof("op") == "put":
                yield "put", m.put.key, m.put.value
            else:
                yield "delete", m.delete.key, None

    def __repr__(self) -> str:
        return f"<kvstore.client.WriteBatch {len(self)} ops>"

    def request(self, sync: bool | None) -> kv_pb2.WriteRequest:
        return kv_pb2.WriteRequest(mutations=list(self._mutations), durability=durability(sync))


def check_batch(batch: object) -> WriteBatch:
    if not isinstance(batch, WriteBatch):
        raise TypeError(
            "batch must be a kvstore.client.WriteBatch (from Client.write_batch() or "
            f"kvstore.client.WriteBatch()), not {type(batch).__name__}"
        )
    return batch


# --- connection settings ------------------------------------------------------------------


@dataclass(frozen=True)
class TLSConfig:
    """TLS settings of a client. Each certificate is a file path or PEM data (bytes, or
    str starting with "-----BEGIN").

    ca_cert: the CA that signed the node's certificate (None: the system's roots).
    client_cert, client_key: this client's certificate and key, for mutual TLS.
    server_name: the name to check the node's certificate against, when it differs from
    the host in the address (e.g. connecting to an IP address).
    """

    ca_cert: PemSource | None = None
    client_cert: PemSource | None = None
    client_key: PemSource | None = None
    server_name: str | None = None

    def __post_init__(self) -> None:
        if (self.client_cert is None) != (self.client_key is None):
            raise ValueError("client_cert and client_key go together (mutual TLS)")


def _read_pem(src: PemSource | None, what: str) -> bytes | None:
    if src is None:
        return None
    if isinstance(src, bytes):
        return src
    if isinstance(src, str) and src.lstrip().startswith("-----BEGIN"):
        return src.encode()
    try:
        with open(os.fspath(src), "rb") as f:
            return f.read()
    except OSError as e:
        raise InvalidArgumentError(f"cannot read {what} {os.fspath(src)!r}: {e.strerror}") from e


def channel_credentials(tls: bool | TLSConfig) -> grpc.ChannelCredentials | None:
    if tls is False or tls is None:
        return None
    if tls is True:
        return grpc.ssl_channel_credentials()
    if not isinstance(tls, TLSConfig):
        raise TypeError(f"tls must be a bool or kvstore.client.TLSConfig, not {type(tls).__name__}")
    return grpc.ssl_channel_credentials(
        root_certificates=_read_pem(tls.ca_cert, "CA certificate"),
        private_key=_read_pem(tls.client_key, "client key"),
        certificate_chain=_read_pem(tls.client_cert, "client certificate"),
    )


def channel_options(tls: bool | TLSConfig) -> list[tuple[str, Any]]:
    opts: list[tuple[str, Any]] = [
        # Values up to 256 MiB and batches up to 1 GiB: the node enforces the limits.
        ("grpc.max_receive_message_length", -1),
        ("grpc.max_send_message_length", -1),
        ("grpc.primary_user_agent", f"kvstore-python/{__version__}"),
        # Reconnect quickly once a restarted node is back: the client's own retries
        # (with backoff) bound the load, and gRPC's default grows to two minutes.
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 1000),
    ]
    if isinstance(tls, TLSConfig) and tls.server_name:
        opts.append(("grpc.ssl_target_name_override", tls.server_name))
    return opts


def call_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    if token is None:
        return ()
    if not isinstance(token, str) or not token or any(c in token for c in "\r\n"):
        raise ValueError("token must be a non-empty one-line str")
    return (("authorization", f"Bearer {token}"),)


def check_address(address: object) -> str:
    if not isinstance(address, str) or not address:
        raise TypeError(f"address must be a 'host:port' str, not {address!r}")
    return address


# --- retries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base * 2**n))."""

    retries: int = DEFAULT_RETRIES
    backoff: float = 0.05
    max_backoff: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.retries, int) or self.retries < 0:
            raise ValueError(f"retries must be a non-negative int, not {self.retries!r}")

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_backoff, self.backoff * (2**attempt)))


# Phrases of gRPC's UNAVAILABLE details that mean no connection carried the request, so
# even a non-idempotent call (a batch, a compare-and-swap) is safe to send again.
_NOT_SENT_MARKERS = (
    "failed to connect to all addresses",
    "connection refused",
    "errors resolving",
    "dns resolution failed",
)


def never_sent(err: grpc.RpcError) -> bool:
    details = (_details(err) or "").lower()
    return any(m in details for m in _NOT_SENT_MARKERS)


def should_retry(err: grpc.RpcError, idempotent: bool) -> bool:
    if _code(err) != grpc.StatusCode.UNAVAILABLE:
        return False
    return idempotent or never_sent(err)


def _code(err: grpc.RpcError) -> grpc.StatusCode | None:
    code = getattr(err, "code", None)
    return code() if callable(code) else None


def _details(err: grpc.RpcError) -> str | None:
    details = getattr(err, "details", None)
    return details() if callable(details) else None


_CODE_TO_ERROR: dict[grpc.StatusCode, type[Error]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.DATA_LOSS: CorruptionError,
    grpc.StatusCode.INTERNAL: IOError,
    grpc.StatusCode.UNIMPLEMENTED: NotSupportedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: OverloadedError,
    grpc.StatusCode.UNAUTHENTICATED: AuthError,
    grpc.StatusCode.PERMISSION_DENIED: AuthError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
}


def map_error(err: grpc.RpcError, address: str, attempts: int = 1) -> Error:
    """The kvstore.Error for a failed call; `code` and `details` attributes keep gRPC's view."""
    code = _code(err)
    details = _details(err) or (code.name if code else "unknown error")
    cls = _CODE_TO_ERROR.get(code, RemoteError) if code else RemoteError
    if cls is UnavailableError:
        tried = f" (tried {attempts} times)" if attempts > 1 else ""
        msg = f"kvstore node at {address} is unavailable{tried}: {details}"
    elif cls is DeadlineExceededError:
        msg = f"deadline exceeded waiting for kvstore node at {address}"
    elif cls is AuthError:
        msg = f"kvstore node at {address} refused the credentials: {details}"
    elif cls is RemoteError:
        msg = f"kvstore node at {address}: {code.name if code else 'UNKNOWN'}: {details}"
    else:
        msg = details
    exc = cls(msg)
    exc.code = code.name if code else "UNKNOWN"  # type: ignore[attr-defined]
    exc.details = details  # type: ignore[attr-defined]
    return exc


def deadline_error(address: str) -> DeadlineExceededError:
    exc = DeadlineExceededError(f"deadline exceeded waiting for kvstore node at {address}")
    exc.code = "DEADLINE_EXCEEDED"  # type: ignore[attr-defined]
    exc.details = "client deadline"  # type: ignore[attr-defined]
    return exc


ITEM_MODES = ("items", "keys", "values")


def project(entry: kv_pb2.KeyValue, mode: str) -> Any:
    if mode == "items":
        return (entry.key, entry.value)
    if mode == "keys":
        return entry.key
    return entry.value
