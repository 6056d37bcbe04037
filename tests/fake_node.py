"""TEST DOUBLE: a small Python stand-in for the kvstore node, for the client tests only.

It serves kvstore's gRPC API (proto/kvstore/v1) with grpc.aio over an embedded kvstore.DB,
taking the same command line as `kvstore serve` (--data-dir, --listen, --auth-token-file,
--tls-cert/--tls-key/--tls-client-ca), so tests/node_harness.py can run either. It is not
the node (that is C++, started by `kvstore serve`); the client tests use the real node
when it exists and this double otherwise, or when KVSTORE_TEST_NODE=fake.

    python tests/fake_node.py --data-dir DIR --listen 127.0.0.1:PORT
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NoReturn

import grpc
import grpc.aio
import kvstore
from kvstore._proto.kvstore.v1 import admin_pb2, admin_pb2_grpc, kv_pb2, kv_pb2_grpc

_ERRORS = [
    (kvstore.InvalidArgumentError, grpc.StatusCode.INVALID_ARGUMENT),
    (kvstore.CorruptionError, grpc.StatusCode.DATA_LOSS),
    (kvstore.NotFoundError, grpc.StatusCode.NOT_FOUND),
    (kvstore.ClosedError, grpc.StatusCode.UNAVAILABLE),
    (kvstore.Error, grpc.StatusCode.INTERNAL),
]
DEFAULT_MESSAGE_BYTES = 1 << 20


class FakeNode(kv_pb2_grpc.KVServicer, admin_pb2_grpc.AdminServicer):
    def __init__(self, db: kvstore.DB, address: str, token: str | None) -> None:
        self.db = db
        self.address = address
        self.token = token
        self.started = time.monotonic()
        self.cas_lock = asyncio.Lock()

    # --- helpers ----------------------------------------------------------------------

    async def _check(self, context: grpc.aio.ServicerContext, *keys: bytes) -> None:
        if self.token is not None:
            md = dict(context.invocation_metadata() or ())
            got = md.get("authorization")
            if got is None:
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing bearer token")
            if got != f"Bearer {self.token}":
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid bearer token")
        for key in keys:
            if not key:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "key is empty")
            if len(key) > kvstore.MAX_KEY_SIZE:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"key of {len(key)} bytes exceeds the limit of {kvstore.MAX_KEY_SIZE}",
                )

    async def _fail(self, context: grpc.aio.ServicerContext, err: kvstore.Error) -> NoReturn:
        for cls, code in _ERRORS:
            if isinstance(err, cls):
                await context.abort(code, str(err))
        raise err

    def _header(self) -> kv_pb2.ResponseHeader:
        return kv_pb2.ResponseHeader(node_id=1, sequence=self.db.stats()["last_sequence"])

    @staticmethod
    def _sync(durability: int) -> bool:
        return durability != kv_pb2.DURABILITY_ASYNC

    # --- KV ---------------------------------------------------------------------------

    async def Get(self, request: Any, context: Any) -> kv_pb2.GetResponse:
        await self._check(context, request.key)
        value = self.db.get(request.key)
        return kv_pb2.GetResponse(
            header=self._header(), found=value is not None, value=value or b""
        )

    async def MultiGet(self, request: Any, context: Any) -> kv_pb2.MultiGetResponse:
        await self._check(context, *request.keys)
        values = self.db.multi_get(list(request.keys))
        return kv_pb2.MultiGetResponse(
            header=self._header(),
            values=[kv_pb2.MaybeValue(found=v is not None, value=v or b"") for v in values],
        )

    async def Put(self, request: Any, context: Any) -> kv_pb2.PutResponse:
        await self._check(context, request.key)
        try:
            self.db.put(request.key, request.value, sync=self._sync(request.durability))
        except kvstore.Error as err:
            await self._fail(context, err)
        return kv_pb2.PutResponse(header=self._header())

    async def Delete(self, request: Any, context: Any) -> kv_pb2.DeleteResponse:
        await self._check(context, request.key)
        self.db.delete(request.key, sync=self._sync(request.durability))
        return kv_pb2.DeleteResponse(header=self._header())

    async def Write(self, request: Any, context: Any) -> kv_pb2.WriteResponse:
        keys = [getattr(m, m.WhichOneof("op")).key for m in request.mutations]
        await self._check(context, *keys)
        batch = kvstore.WriteBatch()
        for m in request.mutations:
            if m.WhichOneof("op") == "put":
                batch.put(m.put.key, m.put.value)
            else:
                batch.delete(m.delete.key)
        try:
            self.db.write(batch, sync=self._sync(request.durability))
        except kvstore.Error as err:
            await self._fail(context, err)
        return kv_pb2.WriteResponse(header=self._header())

    async def Scan(self, request: Any, context: Any) -> AsyncIterator[kv_pb2.ScanResponse]:
        await self._check(context)
        cap = request.max_bytes_per_message or DEFAULT_MESSAGE_BYTES
        it = self.db.items(
            request.start if request.HasField("start") else None,
            request.stop if request.HasField("stop") else None,
            prefix=request.prefix or None,
            reverse=request.reverse,
        )
        entries: list[kv_pb2.KeyValue] = []
        size = sent = 0
        for key, value in it:
            if request.keys_only:
                value = b""
            entries.append(kv_pb2.KeyValue(key=key, value=value))
            size += len(key) + len(value)
            sent += 1
            if size >= cap:
                yield kv_pb2.ScanResponse(header=self._header(), entries=entries)
                entries, size = [], 0
            if request.limit and sent >= request.limit:
                break
        if entries or sent == 0:
            yield kv_pb2.ScanResponse(header=self._header(), entries=entries)

    async def CompareAndSwap(self, request: Any, context: Any) -> kv_pb2.CompareAndSwapResponse:
        await self._check(context, request.key)
        async with self.cas_lock:
            current = self.db.get(request.key)
            expected = request.expected if request.HasField("expected") else None
            if current != expected:
                return kv_pb2.CompareAndSwapResponse(
                    header=self._header(),
                    applied=False,
                    found=current is not None,
                    current_value=current or b"",
                )
            sync = self._sync(request.durability)
            try:
                if request.HasField("new_value"):
                    self.db.put(request.key, request.new_value, sync=sync)
                else:
                    self.db.delete(request.key, sync=sync)
            except kvstore.Error as err:
                await self._fail(context, err)
            new = request.new_value if request.HasField("new_value") else None
            return kv_pb2.CompareAndSwapResponse(
                header=self._header(), applied=True, found=new is not None, current_value=new or b""
            )

    # --- Admin ------------------------------------------------------------------------

    async def Status(self, request: Any, context: Any) -> admin_pb2.StatusResponse:
        await self._check(context)
        stats = self.db.stats()
        return admin_pb2.StatusResponse(
            header=self._header(),
            node_id=1,
            address=self.address,
            version=f"{kvstore.__version__} (test double)",
            uptime_seconds=time.monotonic() - self.started,
            data_bytes=stats.get("disk_bytes", 0),
            levels=[
                admin_pb2.LevelStatus(files=lv["files"], bytes=lv["bytes"])
                for lv in stats["levels"]
            ],
            engine_stats={k: v for k, v in stats.items() if isinstance(v, int)},
        )


async def serve(args: argparse.Namespace) -> None:
    token = args.auth_token_file.read_text().strip() if args.auth_token_file else None
    with kvstore.DB(args.data_dir) as db:
        server = grpc.aio.server(
            options=[("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)]
        )
        node = FakeNode(db, args.listen, token)
        kv_pb2_grpc.add_KVServicer_to_server(node, server)
        admin_pb2_grpc.add_AdminServicer_to_server(node, server)
        if args.tls_cert:
            creds = grpc.ssl_server_credentials(
                [(args.tls_key.read_bytes(), args.tls_cert.read_bytes())],
                root_certificates=args.tls_client_ca.read_bytes() if args.tls_client_ca else None,
                require_client_auth=args.tls_client_ca is not None,
            )
            server.add_secure_port(args.listen, creds)
        else:
            server.add_insecure_port(args.listen)
        await server.start()
        print(f"fake node listening on {args.listen}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.stop(grace=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description="test double of `kvstore serve`")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--listen", default="127.0.0.1:7379")
    parser.add_argument("--auth-token-file", type=Path)
    parser.add_argument("--tls-cert", type=Path)
    parser.add_argument("--tls-key", type=Path)
    parser.add_argument("--tls-client-ca", type=Path)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
