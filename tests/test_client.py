"""kvstore.Client beyond the API shared with DB: compare-and-swap, status, scans with a
limit, error mapping, retries and deadlines, auth, TLS, and the lazy grpc import."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import kvstore
import pytest
from kvstore.client import _common
from node_harness import Node, free_port, running_node


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp = tmp_path_factory.mktemp("node")
    n = Node(tmp / "data", tmp / "node.log").start()
    try:
        yield n
    finally:
        n.stop()


@pytest.fixture
def client(node: Node) -> Iterator[kvstore.Client]:
    with kvstore.Client(node.address, timeout=20) as c:
        keys = list(c.keys())
        with c.write_batch() as batch:
            for key in keys:
                batch.delete(key)
        yield c


# --- DB -> Client: the constructor line is the only change --------------------------------

APP = textwrap.dedent(
    """
    with OPEN as db:
        db.put(b"user:1", b"ada")
        db[b"user:2"] = b"grace"
        with db.write_batch() as batch:
            batch.put(b"user:3", b"edsger")
            batch.delete(b"user:1")
        result = (
            db.get(b"user:1", b"missing"),
            db.multi_get([b"user:2", b"user:9"]),
            list(db.items(prefix=b"user:", reverse=True)),
            b"user:3" in db,
        )
    """
)


def test_code_for_db_runs_against_client(node: Node, tmp_path: Path) -> None:
    results = []
    for open_line in (f"kvstore.DB({str(tmp_path / 'db')!r})", f"kvstore.Client({node.address!r})"):
        scope: dict[str, Any] = {"kvstore": kvstore}
        exec(APP.replace("OPEN", open_line), scope)  # noqa: S102 - the test is the point
        results.append(scope["result"])
    assert (
        results[0]
        == results[1]
        == (
            b"missing",
            [b"grace", None],
            [(b"user:3", b"edsger"), (b"user:2", b"grace")],
            True,
        )
    )


# --- client-only verbs --------------------------------------------------------------------


def test_compare_and_swap(client: kvstore.Client) -> None:
    assert client.compare_and_swap(b"k", None, b"1") == (True, b"1")  # absent -> create
    assert client.compare_and_swap(b"k", None, b"2") == (False, b"1")  # not absent
    assert client.compare_and_swap(b"k", b"x", b"2") == (False, b"1")  # wrong expectation
    assert client.compare_and_swap(b"k", b"1", b"2") == (True, b"2")
    assert client.get(b"k") == b"2"
    assert client.compare_and_swap(b"k", b"2", None) == (True, None)  # delete
    assert client.get(b"k") is None
    assert client.compare_and_swap(b"k", b"2", b"3") == (False, None)  # absent now
    with pytest.raises(TypeError, match="expected must be bytes-like"):
        client.compare_and_swap(b"k", "2", b"3")


def test_status_and_stats(client: kvstore.Client, node: Node) -> None:
    client.put(b"a", b"1")
    st = client.status()
    assert {"node_id", "address", "version", "uptime_seconds", "data_bytes", "levels"} <= set(st)
    assert st["uptime_seconds"] >= 0
    assert isinstance(st["engine_stats"], dict)
    assert all(isinstance(v, int) for v in st["engine_stats"].values())
    assert "levels" in client.stats()


def test_scan_limit_and_keys_only(client: kvstore.Client) -> None:
    with client.write_batch() as b:
        for i in range(30):
            b.put(b"k%02d" % i, b"v%02d" % i)
    assert list(client.keys(limit=3)) == [b"k00", b"k01", b"k02"]
    assert list(client.items(b"k10", limit=2, reverse=True)) == [(b"k29", b"v29"), (b"k28", b"v28")]
    assert list(client.values(prefix=b"k2", limit=1)) == [b"v20"]
    with pytest.raises(ValueError):
        client.keys(limit=-1)


def test_closing_a_stream_midway_leaves_the_node_serving(client: kvstore.Client) -> None:
    with client.write_batch() as b:
        for i in range(3000):
            b.put(b"r%05d" % i, b"x" * 1000)
    with client.items() as it:
        assert next(it)[0] == b"r00000"
    assert it.closed
    assert list(it) == []
    assert client.get(b"r02999") == b"x" * 1000
    assert len(list(client.keys(prefix=b"r01"))) == 1000


def test_write_accepts_only_client_batches(client: kvstore.Client) -> None:
    batch = kvstore.client.WriteBatch()
    batch.put(b"a", b"1")
    batch.delete(b"b")
    assert list(batch) == [("put", b"a", b"1"), ("delete", b"b", None)]
    client.write(batch, sync=False)
    assert client.get(b"a") == b"1"
    with pytest.raises(TypeError, match="kvstore.client.WriteBatch"):
        client.write(kvstore.WriteBatch())


def test_empty_key_is_refused_by_the_node(client: kvstore.Client) -> None:
    # The embedded DB accepts the empty key; the node's API refuses it (kv.proto).
    with pytest.raises(kvstore.InvalidArgumentError):
        client.put(b"", b"v")


def test_client_arguments_are_checked() -> None:
    with pytest.raises(TypeError):
        kvstore.Client(7379)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        kvstore.Client("127.0.0.1:1", timeout=0)
    with pytest.raises(ValueError):
        kvstore.Client("127.0.0.1:1", retries=-1)
    with pytest.raises(ValueError):
        kvstore.Client("127.0.0.1:1", token="a\nb")
    with pytest.raises(ValueError):
        kvstore.client.TLSConfig(client_cert="c.pem")


# --- error mapping ------------------------------------------------------------------------


class _FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


@pytest.mark.parametrize(
    "code, cls",
    [
        (grpc.StatusCode.INVALID_ARGUMENT, kvstore.InvalidArgumentError),
        (grpc.StatusCode.NOT_FOUND, kvstore.NotFoundError),
        (grpc.StatusCode.DATA_LOSS, kvstore.CorruptionError),
        (grpc.StatusCode.INTERNAL, kvstore.IOError),
        (grpc.StatusCode.UNIMPLEMENTED, kvstore.NotSupportedError),
        (grpc.StatusCode.UNAVAILABLE, kvstore.UnavailableError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, kvstore.OverloadedError),
        (grpc.StatusCode.UNAUTHENTICATED, kvstore.AuthError),
        (grpc.StatusCode.PERMISSION_DENIED, kvstore.AuthError),
        (grpc.StatusCode.DEADLINE_EXCEEDED, kvstore.DeadlineExceededError),
        (grpc.StatusCode.ABORTED, kvstore.RemoteError),
        (grpc.StatusCode.UNKNOWN, kvstore.RemoteError),
    ],
)
def test_status_codes_map_to_kvstore_errors(code: grpc.StatusCode, cls: type) -> None:
    err = _common.map_error(_FakeRpcError(code, "why"), "h:1")
    assert type(err) is cls
    assert isinstance(err, kvstore.Error)
    assert err.code == code.name  # type: ignore[attr-defined]
    assert "why" in str(err) or cls is kvstore.DeadlineExceededError


def test_only_never_sent_failures_retry_non_idempotent_calls() -> None:
    refused = _FakeRpcError(
        grpc.StatusCode.UNAVAILABLE,
        "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: "
        "Failed to connect to remote host: Connection refused",
    )
    reset = _FakeRpcError(grpc.StatusCode.UNAVAILABLE, "Socket closed")
    invalid = _FakeRpcError(grpc.StatusCode.INVALID_ARGUMENT, "bad")
    assert _common.should_retry(refused, idempotent=False)
    assert _common.should_retry(reset, idempotent=True)
    assert not _common.should_retry(reset, idempotent=False)
    assert not _common.should_retry(invalid, idempotent=True)


# --- retries and deadlines ----------------------------------------------------------------


def test_down_node_fails_fast_with_a_clear_error() -> None:
    start = time.monotonic()
    with kvstore.Client(f"127.0.0.1:{free_port()}", timeout=3, retries=2) as c:
        with pytest.raises(kvstore.UnavailableError, match="unavailable .*tried 3 times"):
            c.get(b"k")
        with pytest.raises(ConnectionError):  # UnavailableError is also a ConnectionError
            list(c.items())
        with pytest.raises(kvstore.UnavailableError):
            c.compare_and_swap(b"k", None, b"v")
    assert time.monotonic() - start < 3 * 3


def test_retries_stop_at_the_deadline() -> None:
    timeout = 1.0
    start = time.monotonic()
    addr = f"127.0.0.1:{free_port()}"
    with (
        kvstore.Client(addr, timeout=timeout, retries=1000) as c,
        pytest.raises(kvstore.UnavailableError),
    ):
        c.get(b"k")
    assert time.monotonic() - start <= timeout + 0.5


def test_silent_peer_fails_within_the_deadline() -> None:
    # A socket that listens but never speaks HTTP/2.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        addr = f"127.0.0.1:{sock.getsockname()[1]}"
        start = time.monotonic()
        with (
            kvstore.Client(addr, timeout=0.5) as c,
            pytest.raises((kvstore.DeadlineExceededError, kvstore.UnavailableError)),
        ):
            c.get(b"k")
        assert time.monotonic() - start < 5


def test_slow_answer_hits_the_deadline() -> None:
    # An in-test gRPC server whose Get never answers before the client gives up.
    release = threading.Event()

    def hang(request: bytes, context: grpc.ServicerContext) -> bytes:
        release.wait(10)
        return b""

    handler = grpc.method_handlers_generic_handler(
        "kvstore.v1.KV", {"Get": grpc.unary_unary_rpc_method_handler(hang)}
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        start = time.monotonic()
        with kvstore.Client(f"127.0.0.1:{port}", timeout=0.5) as c:
            with pytest.raises(kvstore.DeadlineExceededError, match="deadline exceeded"):
                c.get(b"k")
            with pytest.raises(TimeoutError):  # DeadlineExceededError is also a TimeoutError
                c.get(b"k")
        assert 0.9 <= time.monotonic() - start < 5
    finally:
        release.set()
        server.stop(None)


def test_idempotent_calls_ride_out_a_node_restart(tmp_path: Path) -> None:
    with running_node(tmp_path) as n, kvstore.Client(n.address, timeout=60, retries=100) as c:
        c.put(b"before", b"1")
        n.stop()
        with pytest.raises(kvstore.UnavailableError):
            kvstore.Client(n.address, retries=0).get(b"before")
        # A call that starts while the node is down succeeds once it is back.
        results: dict[str, Any] = {}

        def reader() -> None:
            try:
                results["get"] = c.get(b"before")
                batch = kvstore.client.WriteBatch()
                batch.put(b"after", b"2")
                c.write(batch)  # never sent while down, so retried too
                results["write"] = True
            except kvstore.Error as e:  # reported below
                results["error"] = e

        t = threading.Thread(target=reader)
        t.start()
        n.start()
        t.join(timeout=60)
        assert not t.is_alive()
        assert results == {"get": b"1", "write": True}
        assert c.get(b"after") == b"2"


# --- auth and TLS -------------------------------------------------------------------------


def test_token_auth(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\n")
    with running_node(tmp_path, ["--auth-token-file", str(token_file)]) as n:
        with kvstore.Client(n.address, token="s3cret") as c:
            c.put(b"a", b"1")
            assert c.get(b"a") == b"1"
        with kvstore.Client(n.address) as c, pytest.raises(kvstore.AuthError, match="refused"):
            c.get(b"a")
        with kvstore.Client(n.address, token="wrong") as c, pytest.raises(PermissionError):
            c.get(b"a")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    d = tmp_path_factory.mktemp("certs")
    try:
        _openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=kvstore test CA",
            cwd=d,
        )
        (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        for name in ("server", "client"):
            _openssl(
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                f"{name}.key",
                "-out",
                f"{name}.csr",
                "-subj",
                f"/CN={name}",
                cwd=d,
            )
            _openssl(
                "x509",
                "-req",
                "-in",
                f"{name}.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
                "-out",
                f"{name}.pem",
                cwd=d,
            )
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"openssl cannot make test certificates: {e}")
    return d


def test_tls_and_mutual_tls(tmp_path: Path, certs: Path) -> None:
    ca = grpc.ssl_channel_credentials(
        (certs / "ca.pem").read_bytes(),
        (certs / "client.key").read_bytes(),
        (certs / "client.pem").read_bytes(),
    )
    server_tls = ["--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key")]
    mtls = [*server_tls, "--tls-client-ca", str(certs / "ca.pem")]
    with running_node(tmp_path / "tls", server_tls, channel_credentials=ca) as n:
        tls = kvstore.client.TLSConfig(ca_cert=certs / "ca.pem")
        with kvstore.Client(n.address, tls=tls) as c:
            c.put(b"a", b"1")
            assert c.get(b"a") == b"1"
        refused = (kvstore.UnavailableError, kvstore.DeadlineExceededError)
        with kvstore.Client(n.address, timeout=2, retries=0) as c, pytest.raises(refused):
            c.get(b"a")  # plain text to a TLS port
    with running_node(tmp_path / "mtls", mtls, channel_credentials=ca) as n:
        pem = (certs / "ca.pem").read_bytes()
        good = kvstore.client.TLSConfig(pem, certs / "client.pem", certs / "client.key")
        with kvstore.Client(n.address, tls=good) as c:
            c.put(b"m", b"2")
            assert c.get(b"m") == b"2"
        no_cert = kvstore.client.TLSConfig(ca_cert=pem)
        refused = (kvstore.UnavailableError, kvstore.DeadlineExceededError)
        with (
            kvstore.Client(n.address, tls=no_cert, timeout=3, retries=0) as c,
            pytest.raises(refused),
        ):
            c.get(b"m")  # no client certificate


# --- the embedded path never imports grpcio -----------------------------------------------


def test_embedded_db_does_not_import_grpc(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        import kvstore, kvstore.cli
        with kvstore.DB({str(tmp_path / "db")!r}) as db:
            db.put(b"a", b"1")
        try:
            raise kvstore.UnavailableError("x")
        except kvstore.Error:
            pass
        assert "grpc" not in sys.modules, "grpc imported by the embedded path"
        assert kvstore.Client is not None and "grpc" in sys.modules
        print("ok")
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_closing_the_client_ends_its_scans(node: Node) -> None:
    c = kvstore.Client(node.address)
    with c.write_batch() as b:
        for i in range(3000):
            b.put(b"z%05d" % i, b"y" * 1000)
    it = c.items(prefix=b"z")
    assert next(it)[0] == b"z00000"
    c.close()
    with pytest.raises(kvstore.ClosedError):
        for _ in it:
            pass
    with pytest.raises(kvstore.ClosedError):
        c.items()
