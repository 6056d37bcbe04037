"""TLS, mutual TLS and bearer-token auth on the node, accepted and refused.

Throwaway certificates are made in the test with the `cryptography` package: a CA, a
server certificate for 127.0.0.1/localhost, a client certificate from the same CA and
one from an unrelated CA.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kvstore._proto.kvstore.v1 import admin_pb2, admin_pb2_grpc, kv_pb2, kv_pb2_grpc
from node_proc import ServeProcess


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    import ipaddress

    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    b = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        b = b.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return b.sign(issuer[1] if issuer else key, hashes.SHA256())


class Pki:
    def __init__(self, root: Path) -> None:
        def pem(c: x509.Certificate) -> bytes:
            return c.public_bytes(serialization.Encoding.PEM)

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _cert("kvstore test CA", ca_key, None, ca=True)
        server_key = ec.generate_private_key(ec.SECP256R1())
        server = _cert("localhost", server_key, (ca, ca_key), server=True)
        client_key = ec.generate_private_key(ec.SECP256R1())
        client = _cert("client", client_key, (ca, ca_key))
        rogue_ca_key = ec.generate_private_key(ec.SECP256R1())
        rogue_ca = _cert("rogue CA", rogue_ca_key, None, ca=True)
        rogue_key = ec.generate_private_key(ec.SECP256R1())
        rogue = _cert("rogue", rogue_key, (rogue_ca, rogue_ca_key))

        self.ca_pem = pem(ca)
        self.client = (_pem_key(client_key), pem(client))
        self.rogue = (_pem_key(rogue_key), pem(rogue))
        self.ca_file = root / "ca.pem"
        self.cert_file = root / "server.pem"
        self.key_file = root / "server.key"
        self.ca_file.write_bytes(self.ca_pem)
        self.cert_file.write_bytes(pem(server))
        self.key_file.write_bytes(_pem_key(server_key))

    def creds(self, client: tuple[bytes, bytes] | None = None) -> grpc.ChannelCredentials:
        if client is None:
            return grpc.ssl_channel_credentials(root_certificates=self.ca_pem)
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca_pem, private_key=client[0], certificate_chain=client[1]
        )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


def _put(ch: grpc.Channel, metadata: list[tuple[str, str]] | None = None) -> None:
    kv_pb2_grpc.KVStub(ch).Put(
        kv_pb2.PutRequest(key=b"k", value=b"v"), timeout=10, metadata=metadata
    )


def _refused(ch: grpc.Channel) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as e:
        _put(ch)
    return e.value.code()


@pytest.fixture
def tls_node(tmp_path: Path, pki: Pki) -> Iterator[ServeProcess]:
    extra = ["--tls-cert", str(pki.cert_file), "--tls-key", str(pki.key_file)]
    proc = ServeProcess(tmp_path / "data", extra, credentials=pki.creds()).start()
    try:
        yield proc
    finally:
        proc.stop()


def test_tls_accepts_tls_and_refuses_plaintext(tls_node: ServeProcess, pki: Pki) -> None:
    with tls_node.channel() as ch:
        _put(ch)
    with grpc.insecure_channel(tls_node.address) as ch:
        assert _refused(ch) == grpc.StatusCode.UNAVAILABLE
    wrong_ca = grpc.ssl_channel_credentials(root_certificates=pki.rogue[1])
    with tls_node.channel(credentials=wrong_ca) as ch:
        assert _refused(ch) == grpc.StatusCode.UNAVAILABLE


def test_mtls_requires_a_client_certificate_from_the_ca(tmp_path: Path, pki: Pki) -> None:
    extra = ["--tls-cert", str(pki.cert_file), "--tls-key", str(pki.key_file)]
    extra += ["--tls-client-ca", str(pki.ca_file)]
    proc = ServeProcess(tmp_path / "data", extra, credentials=pki.creds(pki.client)).start()
    try:
        with proc.channel() as ch:
            _put(ch)
        with proc.channel(credentials=pki.creds()) as ch:  # no client certificate
            assert _refused(ch) == grpc.StatusCode.UNAVAILABLE
        with proc.channel(credentials=pki.creds(pki.rogue)) as ch:  # signed by another CA
            assert _refused(ch) == grpc.StatusCode.UNAVAILABLE
        with proc.channel() as ch:
            _put(ch)  # still serving
    finally:
        proc.stop()


def test_bearer_token(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("correct-horse-battery\n")
    proc = ServeProcess(tmp_path / "data", ["--auth-token-file", str(token_file)]).start()
    try:
        with proc.channel() as ch:
            with pytest.raises(grpc.RpcError) as e:
                _put(ch)
            assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.RpcError) as e:
                _put(ch, [("authorization", "Bearer wrong")])
            assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.RpcError) as e:
                admin_pb2_grpc.AdminStub(ch).Status(admin_pb2.StatusRequest(), timeout=10)
            assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.RpcError) as e:
                list(kv_pb2_grpc.KVStub(ch).Scan(kv_pb2.ScanRequest(), timeout=10))
            assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
            _put(ch, [("authorization", "Bearer correct-horse-battery")])
            # Health probes need no token.
            r = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert r.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        proc.stop()


def test_bad_security_settings_fail_fast(tmp_path: Path, pki: Pki) -> None:
    import subprocess
    import sys

    base = [sys.executable, "-m", "kvstore", "serve", "--data-dir", str(tmp_path / "d")]
    for extra, fragment in [
        (["--tls-cert", str(pki.cert_file)], "needs both"),
        (["--auth-token-file", str(tmp_path / "nope")], "cannot read auth token file"),
        (["--tls-cert", str(pki.cert_file), "--tls-key", str(tmp_path / "nokey")], "not found"),
    ]:
        r = subprocess.run(
            [*base, "--listen", "127.0.0.1:0", *extra],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode != 0
        assert fragment in r.stderr and "Traceback" not in r.stderr, r.stderr
