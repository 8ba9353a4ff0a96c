#!/usr/bin/env python3
"""The benchmark driver: runs one suite, collects its CSV rows, writes
DIR/SUITE.csv and DIR/SUITE.png, and prints a summary with ratios against
the baselines measured in the same run.

    bench.py SUITE [--cores LIST] [--out DIR] [--quick] [--samples N] --build-dir BUILD

Every benchmark prints rows with the columns
suite,metric,mode,cores,src,dst,unit,median,p99,samples (docs/urpc.md).
A suite is an entry in SUITES: how to run it, which rows it must produce,
how to plot them and how to summarise them. Suites that run inside QEMU
print the same rows on the serial console behind a marker (e.g. "CSV "),
which parse_rows() strips, so they need only a runner of their own.

What every suite shares (rows, CSV, matplotlib, running the guest) is in
benchlib.py; the scale suite's experiments are in scale.py.
"""

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
from scale import SCALE_EXPERIMENTS, plot_scale, run_scale, summarize_scale

# ---------------------------------------------------------------- plotting



def plot_metric_vs_cores(ax, rows: Sequence[Row], metric: str) -> None:
    """Generic: one line per suite, median against core count, error bars
    up to p99. Used by suites that sweep the core count. Several rows for
    one suite and core count (e.g. every src/dst pair of a latency matrix)
    are drawn as one point: the median of their medians and of their p99s."""
    chosen = [r for r in rows if r.metric == metric]
    for suite in sorted({r.suite for r in chosen}):
        xs, ys, up = [], [], []
        for cores in sorted({r.cores for r in chosen if r.suite == suite}):
            group = [r for r in chosen if r.suite == suite and r.cores == cores]
            med = statistics.median(r.median for r in group)
            p99 = statistics.median(r.p99 for r in group)
            xs.append(cores)
            ys.append(med)
            up.append(max(p99 - med, 0))
        ax.errorbar(xs, ys, yerr=[[0] * len(ys), up], marker="o", capsize=3, label=suite)
    unit = chosen[0].unit if chosen else ""
    ax.set_xticks(sorted({r.cores for r in chosen}))
    ax.set_xlabel("cores")
    ax.set_ylabel(f"{metric} ({unit})")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)


def plot_bars(ax, rows: Sequence[Row], metric: str, low_tail: bool) -> None:
    """One bar per suite (mechanism) for a fixed core count: median, with
    an error bar to p99 (above for latencies, below for rates)."""
    chosen = [r for r in rows if r.metric == metric]
    names = [r.suite for r in chosen]
    medians = [r.median for r in chosen]
    tail = [abs(r.median - r.p99) for r in chosen]
    yerr = [tail, [0] * len(tail)] if low_tail else [[0] * len(tail), tail]
    colors = ["tab:red" if n == "urpc" else "tab:orange" if n == "stub" else "tab:gray" if n == "raw"
              else "tab:blue" for n in names]
    ax.set_yscale("log")
    # On a log axis a bar needs an explicit floor below the smallest value.
    floor = min([r.median for r in chosen] + [r.p99 for r in chosen]) / 4
    ax.bar(names, [m - floor for m in medians], bottom=floor, yerr=yerr, capsize=4, color=colors)
    ax.set_ylim(bottom=floor)
    ax.set_ylabel(f"{metric} ({chosen[0].unit})" if chosen else metric)
    ax.grid(True, axis="y", which="both", alpha=0.3)
    for i, v in enumerate(medians):
        ax.text(i, math.sqrt(v * floor), f"{v:.3g}", ha="center", va="center", fontsize=8,
                color="white", fontweight="bold")


def plot_urpc_host(rows: Sequence[Row], path: str, title: str) -> None:
    plt = _pyplot()
    fig, (lat, thr) = plt.subplots(1, 2, figsize=(12, 4.5))
    if len({r.cores for r in rows}) > 1:
        plot_metric_vs_cores(lat, rows, "oneway_latency")
        plot_metric_vs_cores(thr, rows, "throughput")
    else:
        plot_bars(lat, rows, "oneway_latency", low_tail=False)
        plot_bars(thr, rows, "throughput", low_tail=True)
    lat.set_title("one-way latency: median, bar to p99 (lower is better)")
    thr.set_title("one-direction throughput: median, bar to p1 (higher is better)")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------- summaries

def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def summarize_urpc_host(rows: Sequence[Row]) -> str:
    out = []
    raw = find(rows, "raw", "oneway_latency")
    urpc = find(rows, "urpc", "oneway_latency")
    out.append(f"{'one-way latency':<16}{'median ns':>12}{'p99 ns':>12}{'x raw':>9}{'x urpc':>9}")
    for r in rows:
        if r.metric != "oneway_latency":
            continue
        out.append(f"{r.suite:<16}{r.median:>12.1f}{r.p99:>12.1f}"
                   f"{r.median / raw.median:>9.2f}{r.median / urpc.median:>9.2f}")
    out.append("")
    out.append(f"{'throughput':<16}{'median msg/s':>14}{'p1 msg/s':>14}{'x urpc':>9}")
    urpc_t = find(rows, "urpc", "throughput")
    for r in rows:
        if r.metric != "throughput":
            continue
        out.append(f"{r.suite:<16}{r.median:>14.4g}{r.p99:>14.4g}{r.median / urpc_t.median:>9.3f}")
    out.append("")
    ratio_raw = urpc.median / raw.median
    out.append(f"urpc / raw ping-pong      = {ratio_raw:.2f}x  (target <= 1.3x: {_verdict(ratio_raw <= 1.3)})")
    for base in ("futex", "pipe"):
        b = find(rows, base, "oneway_latency")
        speedup = b.median / urpc.median
        out.append(f"{base + ' / urpc':<25} = {speedup:.1f}x  (target >= 20x: {_verdict(speedup >= 20)})")
    # The generated IDL stubs (Boot.ping, 8 bytes) against the raw channel
    # slots, both measured sample by sample on the same pair of threads.
    stub = find(rows, "stub", "oneway_latency")
    if stub is None:
        out.append("IDL stub / urpc          : not measured (no stub row)")
    else:
        ratio = stub.median / urpc.median
        out.append(f"IDL stub / urpc           = {ratio:.2f}x  (target < 1.10x: {_verdict(ratio < 1.10)})")
    return "\n".join(out)


# ---------------------------------------------------------------- runners

def host_binary_runner(relpath: str) -> Callable[[argparse.Namespace], List[str]]:
    """Runs a host benchmark binary from the build directory and returns its
    stdout lines; its stderr (progress) goes straight to ours."""
    def run(args: argparse.Namespace) -> List[str]:
        exe = os.path.join(args.build_dir, relpath)
        if not os.access(exe, os.X_OK):
            raise BenchError(f"{exe} not found: build it first (ninja -C {args.build_dir})")
        cmd = [exe]
        if args.quick:
            cmd.append("--quick")
        if args.samples:
            cmd += ["--samples", str(args.samples)]
        if args.cores:
            cpus = args.cores.split(",")
            if len(cpus) != 2 or not all(c.isdigit() for c in cpus):
                raise BenchError("--cores for a host suite is two CPU numbers, e.g. 0,1")
            cmd += ["--cpus", args.cores]
        try:
            done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{relpath} did not finish within {args.timeout} s") from None
        if done.returncode != 0:
            raise BenchError(f"{relpath} exited with status {done.returncode}")
        return done.stdout.splitlines()
    return run


# ---------------------------------------------------------------- guest suites
def run_urpc_guest(args: argparse.Namespace) -> List[str]:
    check_kernel(args)
    out: List[str] = []
    for n in core_counts(args, "2,4", "2"):
        if n < 2:
            raise BenchError("--cores: the urpc suite needs at least 2 cores per run")
        lines = run_streaming(qemu_cmd(args, n, ["bench-urpc", "shutdown"]), f"urpc, {n} cores", args.timeout)
        rows = serial_rows(lines)
        if not any(l.startswith("CSV urpc,") for l in rows):
            raise BenchError(f"urpc, {n} cores: the guest printed no rows")
        have = {tuple(l[4:].split(",")[4:6]) for l in rows if l.startswith("CSV urpc,one_way_latency,")}
        want = {(str(s), str(d)) for s in range(n) for d in range(n) if s != d}
        if want - have:
            missing = ", ".join(f"{s}->{d}" for s, d in sorted(want - have))
            raise BenchError(f"urpc, {n} cores: no latency row for {missing}")
        out += rows
    return out


def plot_urpc_guest(rows: Sequence[Row], path: str, title: str) -> None:
    plt = _pyplot()
    lat = [r for r in rows if r.metric == "one_way_latency"]
    largest = max(r.cores for r in lat)
    fig, (heat, line) = plt.subplots(1, 2, figsize=(12, 5))
    grid = [[float("nan")] * largest for _ in range(largest)]
    for r in lat:
        if r.cores == largest:
            grid[int(r.src)][int(r.dst)] = r.median
    im = heat.imshow(grid, cmap="viridis", norm=_lognorm(lat, largest))
    for s in range(largest):
        for d in range(largest):
            if not math.isnan(grid[s][d]):
                heat.text(d, s, _short_ns(grid[s][d]), ha="center", va="center", fontsize=8, color="white")
    heat.set_xticks(range(largest))
    heat.set_yticks(range(largest))
    heat.set_xlabel("dst core")
    heat.set_ylabel("src core")
    heat.set_title(f"median one-way latency, {largest} cores (ns)")
    fig.colorbar(im, ax=heat, shrink=0.8)
    plot_metric_vs_cores(line, lat, "one_way_latency")
    line.set_title("median over pairs, bar to median p99")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _lognorm(rows: Sequence[Row], cores: int):
    from matplotlib.colors import LogNorm
    vals = [r.median for r in rows if r.cores == cores]
    return LogNorm(vmin=min(vals), vmax=max(max(vals), min(vals) * 1.01))


def _short_ns(ns: float) -> str:
    return f"{ns / 1000:.1f}µ" if ns >= 1000 else f"{ns:.0f}"


def summarize_urpc_guest(rows: Sequence[Row]) -> str:
    out = [f"{'cores':>5}{'pairs':>7}{'median of medians ns':>22}{'max median ns':>15}"
           f"{'median p99 ns':>15}  throughput 0->k msg/s"]
    for n in sorted({r.cores for r in rows}):
        lat = [r for r in rows if r.cores == n and r.metric == "one_way_latency"]
        thr = [r for r in rows if r.cores == n and r.metric == "throughput"]
        worst = max(lat, key=lambda r: r.median)
        thr_text = ", ".join(f"{r.median:.3g}" for r in sorted(thr, key=lambda r: int(r.dst))) or "none"
        out.append(f"{n:>5}{len(lat):>7}{statistics.median(r.median for r in lat):>22.0f}"
                   f"{worst.median:>15.0f}{statistics.median(r.p99 for r in lat):>15.0f}  {thr_text}")
        out.append(f"{'':>12}slowest pair: {worst.src}->{worst.dst}")
    out.append("")
    out.append("MTTCG: host time. Above 2 vCPUs on a 2-core host the figures include host")
    out.append("time-slicing (a peer that is not running must be woken: tens of µs).")
    return "\n".join(out)


EXO_LINUX_TESTS = ["null_syscall", "fault_upcall", "fault_signal", "pipe_pingpong_same_core", "vfork_exec"]
# Ours against Linux's equivalent; None: not measured by this OS yet.
EXO_PAIRS = [
    ("null syscall", "null_syscall", "null_syscall", "getppid"),
    ("fault to user handler", "fault_upcall", "fault_upcall", "SIGSEGV + mprotect"),
    ("same-core IPC round trip", "pct_roundtrip", "pipe_pingpong_same_core_roundtrip", "pipe ping-pong"),
    ("domain spawn", "domain_spawn", "vfork_exec", "vfork + exec + exit + wait"),
]
EXO_TARGET = 5.0
# The operations the exokernel target (Linux / ours >= 5x) applies to:
# exception dispatch and same-core IPC. The others are reported for comparison.
EXO_TARGETED = {"fault_upcall", "pct_roundtrip"}


def run_exo(args: argparse.Namespace) -> List[str]:
    check_kernel(args)
    ours = run_streaming(qemu_cmd(args, 1, ["run=benchexo", "shutdown"], icount=True),
                         "exo, 1 core, icount", args.timeout)
    ours = [l for l in serial_rows(ours) if l.startswith("CSV ")]
    if not ours:
        raise BenchError("exo: the guest printed no rows")
    linux_csv = os.path.join(args.out_dir, "exo-linux.csv")
    cmd = [sys.executable, RUN_LINUX_PY, "--build-dir", args.build_dir, "--mode", "icount",
           "--cores", "1", "--tests", ",".join(EXO_LINUX_TESTS), "--out", linux_csv,
           "--timeout", str(args.timeout)]
    if args.quick:
        cmd.append("--quick")
    if args.samples:
        cmd += ["--samples", str(args.samples)]
    run_streaming(cmd, "exo, Linux baseline (icount)", args.timeout + 60)
    with open(linux_csv, encoding="utf-8") as f:
        linux = ["CSV " + l for l in f.read().splitlines()]
    return ours + linux


def _exo_value(rows: Sequence[Row], suite: str, metric: Optional[str]) -> Optional[Row]:
    return None if metric is None else find(rows, suite, metric)


def plot_exo(rows: Sequence[Row], path: str, title: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.8))
    labels = [p[0] for p in EXO_PAIRS]
    width = 0.38
    for k, (suite, color) in enumerate((("exo", "tab:red"), ("linux", "tab:blue"))):
        xs, ys = [], []
        for i, pair in enumerate(EXO_PAIRS):
            r = _exo_value(rows, suite, pair[1] if suite == "exo" else pair[2])
            if r is not None:
                xs.append(i + (k - 0.5) * width)
                ys.append(r.median)
        ax.bar(xs, ys, width, color=color, label="this OS" if suite == "exo" else "Linux")
        for x, y in zip(xs, ys):
            ax.text(x, y, f"{y:,.0f}", ha="center", va="bottom", fontsize=8)
    for i, pair in enumerate(EXO_PAIRS):
        if pair[1] is None:
            ax.text(i - 0.5 * width, 1, "n/a", ha="center", va="bottom", fontsize=8, color="tab:red")
    ax.set_yscale("log")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels)
    ax.set_ylabel("instructions (icount; median)")
    ax.legend()
    ax.grid(True, axis="y", which="both", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summarize_exo(rows: Sequence[Row]) -> str:
    out = [f"{'operation':<24}{'ours insns':>12}{'Linux insns':>13}  {'Linux path':<28}{'Linux / ours':>14}"]
    verdicts = []
    for label, ours_metric, linux_metric, linux_path in EXO_PAIRS:
        ours = _exo_value(rows, "exo", ours_metric)
        linux = find(rows, "linux", linux_metric)
        lin_text = f"{linux.median:,.0f}" if linux else "missing"
        if ours is None or linux is None:
            out.append(f"{label:<24}{'n/a':>12}{lin_text:>13}  {linux_path:<28}{'n/a (not measured yet)':>14}")
            continue
        ratio = linux.median / ours.median
        if ours_metric in EXO_TARGETED:
            verdicts.append(ratio >= EXO_TARGET)
        out.append(f"{label:<24}{ours.median:>12,.0f}{lin_text:>13}  {linux_path:<28}{ratio:>13.2f}x")
    sig = find(rows, "linux", "fault_signal")
    if sig is not None:
        out.append(f"(Linux fault_signal, SIGSEGV handler that redirects the access without mprotect: "
                   f"{sig.median:,.0f})")
    out.append("")
    out.append(f"target: Linux / ours >= {EXO_TARGET:.0f}x for exception dispatch and same-core IPC: "
               f"{_verdict(bool(verdicts) and len(verdicts) == len(EXO_TARGETED) and all(verdicts))} "
               f"({sum(verdicts)} of {len(EXO_TARGETED)} met)")
    out.append("domain spawn: ours runs until the new domain's first call to its parent; Linux's includes exit and wait.")
    out.append("icount: -icount shift=0, one core; Linux's ns rows are instruction counts there.")
    return "\n".join(out)


@dataclass
class Suite:
    name: str
    description: str
    run: Callable[[argparse.Namespace], List[str]]
    expected: List[Tuple[str, str]]
    plot: Callable[[Sequence[Row], str, str], None]
    summarize: Callable[[Sequence[Row]], str]
    marker: Optional[str] = None  # line prefix of rows in mixed output (serial consoles)
    extra: Dict[str, str] = field(default_factory=dict)


LATENCY_MECHANISMS = ["urpc", "raw", "stub", "pipe", "eventfd", "futex", "condvar"]
THROUGHPUT_MECHANISMS = ["urpc", "raw", "pipe", "condvar"]

SUITES: Dict[str, Suite] = {
    "urpc-host": Suite(
        name="urpc-host",
        description="URPC channel vs raw cache-line, pipe, eventfd, futex, condvar on host cores",
        run=host_binary_runner(os.path.join("test", "bench", "urpc-host")),
        expected=[(m, "oneway_latency") for m in LATENCY_MECHANISMS]
        + [(m, "throughput") for m in THROUGHPUT_MECHANISMS],
        plot=plot_urpc_host,
        summarize=summarize_urpc_host,
    ),
    "urpc": Suite(
        name="urpc",
        description="URPC one-way latency matrix and throughput in the guest (MTTCG, --cores 2,4)",
        run=run_urpc_guest,
        expected=[("urpc", "one_way_latency"), ("urpc", "throughput")],
        plot=plot_urpc_guest,
        summarize=summarize_urpc_guest,
        marker="CSV ",
    ),
    "exo": Suite(
        name="exo",
        description="null syscall and fault upcall in the guest against Linux (icount, 1 core)",
        run=run_exo,
        expected=[("exo", "null_syscall"), ("exo", "fault_upcall"),
                  ("linux", "null_syscall"), ("linux", "fault_upcall")],
        plot=plot_exo,
        summarize=summarize_exo,
        marker="CSV ",
    ),
    "scale": Suite(
        name="scale",
        description="experiments against core count, with baselines (mttcg, --cores 1,2,4,8): "
        + ", ".join(SCALE_EXPERIMENTS),
        run=run_scale,
        expected=[],  # each experiment checks its own rows
        plot=plot_scale,
        summarize=summarize_scale,
        marker="CSV ",
    ),
}


# ---------------------------------------------------------------- main

def ensure_matplotlib() -> None:
    """The plots need matplotlib, which comes from Debian (python3-matplotlib).
    A python3 from elsewhere on PATH may lack it: then rerun under the
    system interpreter rather than fail."""
    if importlib.util.find_spec("matplotlib") is not None:
        return
    system = "/usr/bin/python3"
    if os.environ.get("MK_BENCH_REEXEC") != "1" and os.access(system, os.X_OK) \
            and os.path.realpath(sys.executable) != os.path.realpath(system):
        os.environ["MK_BENCH_REEXEC"] = "1"
        os.execv(system, [system, os.path.abspath(__file__)] + sys.argv[1:])
    raise BenchError("matplotlib is missing: apt-get install python3-matplotlib")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, like every other failure
        raise BenchError(message)


def main(argv: Sequence[str]) -> int:
    p = _Parser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="suites:\n" + "\n".join(
                                    f"  {s.name:<12} {s.description}" for s in SUITES.values()))
    p.add_argument("suite", choices=sorted(SUITES))
    p.add_argument("--build-dir", required=True, help="the meson build directory")
    p.add_argument("--out", default=None, help="output directory (default: BUILD/bench)")
    p.add_argument("--cores", default=None,
                   help="host suites: the two CPUs to use, e.g. 0,1; guest suites: core counts")
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    p.add_argument("--samples", type=int, default=None, help="latency samples per mechanism")
    p.add_argument("--timeout", type=int, default=None,
                   help="seconds before giving up on the suite (default 1800; scale: 3600)")
    p.add_argument("--experiments", default=None,
                   help="scale: comma-separated experiments to run (default all: "
                   + ", ".join(SCALE_EXPERIMENTS) + ")")
    args = p.parse_args(argv)
    ensure_matplotlib()

    suite = SUITES[args.suite]
    out_dir = args.out or os.path.join(args.build_dir, "bench")
    os.makedirs(out_dir, exist_ok=True)
    args.out_dir = out_dir
    if args.experiments is not None and suite.name != "scale":
        raise BenchError("--experiments applies to the scale suite only")
    if args.timeout is None:
        # scale boots QEMU twice per core count, up to 8 vCPUs on a shared host.
        args.timeout = 3600 if suite.name == "scale" else 1800
    if args.timeout <= 0:
        raise BenchError("--timeout must be positive")
    if args.samples is not None and args.samples <= 0:
        raise BenchError("--samples must be positive")
    rows = parse_rows(suite.run(args), suite.marker, source=suite.name)
    check_expected(rows, suite.expected, suite.name)
    csv_path = os.path.join(out_dir, f"{suite.name}.csv")
    png_path = os.path.join(out_dir, f"{suite.name}.png")
    write_csv(rows, csv_path)
    mode = rows[0].mode
    title = f"{suite.name} ({mode}{', quick run' if args.quick else ''})"
    suite.plot(rows, png_path, title)
    print(suite.summarize(rows))
    print(f"\nwrote {csv_path} and {png_path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (BenchError, OSError) as e:
        print(f"bench.py: error: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # a bug here must still fail in one line
        print(f"bench.py: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
