"""Type stubs for kvstore._node: the C++ storage node behind `kvstore serve`.

Import it lazily (only in the server process): it loads the C++ gRPC runtime, which
must not share a process with grpcio (the Python client).
"""

from typing import Any

class Node:
    def __init__(
        self,
        data_dir: str,
        listen: str = "127.0.0.1:7379",
        node_id: int = 1,
        tls_cert: str = "",
        tls_key: str = "",
        tls_client_ca: str = "",
        auth_token: str = "",
        engine_options: dict[str, int | bool] = ...,
        limits: dict[str, int] = ...,
    ) -> None: ...
    def start(self) -> int:
        """Opens the engine and starts serving; returns the bound port.

        Raises ValueError for bad settings, RuntimeError when the engine cannot be
        opened or the address cannot be bound."""
    def wait(self, timeout: float | None = None) -> bool:
        """Blocks (GIL released) until the node stopped or timeout passed; True once stopped."""
    def stop(self, grace_seconds: float = 10.0) -> None:
        """Stops accepting, lets in-flight calls finish for up to grace_seconds, closes the engine."""
    def close(self) -> None: ...
    def metrics(self) -> dict[str, Any]:
        """{"methods": {name: {"requests": {code: n}, "latency_buckets": [n, ...],
        "latency_count": n, "latency_sum_seconds": s}}, "latency_bucket_bounds": [...],
        "rejected_overload": n, "open_scans": n, "queued_writes": n, "queued_reads": n}"""
    def engine_stats(self) -> dict[str, Any]:
        """The engine counters (kvstore.DB.stats() names) plus "levels": [{"files", "bytes"}]."""
    @property
    def address(self) -> str: ...
    @property
    def running(self) -> bool: ...
    @property
    def limits(self) -> dict[str, int]: ...
    @property
    def node_id(self) -> int: ...
