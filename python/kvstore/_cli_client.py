"""The client verbs of the `kvstore` command: get, put, delete, scan, status.

Each talks to a node through kvstore.Client (imported when the verb runs, so `kvstore demo`
and `kvstore serve` never load grpcio). Keys and values are UTF-8 text unless --encoding
says hex or base64 (for both what is given and what is printed). --json prints one JSON
document for scripts. Errors are one line on stderr, and the exit code tells them apart:

    0  done
    1  the key is absent (get)
    2  a bad argument (usage, undecodable hex/base64, a key or value the node refused)
    3  the node failed the call: unreachable, refused credentials, deadline, overload, ...
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from ._errors import Error, InvalidArgumentError

if TYPE_CHECKING:
    from .client import Client

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ABSENT, EXIT_USAGE, EXIT_FAILED = 1, 2, 3
ENCODINGS = ("utf-8", "hex", "base64")


class Conn:
    """The connection options shared by every client verb."""

    def __init__(
        self,
        addr: str,
        timeout: float,
        tls: bool,
        tls_ca: Path | None,
        tls_cert: Path | None,
        tls_key: Path | None,
        tls_server_name: str | None,
        token_file: Path | None,
        encoding: str,
        as_json: bool,
    ) -> None:
        self.addr, self.timeout, self.encoding, self.as_json = addr, timeout, encoding, as_json
        self.tls_ca, self.tls_cert, self.tls_key = tls_ca, tls_cert, tls_key
        self.tls = tls or tls_ca is not None or tls_cert is not None
        self.tls_server_name = tls_server_name
        self.token_file = token_file

    def client(self) -> Client:
        from .client import Client, TLSConfig

        tls: bool | TLSConfig = self.tls
        if self.tls_ca or self.tls_cert or self.tls_server_name:
            if (self.tls_cert is None) != (self.tls_key is None):
                raise click.UsageError("--tls-cert and --tls-key go together")
            tls = TLSConfig(self.tls_ca, self.tls_cert, self.tls_key, self.tls_server_name)
        token = None
        if self.token_file is not None:
            token = self.token_file.read_text().strip()
            if not token:
                raise click.UsageError(f"the token file {self.token_file} is empty")
        return Client(self.addr, timeout=self.timeout, tls=tls, token=token)

    def decode_arg(self, text: str, what: str) -> bytes:
        try:
            if self.encoding == "hex":
                return bytes.fromhex(text)
            if self.encoding == "base64":
                return base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error):
            raise click.BadParameter(
                f"not valid {self.encoding}: {text!r}", param_hint=what
            ) from None
        return text.encode("utf-8", errors="surrogateescape")

    def show(self, data: bytes) -> str:
        if self.encoding == "hex":
            return data.hex()
        if self.encoding == "base64":
            return base64.b64encode(data).decode("ascii")
        return data.decode("utf-8", errors="backslashreplace")


def _check_addr(ctx: click.Context, param: click.Parameter, value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise click.BadParameter(f"expected HOST:PORT, got {value!r}")
    return value


def connection_options(fn: F) -> F:
    """Adds --addr, TLS, token, --timeout, --encoding and --json; passes `conn: Conn`."""

    @click.option(
        "--addr",
        default="127.0.0.1:7379",
        show_default=True,
        envvar="KVSTORE_ADDR",
        callback=_check_addr,
        help="node address HOST:PORT (env KVSTORE_ADDR)",
    )
    @click.option("--timeout", default=10.0, show_default=True, help="seconds per call")
    @click.option("--tls", is_flag=True, help="TLS, checked against the system's CAs")
    @click.option(
        "--tls-ca",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="CA certificate (PEM) of the node; implies --tls",
    )
    @click.option(
        "--tls-cert",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="client certificate (PEM) for mutual TLS",
    )
    @click.option(
        "--tls-key",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="client key (PEM) for mutual TLS",
    )
    @click.option("--tls-server-name", help="name to check the node's certificate against")
    @click.option(
        "--token-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        envvar="KVSTORE_TOKEN_FILE",
        help="file holding the bearer token (env KVSTORE_TOKEN_FILE)",
    )
    @click.option(
        "--encoding",
        "-e",
        type=click.Choice(ENCODINGS),
        default="utf-8",
        show_default=True,
        help="how keys and values are written on the command line and printed",
    )
    @click.option("--json", "as_json", is_flag=True, help="print JSON (for scripts)")
    @functools.wraps(fn)
    def wrapper(
        addr: str,
        timeout: float,
        tls: bool,
        tls_ca: Path | None,
        tls_cert: Path | None,
        tls_key: Path | None,
        tls_server_name: str | None,
        token_file: Path | None,
        encoding: str,
        as_json: bool,
        **kwargs: Any,
    ) -> Any:
        conn = Conn(
            addr,
            timeout,
            tls,
            tls_ca,
            tls_cert,
            tls_key,
            tls_server_name,
            token_file,
            encoding,
            as_json,
        )
        try:
            return fn(conn, **kwargs)
        except (click.ClickException, click.exceptions.Exit):
            raise
        except (InvalidArgumentError, TypeError, ValueError) as e:
            _fail(str(e), EXIT_USAGE)
        except Error as e:
            _fail(str(e), EXIT_FAILED)
        except OSError as e:
            _fail(str(e), EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=None, sort_keys=False))


# --- verbs --------------------------------------------------------------------------------


@click.command()
@click.argument("key")
@connection_options
def get(conn: Conn, key: str) -> None:
    """Print the value of KEY (exit 1 when it is absent)."""
    k = conn.decode_arg(key, "KEY")
    with conn.client() as c:
        value = c.get(k)
    if conn.as_json:
        _emit_json(
            {
                "key": conn.show(k),
                "found": value is not None,
                "value": None if value is None else conn.show(value),
            }
        )
    elif value is not None:
        click.echo(conn.show(value))
    else:
        click.echo(f"not found: {key}", err=True)
    if value is None:
        sys.exit(EXIT_ABSENT)


@click.command()
@click.argument("key")
@click.argument("value")
@click.option(
    "--no-sync",
    is_flag=True,
    help="acknowledge before the WAL fsync (survives a node crash, not a power loss)",
)
@connection_options
def put(conn: Conn, key: str, value: str, no_sync: bool) -> None:
    """Set KEY to VALUE (VALUE "-" reads it from stdin). Durable by default."""
    k = conn.decode_arg(key, "KEY")
    if value == "-":
        raw = sys.stdin.buffer.read() if conn.encoding == "utf-8" else sys.stdin.read().strip()
        v = raw if isinstance(raw, bytes) else conn.decode_arg(raw, "VALUE")
    else:
        v = conn.decode_arg(value, "VALUE")
    with conn.client() as c:
        c.put(k, v, sync=False if no_sync else None)
    if conn.as_json:
        _emit_json({"key": conn.show(k), "ok": True})
    else:
        click.echo("OK")


@click.command()
@click.argument("key")
@click.option("--no-sync", is_flag=True, help="acknowledge before the WAL fsync")
@connection_options
def delete(conn: Conn, key: str, no_sync: bool) -> None:
    """Remove KEY (no error if it is absent)."""
    k = conn.decode_arg(key, "KEY")
    with conn.client() as c:
        c.delete(k, sync=False if no_sync else None)
    if conn.as_json:
        _emit_json({"key": conn.show(k), "ok": True})
    else:
        click.echo("OK")


@click.command()
@click.option("--start", help="first key (inclusive)")
@click.option("--stop", help="end key (exclusive)")
@click.option("--prefix", help="only keys that begin with this")
@click.option("--reverse", is_flag=True, help="descending key order")
@click.option(
    "--limit",
    default=100,
    show_default=True,
    type=click.IntRange(min=0),
    help="at most this many entries (0: no limit)",
)
@click.option("--keys-only", is_flag=True, help="print keys, not values")
@connection_options
def scan(
    conn: Conn,
    start: str | None,
    stop: str | None,
    prefix: str | None,
    reverse: bool,
    limit: int,
    keys_only: bool,
) -> None:
    """List keys and values in [--start, --stop) with --prefix, in key order."""
    s = None if start is None else conn.decode_arg(start, "--start")
    e = None if stop is None else conn.decode_arg(stop, "--stop")
    p = None if prefix is None else conn.decode_arg(prefix, "--prefix")
    with conn.client() as c:
        if keys_only:
            rows: Iterator[Any] = (
                (k, None) for k in c.keys(s, e, prefix=p, reverse=reverse, limit=limit or None)
            )
        else:
            rows = iter(c.items(s, e, prefix=p, reverse=reverse, limit=limit or None))
        if conn.as_json:
            # Streamed: one entry a line inside the array, so huge scans print as they arrive.
            click.echo("[")
            first = True
            for k, v in rows:
                entry: dict[str, Any] = {"key": conn.show(k)}
                if not keys_only:
                    entry["value"] = conn.show(v)
                click.echo(("" if first else ",\n") + json.dumps(entry), nl=False)
                first = False
            click.echo("\n]" if not first else "]")
            return
        if not sys.stdout.isatty():
            for k, v in rows:
                click.echo(conn.show(k) if keys_only else f"{conn.show(k)}\t{conn.show(v)}")
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(show_header=True, header_style="bold")
        table.add_column("key")
        if not keys_only:
            table.add_column("value")
        n = 0
        for k, v in rows:
            table.add_row(conn.show(k), *(() if keys_only else (conn.show(v),)))
            n += 1
        Console().print(table)
        click.echo(f"{n} entr{'y' if n == 1 else 'ies'}")


@click.command()
@connection_options
def status(conn: Conn) -> None:
    """Show the node's id, version, uptime, data size, levels and engine counters."""
    with conn.client() as c:
        st = c.status()
    if conn.as_json:
        click.echo(json.dumps(st, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    node = Table(title=f"kvstore node {conn.addr}", show_header=False)
    node.add_column("field", style="bold")
    node.add_column("value")
    for field in ("node_id", "address", "version", "uptime_seconds", "data_bytes", "sequence"):
        val = st[field]
        node.add_row(field, f"{val:.1f}" if isinstance(val, float) else str(val))
    console.print(node)
    levels = Table(title="levels")
    for col in ("level", "files", "bytes"):
        levels.add_column(col, justify="right")
    for i, lvl in enumerate(st["levels"]):
        if lvl["files"]:
            levels.add_row(f"L{i}", str(lvl["files"]), f"{lvl['bytes']:,}")
    if levels.row_count:
        console.print(levels)
    else:
        console.print("levels: no SST files yet")
    stats = Table(title="engine", show_header=False)
    stats.add_column("counter")
    stats.add_column("value", justify="right")
    for name, val in st["engine_stats"].items():
        stats.add_row(name, f"{val:,}")
    console.print(stats)


COMMANDS = (get, put, delete, scan, status)


def register(group: click.Group) -> None:
    """Adds the client verbs to the `kvstore` command group."""
    for cmd in COMMANDS:
        group.add_command(cmd)
