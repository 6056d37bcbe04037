"""Writes a run's results: JSON, a markdown report, PNG plots and machine.txt."""

from __future__ import annotations

import json
import os
from typing import Any

from ..machine import machine_text
from .workloads import ALL_WORKLOADS

UNITS = {
    "readseq": "entries/s",
    "readreverse": "entries/s",
    "seekrandom": "seeks/s (each + next 10)",
    "multiget": "keys/s (100 per call)",
    "fillbatch": "entries/s (100 per batch)",
    "readwhilewriting": "reads/s (1 writer beside)",
}
PLOTS = ("throughput.png", "latency.png", "resources.png")


def _rate(x: float | None) -> str:
    if not x:
        return "–"
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def _num(x: float | None, fmt: str = "{:.1f}") -> str:
    return "–" if x is None else fmt.format(x)


def _mib(x: float | None) -> str:
    return "–" if x is None else f"{x / (1 << 20):.1f}"


def ok_engines(results: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in results["engines"].items() if v.get("ok")}


def workloads_of(results: dict[str, Any]) -> list[str]:
    seen = set()
    for e in ok_engines(results).values():
        seen.update(e["results"])
    return [w for w in ALL_WORKLOADS if w in seen]


def markdown(results: dict[str, Any], with_plots: bool = True) -> str:
    p = results["params"]
    m = results["machine"]
    engines = ok_engines(results)
    names = list(engines)
    out = [
        "# Engine benchmark",
        "",
        (
            f"{p['n']:,} keys of {p['key_size']} bytes, values of {p['value_size']} bytes (about half "
            f"compressible); seed {p['seed']}; each workload capped at {p['time_cap']:g} s "
            f"(the initial fillrandom load is not); fillsync: at most {p['sync_ops']:,} writes. "
            f"Through each engine's Python binding, one process per engine. "
            f"{m['cpu']}, {m['cores']} cores, {m['memory_bytes'] / (1 << 30):.0f} GiB, "
            f"Linux {m['kernel']}, {m['date']}."
        ),
        "",
        "Durability (identical for all):",
    ]
    out += [f"- {k}: {v}" for k, v in results["durability"].items()]
    out += ["", "## Throughput (ops/s; higher is better)", ""]
    header = "| workload | unit | " + " | ".join(names) + " | kvstore / best peer |"
    out += [header, "|" + " --- |" * (len(names) + 3)]
    ratios = results.get("ratios", {})
    for w in workloads_of(results):
        cells = []
        for n in names:
            r = engines[n]["results"].get(w)
            cell = _rate(r["ops_per_s"]) if r else "–"
            if r and r.get("capped"):
                cell += "*"
            cells.append(cell)
        rt = ratios.get(w)
        ratio = f"{rt['ratio']:.2f}× ({rt['best_peer']})" if rt else "–"
        out.append(f"| {w} | {UNITS.get(w, 'ops/s')} | " + " | ".join(cells) + f" | {ratio} |")
    out += ["", "\\* stopped at the time cap; the rate is over the operations done.", ""]
    out += _cpu_table(results, engines, names)

    out += ["## Latency (µs: p50 / p99 of sampled operations)", ""]
    out += ["| workload | " + " | ".join(names) + " |", "|" + " --- |" * (len(names) + 1)]
    for w in workloads_of(results):
        cells = []
        for n in names:
            r = engines[n]["results"].get(w)
            if not r or r.get("p50_us") is None:
                cells.append("–")
            else:
                cells.append(f"{r['p50_us']:.1f} / {r['p99_us']:.1f}")
        out.append(f"| {w} | " + " | ".join(cells) + " |")
    out += [
        "",
        (
            "multiget: per call of 100 keys; fillbatch: per batch of 100; readseq/readreverse: "
            "not timed per entry. Per-op time = 1 / throughput is in results.json (`us_per_op`)."
        ),
        "",
        "## Space, memory, write amplification",
        "",
        (
            "| engine | disk MiB | space amp | disk MiB, compacted | space amp, compacted "
            "| peak RSS MiB | RSS over harness MiB | write amp |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n in names:
        s = engines[n]["summary"]
        wa = s.get("main_write_amp", {}).get("write_amp")
        rss_over = s["rss_peak_bytes"] - s["rss_baseline_bytes"]
        out.append(
            f"| {n} | {_mib(s.get('disk_bytes'))} | {_num(s.get('space_amp'), '{:.2f}')} | "
            f"{_mib(s.get('disk_bytes_compacted'))} | "
            f"{_num(s.get('space_amp_compacted'), '{:.2f}')} | "
            f"{_mib(s['rss_peak_bytes'])} | {_mib(rss_over)} | {_num(wa, '{:.2f}')} |"
        )
    out += [
        "",
        (
            "Disk: bytes allocated by the database loaded with fillrandom + overwrite, after a clean "
            "close; space amp = disk / (keys × (key + value) bytes). Compacted: the same database "
            "reopened, compacted over its whole key range (kvstore/LevelDB compact_range, RocksDB "
            "CompactRange) and closed; LMDB has no compaction. rocksdb+bloom+128M runs with "
            "kvstore's default 128 MiB block cache, for peak RSS at equal cache size. "
            "RSS over harness = peak RSS "
            "minus the worker's RSS before it opened a database (its key lists). Write amp = bytes "
            "written to SST files (flushes + compactions) / user bytes, for fillrandom + overwrite, "
            "as reported by the engine (kvstore stats(), rocksdb.stats at 10 MB resolution, "
            "leveldb.stats at 1 MB); LMDB reports none."
        ),
        "",
        "## Options (every one set away from the binding's defaults)",
        "",
    ]
    for n in names:
        e = engines[n]
        opts = "; ".join(f"{k}={v}" for k, v in e.get("options", {}).items()) or "defaults"
        out.append(f"- **{n}**: {opts}")
        for note in e.get("notes", []):
            out.append(f"  - {note}")
    failed = {k: v for k, v in results["engines"].items() if not v.get("ok")}
    if failed:
        out += ["", "## Failed", ""]
        for n, v in failed.items():
            first = (v.get("error") or "").strip().splitlines()[-1:] or ["?"]
            out.append(f"- {n}: {first[0]}")
    plots_note = "Plots: " + ", ".join(PLOTS) + ". " if with_plots else ""
    out += ["", plots_note + "Machine: machine.txt.", ""]
    return "\n".join(out)


def _cpu_table(results: dict[str, Any], engines: dict[str, Any], names: list[str]) -> list[str]:
    """Ops per CPU-second of the engine's process (all its threads): what a workload costs,
    robust to other load on a shared machine (but blind to time spent waiting on the disk)."""
    out = [
        "## Ops per CPU-second (all threads of the engine's process; higher is better)",
        "",
        (
            "Less sensitive than wall-clock rates to other processes on the machine; counts "
            "background flush and compaction work; ignores time waiting on the disk (fsync)."
        ),
        "",
        "| workload | " + " | ".join(names) + " | kvstore / best peer |",
        "|" + " --- |" * (len(names) + 2),
    ]
    for w in workloads_of(results):
        vals = {n: engines[n]["results"].get(w, {}).get("ops_per_cpu_s") for n in names}
        peers = {n: v for n, v in vals.items() if n != "kvstore" and v}
        ratio = "–"
        if vals.get("kvstore") and peers:
            best = max(peers, key=lambda n: peers[n])
            ratio = f"{vals['kvstore'] / peers[best]:.2f}× ({best})"
        out.append(f"| {w} | " + " | ".join(_rate(vals[n]) for n in names) + f" | {ratio} |")
    out.append("")
    return out


def plots(results: dict[str, Any], out_dir: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    engines = ok_engines(results)
    names = list(engines)
    works = workloads_of(results)
    written = []
    width = 0.8 / max(1, len(names))

    def grouped(ax: Any, values: dict[str, list[float]], ylabel: str, title: str) -> None:
        for i, n in enumerate(names):
            xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(works))]
            ax.bar(xs, [v or 0.0 for v in values[n]], width, label=n)
        ax.set_xticks(range(len(works)))
        ax.set_xticklabels(works, rotation=35, ha="right")
        ax.set_yscale("log")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=8)

    fig, ax = plt.subplots(figsize=(13, 5.5))
    grouped(
        ax,
        {n: [engines[n]["results"].get(w, {}).get("ops_per_s") for w in works] for n in names},
        "ops/s (log)",
        f"Throughput, {results['params']['n']:,} keys (higher is better)",
    )
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "throughput.png"), dpi=110)
    plt.close(fig)
    written.append("throughput.png")

    fig, axes = plt.subplots(1, 2, figsize=(15, 5.5))
    for ax, key, label in ((axes[0], "p50_us", "p50"), (axes[1], "p99_us", "p99")):
        grouped(
            ax,
            {n: [engines[n]["results"].get(w, {}).get(key) for w in works] for n in names},
            f"{label} µs (log)",
            f"{label} latency of sampled operations (lower is better)",
        )
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "latency.png"), dpi=110)
    plt.close(fig)
    written.append("latency.png")

    fig, axes = plt.subplots(1, 4, figsize=(19, 4.5))
    metrics = (
        ("space amp", lambda s: s.get("space_amp")),
        ("space amp, compacted", lambda s: s.get("space_amp_compacted")),
        ("peak RSS MiB", lambda s: s["rss_peak_bytes"] / (1 << 20)),
        ("write amp", lambda s: s.get("main_write_amp", {}).get("write_amp")),
    )
    for ax, (label, fn) in zip(axes, metrics):
        vals = [fn(engines[n]["summary"]) or 0.0 for n in names]
        ax.bar(range(len(names)), vals, color=[f"C{i}" for i in range(len(names))])
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha="right")
        ax.set_title(label + " (lower is better)")
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "resources.png"), dpi=110)
    plt.close(fig)
    written.append("resources.png")
    return written


def write_suite(results: dict[str, Any], out_dir: str, with_plots: bool = True) -> list[str]:
    os.makedirs(out_dir, exist_ok=True)
    files = ["results.json", "results.md", "machine.txt"]
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(markdown(results, with_plots))
    with open(os.path.join(out_dir, "machine.txt"), "w") as f:
        f.write(machine_text(results["machine"]))
    if with_plots:
        files += plots(results, out_dir)
    return files


def scale_markdown(results: dict[str, Any]) -> str:
    p = results["params"]
    out = [
        "# Scale run",
        "",
        (
            f"Load of {p['n']:,} keys ({p['key_size']} + {p['value_size']} bytes) in a seeded random "
            f"order, one put per write, sampled every {results['interval_s']:g} s."
        ),
        "",
        (
            "| engine | ops/s | seconds | longest op ms | stall ms (engine) | space amp | "
            "write amp | peak RSS MiB |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, e in results["engines"].items():
        if not e.get("ok"):
            out.append(f"| {n} | failed | | | | | | |")
            continue
        s = e["summary"]
        out.append(
            f"| {n} | {_rate(s['ops_per_s'])} | {s['seconds']:.1f} | {s['max_op_ms']:.1f} | "
            f"{s['stall_ms_total']:.0f} | {s['space_amp']:.2f} | {_num(s['write_amp'], '{:.2f}')}"
            f" | {_mib(s['rss_peak_bytes'])} |"
        )
    out += ["", "Plot: scale.png (throughput, longest op and stall time per interval).", ""]
    return "\n".join(out)


def write_scale(results: dict[str, Any], out_dir: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "scale.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(out_dir, "scale.md"), "w") as f:
        f.write(scale_markdown(results))
    with open(os.path.join(out_dir, "machine.txt"), "w") as f:
        f.write(machine_text(results["machine"]))
    fig, axes = plt.subplots(3, 1, figsize=(11, 9), sharex=True)
    for n, e in results["engines"].items():
        if not e.get("ok"):
            continue
        ts = [s["t"] for s in e["series"]]
        axes[0].plot(ts, [s["ops_per_s"] for s in e["series"]], label=n)
        axes[1].plot(ts, [s["max_op_ms"] for s in e["series"]], label=n)
        axes[2].plot(ts, [s["stall_ms"] for s in e["series"]], label=n)
    axes[0].set_ylabel("puts/s")
    axes[0].set_title(f"Load of {results['params']['n']:,} random keys")
    axes[1].set_ylabel("longest put, ms")
    axes[1].set_yscale("log")
    axes[2].set_ylabel("stall ms / interval\n(engine stats)")
    axes[2].set_xlabel("seconds")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "scale.png"), dpi=110)
    plt.close(fig)
    return ["scale.json", "scale.md", "machine.txt", "scale.png"]
