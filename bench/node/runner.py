"""Runs every system × workload × concurrency through the load generators."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..machine import machine_info
from . import systems as S

REPO_ROOT = Path(__file__).resolve().parents[2]
GENERATOR_CANDIDATES = (
    "build/nodebench/node_load",
    "build/bench/node_load",
    "build/test/node_load",
)
WORKLOADS = ("get", "put")


@dataclass
class Params:
    systems: list[str]
    concurrency: list[int]
    python_concurrency: list[int]
    keys: int
    key_size: int
    value_size: int
    warmup: float
    duration: float
    load_concurrency: int
    channels: int
    native: bool
    python: bool
    data_dir: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


Progress = Callable[[str], None]


def find_generator(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("KVSTORE_NODE_LOAD")
    if env:
        return Path(env)
    for rel in GENERATOR_CANDIDATES:
        p = REPO_ROOT / rel
        if p.is_file() and os.access(p, os.X_OK):
            return p
    return None


def build_generator(progress: Progress, targets: tuple[str, ...] = ("node_load",)) -> Path:
    """Configures and builds build/nodebench/node_load (CMake -DKVSTORE_BENCH=ON), -j 2;
    `targets` adds others of the same directory (grpc_floor)."""
    venv_bin = Path(sys.executable).parent
    cmake = shutil.which("cmake", path=str(venv_bin)) or shutil.which("cmake")
    if cmake is None:
        raise RuntimeError("cmake not found: build node_load by hand (see bench/README.md)")
    build = REPO_ROOT / "build" / "nodebench"
    env = dict(os.environ, PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", "2")
    progress(f"building the native generator in {build} ...")
    gen = ["-G", "Ninja"] if shutil.which("ninja", path=env["PATH"]) else []
    for cmd in (
        [cmake, "-S", str(REPO_ROOT), "-B", str(build), *gen, "-DKVSTORE_BENCH=ON",
         "-DCMAKE_BUILD_TYPE=Release"],
        [cmake, "--build", str(build), "-j", "2", "--target", *targets],
    ):  # fmt: skip
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return build / "node_load"


def _json_run(cmd: list[str], timeout: float) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {out.returncode} without a result:\n{out.stderr[-2000:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    result["exit_code"] = out.returncode
    return result


class Generators:
    def __init__(self, p: Params, native: Path | None) -> None:
        self.p = p
        self.native = native

    def native_run(self, srv: S.Server, workload: str, concurrency: int) -> dict[str, Any]:
        assert self.native is not None
        p = self.p
        cmd = [
            str(self.native), f"--system={srv.name}", f"--target={srv.address}",
            f"--workload={workload}", f"--concurrency={concurrency}", f"--keys={p.keys}",
            f"--key-size={p.key_size}", f"--value-size={p.value_size}",
            f"--warmup={p.warmup}", f"--duration={p.duration}", f"--server-pid={srv.pid}",
        ]  # fmt: skip
        if p.channels:
            cmd.append(f"--channels={p.channels}")
        if workload == "ping":
            cmd.append(f"--timeout={S.START_TIMEOUT}")
        timeout = 600.0 if workload == "load" else p.warmup + p.duration + 120
        r = _json_run(cmd, timeout)
        r["generator"] = "native"
        return r

    def python_run(self, srv: S.Server, workload: str, concurrency: int) -> dict[str, Any]:
        p = self.p
        cmd = [
            sys.executable, "-m", "bench.node.pyload", "--target", srv.address,
            "--workload", workload, "--concurrency", str(concurrency), "--keys", str(p.keys),
            "--key-size", str(p.key_size), "--value-size", str(p.value_size),
            "--warmup", str(p.warmup), "--duration", str(p.duration),
            "--server-pid", str(srv.pid),
        ]  # fmt: skip
        r = _json_run(cmd, p.warmup + p.duration + 120)
        r["generator"] = "python"
        return r


def _python_load(srv: S.Server, p: Params) -> None:
    """Readiness and preload without the native generator (kvstore only): the sync client."""
    import kvstore
    from kvstore.client import UnavailableError

    from .pyload import key_of

    env_deadline = S.START_TIMEOUT
    with kvstore.Client(srv.address, timeout=env_deadline, retries=50) as db:
        try:
            db.get(b"ping")
        except UnavailableError as e:
            raise RuntimeError(f"kvstore not reachable at {srv.address}: {e}") from None
        value = b"v" * p.value_size
        batch_size = 500
        for start in range(0, p.keys, batch_size):
            with db.write_batch() as b:
                for i in range(start, min(p.keys, start + batch_size)):
                    b.put(key_of(i, p.key_size), value)


def run_system(
    name: str, p: Params, gens: Generators, base: Path, progress: Progress
) -> dict[str, Any]:
    res: dict[str, Any] = {"ok": False, "durability": S.DURABILITY[name], "runs": []}
    why = S.missing(name)
    if why is None and gens.native is None and name != "kvstore":
        why = "the native generator (node_load) is not built; only kvstore runs without it"
    if why is not None:
        res["skipped"] = why
        progress(f"{name}: skipped: {why}")
        return res
    res["version"] = S.version(name)
    srv = S.Server(name, base / name)
    try:
        srv.start()
        res["command"] = srv.command
        progress(f"{name}: listening on {srv.address} (pid {srv.pid})")
        if gens.native is not None:
            ping = gens.native_run(srv, "ping", 1)
            if ping["exit_code"] != 0:
                raise RuntimeError(f"{name} did not answer: {ping['first_error']}")
            load = gens.native_run(srv, "load", p.load_concurrency)
            if load["exit_code"] != 0:
                raise RuntimeError(f"{name} load failed: {load['first_error']}")
            res["load"] = load
            progress(f"{name}: loaded {p.keys} keys at {load['ops_per_s']:.0f}/s")
            for workload in WORKLOADS:
                for c in p.concurrency:
                    r = gens.native_run(srv, workload, c)
                    res["runs"].append(r)
                    progress(_line(name, r))
        elif name == "kvstore":
            _python_load(srv, p)
            progress(f"{name}: loaded {p.keys} keys (Python client; no native generator)")
        if name == "kvstore" and p.python:
            for workload in WORKLOADS:
                for c in p.python_concurrency:
                    r = gens.python_run(srv, workload, c)
                    res["runs"].append(r)
                    progress(_line(name, r))
        res["disk_bytes"] = srv.disk_bytes()
        res["ok"] = all(r["exit_code"] == 0 for r in res["runs"]) and bool(res["runs"])
        if not res["ok"]:
            res["error"] = "; ".join(
                r["first_error"] or f"exit {r['exit_code']}" for r in res["runs"]
                if r["exit_code"] != 0
            ) or "no runs"  # fmt: skip
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as e:
        res["error"] = str(e)
        if srv.log_path is not None and srv.log_path.exists():
            res["log_tail"] = srv.log_path.read_text(errors="replace")[-3000:]
        progress(f"{name}: failed: {e}")
    finally:
        res["exit_code"] = srv.stop()
    return res


def _line(name: str, r: dict[str, Any]) -> str:
    return (
        f"{name:8s} {r['generator']:6s} {r['workload']:3s} c={r['concurrency']:<4d} "
        f"{r['ops_per_s']:9.0f} ops/s  p50 {r['p50_us']:8.0f} µs  p99 {r['p99_us']:8.0f} µs  "
        f"cpu/op client {r['client_cpu_per_op_us']:6.1f} µs server {r['server_cpu_per_op_us']:6.1f} µs"
    )


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """kvstore / peer per workload and concurrency, native generator, same run."""

    def runs(name: str) -> dict[tuple[str, int], dict[str, Any]]:
        s = results["systems"].get(name, {})
        return {
            (r["workload"], r["concurrency"]): r
            for r in s.get("runs", []) if r["generator"] == "native" and r["exit_code"] == 0
        }  # fmt: skip

    kv = runs("kvstore")
    out: dict[str, Any] = {}
    for peer in ("etcd", "redis"):
        pr = runs(peer)
        for (w, c), r in kv.items():
            if (w, c) not in pr or pr[(w, c)]["ops_per_s"] <= 0:
                continue
            q = pr[(w, c)]
            out.setdefault(w, {}).setdefault(str(c), {})[peer] = {
                "throughput": r["ops_per_s"] / q["ops_per_s"],
                "p99": r["p99_us"] / q["p99_us"] if q["p99_us"] else None,
                "p50": r["p50_us"] / q["p50_us"] if q["p50_us"] else None,
            }
    return out


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, checked against this run's ratios."""
    rt = results["ratios"]
    checks: list[dict[str, Any]] = []
    for w, need in (("put", 2.0), ("get", 2.0)):
        for c in ("64", "256"):
            e = rt.get(w, {}).get(c, {}).get("etcd")
            if e:
                checks.append({"target": f"{w} c={c}: ≥ {need:g}× etcd", "value": e["throughput"],
                               "met": e["throughput"] >= need})  # fmt: skip
                checks.append({"target": f"{w} c={c}: p99 ≤ etcd's", "value": e["p99"],
                               "met": e["p99"] is not None and e["p99"] <= 1.0})  # fmt: skip
            r = rt.get(w, {}).get(c, {}).get("redis")
            if r:
                checks.append({"target": f"{w} c={c}: ≥ 1/1.5 of Redis", "value": r["throughput"],
                               "met": r["throughput"] >= 1 / 1.5})  # fmt: skip
    return checks


def run_suite(p: Params, native: Path | None, progress: Progress) -> dict[str, Any]:
    info = machine_info()
    results: dict[str, Any] = {
        "kind": "kvstore-node-bench",
        "machine": info,
        "params": p.as_dict(),
        "generator": str(native) if native else None,
        "durability": {n: S.DURABILITY[n] for n in p.systems},
        "systems": {},
    }
    gens = Generators(p, native)
    base = Path(tempfile.mkdtemp(prefix="kvstore-node-bench-", dir=p.data_dir))
    try:
        for name in p.systems:
            results["systems"][name] = run_system(name, p, gens, base, progress)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    info["load_average_at_end"] = list(os.getloadavg())
    info["versions"] = {n: s.get("version", "not run") for n, s in results["systems"].items()}
    results["ratios"] = ratios(results)
    results["targets"] = targets(results)
    return results
