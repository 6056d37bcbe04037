"""Smoke test of the gRPC floor runner (bench/node/floor.py) in --quick mode.

Needs the native programs (build/nodebench/node_load and grpc_floor, CMake -DKVSTORE_BENCH=ON);
skipped without them. Checks that the outputs exist and parse, never a timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "nodebench"

pytestmark = pytest.mark.skipif(
    not (BUILD / "node_load").is_file() or not (BUILD / "grpc_floor").is_file(),
    reason="node_load / grpc_floor not built (-DKVSTORE_BENCH=ON)",
)


def test_quick_floor_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    args = ["--quick", "--generator", str(BUILD / "node_load"), "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "bench.node.floor", *args, "--data-dir", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.loads((out / "floor.json").read_text())
    assert res["kind"] == "kvstore-grpc-floor"
    servers = {r["server"] for r in res["matrix"]}
    assert {"floor-callback", "floor-cq", "node"} <= servers
    for r in res["matrix"] + res["knobs"]:
        assert r["exit_code"] == 0 and r["ops"] > 0 and r["errors"] == 0, r
        if r.get("server", "").startswith("floor") or "knob" in r:
            assert r["misses"] == 0, r  # the floor's Get always finds its fixed value
    md = (out / "floor.md").read_text()
    assert "## Summary" in md and "floor-cq" in md and "## Knobs" in md
