"""kvstore: an embedded LSM-tree key-value store.

Example::

    import kvstore

    with kvstore.DB("/tmp/example-db") as db:
        db.put(b"user:1", b"ada")
        db[b"user:2"] = b"grace"
        with db.write_batch() as batch:   # atomic: all or nothing
            batch.put(b"user:3", b"edsger")
            batch.delete(b"user:1")
        for key, value in db.items(prefix=b"user:"):
            print(key, value)
"""

from __future__ import annotations

from ._core import (
    DB,
    MAX_BATCH_SIZE,
    MAX_KEY_SIZE,
    MAX_VALUE_SIZE,
    BatchContext,
    Iterator,
    Snapshot,
    WriteBatch,
    default_options,
    destroy,
)
from ._errors import (
    BusyError,
    ClosedError,
    CorruptionError,
    Error,
    InvalidArgumentError,
    IOError,
    NotFoundError,
    NotSupportedError,
)
from ._remote_errors import (
    AuthError,
    DeadlineExceededError,
    OverloadedError,
    RemoteError,
    UnavailableError,
)

__version__ = "0.1.0"

__all__ = [
    "DB",
    "MAX_BATCH_SIZE",
    "MAX_KEY_SIZE",
    "MAX_VALUE_SIZE",
    "AsyncClient",
    "AuthError",
    "BatchContext",
    "BusyError",
    "Client",
    "ClosedError",
    "CorruptionError",
    "DeadlineExceededError",
    "Error",
    "IOError",
    "InvalidArgumentError",
    "Iterator",
    "NotFoundError",
    "NotSupportedError",
    "OverloadedError",
    "RemoteError",
    "Snapshot",
    "TLSConfig",
    "UnavailableError",
    "WriteBatch",
    "default_options",
    "destroy",
]

# The gRPC client loads grpcio: it is imported on first use only, so that a
# program using the embedded DB alone never pays for it.
_CLIENT_NAMES = frozenset({"Client", "AsyncClient", "TLSConfig"})


def __getattr__(name: str) -> object:
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module 'kvstore' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _CLIENT_NAMES)
