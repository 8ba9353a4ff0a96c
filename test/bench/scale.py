"""The scale suite of the benchmark driver (bench.py): experiments swept over
core counts, each with its baseline (docs/benchmarks.md)."""
import argparse
import csv
import dataclasses
import importlib.util
import io
import math
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from benchlib import *  # noqa: F401,F403
from benchlib import _pyplot

# ---------------------------------------------------------------- scale

# The scale suite: experiments swept over core counts, each with its
# baseline. An experiment is one entry in SCALE_EXPERIMENTS: a function that
# runs it at every core count and returns its rows (lines with the "CSV "
# marker), a function that draws it on one chart and one that summarises it.
# Its rows carry the experiment's name in the suite column, so one CSV holds
# them all and a new experiment needs no change elsewhere.

SHARED_SIZES = [1, 4, 8]  # record sizes in cache lines (cpudriver/bench_shared.cpp)
SHARED_METHODS = ["lock", "message"]
SHARED_METRIC = re.compile(r"^(lock|message)_(\d+)lines?$")


def shared_metric(method: str, lines: int) -> str:
    return f"{method}_{lines}line{'' if lines == 1 else 's'}"


def _remaining(args: argparse.Namespace) -> float:
    left = args.deadline - time.monotonic()
    if left <= 10:
        raise BenchError(f"the suite's --timeout of {args.timeout} s ran out")
    return left


def scale_shared_update(args: argparse.Namespace, counts: List[int]) -> List[str]:
    """bench-shared in the guest, one boot per core count: per-update cost
    under a shared-memory lock and by messages to an owner core."""
    check_kernel(args)
    samples = args.samples or (50 if args.quick else 1000)
    out: List[str] = []
    for i, n in enumerate(counts, 1):
        left = _remaining(args)
        cmd = qemu_cmd(args, n, [f"bench-shared={samples}", "shutdown"])
        # A boot may take longer than qemu_cmd allows: at 8 vCPUs on a busy
        # 2-core host each of the six runs can take minutes.
        cmd[cmd.index("--timeout") + 1] = str(int(min(left, 1500)))
        lines = run_streaming(cmd, f"shared-update, {n} cores ({i} of {len(counts)})", left)
        rows = [l for l in serial_rows(lines) if l.startswith("CSV shared-update,")]
        have = {tuple(l[4:].split(",")[1:7:5]) for l in rows}
        want = {(shared_metric(m, k), u) for m in SHARED_METHODS for k in SHARED_SIZES for u in ("cycles", "ns")}
        if want - have:
            missing = ", ".join(f"{m} ({u})" for m, u in sorted(want - have))
            raise BenchError(f"shared-update, {n} cores: no row for {missing}")
        if not any("BENCH shared done" in l for l in lines):
            raise BenchError(f"shared-update, {n} cores: no 'BENCH shared done' line")
        out += rows
    return out


def scale_linux_munmap(args: argparse.Namespace, counts: List[int]) -> List[str]:
    """Linux in the same QEMU configuration: munmap of a page that a pinned
    thread on every CPU has touched (linbench's munmap_shootdown), one boot
    per core count; the rows are re-tagged as the linux-munmap experiment."""
    csv_path = os.path.join(args.out_dir, "scale-linux-munmap.csv")
    left = _remaining(args)
    cmd = [sys.executable, RUN_LINUX_PY, "--build-dir", args.build_dir, "--mode", "mttcg",
           "--cores", ",".join(map(str, counts)), "--tests", "munmap_shootdown", "--out", csv_path,
           "--timeout", str(int(min(left, 1200)))]
    if args.quick:
        cmd.append("--quick")
    if args.samples:
        cmd += ["--samples", str(args.samples)]
    # run_linux.py reports each boot and measurement on stderr, which passes through.
    run_streaming(cmd, "linux-munmap, Linux baseline (mttcg)", left)
    with open(csv_path, encoding="utf-8") as f:
        linux = parse_rows(f.read().splitlines(), None, source=csv_path)
    out = []
    for r in linux:
        if r.metric != "munmap_shootdown":
            continue
        out.append("CSV " + ",".join(dataclasses.replace(r, suite="linux-munmap").as_list()))
    got = {int(l.split(",")[3]) for l in out}
    if set(counts) - got:
        raise BenchError(f"linux-munmap: no row for {sorted(set(counts) - got)} cores")
    return out


def scale_shootdown(args: argparse.Namespace, counts: List[int]) -> List[str]:
    """spanbench in the guest, one boot per core count: a domain spanning
    every core unmaps a page every core touched and shoots it down (the
    counterpart of linux-munmap, docs/shootdown.md)."""
    check_kernel(args)
    out: List[str] = []
    for i, n in enumerate(counts, 1):
        left = _remaining(args)
        cmd = qemu_cmd(args, n, ["run=spanbench", "shutdown"])
        cmd[cmd.index("--timeout") + 1] = str(int(min(left, 1500)))
        lines = run_streaming(cmd, f"shootdown, {n} cores ({i} of {len(counts)})", left)
        failed = [l for l in lines if "BENCH shootdown failed" in l]
        if failed:
            raise BenchError(f"shootdown, {n} cores: {failed[0].strip()}")
        rows = [l for l in serial_rows(lines) if l.startswith("CSV shootdown,")]
        have = {(l.split(",")[1], l.split(",")[6]) for l in rows}
        want = {(m, u) for m in ("unmap_shootdown", "unmap") for u in ("cycles", "ns")}
        if want - have:
            raise BenchError(f"shootdown, {n} cores: no row for {', '.join(f'{m} ({u})' for m, u in sorted(want - have))}")
        if not any("BENCH shootdown done" in l for l in lines):
            raise BenchError(f"shootdown, {n} cores: no 'BENCH shootdown done' line")
        out += rows
    return out


def plot_shootdown(ax, rows: Sequence[Row]) -> None:
    for metric, style, label in (("unmap_shootdown", "-", "this OS: unmap + shootdown"),
                                 ("unmap", ":", "this OS: the local unmap alone")):
        pts = sorted((r.cores, r.median, r.p99) for r in _ns_rows(rows, "shootdown") if r.metric == metric)
        if pts:
            ax.errorbar([p[0] for p in pts], [p[1] for p in pts],
                        yerr=[[0] * len(pts), [max(p[2] - p[1], 0) for p in pts]], fmt=style, marker="s",
                        capsize=3, color="tab:red", alpha=1.0 if metric == "unmap_shootdown" else 0.5, label=label)
    linux = sorted((r.cores, r.median) for r in _ns_rows(rows, "linux-munmap"))
    if linux:
        ax.plot([p[0] for p in linux], [p[1] for p in linux], "--", marker="o", color="tab:blue",
                label="Linux munmap (same QEMU)")
    ax.set_title("shootdown: unmap of a page touched on every core\n(median, bar to p99)")
    ax.set_ylabel("ns per unmap")


def summarize_shootdown(rows: Sequence[Row]) -> str:
    out = ["shootdown: unmap of a page every core touched, with the TLB shootdown of every other core (median ns)",
           f"{'cores':>5}{'ours':>16}{'ours p99':>16}{'unmap only':>12}{'Linux munmap':>16}{'ours / Linux':>14}"]
    for n in sorted({r.cores for r in rows if r.suite == "shootdown"}):
        ours = next((r for r in _ns_rows(rows, "shootdown") if r.cores == n and r.metric == "unmap_shootdown"), None)
        unmap = next((r for r in _ns_rows(rows, "shootdown") if r.cores == n and r.metric == "unmap"), None)
        linux = next((r for r in _ns_rows(rows, "linux-munmap") if r.cores == n), None)
        ratio = f"{ours.median / linux.median:.2f}x" if ours and linux and linux.median else "-"
        out.append(f"{n:>5}{(f'{ours.median:,.0f}' if ours else '-'):>16}{(f'{ours.p99:,.0f}' if ours else '-'):>16}"
                   f"{(f'{unmap.median:,.0f}' if unmap else '-'):>12}"
                   f"{(f'{linux.median:,.0f}' if linux else '-'):>16}{ratio:>14}")
    out.append("ours: kVNodeUnmap here, then Local.shootdown to the monitor, which multicasts to every other core's")
    out.append("monitor and returns after the last acknowledgement; Linux: munmap (with its IPIs), one thread per CPU.")
    return "\n".join(out)


AGREE_TOPOLOGIES = ["flat", "tree"]
AGREE_LATENCIES = ["round", "alloc", "move"]  # metric prefixes with ns rows (monitor/bench.cpp)


def scale_agree(args: argparse.Namespace, counts: List[int]) -> List[str]:
    """bench-agree in the monitors, one boot per core count and topology:
    agreement round latency, pipelined throughput, local allocation and a
    chunk move between cores (one at a time from core 0, and every core at
    once: aggregate throughput)."""
    check_kernel(args)
    samples = args.samples or (20 if args.quick else 200)
    out: List[str] = []
    runs = [(n, t) for n in counts for t in AGREE_TOPOLOGIES]
    for i, (n, topology) in enumerate(runs, 1):
        left = _remaining(args)
        cmd = qemu_cmd(args, n, [f"bench-agree={samples}", f"agree={topology}", "shutdown"])
        cmd[cmd.index("--timeout") + 1] = str(int(min(left, 1500)))
        lines = run_streaming(cmd, f"agree, {n} cores, {topology} ({i} of {len(runs)})", left)
        rows = [l for l in serial_rows(lines) if l.startswith("CSV agree,")]
        metrics = {l.split(",")[1] for l in rows}
        want = {f"round_{topology}", f"pipelined_{topology}", f"alloc_{topology}", f"alloc_all_{topology}"}
        if n > 1:
            want |= {f"move_{topology}", f"move_all_{topology}"}
        if want - metrics:
            raise BenchError(f"agree, {n} cores, {topology}: no row for {', '.join(sorted(want - metrics))}")
        if not any("BENCH agree done" in l for l in lines):
            raise BenchError(f"agree, {n} cores, {topology}: no 'BENCH agree done' line")
        out += rows
    return out


def plot_agree(ax, rows: Sequence[Row]) -> None:
    chosen = [r for r in rows if r.suite == "agree" and r.unit == "ns"]
    colors = {"round": "tab:blue", "alloc": "tab:green", "move": "tab:red"}
    for prefix in AGREE_LATENCIES:
        for topology, style in (("flat", "-"), ("tree", "--")):
            pts = sorted((r.cores, r.median) for r in chosen if r.metric == f"{prefix}_{topology}")
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", color=colors[prefix],
                        label=f"{prefix}, {topology}")
    ax.set_title("agree: agreement round, local allocation, chunk move\n(median; flat solid, tree dashed;"
                 " dotted, right: all cores at once)")
    ax.set_ylabel("ns per operation")
    ops = [r for r in rows if r.suite == "agree" and r.unit == "ops_per_s"]
    right = ax.twinx()
    for prefix, color in (("alloc_all", "tab:green"), ("move_all", "tab:red")):
        pts = sorted((r.cores, r.median) for r in ops if r.metric == f"{prefix}_flat")
        if pts:
            right.plot([p[0] for p in pts], [p[1] for p in pts], ":", marker="s", color=color, label=f"{prefix}, flat")
    right.set_yscale("log")
    right.set_ylabel("operations per second, all cores together")
    right.legend(loc="upper center", fontsize="small")


def summarize_agree(rows: Sequence[Row]) -> str:
    out = ["agree: median ns per operation (round = one empty agreed operation from core 0; alloc = a 4 KiB piece",
           "of the local pool; move = one chunk moved here by agreement); ops/s = every core's operations at once",
           "(pipelined rounds, local allocations, chunk moves pulled by every core)",
           f"{'cores':>5}{'topology':>9}{'round':>12}{'alloc':>10}{'move':>12}{'pipelined ops/s':>18}"
           f"{'alloc ops/s':>14}{'moves/s':>10}"]
    for n in sorted({r.cores for r in rows if r.suite == "agree"}):
        for topology in AGREE_TOPOLOGIES:
            def cell(prefix: str) -> str:
                r = next((x for x in rows if x.suite == "agree" and x.cores == n and x.unit == "ns"
                          and x.metric == f"{prefix}_{topology}"), None)
                return f"{r.median:,.0f}" if r else "-"
            def rate(prefix: str) -> str:
                r = next((x for x in rows if x.suite == "agree" and x.cores == n and x.metric == f"{prefix}_{topology}"),
                         None)
                return f"{r.median:,.0f}" if r else "-"
            out.append(f"{n:>5}{topology:>9}{cell('round'):>12}{cell('alloc'):>10}{cell('move'):>12}"
                       f"{rate('pipelined'):>18}{rate('alloc_all'):>14}{rate('move_all'):>10}")
    return "\n".join(out)


def scale_kv(args: argparse.Namespace, counts: List[int]) -> List[str]:
    """The tutorial service (services/kv): every core's kvtest hammers its own
    replica at once; each update's latency is agreement among all replicas
    plus the apply, measured by the client (call to reply). One boot per core
    count; 1 core is the baseline (one replica: no agreement messages)."""
    check_kernel(args)
    out: List[str] = []
    for i, n in enumerate(counts, 1):
        left = _remaining(args)
        cmd = qemu_cmd(args, n, ["run=kvtest:all", "shutdown"])
        cmd[cmd.index("--timeout") + 1] = str(int(min(left, 1500)))
        lines = run_streaming(cmd, f"kv, {n} cores ({i} of {len(counts)})", left)
        rows = [l for l in serial_rows(lines) if l.startswith("CSV kv,update_latency,")]
        cores_seen = {l.split(",")[4] for l in rows}
        if len(cores_seen) != n:
            raise BenchError(f"kv, {n} cores: latency rows from {len(cores_seen)} cores")
        if not any(f"KV ok replicas={n} identical={n}" in l for l in lines):
            raise BenchError(f"kv, {n} cores: no 'KV ok replicas={n} identical={n}' line (replicas differ?)")
        out += rows
    return out


# kv is judged in TSC cycles: under TCG the guest's TSC is the host's, while
# the guest's calibration of its rate (the ns rows) drifts when the host is
# loaded, as it is when 8 vCPUs share 2 host CPUs.
def _kv_medians(rows: Sequence[Row]) -> Dict[int, Tuple[float, float, float]]:
    """Per core count: the median over cores of each core's median, the
    lowest and the highest per-core median (TSC cycles)."""
    out = {}
    for n in sorted({r.cores for r in rows if r.suite == "kv"}):
        meds = sorted(r.median for r in rows if r.suite == "kv" and r.cores == n and r.unit == "cycles")
        if meds:
            out[n] = (meds[len(meds) // 2], meds[0], meds[-1])
    return out


def plot_kv(ax, rows: Sequence[Row]) -> None:
    pts = _kv_medians(rows)
    xs = sorted(pts)
    ax.errorbar(xs, [pts[n][0] for n in xs], yerr=[[pts[n][0] - pts[n][1] for n in xs], [pts[n][2] - pts[n][0] for n in xs]],
                marker="o", capsize=3, color="tab:purple", label="kv update (bar: per-core medians' range)")
    agree = sorted((r.cores, r.median) for r in rows if r.suite == "agree" and r.unit == "cycles" and r.metric == "round_flat")
    if agree:
        ax.plot([p[0] for p in agree], [p[1] for p in agree], "--", marker="s", color="tab:blue",
                label="agree round (monitors, idle system)")
    ax.set_title("kv: replicated update latency, every core updating at once\n(client call to reply, median)")
    ax.set_ylabel("TSC cycles per update")


def summarize_kv(rows: Sequence[Row]) -> str:
    out = ["kv: update latency of the tutorial service, every core updating its own replica at once (TSC cycles, median",
           "over cores of each core's median; 1 core = one replica, no agreement messages)",
           f"{'cores':>5}{'median':>14}{'lowest core':>14}{'highest core':>14}"]
    for n, (med, lo, hi) in _kv_medians(rows).items():
        out.append(f"{n:>5}{med:>14,.0f}{lo:>14,.0f}{hi:>14,.0f}")
    return "\n".join(out)


def _ns_rows(rows: Sequence[Row], suite: str) -> List[Row]:
    return [r for r in rows if r.suite == suite and r.unit == "ns"]


def plot_shared_update(ax, rows: Sequence[Row]) -> None:
    chosen = _ns_rows(rows, "shared-update")
    colors = {1: "tab:blue", 4: "tab:orange", 8: "tab:red"}
    for lines in SHARED_SIZES:
        for method, style in (("lock", "-"), ("message", "--")):
            pts = sorted((r.cores, r.median) for r in chosen if r.metric == shared_metric(method, lines))
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o" if method == "lock" else "s",
                        color=colors.get(lines), label=f"{method}, {lines} line{'s' if lines > 1 else ''}")
    ax.set_title("shared-update: cost per update (median)\nlock in shared memory (solid) vs message to owner (dashed)")
    ax.set_ylabel("ns per update")


def plot_linux_munmap(ax, rows: Sequence[Row]) -> None:
    pts = sorted((r.cores, r.median, r.p99) for r in _ns_rows(rows, "linux-munmap"))
    ax.errorbar([p[0] for p in pts], [p[1] for p in pts], yerr=[[0] * len(pts), [max(p[2] - p[1], 0) for p in pts]],
                marker="o", capsize=3, color="tab:blue", label="Linux munmap (bar to p99)")
    ax.set_title("linux-munmap: munmap of a page touched on every CPU\n(unmap + TLB shootdown; median)")
    ax.set_ylabel("ns per munmap")


def summarize_shared_update(rows: Sequence[Row]) -> str:
    chosen = _ns_rows(rows, "shared-update")
    cycles = [r for r in rows if r.suite == "shared-update" and r.unit == "cycles"]
    out = ["shared-update: median cost per update, ns (cycles); lock/message = how much dearer the lock is",
           f"{'cores':>5}{'lines':>6}{'lock':>26}{'message':>26}{'lock/message':>14}"]
    for n in sorted({r.cores for r in chosen}):
        for lines in SHARED_SIZES:
            cells, ns = [], {}
            for method in SHARED_METHODS:
                r = next((x for x in chosen if x.cores == n and x.metric == shared_metric(method, lines)), None)
                c = next((x for x in cycles if x.cores == n and x.metric == shared_metric(method, lines)), None)
                ns[method] = r.median if r else None
                cells.append(f"{r.median:,.0f} ({c.median:,.0f})" if r and c else "n/a")
            ratio = f"{ns['lock'] / ns['message']:.3g}x" if ns["lock"] and ns["message"] else "n/a"
            out.append(f"{n:>5}{lines:>6}{cells[0]:>26}{cells[1]:>26}{ratio:>14}")
    out.append("message rows: core 0 owns the record and the other cores are its clients (on 1 core, core 0 is both).")
    return "\n".join(out)


def summarize_linux_munmap(rows: Sequence[Row]) -> str:
    out = ["linux-munmap: munmap of a page touched by a pinned thread on every CPU",
           f"{'cores':>5}{'median ns':>14}{'p99 ns':>14}{'samples':>9}"]
    for r in sorted(_ns_rows(rows, "linux-munmap"), key=lambda r: r.cores):
        out.append(f"{r.cores:>5}{r.median:>14,.0f}{r.p99:>14,.0f}{r.samples:>9}")
    return "\n".join(out)


@dataclass
class Experiment:
    name: str
    description: str
    run: Callable[[argparse.Namespace, List[int]], List[str]]
    plot: Callable[..., None]  # (matplotlib axes, rows)
    summarize: Callable[[Sequence[Row]], str]


SCALE_EXPERIMENTS: Dict[str, Experiment] = {e.name: e for e in [
    Experiment("shared-update", "update a 1/4/8-line record under a shared lock vs by message to its owner core",
               scale_shared_update, plot_shared_update, summarize_shared_update),
    Experiment("agree", "agreement round latency and pipelined throughput (flat vs tree), allocation and chunk moves",
               scale_agree, plot_agree, summarize_agree),
    Experiment("kv", "the tutorial service: replicated update latency with every core updating at once (1 core: baseline)",
               scale_kv, plot_kv, summarize_kv),
    Experiment("shootdown", "unmap + TLB shootdown of a page touched on every core, by a domain spanning them all",
               scale_shootdown, plot_shootdown, summarize_shootdown),
    Experiment("linux-munmap", "Linux munmap of a page touched on every CPU (baseline for unmap with shootdown)",
               scale_linux_munmap, plot_linux_munmap, summarize_linux_munmap),
]}


def scale_experiments(args: argparse.Namespace) -> List[Experiment]:
    if not args.experiments:
        return list(SCALE_EXPERIMENTS.values())
    names = [n for n in args.experiments.split(",") if n]
    unknown = [n for n in names if n not in SCALE_EXPERIMENTS]
    if unknown or not names:
        raise BenchError(f"--experiments: unknown experiment {(unknown or [''])[0]!r} "
                         f"(known: {', '.join(SCALE_EXPERIMENTS)})")
    return [SCALE_EXPERIMENTS[n] for n in names]


def run_scale(args: argparse.Namespace) -> List[str]:
    counts = core_counts(args, "1,2,4,8", "1,2")
    args.deadline = time.monotonic() + args.timeout
    chosen = scale_experiments(args)
    out: List[str] = []
    for i, e in enumerate(chosen, 1):
        print(f"bench.py: scale: experiment {i} of {len(chosen)}: {e.name} at {','.join(map(str, counts))} cores",
              file=sys.stderr, flush=True)
        started = time.monotonic()
        out += e.run(args, counts)
        print(f"bench.py: scale: {e.name} done in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return out


def plot_scale(rows: Sequence[Row], path: str, title: str) -> None:
    plt = _pyplot()
    present = [e for e in SCALE_EXPERIMENTS.values() if any(r.suite == e.name for r in rows)]
    fig, axes = plt.subplots(1, len(present), figsize=(6.5 * len(present), 5), squeeze=False)
    for ax, e in zip(axes[0], present):
        e.plot(ax, rows)
        ax.set_xlabel("cores")
        ax.set_xticks(sorted({r.cores for r in rows if r.suite == e.name}))
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summarize_scale(rows: Sequence[Row]) -> str:
    parts = [e.summarize(rows) for e in SCALE_EXPERIMENTS.values() if any(r.suite == e.name for r in rows)]
    parts.append("MTTCG: host time. Above 2 vCPUs on a 2-core host the figures include host time-slicing.")
    return "\n\n".join(parts)
