"""The client of a kvstore node over gRPC: kvstore.Client and kvstore.AsyncClient.

Importing this package loads grpcio; `import kvstore` alone does not (kvstore.Client and
kvstore.AsyncClient are loaded on first use), so the embedded kvstore.DB never pays for it.
"""

from __future__ import annotations

from .._remote_errors import (
    AuthError,
    DeadlineExceededError,
    OverloadedError,
    RemoteError,
    UnavailableError,
)
from ._async import AsyncBatchContext, AsyncClient, AsyncScanIterator
from ._common import DEFAULT_ADDRESS, DEFAULT_TIMEOUT, TLSConfig, WriteBatch
from ._sync import BatchContext, Client, ScanIterator

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_TIMEOUT",
    "AsyncBatchContext",
    "AsyncClient",
    "AsyncScanIterator",
    "AuthError",
    "BatchContext",
    "Client",
    "DeadlineExceededError",
    "OverloadedError",
    "RemoteError",
    "ScanIterator",
    "TLSConfig",
    "UnavailableError",
    "WriteBatch",
]
