#!/usr/bin/env python3
"""Generates the Python gRPC stubs of kvstore's API from proto/ into python/kvstore/_proto.

Usage (from the repository root, with grpcio-tools installed, e.g. `pip install ".[test]"`):

    .venv/bin/python scripts/gen_proto.py            # regenerate the committed stubs
    .venv/bin/python scripts/gen_proto.py --out DIR  # generate elsewhere (the drift test does)

The output is committed. protoc writes imports as `from kvstore.v1 import kv_pb2`, which
would resolve against the `kvstore` package itself; they are rewritten to relative imports
(`from . import kv_pb2`) so `kvstore._proto` is self-contained. tests/test_proto_stubs.py
regenerates into a temporary directory and fails if the committed files differ.

The stubs pin their runtime: the generated code checks grpcio >= GRPCIO_TOOLS_VERSION and
the protobuf version bundled with grpcio-tools, so a change of GRPCIO_TOOLS_VERSION goes
together with the `grpcio`, `protobuf` and `grpcio-tools` pins in pyproject.toml.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
DEFAULT_OUT = ROOT / "python" / "kvstore" / "_proto"
PROTO_FILES = ("kvstore/v1/kv.proto", "kvstore/v1/admin.proto")
GRPCIO_TOOLS_VERSION = "1.85.1"

_PACKAGE_DOCS = {
    "": "Generated gRPC stubs of kvstore's API (proto/). Regenerate with scripts/gen_proto.py.",
    "kvstore": "Generated from proto/kvstore/ by scripts/gen_proto.py. Do not edit.",
    "kvstore/v1": "Generated from proto/kvstore/v1/ by scripts/gen_proto.py. Do not edit.",
}

# `from kvstore.v1 import kv_pb2 as alias` -> `from . import kv_pb2 as alias`
_IMPORT_RE = re.compile(r"^from kvstore\.v1 import (\w+_pb2) as ", re.MULTILINE)


def generate(out: Path) -> list[Path]:
    """Writes the stubs under out (replacing what is there); returns the files written."""
    from grpc_tools import protoc  # imported here so --help works without grpcio-tools

    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *PROTO_FILES,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("gen_proto: protoc failed")
        if out.exists():
            shutil.rmtree(out)
        written: list[Path] = []
        for rel, doc in _PACKAGE_DOCS.items():
            pkg = out / rel
            pkg.mkdir(parents=True, exist_ok=True)
            init = pkg / "__init__.py"
            init.write_text(f'"""{doc}"""\n')
            written.append(init)
        for src in sorted((Path(tmp) / "kvstore" / "v1").iterdir()):
            text = _IMPORT_RE.sub(r"from . import \1 as ", src.read_text())
            dest = out / "kvstore" / "v1" / src.name
            dest.write_text(text)
            written.append(dest)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    ns = parser.parse_args(argv)
    try:
        tools_version = importlib.metadata.version("grpcio-tools")
    except importlib.metadata.PackageNotFoundError:
        print("gen_proto: grpcio-tools is not installed", file=sys.stderr)
        return 1
    if tools_version != GRPCIO_TOOLS_VERSION:
        print(
            f"gen_proto: grpcio-tools {tools_version} is installed, the stubs are generated "
            f"with {GRPCIO_TOOLS_VERSION} (pip install grpcio-tools=={GRPCIO_TOOLS_VERSION})",
            file=sys.stderr,
        )
        return 1
    for path in generate(ns.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
