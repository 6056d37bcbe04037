"""kvstore serve's control plane: settings precedence (defaults < TOML < KVSTORE_* < flags),
Prometheus /metrics from the node's counters, structured logs, one-line config errors."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import grpc
import pytest
from kvstore import server
from kvstore._proto.kvstore.v1 import admin_pb2, admin_pb2_grpc, kv_pb2, kv_pb2_grpc
from node_proc import ServeProcess


def test_defaults_need_no_arguments() -> None:
    cfg = server.load_config(None, {}, environ={})
    assert cfg.data_dir == "./kvstore-data" and cfg.listen == "127.0.0.1:7379"
    assert cfg.node_id == 1 and cfg.metrics_listen is None and cfg.log_format == "text"


def test_precedence_toml_env_flags(tmp_path: Path) -> None:
    toml = tmp_path / "node.toml"
    toml.write_text(
        'data_dir = "/from/toml"\nlisten = "127.0.0.1:1111"\nnode_id = 3\nlog_format = "json"\n'
        "[engine]\nwrite_buffer_size = 1048576\n[limits]\nmax_queued_writes = 16\n"
    )
    env = {"KVSTORE_LISTEN": "127.0.0.1:2222", "KVSTORE_LIMIT_READ_THREADS": "2"}
    cfg = server.load_config(toml, {"node_id": 9, "data_dir": None}, environ=env)
    assert cfg.data_dir == "/from/toml"  # flag unset: the file wins over the default
    assert cfg.listen == "127.0.0.1:2222"  # env beats the file
    assert cfg.node_id == 9  # the flag beats everything
    assert cfg.log_format == "json"
    assert cfg.engine == {"write_buffer_size": 1048576}
    assert cfg.limits == {"max_queued_writes": 16, "read_threads": 2}
    env_cfg = server.load_config(None, {}, environ={"KVSTORE_CONFIG": str(toml)})
    assert env_cfg.node_id == 3


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("bogus = 1\n", "unknown setting 'bogus'"),
        ("node_id = 0\n", "node_id must be a positive integer"),
        ("log_format = 'xml'\n", "log_format must be"),
        ("[limits]\nthreads = 3\n", "unknown node limit"),
        ("listen = \n", "config file"),
    ],
)
def test_config_errors(tmp_path: Path, text: str, fragment: str) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text(text)
    with pytest.raises(server.ConfigError, match=fragment):
        server.load_config(toml, {}, environ={})


def test_config_error_is_one_line_on_the_cli(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text("node_id = -1\n")
    r = subprocess.run(
        [sys.executable, "-m", "kvstore", "serve", "--config", str(toml)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0 and "node_id must be a positive integer" in r.stderr
    assert "Traceback" not in r.stderr


def test_toml_env_and_metrics_end_to_end(tmp_path: Path) -> None:
    toml = tmp_path / "node.toml"
    toml.write_text('node_id = 42\nmetrics_listen = "127.0.0.1:0"\n[limits]\nmax_queued_writes = 8\n')
    env = {"KVSTORE_CONFIG": str(toml), "KVSTORE_ENGINE_WRITE_BUFFER_SIZE": str(1 << 20)}
    proc = ServeProcess(tmp_path / "data", env=env).start()
    try:
        metrics_ev = proc.wait_event("metrics.listening", 30)
        with proc.channel() as ch:
            kv = kv_pb2_grpc.KVStub(ch)
            r = kv.Put(kv_pb2.PutRequest(key=b"m", value=b"v"), timeout=10)
            assert r.header.node_id == 42
            kv.Get(kv_pb2.GetRequest(key=b"m"), timeout=10)
            with pytest.raises(grpc.RpcError):
                kv.Get(kv_pb2.GetRequest(key=b""), timeout=10)
            st = admin_pb2_grpc.AdminStub(ch).Status(admin_pb2.StatusRequest(), timeout=10)
            assert st.node_id == 42
        url = f"http://{metrics_ev['address']}/metrics"
        with urllib.request.urlopen(url, timeout=10) as resp:
            text = resp.read().decode()
        assert 'kvstore_node_requests_total{code="OK",method="Put"} 1.0' in text
        assert 'kvstore_node_requests_total{code="OK",method="Get"} 1.0' in text
        assert 'kvstore_node_requests_total{code="INVALID_ARGUMENT",method="Get"} 1.0' in text
        assert 'kvstore_node_request_duration_seconds_bucket{le="+Inf",method="Put"} 1.0' in text
        assert "kvstore_engine_wal_syncs_total" in text
        assert 'kvstore_engine_level_files{level="0"}' in text
        # Every log line is one JSON object with an event name.
        for line in proc.lines:
            assert "event" in json.loads(line)
    finally:
        assert proc.stop() == 0


def test_cli_and_package_do_not_load_the_node_extension() -> None:
    code = "import sys, kvstore, kvstore.cli; print('kvstore._node' in sys.modules)"
    r = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    )
    assert r.stdout.strip() == "False"
