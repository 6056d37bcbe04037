"""The per-engine process: ``python -m bench.engine.worker SPEC.json``.

The runner starts one of these for each engine config, so peak RSS (VmHWM) belongs to that engine
alone. Progress goes to stdout as one JSON object per line; the result goes to the spec's ``out``.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
from typing import Any

from .engines import EngineConfig, make
from .workloads import VALUE_POOL, Params, Workbench, disk_bytes, make_values, rss_bytes


def emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def run_suite(spec: dict[str, Any]) -> dict[str, Any]:
    config = EngineConfig(**spec["config"])
    params = Params(**spec["params"])
    bench = Workbench(config, params, spec["root"], emit)
    out = bench.run()
    out["options"] = bench.engine.options
    out["notes"] = bench.engine.notes
    return out


def _coprime_step(n: int) -> int:
    """A step coprime to n near n * 0.618, so i * step % n visits every index once."""
    step = max(1, int(n * 0.6180339887)) | 1
    while math.gcd(step, n) != 1:
        step += 2
    return step


def run_scale(spec: dict[str, Any]) -> dict[str, Any]:
    """Loads n keys in a seeded random order, recording throughput and stalls each interval."""
    import random

    config = EngineConfig(**spec["config"])
    params = Params(**spec["params"])
    interval = float(spec.get("interval", 1.0))
    n, ks = params.n, params.key_size
    eng = make(config)
    path = os.path.join(spec["root"], "scale")
    os.makedirs(path, exist_ok=True)
    eng.open(path, sync=False)
    values = make_values(VALUE_POOL, params.value_size, random.Random(params.seed))
    mask = VALUE_POOL - 1
    step = _coprime_step(n)
    offset = random.Random(params.seed).randrange(n)
    put = eng.put
    pc = time.perf_counter_ns
    series: list[dict[str, Any]] = []
    start = pc()
    next_mark = start + int(interval * 1e9)
    last_ops, last_t, max_lat = 0, 0.0, 0
    last_stall = eng.engine_stats().get("stall_micros", 0)
    emit({"event": "start", "workload": "scale-load", "total": n})
    i = 0
    while i < n:
        end = min(i + 256, n)
        for j in range(i, end):
            key = b"%0*d" % (ks, (offset + j * step) % n)
            t = pc()
            put(key, values[j & mask])
            lat = pc() - t
            max_lat = max(max_lat, lat)
        i = end
        now = pc()
        if now >= next_mark or i == n:
            stats = eng.engine_stats()
            stall = stats.get("stall_micros", 0)
            elapsed = (now - start) / 1e9
            series.append(
                {
                    "t": elapsed,
                    "ops": i,
                    "ops_per_s": (i - last_ops) / max(1e-9, elapsed - last_t),
                    "max_op_ms": max_lat / 1e6,
                    "stall_ms": (stall - last_stall) / 1000.0,
                    "disk_bytes": disk_bytes(path),
                }
            )
            emit({"event": "progress", "workload": "scale-load", "done": i})
            last_ops, last_stall, last_t, max_lat = i, stall, elapsed, 0
            next_mark = now + int(interval * 1e9)
    seconds = (pc() - start) / 1e9
    final = eng.engine_stats()
    eng.close()
    emit({"event": "end", "workload": "scale-load", "done": n})
    logical = n * (ks + params.value_size)
    on_disk = disk_bytes(path)
    written = final.get("sst_bytes_written")
    if written is None and "flush_bytes_written" in final:
        written = final["flush_bytes_written"] + final.get("compaction_bytes_written", 0)
    return {
        "series": series,
        "summary": {
            "ops": n,
            "seconds": seconds,
            "ops_per_s": n / seconds,
            "max_op_ms": max((s["max_op_ms"] for s in series), default=0.0),
            "stall_ms_total": final.get("stall_micros", 0) / 1000.0,
            "disk_bytes": on_disk,
            "logical_bytes": logical,
            "space_amp": on_disk / logical,
            "write_amp": written / logical if written is not None else None,
            "engine_stats": final,
            "rss_peak_bytes": rss_bytes("VmHWM"),
        },
        "options": eng.options,
        "notes": eng.notes
        + ["scale: keys are formatted in the loop (a fixed permutation i * step mod n)"],
    }


def main(argv: list[str]) -> int:
    with open(argv[0]) as f:
        spec = json.load(f)
    try:
        result = run_scale(spec) if spec.get("mode") == "scale" else run_suite(spec)
        result["ok"] = True
    except Exception:  # noqa: BLE001 - any failure is reported in the result, not raised
        result = {"ok": False, "error": traceback.format_exc()}
        emit({"event": "error", "error": result["error"]})
    with open(spec["out"], "w") as f:
        json.dump(result, f, indent=1)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
