"""Errors that only a remote node can produce (kvstore.Client / kvstore.AsyncClient).

Where a node's answer means the same as an engine status, the client raises the engine's
class (InvalidArgumentError, CorruptionError, NotFoundError, IOError, NotSupportedError,
see kvstore._errors). The classes here cover what the embedded DB has no equivalent for.
This module imports nothing of grpcio, so `except kvstore.UnavailableError` costs nothing
in a program that uses only the embedded DB.
"""

from __future__ import annotations

from ._errors import Error

__all__ = [
    "AuthError",
    "DeadlineExceededError",
    "OverloadedError",
    "RemoteError",
    "UnavailableError",
]


class RemoteError(Error):
    """A node answered with a gRPC status that has no more specific kvstore class."""


class UnavailableError(Error, ConnectionError):
    """The node could not be reached (down, wrong address, refused) or is shutting down.

    Idempotent calls have already been retried with backoff when this is raised.
    """


class OverloadedError(Error):
    """The node refused the request for lack of capacity, or it was too large
    (gRPC RESOURCE_EXHAUSTED). Back off and retry later, or send less at once."""


class AuthError(Error, PermissionError):
    """The node refused the credentials: none or a wrong token (UNAUTHENTICATED), or the
    caller may not do this (PERMISSION_DENIED)."""


class DeadlineExceededError(Error, TimeoutError):
    """The call did not finish within its deadline (the client's timeout, across retries).

    A write that timed out may or may not have been applied."""
