"""The workloads, run against one engine in one process.

Keys are ``key_size``-byte zero-padded decimals (db_bench's shape); a missing key has the same
length with a trailing ``.``, so it sorts between present keys and only a filter (not a range
check) can skip it. Values come from a pool of 1024 seeded values, each half random and half a
repeat of that half (compressible about 2:1, like db_bench's default).

Timing: the wall time of each workload gives ops/s; one operation in every ``sample_every`` is
also timed on its own for p50/p99, which keeps the clock's cost off the other operations. Every
workload except the initial load stops at ``time_cap`` seconds and reports what it did.
"""

from __future__ import annotations

import os
import random
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .engines import Engine, EngineConfig, make

ALL_WORKLOADS = [
    "fillseq",
    "fillrandom",
    "overwrite",
    "readrandom",
    "readmissing",
    "readseq",
    "readreverse",
    "seekrandom",
    "multiget",
    "readwhilewriting",
    "fillbatch",
    "fillsync",
    "fillsync4",
]
READS = {
    "readrandom",
    "readmissing",
    "readseq",
    "readreverse",
    "seekrandom",
    "multiget",
    "readwhilewriting",
}
WRITES = {"fillseq", "fillrandom", "overwrite", "fillbatch", "fillsync", "fillsync4"}
VALUE_POOL = 1024  # a power of two: values[i & (VALUE_POOL - 1)]
CHUNK = 1024  # operations between deadline checks and progress reports
BATCH = 100  # entries per fillbatch batch and keys per multiget call
SEEK_NEXT = 10  # entries read after each seek


@dataclass
class Params:
    n: int = 1_000_000
    key_size: int = 16
    value_size: int = 100
    seed: int = 301
    sample_every: int = 16
    time_cap: float = 20.0
    sync_ops: int = 20_000
    workloads: list[str] = field(default_factory=lambda: list(ALL_WORKLOADS))


Emit = Callable[[dict[str, Any]], None]


def make_values(count: int, size: int, rng: random.Random) -> list[bytes]:
    half = max(1, size // 2)
    out = []
    for _ in range(count):
        raw = rng.randbytes(half)
        out.append((raw * (size // half + 1))[:size])
    return out


def disk_bytes(path: str) -> int:
    """Bytes allocated on disk under path (st_blocks, so sparse files count as used)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_blocks * 512
            except FileNotFoundError:
                pass  # removed by a compaction while walking
    return total


def rss_bytes(field_name: str) -> int:
    """VmRSS or VmHWM (peak) of this process, from /proc/self/status."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def percentile(sorted_ns: Sequence[int], q: float) -> float | None:
    if not sorted_ns:
        return None
    i = min(len(sorted_ns) - 1, max(0, round(q * (len(sorted_ns) - 1))))
    return sorted_ns[i] / 1000.0


class Meter:
    """Counts a workload's operations, samples latencies, reports progress."""

    def __init__(self, name: str, total: int, emit: Emit, cap: float | None) -> None:
        self.name = name
        self.total = total
        self.emit = emit
        self.samples: list[int] = []
        self.done = 0
        self.cpu_start = time.process_time()  # every thread of this process, engine's included
        self.start = time.perf_counter()
        self.deadline = self.start + cap if cap else float("inf")
        self._lock = threading.Lock()
        self._last_emit = self.start
        emit({"event": "start", "workload": name, "total": total})

    def add(self, ops: int) -> bool:
        """Records ops done; returns False when the time cap has passed."""
        now = time.perf_counter()
        with self._lock:
            self.done += ops
            if now - self._last_emit > 0.25:
                self._last_emit = now
                self.emit({"event": "progress", "workload": self.name, "done": self.done})
        return now < self.deadline

    def result(self, ops: int | None = None, **extra: Any) -> dict[str, Any]:
        seconds = time.perf_counter() - self.start
        cpu = time.process_time() - self.cpu_start
        ops = self.done if ops is None else ops
        self.samples.sort()
        out: dict[str, Any] = {
            "ops": ops,
            "seconds": seconds,
            "ops_per_s": ops / seconds if seconds > 0 else None,
            "us_per_op": seconds * 1e6 / ops if ops else None,
            "cpu_seconds": cpu,
            "ops_per_cpu_s": ops / cpu if cpu > 0 else None,
            "p50_us": percentile(self.samples, 0.50),
            "p99_us": percentile(self.samples, 0.99),
            "samples": len(self.samples),
            "capped": ops < self.total,
        }
        out.update(extra)
        self.emit({"event": "end", "workload": self.name, "done": ops})
        return out


def drive(
    meter: Meter,
    op: Callable[..., Any],
    args: Sequence[Any],
    values: Sequence[bytes] | None,
    every: int,
    lo: int = 0,
    hi: int | None = None,
    chunk: int = CHUNK,
) -> int:
    """Calls op(args[j]) (or op(args[j], values[j % pool])) for j in [lo, hi).

    One call in every ``every`` is timed by itself into meter.samples. Stops at the time cap.
    """
    hi = len(args) if hi is None else hi
    pc = time.perf_counter_ns
    samples = meter.samples
    mask = VALUE_POOL - 1
    done = 0
    for base in range(lo, hi, chunk):
        end = min(base + chunk, hi)
        if values is None:
            for j in range(base, end, every):
                t = pc()
                op(args[j])
                samples.append(pc() - t)
                for a in args[j + 1 : min(j + every, end)]:
                    op(a)
        else:
            for j in range(base, end, every):
                t = pc()
                op(args[j], values[j & mask])
                samples.append(pc() - t)
                for jj in range(j + 1, min(j + every, end)):
                    op(args[jj], values[jj & mask])
        done += end - base
        if not meter.add(end - base):
            break
    return done


class Workbench:
    """Runs the selected workloads against one engine config in directory ``root``."""

    def __init__(self, config: EngineConfig, params: Params, root: str, emit: Emit) -> None:
        self.config = config
        self.p = params
        self.root = root
        self.emit = emit
        self.engine: Engine = make(config)
        rng = random.Random(params.seed)
        n, ks = params.n, params.key_size
        self.keys = [b"%0*d" % (ks, i) for i in range(n)]
        self.missing = [b"%0*d." % (ks - 1, i) for i in range(n)]
        order = list(range(n))
        rng.shuffle(order)
        self.random_keys = [self.keys[i] for i in order]
        rng.shuffle(order)
        self.overwrite_keys = [self.keys[i] for i in order]
        rng.shuffle(order)
        self.read_keys = [self.keys[i] for i in order]
        rng.shuffle(self.missing)
        del order
        self.values = make_values(VALUE_POOL, params.value_size, rng)
        self.entry_bytes = ks + params.value_size
        self.results: dict[str, Any] = {}
        self.summary: dict[str, Any] = {}

    # -- helpers -------------------------------------------------------------------------------

    def _path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def _fresh(self, name: str, sync: bool = False) -> str:
        path = self._path(name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)
        self.engine.open(path, sync=sync)
        return path

    def _write_amp(self, stats: dict[str, Any], user_bytes: int) -> dict[str, Any]:
        out: dict[str, Any] = {"engine_stats": stats}
        written = stats.get("sst_bytes_written")
        if written is None and "flush_bytes_written" in stats:
            written = stats["flush_bytes_written"] + stats.get("compaction_bytes_written", 0)
        if written is not None and user_bytes:
            out["write_amp"] = written / user_bytes
        return out

    def _fill(self, name: str, keys: Sequence[bytes], capped: bool) -> dict[str, Any]:
        meter = Meter(name, len(keys), self.emit, self.p.time_cap if capped else None)
        drive(meter, self.engine.put, keys, self.values, self.p.sample_every)
        return meter.result()

    # -- workloads -----------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        wanted = [w for w in ALL_WORKLOADS if w in self.p.workloads]
        self.summary["rss_baseline_bytes"] = rss_bytes("VmRSS")
        self.summary["logical_bytes"] = self.p.n * self.entry_bytes
        if "fillseq" in wanted:
            self._fresh("fillseq")
            self.results["fillseq"] = self._fill("fillseq", self.keys, capped=True)
            user = self.results["fillseq"]["ops"] * self.entry_bytes
            self.results["fillseq"].update(self._write_amp(self.engine.engine_stats(), user))
            self.engine.close()
            shutil.rmtree(self._path("fillseq"), ignore_errors=True)
        needs_main = any(w in READS or w in ("fillrandom", "overwrite") for w in wanted)
        if needs_main:
            self._main(wanted)
        if "fillbatch" in wanted:
            self._fillbatch()
        if "fillsync" in wanted:
            self.results["fillsync"] = self._fillsync("fillsync", 1)
        if "fillsync4" in wanted:
            self.results["fillsync4"] = self._fillsync("fillsync4", 4)
        self.summary["rss_peak_bytes"] = rss_bytes("VmHWM")
        return {"results": self.results, "summary": self.summary}

    def _main(self, wanted: list[str]) -> None:
        eng = self.engine
        path = self._fresh("main")
        res = self._fill("fillrandom", self.random_keys, capped=False)
        user = res["ops"] * self.entry_bytes
        if "fillrandom" in wanted:
            res.update(self._write_amp(eng.engine_stats(), user))
            self.results["fillrandom"] = res
        if "overwrite" in wanted:
            ow = self._fill("overwrite", self.overwrite_keys, capped=True)
            user += ow["ops"] * self.entry_bytes
            ow.update(self._write_amp(eng.engine_stats(), ow["ops"] * self.entry_bytes))
            self.results["overwrite"] = ow
        self.summary["main_write_amp"] = self._write_amp(eng.engine_stats(), user)
        eng.close()
        # Space amplification of the loaded database, as left on disk after a clean close,
        # and after a full compaction (where the engine has one): the steady-state floor.
        self.summary["disk_bytes"] = disk_bytes(path)
        self.summary["space_amp"] = self.summary["disk_bytes"] / self.summary["logical_bytes"]
        eng.open(path, sync=False)
        if eng.compact():
            eng.close()
            self.summary["disk_bytes_compacted"] = disk_bytes(path)
            self.summary["space_amp_compacted"] = (
                self.summary["disk_bytes_compacted"] / self.summary["logical_bytes"]
            )
        else:
            eng.close()
        if not any(w in READS for w in wanted):
            shutil.rmtree(path, ignore_errors=True)
            return
        eng.open(path, sync=False)  # reads run after a reopen: nothing left in the memtable
        every = self.p.sample_every
        cap = self.p.time_cap
        if "readrandom" in wanted:
            eng.begin_reads()
            m = Meter("readrandom", self.p.n, self.emit, cap)
            drive(m, eng.get, self.read_keys, None, every)
            eng.end_reads()
            self.results["readrandom"] = m.result()
        if "readmissing" in wanted:
            eng.begin_reads()
            m = Meter("readmissing", self.p.n, self.emit, cap)
            drive(m, eng.get, self.missing, None, every)
            eng.end_reads()
            self.results["readmissing"] = m.result()
        for name, reverse in (("readseq", False), ("readreverse", True)):
            if name in wanted:
                m = Meter(name, self.p.n, self.emit, None)
                count = eng.scan(reverse)
                m.add(count)
                self.results[name] = m.result(ops=count, per_op_timing="none (full scan)")
        if "seekrandom" in wanted:
            eng.begin_reads()
            seek = eng.seeker()

            def seek_next(key: bytes) -> int:
                return seek(key, SEEK_NEXT)

            m = Meter("seekrandom", self.p.n, self.emit, cap)
            drive(m, seek_next, self.read_keys, None, every)
            eng.end_reads()
            self.results["seekrandom"] = m.result(entries_per_seek=SEEK_NEXT)
        if "multiget" in wanted:
            self.results["multiget"] = self._multiget()
        if "readwhilewriting" in wanted:
            self.results["readwhilewriting"] = self._readwhilewriting()
        eng.close()
        shutil.rmtree(path, ignore_errors=True)

    def _multiget(self) -> dict[str, Any]:
        eng = self.engine
        eng.begin_reads()
        keys = self.read_keys
        calls = [keys[i : i + BATCH] for i in range(0, len(keys), BATCH)]
        m = Meter("multiget", len(calls) * BATCH, self.emit, self.p.time_cap)
        found = 0
        mg = eng.multi_get
        pc = time.perf_counter_ns
        every = max(1, self.p.sample_every // 4)
        for c0 in range(0, len(calls), 64):
            for ci in range(c0, min(c0 + 64, len(calls))):
                if ci % every == 0:
                    t = pc()
                    found += mg(calls[ci])
                    m.samples.append(pc() - t)
                else:
                    found += mg(calls[ci])
            if not m.add(BATCH * (min(c0 + 64, len(calls)) - c0)):
                break
        eng.end_reads()
        return m.result(
            keys_per_call=BATCH, found=found, latency="per call of 100 keys", ops_unit="keys"
        )

    def _readwhilewriting(self) -> dict[str, Any]:
        eng = self.engine
        stop = threading.Event()
        written = [0]
        values = self.values
        mask = VALUE_POOL - 1
        wkeys = self.overwrite_keys

        def writer() -> None:
            put = eng.put
            i = 0
            n = len(wkeys)
            while not stop.is_set():
                for _ in range(256):
                    put(wkeys[i % n], values[i & mask])
                    i += 1
            written[0] = i

        eng.begin_reads()
        t = threading.Thread(target=writer, name="bench-writer")
        t.start()
        m = Meter("readwhilewriting", self.p.n, self.emit, self.p.time_cap)
        get = eng.get
        refresh = eng.refresh_reads
        keys = self.read_keys
        pc = time.perf_counter_ns
        every = self.p.sample_every
        try:
            for base in range(0, len(keys), CHUNK):
                end = min(base + CHUNK, len(keys))
                for j in range(base, end, 100):
                    refresh()  # LMDB: a fresh read transaction sees the writer's commits
                    get = eng.get
                    t0 = pc()
                    get(keys[j])
                    m.samples.append(pc() - t0)
                    for jj in range(j + 1, min(j + 100, end)):
                        if jj % every == 0:
                            t0 = pc()
                            get(keys[jj])
                            m.samples.append(pc() - t0)
                        else:
                            get(keys[jj])
                if not m.add(end - base):
                    break
        finally:
            stop.set()
            t.join()
            eng.end_reads()
        seconds = time.perf_counter() - m.start
        return m.result(
            writer_ops=written[0],
            writer_ops_per_s=written[0] / seconds if seconds > 0 else None,
            threads="1 reader (measured) + 1 writer",
        )

    def _fillbatch(self) -> None:
        eng = self.engine
        path = self._fresh("fillbatch")
        keys = self.random_keys
        values = self.values
        mask = VALUE_POOL - 1
        wb = eng.write_batch
        m = Meter("fillbatch", len(keys), self.emit, self.p.time_cap)
        pc = time.perf_counter_ns
        every = max(1, self.p.sample_every // 4)
        for base in range(0, len(keys), CHUNK * 10):
            end = min(base + CHUNK * 10, len(keys))
            for b in range(base, end, BATCH):
                pairs = [(keys[i], values[i & mask]) for i in range(b, min(b + BATCH, end))]
                if (b // BATCH) % every == 0:
                    t = pc()
                    wb(pairs)
                    m.samples.append(pc() - t)
                else:
                    wb(pairs)
            if not m.add(end - base):
                break
        res = m.result(entries_per_batch=BATCH, latency="per batch of 100")
        res.update(self._write_amp(eng.engine_stats(), res["ops"] * self.entry_bytes))
        self.results["fillbatch"] = res
        eng.close()
        shutil.rmtree(path, ignore_errors=True)

    def _fillsync(self, name: str, threads: int) -> dict[str, Any]:
        eng = self.engine
        path = self._fresh(name, sync=True)
        total = min(self.p.n, self.p.sync_ops)
        keys = self.random_keys[:total]
        m = Meter(name, total, self.emit, self.p.time_cap)
        every = max(1, self.p.sample_every // 4)
        share = (total + threads - 1) // threads
        errors: list[BaseException] = []

        def work(t: int) -> None:
            try:
                lo, hi = t * share, min(total, (t + 1) * share)
                drive(m, eng.put, keys, self.values, every, lo, hi, chunk=16)
            except Exception as e:  # noqa: BLE001 - re-raised after the join
                errors.append(e)

        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        if errors:
            raise errors[0]
        res = m.result(threads=threads, sync=True)
        res.update(self._write_amp(eng.engine_stats(), res["ops"] * self.entry_bytes))
        eng.close()
        shutil.rmtree(path, ignore_errors=True)
        return res
