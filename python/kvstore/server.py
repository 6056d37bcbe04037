"""The storage node's control plane: configuration, logging, metrics and the run loop.

``kvstore serve`` (see :mod:`kvstore.cli`) calls :func:`run`. The request path is C++
(``kvstore._node``: gRPC callback API over the engine); this module only decides how
to configure it, starts it with the GIL released, exports its counters to Prometheus
and turns SIGTERM/SIGINT into a graceful shutdown.

Settings, lowest precedence first: built-in defaults, the TOML file given by
``--config``, ``KVSTORE_*`` environment variables, command-line flags. The TOML file
uses the same names as the flags (``data_dir``, ``listen``, ``metrics_listen``,
``node_id``, ``tls_cert``, ``tls_key``, ``tls_client_ca``, ``auth_token_file``,
``log_format``, ``log_level``, ``shutdown_grace``) plus two tables: ``[engine]``
(engine options, the names kvstore.DB takes) and ``[limits]`` (node limits, see
:data:`LIMIT_NAMES`).

``kvstore._node`` is imported only when a node starts: it loads the C++ gRPC runtime,
which must never share a process with grpcio (the Python client).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "LIMIT_NAMES",
    "ConfigError",
    "ServeConfig",
    "load_config",
    "run",
]

DEFAULT_DATA_DIR = "./kvstore-data"
DEFAULT_LISTEN = "127.0.0.1:7379"

# Node limits accepted in [limits] and by kvstore._node.Node(limits=...).
LIMIT_NAMES = (
    "max_receive_message_bytes",
    "max_batch_mutations",
    "max_batch_bytes",
    "max_multi_get_keys",
    "default_scan_message_bytes",
    "max_scan_message_bytes",
    "max_open_scans",
    "read_threads",
    "max_queued_writes",
    "max_queued_reads",
    "max_inflight_write_bytes",
)

log = logging.getLogger("kvstore.node")


class ConfigError(ValueError):
    """A setting is missing, malformed or inconsistent."""


@dataclasses.dataclass
class ServeConfig:
    data_dir: str = DEFAULT_DATA_DIR
    listen: str = DEFAULT_LISTEN
    metrics_listen: str | None = None
    node_id: int = 1
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    auth_token_file: str | None = None
    log_format: str = "text"
    log_level: str = "info"
    shutdown_grace: float = 10.0
    engine: dict[str, Any] = dataclasses.field(default_factory=dict)
    limits: dict[str, int] = dataclasses.field(default_factory=dict)


_SCALARS = {
    f.name: f for f in dataclasses.fields(ServeConfig) if f.name not in ("engine", "limits")
}


def _coerce(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "node_id":
        try:
            n = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"node_id must be a positive integer, got {value!r}") from None
        if n <= 0:
            raise ConfigError(f"node_id must be a positive integer, got {value!r}")
        return n
    if name == "shutdown_grace":
        try:
            g = float(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"shutdown_grace must be a number of seconds, got {value!r}"
            ) from None
        if g < 0:
            raise ConfigError("shutdown_grace must not be negative")
        return g
    if name == "log_format" and value not in ("text", "json"):
        raise ConfigError(f"log_format must be 'text' or 'json', got {value!r}")
    if name == "log_level" and str(value).lower() not in ("debug", "info", "warning", "error"):
        raise ConfigError(f"log_level must be debug, info, warning or error, got {value!r}")
    return str(value)


def _env_int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {text!r}") from None


def load_config(
    config_file: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServeConfig:
    """Merges defaults, the TOML file, KVSTORE_* variables and overrides (flags; None = unset).

    Environment: KVSTORE_<NAME> for every scalar setting (e.g. KVSTORE_DATA_DIR,
    KVSTORE_LISTEN, KVSTORE_AUTH_TOKEN_FILE), KVSTORE_ENGINE_<OPTION> and
    KVSTORE_LIMIT_<LIMIT> for the tables; KVSTORE_CONFIG names the TOML file when
    --config is not given.
    """
    env = os.environ if environ is None else environ
    cfg = ServeConfig()
    path = config_file if config_file is not None else env.get("KVSTORE_CONFIG")
    if path:
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"config file {path}: {e}") from None
        for key, value in data.items():
            if key == "engine" or key == "limits":
                if not isinstance(value, dict):
                    raise ConfigError(f"config file {path}: [{key}] must be a table")
                getattr(cfg, key).update(value)
            elif key in _SCALARS:
                setattr(cfg, key, _coerce(key, value))
            else:
                raise ConfigError(f"config file {path}: unknown setting {key!r}")
    for name in _SCALARS:
        text = env.get("KVSTORE_" + name.upper())
        if text is not None and text != "":
            setattr(cfg, name, _coerce(name, text))
    for var, text in env.items():
        if var.startswith("KVSTORE_ENGINE_"):
            cfg.engine[var[len("KVSTORE_ENGINE_") :].lower()] = _env_int(text, var)
        elif var.startswith("KVSTORE_LIMIT_"):
            cfg.limits[var[len("KVSTORE_LIMIT_") :].lower()] = _env_int(text, var)
    for name, value in (overrides or {}).items():
        if value is not None:
            setattr(cfg, name, _coerce(name, value))
    unknown = set(cfg.limits) - set(LIMIT_NAMES)
    if unknown:
        raise ConfigError(f"unknown node limit(s): {', '.join(sorted(unknown))}")
    if bool(cfg.tls_cert) != bool(cfg.tls_key):
        raise ConfigError("TLS needs both --tls-cert and --tls-key")
    if cfg.tls_client_ca and not cfg.tls_cert:
        raise ConfigError("--tls-client-ca needs --tls-cert and --tls-key")
    return cfg


# ---------------------------------------------------------------- logging


class _Formatter(logging.Formatter):
    """One line per event: text ``ts level event k=v ...`` or one JSON object."""

    def __init__(self, json_lines: bool) -> None:
        super().__init__()
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        ts += f".{int(record.msecs):03d}Z"
        fields: dict[str, Any] = getattr(record, "fields", {})
        if self.json_lines:
            obj = {"ts": ts, "level": record.levelname.lower(), "event": record.getMessage()}
            obj.update(fields)
            return json.dumps(obj, default=str)
        parts = [ts, record.levelname.lower(), record.getMessage()]
        parts += [
            f"{k}={json.dumps(v) if isinstance(v, str) and ' ' in v else v}"
            for k, v in fields.items()
        ]
        return " ".join(parts)


def setup_logging(log_format: str = "text", level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(log_format == "json"))
    log.handlers[:] = [handler]
    log.setLevel(level.upper())
    log.propagate = False


def _event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    log.log(level, event, extra={"fields": fields})


# ---------------------------------------------------------------- metrics


class NodeCollector:
    """A prometheus_client collector that reads the C++ node's counters on every scrape."""

    def __init__(self, node: Any) -> None:
        self._node = node

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        m = self._node.metrics()
        requests = CounterMetricFamily(
            "kvstore_node_requests",
            "gRPC requests handled, by method and status code",
            labels=["method", "code"],
        )
        latency = HistogramMetricFamily(
            "kvstore_node_request_duration_seconds",
            "Request latency by method",
            labels=["method"],
        )
        bounds = m["latency_bucket_bounds"]
        for method, mm in m["methods"].items():
            for code, n in mm["requests"].items():
                requests.add_metric([method, code], n)
            cumulative, buckets = 0, []
            for bound, n in zip([*map(str, bounds), "+Inf"], mm["latency_buckets"]):
                cumulative += n
                buckets.append((bound, cumulative))
            latency.add_metric([method], buckets, mm["latency_sum_seconds"])
        yield requests
        yield latency
        yield CounterMetricFamily(
            "kvstore_node_rejected_overload",
            "Requests refused with RESOURCE_EXHAUSTED",
            value=m["rejected_overload"],
        )
        yield GaugeMetricFamily(
            "kvstore_node_open_scans", "Scans in progress", value=m["open_scans"]
        )
        queued = GaugeMetricFamily(
            "kvstore_node_queued_requests", "Requests waiting for a worker", labels=["pool"]
        )
        queued.add_metric(["write"], m["queued_writes"])
        queued.add_metric(["read"], m["queued_reads"])
        yield queued

        stats = self._node.engine_stats()
        gauges = {"memtable_bytes", "immutable_memtables", "last_sequence", "live_snapshots"}
        for name, value in stats.items():
            if name == "levels":
                continue
            if name in gauges:
                yield GaugeMetricFamily(f"kvstore_engine_{name}", f"engine {name}", value=value)
            else:
                yield CounterMetricFamily(f"kvstore_engine_{name}", f"engine {name}", value=value)
        files = GaugeMetricFamily(
            "kvstore_engine_level_files", "SST files per level", labels=["level"]
        )
        size = GaugeMetricFamily(
            "kvstore_engine_level_bytes", "SST bytes per level", labels=["level"]
        )
        for i, level in enumerate(stats.get("levels", [])):
            files.add_metric([str(i)], level["files"])
            size.add_metric([str(i)], level["bytes"])
        yield files
        yield size


def _split_host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"expected HOST:PORT, got {address!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def start_metrics_server(node: Any, address: str) -> tuple[Any, int]:
    """Serves /metrics on address; returns (server, bound port)."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.process_collector import ProcessCollector

    host, port = _split_host_port(address)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NodeCollector(node))
    ProcessCollector(registry=registry)
    result = start_http_server(port, addr=host, registry=registry)
    server = result[0] if isinstance(result, tuple) else result
    bound = server.server_address[1] if server is not None else port
    return server, bound


# ---------------------------------------------------------------- run loop


def _read_token(path: str) -> str:
    try:
        token = Path(path).read_text().strip()
    except OSError as e:
        raise ConfigError(f"cannot read auth token file {path}: {e.strerror}") from None
    if not token:
        raise ConfigError(f"auth token file {path} is empty")
    return token


def run(cfg: ServeConfig) -> int:
    """Runs a node until SIGTERM/SIGINT; returns the process exit code."""
    setup_logging(cfg.log_format, cfg.log_level)
    token = _read_token(cfg.auth_token_file) if cfg.auth_token_file else ""
    for name in ("tls_cert", "tls_key", "tls_client_ca"):
        p = getattr(cfg, name)
        if p and not Path(p).is_file():
            raise ConfigError(f"{name.replace('_', '-')} file not found: {p}")

    from kvstore import _node  # the C++ gRPC runtime: loaded only here

    node = _node.Node(
        data_dir=str(cfg.data_dir),
        listen=cfg.listen,
        node_id=cfg.node_id,
        tls_cert=cfg.tls_cert or "",
        tls_key=cfg.tls_key or "",
        tls_client_ca=cfg.tls_client_ca or "",
        auth_token=token,
        engine_options=dict(cfg.engine),
        limits=dict(cfg.limits),
    )
    stop = threading.Event()
    received: list[str] = []

    def on_signal(signum: int, frame: Any) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    metrics_server = None
    try:
        _event("node.starting", data_dir=str(cfg.data_dir), listen=cfg.listen, node_id=cfg.node_id)
        started = time.monotonic()
        try:
            port = node.start()
        except (RuntimeError, ValueError) as e:
            _event("node.start_failed", logging.ERROR, error=str(e))
            return 1
        _event(
            "node.listening",
            address=node.address,
            port=port,
            node_id=cfg.node_id,
            tls=bool(cfg.tls_cert),
            mtls=bool(cfg.tls_client_ca),
            auth=bool(token),
            open_seconds=round(time.monotonic() - started, 3),
        )
        if cfg.metrics_listen:
            try:
                metrics_server, mport = start_metrics_server(node, cfg.metrics_listen)
            except OSError as e:
                _event(
                    "metrics.start_failed",
                    logging.ERROR,
                    address=cfg.metrics_listen,
                    error=e.strerror or str(e),
                )
                node.stop(0)
                return 1
            host, _ = _split_host_port(cfg.metrics_listen)
            _event("metrics.listening", address=f"{host}:{mport}", path="/metrics")
        while not stop.is_set():
            if node.wait(0.25):
                break
        _event(
            "node.stopping",
            signal=received[0] if received else None,
            grace_seconds=cfg.shutdown_grace,
        )
        started = time.monotonic()
        node.stop(cfg.shutdown_grace)
        _event("node.stopped", seconds=round(time.monotonic() - started, 3))
        return 0
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()
        node.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
