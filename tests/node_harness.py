"""Runs a kvstore node (`python -m kvstore serve`, the C++ node) in its own process for
the client tests, on a free 127.0.0.1 port. The test process loads grpcio (the client),
the node process the C++ gRPC library: the two never share a process.
Every node started is stopped by its fixture (SIGTERM, then SIGKILL if it lingers).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import grpc

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def node_command(data_dir: Path, listen: str, extra: Sequence[str] = ()) -> list[str]:
    return [
        sys.executable, "-m", "kvstore", "serve",
        "--data-dir", str(data_dir), "--listen", listen, *extra,
    ]  # fmt: skip


class Node:
    """A node process on 127.0.0.1:<free port> serving data_dir; restartable on the same port."""

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        extra: Sequence[str] = (),
        channel_credentials: grpc.ChannelCredentials | None = None,
        server_name: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.extra = list(extra)
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self._creds = channel_credentials
        self._server_name = server_name

    def start(self) -> Node:
        assert self.proc is None, "already running"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                node_command(self.data_dir, self.address, self.extra),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        """Polls until the port accepts a gRPC connection (the process exiting fails fast)."""
        opts = [("grpc.initial_reconnect_backoff_ms", 50), ("grpc.max_reconnect_backoff_ms", 200)]
        if self._server_name:
            opts.append(("grpc.ssl_target_name_override", self._server_name))
        if self._creds is None:
            channel = grpc.insecure_channel(self.address, options=opts)
        else:
            channel = grpc.secure_channel(self.address, self._creds, options=opts)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while True:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(f"node exited with {self.proc.returncode}:\n{self.log()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"node not ready in {START_TIMEOUT}s:\n{self.log()}")
                with contextlib.suppress(grpc.FutureTimeoutError):
                    grpc.channel_ready_future(channel).result(timeout=0.25)
                    return
        finally:
            channel.close()

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 15 s; returns the exit code (None if not running)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def restart(self) -> Node:
        self.stop()
        return self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


@contextlib.contextmanager
def running_node(
    tmp: Path,
    extra: Sequence[str] = (),
    channel_credentials: grpc.ChannelCredentials | None = None,
    server_name: str | None = None,
) -> Iterator[Node]:
    """A started node serving tmp/node-data, stopped on exit."""
    tmp.mkdir(parents=True, exist_ok=True)
    node = Node(tmp / "node-data", tmp / "node.log", extra, channel_credentials, server_name)
    try:
        yield node.start()
    finally:
        node.stop()
