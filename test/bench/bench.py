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

COLUMNS = ["suite", "metric", "mode", "cores", "src", "dst", "unit", "median", "p99", "samples"]
MODES = {"host", "icount", "mttcg", "kvm"}


class BenchError(Exception):
    """A failure the user should see as one line."""


@dataclass(frozen=True)
class Row:
    suite: str
    metric: str
    mode: str
    cores: int
    src: str
    dst: str
    unit: str
    median: float
    p99: float
    samples: int

    def as_list(self) -> List[str]:
        return [self.suite, self.metric, self.mode, str(self.cores), self.src, self.dst,
                self.unit, f"{self.median:.6g}", f"{self.p99:.6g}", str(self.samples)]


# ---------------------------------------------------------------- parsing

def _core_field(value: str, what: str, where: str) -> str:
    if value != "-" and not value.isdigit():
        raise BenchError(f"{where}: {what} must be a core number or '-', got {value!r}")
    return value


def parse_row(fields: Sequence[str], where: str) -> Row:
    if len(fields) != len(COLUMNS):
        raise BenchError(f"{where}: expected {len(COLUMNS)} columns, got {len(fields)}")
    suite, metric, mode, cores, src, dst, unit, median, p99, samples = (f.strip() for f in fields)
    if not suite or not metric or not unit:
        raise BenchError(f"{where}: empty suite, metric or unit")
    if mode not in MODES:
        raise BenchError(f"{where}: unknown mode {mode!r}")
    try:
        row = Row(suite, metric, mode, int(cores), _core_field(src, "src", where),
                  _core_field(dst, "dst", where), unit, float(median), float(p99), int(samples))
    except ValueError as e:
        raise BenchError(f"{where}: not a number ({e})") from None
    if not all(math.isfinite(x) for x in (row.median, row.p99)):
        raise BenchError(f"{where}: median or p99 is not finite")
    if row.median <= 0 or row.p99 <= 0 or row.samples <= 0 or row.cores <= 0:
        raise BenchError(f"{where}: median, p99, samples and cores must be positive")
    return row


def parse_rows(lines: Sequence[str], marker: Optional[str] = None, source: str = "output") -> List[Row]:
    """Rows from benchmark output. With a marker, only lines that start with
    it count (serial consoles mix rows with other messages); the header line
    may appear any number of times and is checked, not returned."""
    rows = []
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if marker is not None:
            if not line.startswith(marker):
                continue
            line = line[len(marker):]
        if not line.strip():
            continue
        fields = next(csv.reader([line]))
        where = f"{source}:{number}"
        if fields and fields[0] == COLUMNS[0]:
            if fields != COLUMNS:
                raise BenchError(f"{where}: bad header {line!r}")
            continue
        rows.append(parse_row(fields, where))
    if not rows:
        raise BenchError(f"{source}: no result rows")
    return rows


def check_expected(rows: Sequence[Row], expected: Sequence[Tuple[str, str]], suite: str) -> None:
    have = {(r.suite, r.metric) for r in rows}
    missing = [f"{s}/{m}" for s, m in expected if (s, m) not in have]
    if missing:
        raise BenchError(f"{suite}: missing rows for {', '.join(missing)}")


def write_csv(rows: Sequence[Row], path: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow(r.as_list())
    with open(path, "w", encoding="utf-8") as f:
        f.write(buf.getvalue())


def find(rows: Sequence[Row], suite: str, metric: str) -> Optional[Row]:
    for r in rows:
        if r.suite == suite and r.metric == metric:
            return r
    return None


# ---------------------------------------------------------------- plotting

def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


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

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QEMU_PY = os.path.join(REPO, "boot", "qemu.py")
RUN_LINUX_PY = os.path.join(REPO, "test", "bench", "linux", "run_linux.py")
SERIAL_PREFIX = re.compile(r"^\[c\d+\] ")


def core_counts(args: argparse.Namespace, default: str, quick: str) -> List[int]:
    text = args.cores or (quick if args.quick else default)
    try:
        counts = [int(c) for c in text.split(",")]
    except ValueError:
        raise BenchError(f"--cores for a guest suite is a list of core counts, e.g. 2,4,8, not {text!r}") from None
    if not counts or any(not 1 <= c <= 64 for c in counts):
        raise BenchError(f"--cores: core counts must be between 1 and 64, got {text!r}")
    return counts


def run_streaming(cmd: List[str], what: str, timeout: float, echo_marker: str = "CSV ") -> List[str]:
    """Runs cmd, passing its lines through as progress on stderr (all of
    them that carry a row or look like a failure, plus a dot per 50 others),
    and returns its stdout lines."""
    print(f"bench.py: {what}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, errors="replace")
    except OSError as e:
        raise BenchError(f"{what}: cannot start {cmd[0]}: {e}") from None
    lines: List[str] = []
    deadline = time.monotonic() + timeout
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            lines.append(line)
            if echo_marker in line or "FAIL" in line or "error" in line.lower() or "BENCH" in line:
                print(f"  {line}", file=sys.stderr, flush=True)
            if time.monotonic() > deadline:
                raise BenchError(f"{what} did not finish within {timeout:.0f} s")
        status = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what} did not finish within {timeout:.0f} s") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if status != 0:
        tail = next((l for l in reversed(lines) if l.strip()), "no output")
        raise BenchError(f"{what} exited with status {status} (last line: {tail.strip()[:160]})")
    return lines


def serial_rows(lines: Sequence[str]) -> List[str]:
    """Serial lines with the "[cN] " prefix of the core that printed them
    removed, and for rows a user domain printed, its "name: " prefix too."""
    out = []
    for line in lines:
        line = SERIAL_PREFIX.sub("", line.replace("\r", ""))
        at = line.find(": CSV ")
        if at > 0 and " " not in line[:at]:
            line = line[at + 2:]
        out.append(line)
    return out


def qemu_cmd(args: argparse.Namespace, cores: int, kernel_args: List[str], icount: bool = False) -> List[str]:
    cmd = [sys.executable, QEMU_PY, "--build-dir", args.build_dir, "--cores", str(cores),
           "--boot", "kernel", "--timeout", str(min(args.timeout, 600))]
    if icount:
        cmd.append("--icount")
    return cmd + ["--"] + kernel_args


def check_kernel(args: argparse.Namespace) -> None:
    kernel = os.path.join(args.build_dir, "cpudriver", "kernel.elf")
    if not os.path.exists(kernel):
        raise BenchError(f"{kernel} not found: build it first (ninja -C {args.build_dir})")


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
