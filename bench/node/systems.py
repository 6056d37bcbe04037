"""The servers under test: start one on a free loopback port over a fresh data dir, stop it.

Every server is durable per acknowledged write (group commit allowed):
  kvstore : `python -m kvstore serve`, durable by default (the WAL group holding a write is
            fsynced before the reply; concurrent writes share one fsync)
  etcd    : one member; etcd fsyncs its WAL before it applies and answers a proposal
            (a batch of proposals per raft Ready shares one fsync)
  redis   : `appendonly yes`, `appendfsync always` (the AOF is written and fsynced before
            the replies of one event-loop pass go out: a group commit too); RDB snapshots off
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .proc import free_port

SYSTEMS = ("kvstore", "etcd", "redis")
START_TIMEOUT = 60.0

DURABILITY = {
    "kvstore": "kvstore serve defaults: every Put acknowledged after its WAL group is fsynced "
    "(group commit: concurrent writes share one fsync)",
    "etcd": "single member, defaults: the raft WAL is fsynced before a Put is acknowledged "
    "(entries of one raft Ready share one fsync); gets are serializable Range calls",
    "redis": "appendonly yes, appendfsync always (the AOF is fsynced before the replies of one "
    "event-loop pass are sent: group commit); save '' (no RDB snapshots)",
}


def missing(name: str) -> str | None:
    """Why a system cannot run here (None: it can)."""
    if name == "kvstore":
        try:
            import kvstore  # noqa: F401
        except ImportError:
            return "the kvstore package is not installed (bash scripts/setup.sh)"
        return None
    binary = {"etcd": "etcd", "redis": "redis-server"}[name]
    if shutil.which(binary) is None:
        pkg = {"etcd": "etcd-server", "redis": "redis-server"}[name]
        return f"{binary} not found (apt-get install {pkg})"
    return None


def version(name: str) -> str:
    try:
        if name == "kvstore":
            from importlib.metadata import version as v

            return v("kvstore")
        cmd = ["etcd", "--version"] if name == "etcd" else ["redis-server", "--version"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
        return out.stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError, ImportError, ValueError) as e:
        return f"unknown ({e})"


@dataclass
class Server:
    name: str
    data_dir: Path
    proc: subprocess.Popen[bytes] | None = None
    address: str = ""
    command: list[str] = field(default_factory=list)
    log_path: Path | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> Server:
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(parents=True)
        self.log_path = self.data_dir.parent / f"{self.name}.log"
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child keeps it
        if self.name == "kvstore":
            self._start_kvstore(log)
        elif self.name == "etcd":
            port, peer = free_port(), free_port()
            self.address = f"127.0.0.1:{port}"
            self.command = [
                "etcd", "--name", "bench", "--data-dir", str(self.data_dir / "etcd"),
                "--listen-client-urls", f"http://127.0.0.1:{port}",
                "--advertise-client-urls", f"http://127.0.0.1:{port}",
                "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-cluster", f"bench=http://127.0.0.1:{peer}",
                "--initial-cluster-state", "new", "--log-level", "warn",
            ]  # fmt: skip
            self.proc = subprocess.Popen(self.command, stdout=log, stderr=log)
        else:
            port = free_port()
            self.address = f"127.0.0.1:{port}"
            self.command = [
                "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                "--dir", str(self.data_dir), "--appendonly", "yes", "--appendfsync", "always",
                "--save", "", "--daemonize", "no", "--protected-mode", "no",
                "--maxclients", "10000",
            ]  # fmt: skip
            self.proc = subprocess.Popen(self.command, stdout=log, stderr=log)
        log.close()
        return self

    def _start_kvstore(self, log: object) -> None:
        self.command = [
            sys.executable, "-m", "kvstore", "serve", "--data-dir", str(self.data_dir / "db"),
            "--listen", "127.0.0.1:0", "--log-format", "json",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.PIPE
        )
        events: queue.Queue[dict[str, object]] = queue.Queue()

        def pump(proc: subprocess.Popen[bytes]) -> None:
            assert proc.stderr is not None
            with open(self.data_dir.parent / "kvstore.log", "ab") as out:
                for line in proc.stderr:
                    out.write(line)
                    out.flush()
                    try:
                        events.put(json.loads(line))
                    except ValueError:
                        pass
            events.put({"event": "process.exited"})

        threading.Thread(target=pump, args=(self.proc,), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                ev = events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                ev = {}
            if ev.get("event") == "node.listening":
                self.address = f"127.0.0.1:{ev['port']}"
                return
            if ev.get("event") == "process.exited" or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"kvstore serve did not start; see {self.log_path}")

    def disk_bytes(self) -> int:
        total = 0
        for root, _dirs, files in os.walk(self.data_dir):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
        return total

    def stop(self, timeout: float = 20.0) -> int | None:
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode
