"""Runs `python -m kvstore serve` as a subprocess for the node tests (tests/test_node_*.py).

The node listens on 127.0.0.1:0 (a free port chosen by the kernel) with JSON logs; the
port is read from its "node.listening" log line, then readiness is the standard gRPC
health check answering SERVING. Never sleeps: every wait polls a condition with a
deadline. Every process started is stopped by its fixture (SIGTERM, SIGKILL if it lingers).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

START_TIMEOUT = 60.0


class ServeProcess:
    """One `kvstore serve` process over data_dir; start() may be called again after stop/kill."""

    def __init__(
        self,
        data_dir: Path,
        extra: Sequence[str] = (),
        env: dict[str, str] | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        server_name: str | None = None,
        listen: str = "127.0.0.1:0",
    ) -> None:
        self.data_dir = data_dir
        self.extra = list(extra)
        self.env = env
        self.credentials = credentials
        self.server_name = server_name
        self.listen = listen
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.port = 0
        self.address = ""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> ServeProcess:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        env = dict(os.environ)
        env.update(self.env or {})
        cmd = [
            sys.executable,
            "-m",
            "kvstore",
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--listen",
            self.listen,
            "--log-format",
            "json",
            *self.extra,
        ]
        self.lines = []
        self.events = queue.Queue()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        # The reader gets this run's queue and line list: a reader of an earlier run
        # may still be draining the old process and must not post into this run's.
        threading.Thread(
            target=self._pump, args=(self.proc, self.events, self.lines), daemon=True
        ).start()
        listening = self.wait_event("node.listening", START_TIMEOUT)
        self.port = int(listening["port"])
        self.address = f"127.0.0.1:{self.port}"
        self.wait_serving()
        return self

    @staticmethod
    def _pump(
        proc: subprocess.Popen[str], events: queue.Queue[dict[str, Any]], lines: list[str]
    ) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            try:
                events.put(json.loads(line))
            except ValueError:
                pass
        events.put({"event": "process.exited"})

    def wait_event(self, name: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {name} event in {timeout}s:\n{self.log()}")
            try:
                ev = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if ev.get("event") == name:
                return ev
            if ev.get("event") == "process.exited":
                raise AssertionError(f"node exited before {name}:\n{self.log()}")

    def channel(self, **kw: Any) -> grpc.Channel:
        opts = [("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)]
        if self.server_name:
            opts.append(("grpc.ssl_target_name_override", self.server_name))
        creds = kw.pop("credentials", self.credentials)
        if creds is None:
            return grpc.insecure_channel(self.address, options=opts)
        return grpc.secure_channel(self.address, creds, options=opts)

    def wait_serving(self, timeout: float = START_TIMEOUT) -> None:
        """Polls the standard health check until it answers SERVING."""
        deadline = time.monotonic() + timeout
        with self.channel() as ch:
            stub = health_pb2_grpc.HealthStub(ch)
            while True:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise AssertionError(f"node exited with {self.proc.returncode}:\n{self.log()}")
                try:
                    resp = stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                    if resp.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"node not SERVING in {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log(self) -> str:
        return "\n".join(self.lines[-60:])
