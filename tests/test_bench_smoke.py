"""Smoke test of the engine benchmark runner (bench/engine) at a tiny N.

Checks that the runner works end to end and that its outputs have the expected structure:
never a timing assertion. Peers whose bindings are not installed are left out.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench" / "engine"
PEERS = {"rocksdb": "rocksdict", "leveldb": "plyvel", "lmdb": "lmdb"}
HAVE_PLOTS = importlib.util.find_spec("matplotlib") is not None

pytestmark = pytest.mark.skipif(not BENCH.is_dir(), reason="no bench/ beside tests/")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "bench.engine", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _engines() -> list[str]:
    return ["kvstore"] + [e for e, mod in PEERS.items() if importlib.util.find_spec(mod)]


def test_suite_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    engines = _engines()
    args = ["-n", "2000", "--engines", ",".join(engines), "--out", str(out)]
    args += ["--time-cap", "10", "--sync-ops", "40", "--data-dir", str(tmp_path), "--no-progress"]
    if not HAVE_PLOTS:
        args.append("--no-plots")
    proc = _run(args, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    results = json.loads((out / "results.json").read_text())
    assert results["kind"] == "kvstore-engine-bench"
    assert results["params"]["n"] == 2000
    assert {"wal", "sync"} <= set(results["durability"])
    assert results["machine"]["cores"] >= 1
    workloads = results["params"]["workloads"]
    assert len(workloads) == 13
    expected = {"kvstore"}
    for e in engines:
        if e in ("rocksdb", "leveldb"):
            expected |= {e, f"{e}+bloom"}
            if e == "rocksdb":
                expected.add("rocksdb+bloom+128M")  # RSS at kvstore's cache size
        elif e != "kvstore":
            expected.add(e)
    assert set(results["engines"]) == expected
    for name, e in results["engines"].items():
        assert e["ok"], (name, e.get("error"))
        assert set(e["results"]) == set(workloads), name
        for w, r in e["results"].items():
            assert r["ops"] > 0, (name, w)
            assert r["ops_per_s"] > 0, (name, w)
            assert r["cpu_seconds"] >= 0, (name, w)
        assert e["results"]["readrandom"]["p99_us"] >= e["results"]["readrandom"]["p50_us"]
        assert e["results"]["readseq"]["ops"] == 2000  # a full scan sees every key
        assert e["results"]["multiget"]["found"] == e["results"]["multiget"]["ops"]
        s = e["summary"]
        assert s["disk_bytes"] > 0 and s["space_amp"] > 0
        if name != "lmdb":  # the others compact their whole range once loaded
            assert s["disk_bytes_compacted"] > 0 and s["space_amp_compacted"] > 0
        assert s["rss_peak_bytes"] >= s["rss_baseline_bytes"] > 0
        assert isinstance(e["options"], dict)
    kv = results["engines"]["kvstore"]["summary"]["main_write_amp"]
    assert "flush_bytes_written" in kv["engine_stats"]
    if len(expected) > 1:
        assert set(results["ratios"]) == set(workloads)
        for r in results["ratios"].values():
            assert r["best_peer"] in expected - {"kvstore"} and r["ratio"] > 0

    md = (out / "results.md").read_text()
    assert "## Throughput" in md and "kvstore / best peer" in md and "CPU-second" in md
    for w in workloads:
        assert f"| {w} |" in md
    assert "cpu:" in (out / "machine.txt").read_text()
    if HAVE_PLOTS:
        for png in ("throughput.png", "latency.png", "resources.png"):
            assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scale_outputs(tmp_path: Path) -> None:
    if not HAVE_PLOTS:
        pytest.skip("matplotlib not installed")
    out = tmp_path / "out"
    args = ["--scale", "--scale-keys", "5000", "--interval", "0.02", "--out", str(out)]
    args += ["--data-dir", str(tmp_path), "--no-progress"]
    proc = _run(args, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((out / "scale.json").read_text())
    assert results["kind"] == "kvstore-engine-scale"
    kv = results["engines"]["kvstore"]
    assert kv["ok"], kv.get("error")
    assert kv["series"] and kv["series"][-1]["ops"] == 5000
    assert kv["summary"]["ops"] == 5000 and "stall_ms_total" in kv["summary"]
    assert (out / "scale.png").read_bytes()[:4] == b"\x89PNG"
    assert "| kvstore |" in (out / "scale.md").read_text()


def test_unknown_workload_is_rejected(tmp_path: Path) -> None:
    proc = _run(["--workloads", "nosuch", "--out", str(tmp_path)], tmp_path)
    assert proc.returncode == 2 and "nosuch" in proc.stderr
