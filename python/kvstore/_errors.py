"""The kvstore exception hierarchy.

Every engine failure is raised as a subclass of :class:`Error`, one per engine
status code, plus :class:`ClosedError` for use of a closed handle.
"""

from __future__ import annotations

__all__ = [
    "BusyError",
    "ClosedError",
    "CorruptionError",
    "Error",
    "IOError",
    "InvalidArgumentError",
    "NotFoundError",
    "NotSupportedError",
]


class Error(Exception):
    """Base class of every kvstore error."""


class NotFoundError(Error):
    """A required file or entry does not exist (engine status NotFound)."""


class CorruptionError(Error):
    """Stored data failed a checksum or could not be decoded (engine status Corruption)."""


class InvalidArgumentError(Error, ValueError):
    """An argument or option was rejected, e.g. a key over 64 KiB (engine status InvalidArgument)."""


class IOError(Error, OSError):
    """A file-system operation failed (engine status IOError)."""


class BusyError(Error):
    """The database directory is already in use by another DB, in this or another process."""


class NotSupportedError(Error):
    """The operation is not supported (engine status NotSupported)."""


class ClosedError(Error):
    """The DB is closed, or an iterator, snapshot or batch outlived its DB's close()."""
