"""What every suite of the benchmark driver shares (bench.py): the rows and
their CSV, matplotlib, and running the guest under the launcher."""
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
