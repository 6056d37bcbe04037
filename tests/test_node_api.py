"""The storage node over loopback: every KV RPC, headers, health, reflection, bad input,
1000 concurrent requests, a client vanishing mid-scan, graceful shutdown.

The node runs as `python -m kvstore serve` in its own process (tests/node_proc.py);
these tests talk to it with the generated grpcio stubs in kvstore._proto.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import grpc
import grpc.aio
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kvstore._proto.kvstore.v1 import admin_pb2, admin_pb2_grpc, kv_pb2, kv_pb2_grpc
from node_proc import ServeProcess

MAX_KEY = 64 * 1024


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    proc = ServeProcess(tmp_path_factory.mktemp("node") / "data").start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def kv(node: ServeProcess) -> Iterator[kv_pb2_grpc.KVStub]:
    with node.channel() as ch:
        yield kv_pb2_grpc.KVStub(ch)


def put(kv: kv_pb2_grpc.KVStub, key: bytes, value: bytes, **kw: object) -> kv_pb2.PutResponse:
    return kv.Put(kv_pb2.PutRequest(key=key, value=value, **kw), timeout=10)


def get(kv: kv_pb2_grpc.KVStub, key: bytes) -> bytes | None:
    r = kv.Get(kv_pb2.GetRequest(key=key), timeout=10)
    return r.value if r.found else None


def test_put_get_delete_multiget_with_headers(kv: kv_pb2_grpc.KVStub) -> None:
    r1 = put(kv, b"api:a", b"1")
    assert r1.header.node_id == 1 and r1.header.sequence > 0
    r2 = put(kv, b"api:b", b"2", durability=kv_pb2.DURABILITY_ASYNC)
    assert r2.header.sequence > r1.header.sequence
    g = kv.Get(kv_pb2.GetRequest(key=b"api:a"))
    assert g.found and g.value == b"1" and g.header.sequence >= r2.header.sequence
    assert get(kv, b"api:missing") is None
    kv.Delete(kv_pb2.DeleteRequest(key=b"api:a"))
    assert get(kv, b"api:a") is None
    mg = kv.MultiGet(kv_pb2.MultiGetRequest(keys=[b"api:a", b"api:b", b"api:b"]))
    assert [(v.found, v.value) for v in mg.values] == [(False, b""), (True, b"2"), (True, b"2")]


def test_write_batch_is_applied_whole(kv: kv_pb2_grpc.KVStub) -> None:
    M = kv_pb2.Mutation
    kv.Write(
        kv_pb2.WriteRequest(
            mutations=[
                M(put=M.Put(key=b"batch:1", value=b"x")),
                M(put=M.Put(key=b"batch:2", value=b"y")),
                M(delete=M.Delete(key=b"batch:1")),
            ]
        )
    )
    assert get(kv, b"batch:1") is None and get(kv, b"batch:2") == b"y"
    # One bad mutation refuses the whole batch: nothing of it is applied.
    with pytest.raises(grpc.RpcError) as e:
        kv.Write(
            kv_pb2.WriteRequest(
                mutations=[M(put=M.Put(key=b"batch:3", value=b"z")), M(put=M.Put(key=b""))]
            )
        )
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "mutations[1].put.key is empty" in e.value.details()
    assert get(kv, b"batch:3") is None
    with pytest.raises(grpc.RpcError) as e:
        kv.Write(kv_pb2.WriteRequest(mutations=[M()]))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    too_many = [M(delete=M.Delete(key=b"k%d" % i)) for i in range(10_001)]
    with pytest.raises(grpc.RpcError) as e:
        kv.Write(kv_pb2.WriteRequest(mutations=too_many))
    assert (
        e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        and "10001 mutations" in e.value.details()
    )


def test_scan_streams_in_bounded_messages(kv: kv_pb2_grpc.KVStub) -> None:
    M = kv_pb2.Mutation
    kv.Write(
        kv_pb2.WriteRequest(
            mutations=[M(put=M.Put(key=b"scan:%03d" % i, value=b"v" * 1000)) for i in range(200)]
        )
    )
    msgs = list(kv.Scan(kv_pb2.ScanRequest(prefix=b"scan:", max_bytes_per_message=10_000)))
    keys = [e.key for m in msgs for e in m.entries]
    assert keys == [b"scan:%03d" % i for i in range(200)]
    assert len(msgs) >= 20 and all(len(m.entries) <= 10 for m in msgs)
    rev = list(
        kv.Scan(kv_pb2.ScanRequest(start=b"scan:050", stop=b"scan:060", reverse=True, limit=3))
    )
    assert [e.key for m in rev for e in m.entries] == [b"scan:059", b"scan:058", b"scan:057"]
    ko = list(kv.Scan(kv_pb2.ScanRequest(prefix=b"scan:19", keys_only=True)))
    assert next((e.key, e.value) for m in ko for e in m.entries) == (b"scan:190", b"")


def test_compare_and_swap(kv: kv_pb2_grpc.KVStub) -> None:
    cas = kv.CompareAndSwap
    r = cas(kv_pb2.CompareAndSwapRequest(key=b"cas:k", new_value=b"v1"))
    assert r.applied and r.found and r.current_value == b"v1"
    r = cas(kv_pb2.CompareAndSwapRequest(key=b"cas:k", new_value=b"v2"))
    assert not r.applied and r.current_value == b"v1"
    r = cas(kv_pb2.CompareAndSwapRequest(key=b"cas:k", expected=b"v1", new_value=b"v2"))
    assert r.applied and r.current_value == b"v2"
    r = cas(kv_pb2.CompareAndSwapRequest(key=b"cas:k", expected=b"v2"))
    assert r.applied and not r.found
    assert get(kv, b"cas:k") is None


def test_status_health_and_reflection(node: ServeProcess) -> None:
    with node.channel() as ch:
        st = admin_pb2_grpc.AdminStub(ch).Status(admin_pb2.StatusRequest())
        assert st.node_id == 1 and st.address == node.address and st.version
        assert "wal_syncs" in st.engine_stats and len(st.levels) > 0
        health = health_pb2_grpc.HealthStub(ch)
        for service in ("", "kvstore.v1.KV", "kvstore.v1.Admin"):
            r = health.Check(health_pb2.HealthCheckRequest(service=service))
            assert r.status == health_pb2.HealthCheckResponse.SERVING

        from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

        refl = reflection_pb2_grpc.ServerReflectionStub(ch)
        req = reflection_pb2.ServerReflectionRequest(list_services="")
        names = {
            s.name
            for r in refl.ServerReflectionInfo(iter([req]))
            for s in r.list_services_response.service
        }
        assert {"kvstore.v1.KV", "kvstore.v1.Admin", "grpc.health.v1.Health"} <= names


@pytest.mark.parametrize(
    "key, fragment",
    [(b"", "key is empty"), (b"k" * (MAX_KEY + 1), "over the limit of 65536 bytes")],
)
def test_bad_keys_are_invalid_argument(kv: kv_pb2_grpc.KVStub, key: bytes, fragment: str) -> None:
    for call in (
        lambda: kv.Get(kv_pb2.GetRequest(key=key)),
        lambda: put(kv, key, b"v"),
        lambda: kv.Delete(kv_pb2.DeleteRequest(key=key)),
        lambda: kv.CompareAndSwap(kv_pb2.CompareAndSwapRequest(key=key)),
    ):
        with pytest.raises(grpc.RpcError) as e:
            call()
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert fragment in e.value.details()
    put(kv, b"after-bad", b"ok")  # the node keeps serving


def test_oversized_message_is_resource_exhausted(kv: kv_pb2_grpc.KVStub) -> None:
    with pytest.raises(grpc.RpcError) as e:
        put(kv, b"huge", b"v" * (65 * 1024 * 1024))
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    put(kv, b"after-huge", b"ok")
    assert get(kv, b"after-huge") == b"ok"


def test_garbage_bytes_on_the_port(node: ServeProcess, kv: kv_pb2_grpc.KVStub) -> None:
    payloads = [
        b"\x00" * 64,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        bytes(range(256)) * 16,
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\xff" * 100,
    ]
    for data in payloads:
        with socket.create_connection(("127.0.0.1", node.port), timeout=5) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            try:
                while s.recv(4096):
                    pass
            except OSError:
                pass
    put(kv, b"after-garbage", b"ok")
    assert get(kv, b"after-garbage") == b"ok"


def test_client_disconnecting_mid_scan(node: ServeProcess, kv: kv_pb2_grpc.KVStub) -> None:
    M = kv_pb2.Mutation
    kv.Write(
        kv_pb2.WriteRequest(
            mutations=[M(put=M.Put(key=b"big:%05d" % i, value=b"x" * 4000)) for i in range(2000)]
        )
    )
    for _ in range(5):
        ch = node.channel()
        stream = kv_pb2_grpc.KVStub(ch).Scan(
            kv_pb2.ScanRequest(prefix=b"big:", max_bytes_per_message=8000)
        )
        first = next(stream)
        assert first.entries
        ch.close()  # vanish mid-stream
    call = kv.Scan(kv_pb2.ScanRequest(prefix=b"big:"))
    next(call)
    call.cancel()
    assert sum(len(m.entries) for m in kv.Scan(kv_pb2.ScanRequest(prefix=b"big:"))) == 2000


def test_thousand_concurrent_requests(node: ServeProcess) -> None:
    async def main() -> list[object]:
        async with grpc.aio.insecure_channel(node.address) as ch:
            stub = kv_pb2_grpc.KVStub(ch)

            async def one(i: int) -> object:
                if i % 2 == 0:
                    return await stub.Put(
                        kv_pb2.PutRequest(key=b"conc:%d" % i, value=b"%d" % i), timeout=60
                    )
                return await stub.Get(kv_pb2.GetRequest(key=b"conc:%d" % (i - 1)), timeout=60)

            return await asyncio.gather(*(one(i) for i in range(1000)), return_exceptions=True)

    results = asyncio.run(main())
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    with node.channel() as ch:
        stub = kv_pb2_grpc.KVStub(ch)
        mg = stub.MultiGet(kv_pb2.MultiGetRequest(keys=[b"conc:%d" % i for i in range(0, 1000, 2)]))
        assert all(v.found for v in mg.values)


def test_node_process_does_not_load_grpcio(node: ServeProcess) -> None:
    assert node.proc is not None
    maps = Path(f"/proc/{node.proc.pid}/maps").read_text()
    assert "cygrpc" not in maps, "grpcio must not share a process with the C++ gRPC runtime"
    assert "libgrpc++" in maps


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_graceful_shutdown_exits_zero(tmp_path: Path, sig: int) -> None:
    proc = ServeProcess(tmp_path / "data").start()
    try:
        with proc.channel() as ch:
            put(kv_pb2_grpc.KVStub(ch), b"k", b"v")
        assert proc.stop(sig) == 0
        assert any('"node.stopped"' in line for line in proc.lines)
        proc.start()  # the LOCK was released; the data is there
        with proc.channel() as ch:
            assert get(kv_pb2_grpc.KVStub(ch), b"k") == b"v"
    finally:
        proc.stop()
