"""The client verbs of the `kvstore` command: get, put, delete, scan, status."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from kvstore.cli import main
from node_harness import Node, free_port


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp = tmp_path_factory.mktemp("node")
    n = Node(tmp / "data", tmp / "node.log").start()
    try:
        yield n
    finally:
        n.stop()


def cli(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_put_get_delete(node: Node) -> None:
    a = ("--addr", node.address)
    assert cli("put", "greeting", "hello", *a).output == "OK\n"
    r = cli("get", "greeting", *a)
    assert (r.exit_code, r.stdout) == (0, "hello\n")
    assert cli("delete", "greeting", *a).exit_code == 0
    r = cli("get", "greeting", *a)
    assert r.exit_code == 1
    assert "not found" in r.stderr


def test_json_output_parses(node: Node) -> None:
    a = ("--addr", node.address, "--json")
    assert json.loads(cli("put", "j:1", "one", *a).stdout) == {"key": "j:1", "ok": True}
    cli("put", "j:2", "two", "--no-sync", *a)
    assert json.loads(cli("get", "j:1", *a).stdout) == {"key": "j:1", "found": True, "value": "one"}
    r = cli("get", "j:9", *a)
    assert r.exit_code == 1
    assert json.loads(r.stdout)["found"] is False
    rows = json.loads(cli("scan", "--prefix", "j:", *a).stdout)
    assert rows == [{"key": "j:1", "value": "one"}, {"key": "j:2", "value": "two"}]
    rows = json.loads(cli("scan", "--prefix", "j:", "--reverse", "--keys-only", *a).stdout)
    assert rows == [{"key": "j:2"}, {"key": "j:1"}]
    assert json.loads(cli("scan", "--prefix", "nothing", *a).stdout) == []
    st = json.loads(cli("status", *a).stdout)
    assert {"node_id", "version", "levels", "engine_stats"} <= set(st)


def test_scan_ranges_and_plain_output(node: Node) -> None:
    a = ("--addr", node.address)
    for i in range(5):
        cli("put", f"s:{i}", f"v{i}", *a)
    r = cli("scan", "--start", "s:1", "--stop", "s:4", *a)
    assert r.stdout.splitlines() == ["s:1\tv1", "s:2\tv2", "s:3\tv3"]
    r = cli("scan", "--prefix", "s:", "--limit", "2", "--reverse", "--keys-only", *a)
    assert r.stdout.splitlines() == ["s:4", "s:3"]


def test_status_table(node: Node) -> None:
    r = cli("status", "--addr", node.address)
    assert r.exit_code == 0
    assert "node_id" in r.stdout and "uptime_seconds" in r.stdout


def test_hex_and_base64_encodings(node: Node) -> None:
    a = ("--addr", node.address)
    assert cli("put", "00ff", "deadbeef", "-e", "hex", *a).exit_code == 0
    assert cli("get", "AP8=", "-e", "base64", *a).stdout == "3q2+7w==\n"
    assert cli("get", "00ff", "--encoding", "hex", *a).stdout == "deadbeef\n"
    r = cli("get", "\x00\xff", *a)  # utf-8 text of other bytes: not the same key
    assert r.exit_code == 1
    r = cli("get", "zz", "-e", "hex", *a)
    assert r.exit_code == 2
    assert "not valid hex" in r.stderr


def test_value_from_stdin(node: Node) -> None:
    a = ("--addr", node.address)
    assert cli("put", "stdin", "-", *a, input=b"from\nstdin").exit_code == 0
    assert cli("get", "stdin", *a).stdout == "from\nstdin\n"


def test_argument_errors_are_one_line() -> None:
    r = cli("get", "k", "--addr", "no-port")
    assert r.exit_code == 2
    assert "HOST:PORT" in r.stderr
    r = cli("scan", "--limit", "-1")
    assert r.exit_code == 2
    r = cli("put", "k")
    assert r.exit_code == 2
    r = cli("get", "k", "--token-file", "/nonexistent/token")
    assert r.exit_code == 2


def test_node_refusals_are_one_line(node: Node) -> None:
    r = cli("put", "", "v", "--addr", node.address)  # the empty key
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("error: ")


def test_down_node_is_a_one_line_error_without_traceback(tmp_path: Path) -> None:
    addr = f"127.0.0.1:{free_port()}"
    proc = subprocess.run(
        [sys.executable, "-m", "kvstore", "get", "k", "--addr", addr, "--timeout", "5"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: kvstore node at") and "unavailable" in lines[0]


def test_token_file(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t0ken\n")
    n = Node(tmp_path / "data", tmp_path / "node.log", ["--auth-token-file", str(token)])
    n.start()
    try:
        a = ("--addr", n.address)
        assert cli("put", "k", "v", *a, "--token-file", str(token)).exit_code == 0
        r = cli("get", "k", *a)
        assert r.exit_code == 3
        assert "refused the credentials" in r.stderr
    finally:
        n.stop()
