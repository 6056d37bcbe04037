"""The `kvstore` command line.

Subcommands:
    kvstore serve         run a storage node (gRPC API) over a local database
    kvstore demo [PATH]   the embedded quick start: write, read, scan, snapshot and
                          reopen a local database (default ./kvstore-data)
    kvstore get|put|delete|scan|status
                          talk to a node (--addr, default 127.0.0.1:7379); defined in
                          kvstore/_cli_client.py
"""

from __future__ import annotations

import time
from pathlib import Path

import click

import kvstore
from kvstore import _cli_client


@click.group()
@click.version_option(kvstore.__version__, prog_name="kvstore")
def main() -> None:
    """kvstore: a durable, fast LSM-tree key-value store."""


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} ops/s" if seconds > 0 else "n/a"


@main.command()
@click.argument("path", default="./kvstore-data", type=click.Path(path_type=Path))
@click.option("-n", "--count", default=200_000, show_default=True, help="keys to write")
def demo(path: Path, count: int) -> None:
    """Run the embedded quick start against the database in PATH."""
    click.echo(f"kvstore {kvstore.__version__}: embedded database in {path}")
    with kvstore.DB(path) as db:
        start = time.perf_counter()
        batch_size = 1000
        for base in range(0, count, batch_size):
            with db.write_batch() as batch:
                for i in range(base, min(base + batch_size, count)):
                    batch.put(b"user:%08d" % i, b"profile-%d" % i)
        elapsed = time.perf_counter() - start
        click.echo(f"  wrote {count:,} keys in batches of {batch_size}: {_rate(count, elapsed)}")

        db.put(b"greeting", b"hello", sync=True)
        click.echo(f"  durable put + get: greeting = {db.get(b'greeting')!r}")

        keys = [b"user:%08d" % i for i in range(0, count, max(1, count // 1000))]
        start = time.perf_counter()
        values = db.multi_get(keys)
        elapsed = time.perf_counter() - start
        assert all(v is not None for v in values)
        click.echo(f"  multi_get of {len(keys):,} keys: {_rate(len(keys), elapsed)}")

        first = list(db.items(prefix=b"user:0000000", reverse=True))
        click.echo(f"  prefix scan user:0000000*, reversed: {[k.decode() for k, _ in first]}")

        with db.snapshot() as snap:
            db.put(b"greeting", b"changed")
            click.echo(
                f"  snapshot isolation: snapshot sees {snap.get(b'greeting')!r}, "
                f"latest is {db.get(b'greeting')!r}"
            )

        db.flush()
        stats = db.stats()
        levels = ", ".join(
            f"L{i}: {lvl['files']} files" for i, lvl in enumerate(stats["levels"]) if lvl["files"]
        )
        click.echo(f"  after flush: {levels or 'no files'}; flushes={stats['flushes']}")

    with kvstore.DB(path) as db:
        probe = b"user:%08d" % (count - 1)
        assert db.get(probe) == b"profile-%d" % (count - 1)
        click.echo(f"  reopened: {probe.decode()} = {db.get(probe)!r}")
    click.echo("done.")


# ---------------------------------------------------------------- serve (the storage node)


@main.command()
@click.option("--data-dir", default=None, help="database directory  [default: ./kvstore-data]")
@click.option(
    "--listen",
    default=None,
    help="gRPC address HOST:PORT (port 0 = any free port)  [default: 127.0.0.1:7379]",
)
@click.option("--metrics-listen", default=None, help="serve Prometheus /metrics on HOST:PORT")
@click.option(
    "--config",
    "config_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="TOML file with the same settings (flags and KVSTORE_* variables win)",
)
@click.option("--node-id", default=None, type=int, help="this node's id (positive)  [default: 1]")
@click.option(
    "--tls-cert",
    default=None,
    type=click.Path(dir_okay=False),
    help="server certificate chain (PEM)",
)
@click.option(
    "--tls-key", default=None, type=click.Path(dir_okay=False), help="server private key (PEM)"
)
@click.option(
    "--tls-client-ca",
    default=None,
    type=click.Path(dir_okay=False),
    help="CA (PEM) that signs client certificates; makes client certificates mandatory (mTLS)",
)
@click.option(
    "--auth-token-file",
    default=None,
    type=click.Path(dir_okay=False),
    help="file holding the bearer token every KV/Admin call must present",
)
@click.option(
    "--log-format",
    default=None,
    type=click.Choice(["text", "json"]),
    help="log line format  [default: text]",
)
@click.option("--log-level", default=None, type=click.Choice(["debug", "info", "warning", "error"]))
@click.option(
    "--shutdown-grace",
    default=None,
    type=float,
    help="seconds in-flight calls get to finish on SIGTERM/SIGINT  [default: 10]",
)
def serve(config_file: str | None, **flags: object) -> None:
    """Run a storage node: the gRPC KV and Admin API over a local database.

    Settings come from flags, KVSTORE_* environment variables (KVSTORE_DATA_DIR,
    KVSTORE_LISTEN, ...), a --config TOML file and the defaults, in that order.
    SIGTERM or SIGINT stops it gracefully (exit status 0).
    """
    from kvstore import server

    try:
        cfg = server.load_config(config_file, flags)
        code = server.run(cfg)
    except server.ConfigError as e:
        raise click.ClickException(str(e)) from None
    raise SystemExit(code)


# The client verbs (get, put, delete, scan, status) live in kvstore/_cli_client.py.
_cli_client.register(main)


# ---------------------------------------------------------------- bench (benchmark suites)
# The suites live in the repository's bench/ directory, not in the installed package (they need
# the peer engines' bindings: pip install '.[bench]'). `kvstore bench ...` finds the checkout
# from $KVSTORE_REPO or by walking up from the current directory, and runs the suite there.


def _find_bench_repo() -> Path | None:
    import os

    env = os.environ.get("KVSTORE_REPO")
    candidates = [Path(env)] if env else [Path.cwd(), *Path.cwd().parents]
    for d in candidates:
        if (d / "bench" / "engine" / "__init__.py").is_file():
            return d
    return None


@main.group()
def bench() -> None:
    """Benchmark suites (run from a kvstore checkout, or set KVSTORE_REPO)."""


@bench.command(
    "engine",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def bench_engine(ctx: click.Context) -> None:
    """Engine suite vs RocksDB, LevelDB, LMDB: same as `python -m bench.engine` (--help)."""
    import os
    import subprocess
    import sys

    repo = _find_bench_repo()
    if repo is None:
        raise click.ClickException(
            "bench/engine not found: run from a kvstore checkout or set KVSTORE_REPO to one"
        )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo), env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "bench.engine", *ctx.args]
    ctx.exit(subprocess.run(cmd, env=env, check=False).returncode)
