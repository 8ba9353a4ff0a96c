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
import importlib.util
import io
import math
import os
import statistics
import subprocess
import sys
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
    colors = ["tab:red" if n == "urpc" else "tab:gray" if n == "raw" else "tab:blue" for n in names]
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
    # Stub overhead (generated IDL stubs against raw slots) belongs here once
    # the IDL work provides a suite that measures it; until then, say so.
    stub = find(rows, "stub", "oneway_latency")
    if stub is None:
        out.append("IDL stub overhead        : not measured yet (needs the generated stubs)")
    else:
        out.append(f"IDL stub / urpc           = {stub.median / urpc.median:.2f}x")
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


LATENCY_MECHANISMS = ["urpc", "raw", "pipe", "eventfd", "futex", "condvar"]
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
    # A guest suite registers here the same way: a runner that boots QEMU with
    # -smp N for each N in --cores and returns the serial output, marker="CSV ",
    # and plot_metric_vs_cores for its figures.
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
    p.add_argument("--timeout", type=int, default=1800, help="seconds before giving up on the suite")
    args = p.parse_args(argv)
    ensure_matplotlib()

    suite = SUITES[args.suite]
    out_dir = args.out or os.path.join(args.build_dir, "bench")
    os.makedirs(out_dir, exist_ok=True)
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
