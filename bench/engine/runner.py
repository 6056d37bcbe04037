"""Runs each engine config in its own worker process and gathers the results."""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .. import machine as _machine
from .engines import EngineConfig
from .workloads import Params

BENCH_ROOT = Path(__file__).resolve().parent.parent  # .../bench
REPO_ROOT = BENCH_ROOT.parent

DURABILITY = {
    "wal": "on for every LSM engine (RocksDB WriteOptions.disableWAL=False); LMDB has none: "
    "each write is a committed write transaction",
    "sync": "off (a write survives a process crash, not power loss) except fillsync/fillsync4, "
    "where every write is fsynced before it returns (LMDB: sync=True, a synced commit per put)",
}


def _version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, Any]:
    """The machine (bench.machine) and the versions of the engines' bindings."""
    libs = {m: _version(m) for m in ("kvstore", "rocksdict", "plyvel", "lmdb", "matplotlib")}
    try:  # the version does not say which engine build is installed: its file's time does
        import hashlib

        import kvstore._core as core

        data = Path(core.__file__).read_bytes()
        when = _dt.datetime.fromtimestamp(os.path.getmtime(core.__file__), _dt.timezone.utc)
        libs["kvstore _core build"] = (
            f"{when.isoformat(timespec='seconds')} sha256:{hashlib.sha256(data).hexdigest()[:16]}"
        )
    except (ImportError, OSError):
        libs["kvstore _core build"] = "unknown"
    try:
        import plyvel

        libs["leveldb (in plyvel)"] = str(plyvel.__leveldb_version__)
    except ImportError:
        libs["leveldb (in plyvel)"] = "not installed"
    try:
        import lmdb

        libs["lmdb (C library)"] = ".".join(map(str, lmdb.version()))
    except ImportError:
        libs["lmdb (C library)"] = "not installed"
    info = _machine.machine_info()
    info["libraries"] = libs
    return info


Progress = Callable[[str, dict[str, Any]], None]


def run_worker(
    spec: dict[str, Any], workdir: str, label: str, progress: Progress, timeout: float
) -> dict[str, Any]:
    """Starts one worker process and relays its progress events; returns its result."""
    spec_path = os.path.join(workdir, f"{label}.spec.json")
    spec["out"] = os.path.join(workdir, f"{label}.result.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    # Run from the work directory, so a ./kvstore source tree in the caller's directory cannot
    # shadow the installed package.
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.engine.worker", spec_path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=workdir,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        try:
            progress(label, json.loads(line))
        except json.JSONDecodeError:
            pass
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        return {"ok": False, "error": f"worker timed out after {timeout:.0f} s"}
    try:
        with open(spec["out"]) as f:
            result = json.load(f)
    except (OSError, json.JSONDecodeError):
        result = {"ok": False, "error": f"worker exited {proc.returncode}: {err[-2000:]}"}
    return result


def run_suite(
    configs: list[EngineConfig],
    params: Params,
    data_dir: str | None,
    progress: Progress,
) -> dict[str, Any]:
    info = machine_info()
    results: dict[str, Any] = {
        "kind": "kvstore-engine-bench",
        "version": 1,
        "machine": info,
        "params": asdict(params),
        "durability": DURABILITY,
        "engines": {},
    }
    workdir = tempfile.mkdtemp(prefix="kvbench-", dir=data_dir)
    # Generous: every workload capped, plus the uncapped initial load.
    timeout = 600 + params.time_cap * (len(params.workloads) + 2) * 3 + params.n / 2000
    try:
        for config in configs:
            root = os.path.join(workdir, config.name)
            os.makedirs(root, exist_ok=True)
            spec = {"config": asdict(config), "params": asdict(params), "root": root}
            res = run_worker(spec, workdir, config.name, progress, timeout)
            res["engine"] = config.engine
            res["bloom_bits"] = config.bloom_bits
            results["engines"][config.name] = res
            shutil.rmtree(root, ignore_errors=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["ratios"] = ratios(results)
    return results


def run_scale(
    configs: list[EngineConfig],
    params: Params,
    data_dir: str | None,
    progress: Progress,
    interval: float,
) -> dict[str, Any]:
    info = machine_info()
    results: dict[str, Any] = {
        "kind": "kvstore-engine-scale",
        "version": 1,
        "machine": info,
        "params": asdict(params),
        "durability": DURABILITY,
        "interval_s": interval,
        "engines": {},
    }
    workdir = tempfile.mkdtemp(prefix="kvscale-", dir=data_dir)
    try:
        for config in configs:
            root = os.path.join(workdir, config.name)
            os.makedirs(root, exist_ok=True)
            spec = {
                "mode": "scale",
                "config": asdict(config),
                "params": asdict(params),
                "root": root,
                "interval": interval,
            }
            res = run_worker(spec, workdir, config.name, progress, timeout=6 * 3600)
            res["engine"] = config.engine
            results["engines"][config.name] = res
            shutil.rmtree(root, ignore_errors=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """kvstore's ops/s over the best peer config's, per workload."""
    engines = results["engines"]
    kv = engines.get("kvstore", {})
    out: dict[str, Any] = {}
    if not kv.get("ok"):
        return out
    for workload, r in kv["results"].items():
        best_name, best = None, 0.0
        for name, e in engines.items():
            if name == "kvstore" or not e.get("ok"):
                continue
            peer = e["results"].get(workload, {}).get("ops_per_s") or 0.0
            if peer > best:
                best_name, best = name, peer
        if best_name and r.get("ops_per_s"):
            out[workload] = {
                "best_peer": best_name,
                "best_peer_ops_per_s": best,
                "kvstore_ops_per_s": r["ops_per_s"],
                "ratio": r["ops_per_s"] / best,
            }
            cpu = {
                name: e["results"].get(workload, {}).get("ops_per_cpu_s") or 0.0
                for name, e in engines.items()
                if name != "kvstore" and e.get("ok")
            }
            best_cpu = max(cpu, key=lambda n: cpu[n], default=None)
            if best_cpu and cpu[best_cpu] and r.get("ops_per_cpu_s"):
                out[workload]["best_peer_per_cpu"] = best_cpu
                out[workload]["ratio_per_cpu"] = r["ops_per_cpu_s"] / cpu[best_cpu]
    return out
