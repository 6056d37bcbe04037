"""The machine a benchmark ran on: one description for every suite's machine.txt."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def machine_info() -> dict[str, Any]:
    """CPU, cores, memory, kernel, Python, load average now and the checkout's commit."""
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in _read("/proc/cpuinfo").splitlines()
         if ln.startswith("model name")),
        "unknown",
    )  # fmt: skip
    mem = next(
        (int(ln.split()[1]) * 1024 for ln in _read("/proc/meminfo").splitlines()
         if ln.startswith("MemTotal:")),
        0,
    )  # fmt: skip
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_bytes": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_at_start": list(os.getloadavg()),
        "git_commit": commit,
    }


def machine_text(info: dict[str, Any]) -> str:
    """machine.txt: one "name: value" line per fact, then the suite's library versions."""

    def loads(xs: list[float]) -> str:
        return " ".join(f"{x:.2f}" for x in xs)

    lines = [
        f"date: {info['date']}",
        f"cpu: {info['cpu']}",
        f"cores: {info['cores']}",
        f"memory: {info['memory_bytes'] / (1 << 30):.1f} GiB",
        f"kernel: {info['kernel']}",
        f"python: {info['python']}",
        f"load average at start: {loads(info['load_average_at_start'])}",
    ]
    if "load_average_at_end" in info:
        lines.append(f"load average at end: {loads(info['load_average_at_end'])}")
    lines.append(f"kvstore commit: {info['git_commit']}")
    for key in ("libraries", "versions"):
        lines += [f"{k}: {v}" for k, v in info.get(key, {}).items()]
    return "\n".join(lines) + "\n"
