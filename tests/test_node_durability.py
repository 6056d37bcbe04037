"""SIGKILL of the node during acknowledged durable writes loses none of them.

Writers keep many durable Puts and Writes in flight (so the engine's group commit is
exercised), record every acknowledged one, and the node is SIGKILLed mid-stream. After a
restart over the same directory every acknowledged write must be present with its value.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import grpc
import grpc.aio
from kvstore._proto.kvstore.v1 import kv_pb2, kv_pb2_grpc
from node_proc import ServeProcess

M = kv_pb2.Mutation


async def _write_until_killed(
    proc: ServeProcess, round_no: int, acked: dict[bytes, bytes], writers: int = 32
) -> None:
    """Runs writers; SIGKILLs the node once enough writes were acknowledged."""
    async with grpc.aio.insecure_channel(proc.address) as ch:
        stub = kv_pb2_grpc.KVStub(ch)
        enough = asyncio.Event()

        async def writer(w: int) -> None:
            i = 0
            while True:
                key = b"r%d:w%02d:%06d" % (round_no, w, i)
                value = b"value-%d-%d-%d" % (round_no, w, i)
                try:
                    if i % 4 == 3:  # every fourth: a two-key atomic batch
                        twin = key + b":twin"
                        await stub.Write(
                            kv_pb2.WriteRequest(
                                mutations=[
                                    M(put=M.Put(key=key, value=value)),
                                    M(put=M.Put(key=twin, value=value)),
                                ]
                            ),
                            timeout=30,
                        )
                        acked[twin] = value
                    else:
                        await stub.Put(kv_pb2.PutRequest(key=key, value=value), timeout=30)
                except grpc.aio.AioRpcError:
                    return  # the node is gone: this write was never acknowledged
                acked[key] = value
                i += 1
                if len(acked) >= 400 * (round_no + 1):
                    enough.set()

        tasks = [asyncio.create_task(writer(w)) for w in range(writers)]
        await enough.wait()
        assert proc.proc is not None
        proc.proc.send_signal(signal.SIGKILL)  # writes still in flight
        await asyncio.gather(*tasks)
        proc.proc.wait()


def test_sigkill_loses_no_acknowledged_write(tmp_path: Path) -> None:
    proc = ServeProcess(tmp_path / "data")
    acked: dict[bytes, bytes] = {}
    try:
        for round_no in range(3):
            proc.start()
            asyncio.run(_write_until_killed(proc, round_no, acked))
            assert proc.proc is not None and proc.proc.returncode == -signal.SIGKILL
        proc.start()
        with proc.channel() as ch:
            stub = kv_pb2_grpc.KVStub(ch)
            keys = sorted(acked)
            missing = []
            for start in range(0, len(keys), 1000):
                chunk = keys[start : start + 1000]
                resp = stub.MultiGet(kv_pb2.MultiGetRequest(keys=chunk), timeout=30)
                for k, v in zip(chunk, resp.values):
                    if not v.found or v.value != acked[k]:
                        missing.append(k)
            assert not missing, (
                f"{len(missing)} of {len(keys)} acknowledged writes lost: {missing[:5]}"
            )
            # Batches are atomic: a twin is present exactly when its first key is.
            scan = [e.key for m in stub.Scan(kv_pb2.ScanRequest(keys_only=True)) for e in m.entries]
            present = set(scan)
            for k in present:
                if k.endswith(b":twin"):
                    assert k[: -len(b":twin")] in present
    finally:
        proc.stop()
