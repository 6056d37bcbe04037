"""The node benchmark's markdown report and PNG plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PLOTS = ("throughput.png", "latency.png", "cpu.png")
COLORS = {"kvstore": "tab:blue", "etcd": "tab:green", "redis": "tab:red"}


def _rate(x: float | None) -> str:
    if not x:
        return "–"
    return f"{x / 1e3:.1f}k" if x >= 1e3 else f"{x:.0f}"


def _us(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x / 1e3:.1f} ms" if x >= 1e4 else f"{x:.0f} µs"


def _ratio(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}×"


def _runs(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, s in results["systems"].items():
        for r in s.get("runs", []):
            if r.get("exit_code") == 0:
                out.append((name, r))
    return out


def markdown(results: dict[str, Any], with_plots: bool = True) -> str:
    p = results["params"]
    m = results["machine"]
    la0 = " ".join(f"{x:.2f}" for x in m["load_average_at_start"])
    la1 = " ".join(f"{x:.2f}" for x in m.get("load_average_at_end", []))
    out = [
        "# Node benchmark: kvstore vs etcd vs Redis",
        "",
        (
            f"{m['date']}, {m['cpu']}, {m['cores']} cores, commit {m['git_commit']}. "
            f"Load average {la0} at start, {la1} at end (the machine is shared: other work ran "
            "beside the benchmark; `machine busy` below is every core's busy time during the "
            "window, so what neither client nor server used is that other load)."
        ),
        "",
        (
            f"Closed loop on 127.0.0.1: at concurrency c, c requests are always outstanding. "
            f"{p['keys']} keys of {p['key_size']} bytes, values of {p['value_size']} bytes; the "
            f"keys are loaded first (concurrency {p['load_concurrency']}), then `get` reads "
            f"random keys and `put` overwrites random keys. {p['warmup']:g} s warmup, then a "
            f"{p['duration']:g} s window per run. The native generator "
            "(`bench/node/node_load.cc`: gRPC C++ callback API over several connections, or RESP "
            "over one TCP connection per outstanding request for Redis) drives all three; the "
            "Python generator (`kvstore.AsyncClient`, one event loop) gives the Python-client view."
        ),
        "",
        (
            "**Durability, identical for all: every acknowledged put is fsynced** (group commit "
            "allowed: writes in flight together may share one fsync)."
        ),
        "",
    ]
    for name, s in results["systems"].items():
        state = f"skipped: {s['skipped']}" if "skipped" in s else s.get("version", "")
        out.append(f"- **{name}** ({state}): {s['durability']}")
        if "error" in s:
            out.append(f"  - error: {s['error']}")
    out.append("")

    rt = results.get("ratios", {})
    systems = [n for n, s in results["systems"].items() if s.get("runs")]
    native = {(n, r["workload"], r["concurrency"]): r for n, r in _runs(results)
              if r["generator"] == "native"}  # fmt: skip
    peers = [x for x in ("etcd", "redis") if x in systems]
    for w, title in (("put", "Durable puts"), ("get", "Gets (etcd: serializable Range)")):
        out += [f"## {title}", ""]
        head = ["c"] + [f"{n} ops/s" for n in systems]
        head += [f"kvstore / {x}" for x in peers]
        head += [f"{n} p50 / p99 / p999" for n in systems]
        out += ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        for c in p["concurrency"]:
            row = [str(c)] + [_rate(native.get((n, w, c), {}).get("ops_per_s")) for n in systems]
            for x in peers:
                e = rt.get(w, {}).get(str(c), {}).get(x)
                row.append(
                    "–" if e is None else
                    f"{_ratio(e['throughput'])} (p99 {_ratio(e['p99'])})"
                )  # fmt: skip
            for n in systems:
                r = native.get((n, w, c))
                row.append("–" if r is None else
                           f"{_us(r['p50_us'])} / {_us(r['p99_us'])} / {_us(r['p999_us'])}")  # fmt: skip
            out.append("| " + " | ".join(row) + " |")
        out.append("")

    out += [
        "## CPU per operation",
        "",
        (
            "CPU seconds of the generator and of the server process over the window (utime + stime "
            "from /proc/PID/stat), divided by the operations in it. `machine busy` is the busy time "
            f"of all {m['cores']} cores in the window: a client near a full core, or a machine near "
            "fully busy, caps the measurement."
        ),
        "",
        (
            "| system | generator | workload | c | ops/s | client CPU µs/op | server CPU µs/op | "
            "client cores | server cores | machine busy (cores) |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, r in _runs(results):
        sec = r["seconds"] or 1
        out.append(
            f"| {n} | {r['generator']} | {r['workload']} | {r['concurrency']} | "
            f"{_rate(r['ops_per_s'])} | {r['client_cpu_per_op_us']:.1f} | "
            f"{r['server_cpu_per_op_us']:.1f} | {r['client_cpu_s'] / sec:.2f} | "
            f"{r['server_cpu_s'] / sec:.2f} | {r.get('machine_busy_cpu_s', 0) / sec:.2f} |"
        )
    out.append("")

    py = [(n, r) for n, r in _runs(results) if r["generator"] == "python"]
    if py:
        out += ["## Python client (kvstore.AsyncClient)", "",
                "| workload | c | ops/s | p50 | p99 | native generator ops/s at the same c |",
                "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
        for n, r in py:
            nat = native.get((n, r["workload"], r["concurrency"]))
            out.append(
                f"| {r['workload']} | {r['concurrency']} | {_rate(r['ops_per_s'])} | "
                f"{_us(r['p50_us'])} | {_us(r['p99_us'])} | "
                f"{_rate(nat['ops_per_s']) if nat else '–'} |"
            )
        out.append("")

    if results.get("targets"):
        out += ["## Targets (issue 4)", "", "| target | measured | met |", "| --- | --- | --- |"]
        for t in results["targets"]:
            v = "–" if t["value"] is None else f"{t['value']:.2f}"
            out.append(f"| {t['target']} | {v} | {'yes' if t['met'] else '**no**'} |")
        out.append("")
    if with_plots:
        out += ["## Plots", ""] + [f"![{x}]({x})" for x in PLOTS] + [""]
    return "\n".join(out)


def plots(results: dict[str, Any], out: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    runs = _runs(results)
    if not runs:
        return False

    def series(w: str, gen: str, field: str) -> dict[str, tuple[list[int], list[float]]]:
        s: dict[str, tuple[list[int], list[float]]] = {}
        for n, r in runs:
            if r["workload"] == w and r["generator"] == gen:
                xs, ys = s.setdefault(n, ([], []))
                xs.append(r["concurrency"])
                ys.append(r[field])
        return s

    def draw(fname: str, fields: list[tuple[str, str, str]], ylabel: str, log: bool) -> None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        for ax, w in zip(axes, ("put", "get")):
            for field, style, label in fields:
                for gen, mark in (("native", "o"), ("python", "x")):
                    for n, (xs, ys) in series(w, gen, field).items():
                        ax.plot(xs, ys, style, marker=mark, color=COLORS.get(n),
                                label=f"{n} {label}{' (Python client)' if gen == 'python' else ''}")  # fmt: skip
            ax.set_xscale("log", base=2)
            if log:
                ax.set_yscale("log")
            ax.set_xlabel("outstanding requests (closed loop)")
            ax.set_ylabel(ylabel)
            ax.set_title("durable put" if w == "put" else "get")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / fname, dpi=110)
        plt.close(fig)

    draw("throughput.png", [("ops_per_s", "-", "")], "ops/s", False)
    draw("latency.png", [("p50_us", "--", "p50"), ("p99_us", "-", "p99")], "latency (µs)", True)
    draw("cpu.png", [("server_cpu_per_op_us", "-", "server"),
                     ("client_cpu_per_op_us", ":", "client")], "CPU µs per op", True)  # fmt: skip
    return True
