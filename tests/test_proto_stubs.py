"""The committed gRPC stubs (python/kvstore/_proto) match what scripts/gen_proto.py makes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "python" / "kvstore" / "_proto"
SCRIPT = ROOT / "scripts" / "gen_proto.py"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_committed_stubs_match_the_proto_files(tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools", reason="grpcio-tools (the test extra) is not installed")
    out = tmp_path / "_proto"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    fresh, committed = _tree(out), _tree(COMMITTED)
    assert sorted(fresh) == sorted(committed), "stub files differ: run scripts/gen_proto.py"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale generated stubs {stale}: run scripts/gen_proto.py and commit"


def test_stubs_are_self_contained() -> None:
    # Imports inside the stubs are relative, so they never resolve against the kvstore package.
    for path in COMMITTED.rglob("*.py*"):
        text = path.read_text()
        assert "from kvstore.v1" not in text, path
        assert "import kvstore.v1" not in text, path
