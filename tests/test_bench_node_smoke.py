"""Smoke test of the node benchmark runner (bench/node) in --quick mode.

Runs kvstore (and etcd / Redis when installed and the native generator is built) at tiny
sizes and checks that the outputs exist and parse: never a timing assertion. Without the
native generator (build/nodebench/node_load, CMake -DKVSTORE_BENCH=ON) kvstore runs with
the Python generator alone and the peers are reported as skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench" / "node"
HAVE_PLOTS = importlib.util.find_spec("matplotlib") is not None

pytestmark = pytest.mark.skipif(not BENCH.is_dir(), reason="no bench/ beside tests/")


def _native() -> Path | None:
    env = os.environ.get("KVSTORE_NODE_LOAD")
    if env:
        return Path(env)
    for rel in ("build/nodebench/node_load", "build/bench/node_load", "build/test/node_load"):
        if (REPO / rel).is_file():
            return REPO / rel
    return None


def test_quick_run_outputs(tmp_path: Path) -> None:
    native = _native()
    systems = ["kvstore"]
    if native is not None:
        systems += [s for s, b in (("etcd", "etcd"), ("redis", "redis-server")) if shutil.which(b)]
    out = tmp_path / "out"
    args = ["--quick", "--no-build", "--systems", ",".join(systems), "--out", str(out)]
    args += ["--data-dir", str(tmp_path)]
    if not HAVE_PLOTS:
        args.append("--no-plots")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.node", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    results = json.loads((out / "results.json").read_text())
    assert results["kind"] == "kvstore-node-bench"
    assert results["params"]["native"] == (native is not None)
    assert set(results["systems"]) == set(systems)
    kv = results["systems"]["kvstore"]
    assert kv["ok"], kv.get("error")
    gens = {r["generator"] for r in kv["runs"]}
    assert "python" in gens and (("native" in gens) == (native is not None))
    for name, s in results["systems"].items():
        assert s["ok"], (name, s.get("error"))
        assert s["exit_code"] is not None  # the runner stopped every server it started
        for r in s["runs"]:
            assert r["ops"] > 0 and r["ops_per_s"] > 0 and r["errors"] == 0, (name, r)
            assert r["p999_us"] >= r["p99_us"] >= r["p50_us"] > 0, (name, r)
            assert r["client_cpu_s"] >= 0 and r["server_cpu_s"] >= 0, (name, r)
            if r["workload"] == "get":
                assert r["misses"] == 0, (name, r)  # every key was loaded first
    if native is not None and len(systems) > 1:
        assert results["ratios"]["put"]["1"]
    md = (out / "results.md").read_text()
    assert "## Durable puts" in md and "## CPU per operation" in md
    assert "cpu:" in (out / "machine.txt").read_text()
    if HAVE_PLOTS:
        for png in ("throughput.png", "latency.png", "cpu.png"):
            assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_system_is_rejected(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-m", "bench.node", "--systems", "nosuch", "--out", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "nosuch" in proc.stderr
