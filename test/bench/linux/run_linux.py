#!/usr/bin/env python3
"""The Linux baseline: boot a Debian kernel in QEMU, configured as the OS's
own launcher configures it, with linbench as /init, and collect its rows.

    run_linux.py [--build-dir BUILD] [--cores 1,2,4] [--mode icount,mttcg]
                 [--tests a,b,...] [--samples N] [--quick] [--out FILE]
                 [--timeout S] [--kernel BZIMAGE] [--append ARGS] [--verbose]

Builds linbench and the initramfs into BUILD/linux-baseline (again only when
a source changed), fetches the kernel from Debian packages if it is not
cached (fetch_kernel.py), then boots once per mode and core count:

    qemu-system-x86_64 -M pc -cpu max -accel tcg,thread=multi -m 512 -smp N
        -display none -serial stdio -no-reboot -nic none
        -device isa-debug-exit,iobase=0xf4,iosize=4
        -kernel vmlinuz -initrd initramfs.cpio -append "console=ttyS0 quiet ..."

--mode icount adds -icount shift=0 with -accel tcg,thread=single and runs
one core only (QEMU refuses icount with MTTCG); --mode kvm uses -accel kvm
-cpu host (not on machines with a nested, paravirtual /dev/kvm).

Writes the rows (columns suite,metric,mode,cores,src,dst,unit,median,p99,
samples; suite "linux") to --out (default BUILD/linux-baseline/linux.csv;
"-" for stdout), serial logs to BUILD/linux-baseline/logs/, progress to
stderr. Exit status 0 on success; otherwise 1 with a one-line reason
(2 for a bad command line).

--quick (a smoke test): small sample counts, and unless given, --mode mttcg
--cores 2.
"""
import argparse
import csv
import hashlib
import io
import os
import re
import select
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fetch_kernel  # noqa: E402
import mkinitramfs  # noqa: E402

COLUMNS = ["suite", "metric", "mode", "cores", "src", "dst", "unit", "median", "p99", "samples"]
MODES = ("icount", "mttcg", "kvm")
QEMU_SUCCESS = (0x10 << 1) | 1
QEMU_FAILURE = (0x11 << 1) | 1
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][AB012]|\x1b[=>c]")
MEMORY_MIB = 512
MAX_CORES = 64

# Test name -> (metrics it writes, minimum cores). Cross-core tests write
# one row per destination core 1..N-1.
TESTS = {
    "boot_to_init": (["boot_to_init", "boot_to_init_boottime", "boot_to_init_tsc"], 1),
    "timer_overhead": (["timer_overhead"], 1),
    "null_syscall": (["null_syscall"], 1),
    "fault_upcall": (["fault_upcall"], 1),
    "fault_signal": (["fault_signal"], 1),
    "pipe_pingpong_same_core": (["pipe_pingpong_same_core_oneway", "pipe_pingpong_same_core_roundtrip"], 1),
    "futex_pingpong_same_core": (["futex_pingpong_same_core_oneway", "futex_pingpong_same_core_roundtrip"], 1),
    "vfork_exec": (["vfork_exec"], 1),
    "vfork_exec_libc": (["vfork_exec_libc"], 1),
    "munmap_shootdown": (["munmap_shootdown"], 1),
    "pipe_pingpong": (["pipe_pingpong_oneway", "pipe_pingpong_roundtrip"], 2),
    "futex_pingpong": (["futex_pingpong_oneway", "futex_pingpong_roundtrip"], 2),
    "spin_pingpong": (["spin_pingpong_oneway", "spin_pingpong_roundtrip"], 2),
}
# Blocking ping-pongs: under MTTCG a wakeup sometimes waits for the target
# CPU's next timer tick (4 ms at HZ=250); the runner points such rows out.
TICK_SENSITIVE = {"pipe_pingpong_oneway", "futex_pingpong_oneway",
                  "pipe_pingpong_same_core_oneway", "futex_pingpong_same_core_oneway"}

CFLAGS = ["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-fno-strict-aliasing"]
EXIT0_FLAGS = ["-static", "-nostdlib", "-O2", "-fno-pie", "-no-pie", "-Wl,--build-id=none"]


class Failure(Exception):
    """The run failed; the message is the one-line reason."""


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def progress(msg):
    print(f"run_linux: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- command line

def parse_args(argv):
    p = Parser(description="Boot Linux in the OS's QEMU configuration and run the baseline benchmarks.")
    p.add_argument("--build-dir", default=os.environ.get("MK_BUILD_DIR", "build"),
                   help="build directory; files go to BUILD/linux-baseline (default: build)")
    p.add_argument("--cores", default=None, help="comma-separated core counts (default 1,2,4; --quick: 2)")
    p.add_argument("--mode", default=None,
                   help="comma-separated: icount, mttcg, kvm (default icount,mttcg; --quick: mttcg)")
    p.add_argument("--tests", default="all", help="comma-separated tests, or all (default): "
                   + ", ".join(TESTS))
    p.add_argument("--samples", type=int, default=None, help="samples per measurement (default: per test)")
    p.add_argument("--quick", action="store_true", help="small sample counts: a smoke test")
    p.add_argument("--out", default=None, help="CSV output (default BUILD/linux-baseline/linux.csv; - = stdout)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per boot before QEMU is killed (default: 300 with --quick, else 3600)")
    p.add_argument("--kernel", default=None, help="use this kernel image instead of fetching Debian's")
    p.add_argument("--append", default="", help="extra kernel command-line words (e.g. mitigations=off)")
    p.add_argument("--verbose", action="store_true", help="stream the serial console")
    a = p.parse_args(argv)

    a.modes = (a.mode or ("mttcg" if a.quick else "icount,mttcg")).split(",")
    for m in a.modes:
        if m not in MODES:
            raise UsageError(f"--mode: unknown mode '{m}' (expected {', '.join(MODES)})")
    try:
        a.core_list = [int(c) for c in (a.cores or ("2" if a.quick else "1,2,4")).split(",")]
    except ValueError:
        raise UsageError(f"--cores must be comma-separated numbers, not '{a.cores}'") from None
    for c in a.core_list:
        if not 1 <= c <= MAX_CORES:
            raise UsageError(f"--cores: {c} is not between 1 and {MAX_CORES}")
    if a.tests == "all":
        a.test_list = list(TESTS)
    else:
        a.test_list = [t for t in a.tests.split(",") if t]
        unknown = [t for t in a.test_list if t not in TESTS]
        if unknown or not a.test_list:
            raise UsageError(f"--tests: unknown test '{(unknown or [''])[0]}' (known: {', '.join(TESTS)})")
    if a.samples is not None and a.samples <= 0:
        raise UsageError("--samples must be positive")
    if a.timeout is None:
        a.timeout = 300.0 if a.quick else 3600.0
    if a.timeout <= 0:
        raise UsageError("--timeout must be positive")
    for word in a.append.split():
        if word.startswith("linbench.") or any(c in word for c in "'\"\n"):
            raise UsageError(f"--append: '{word}' is not allowed")
    a.work = os.path.join(a.build_dir, "linux-baseline")
    if a.out is None:
        a.out = os.path.join(a.work, "linux.csv")
    return a


# ---------------------------------------------------------------- build

def _digest(paths, extra):
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            h.update(f.read())
    h.update(repr(extra).encode())
    return h.hexdigest()


def build(work):
    """linbench, exit0 and the initramfs, rebuilt when an input changed."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise Failure("gcc not found (apt-get install gcc libc6-dev)")
    src = os.path.join(HERE, "linbench.c")
    exit0_src = os.path.join(HERE, "exit0.c")
    linbench = os.path.join(work, "linbench")
    exit0 = os.path.join(work, "exit0")
    initramfs = os.path.join(work, "initramfs.cpio")
    stamp = os.path.join(work, "initramfs.stamp")
    digest = _digest([src, exit0_src, os.path.join(HERE, "mkinitramfs.py")], (CFLAGS, EXIT0_FLAGS))
    try:
        with open(stamp) as f:
            if f.read().strip() == digest and all(os.path.isfile(p) for p in (linbench, exit0, initramfs)):
                return initramfs
    except OSError:
        pass
    os.makedirs(work, exist_ok=True)
    for cmd, what in (([gcc] + CFLAGS + ["-o", linbench, src, "-lm"], "linbench"),
                      ([gcc] + EXIT0_FLAGS + ["-o", exit0, exit0_src], "exit0")):
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            out = p.stdout.decode("utf-8", "replace")
            sys.stderr.write(out)
            hint = " (static libc missing? apt-get install libc6-dev)" if "cannot find -l" in out else ""
            raise Failure(f"compiling {what} failed{hint}")
    mkinitramfs.build(initramfs, [("init", linbench, 0o755), ("exit0", exit0, 0o755)])
    with open(stamp, "w") as f:
        f.write(digest + "\n")
    progress(f"built {initramfs} ({os.path.getsize(initramfs)} bytes)")
    return initramfs


# ---------------------------------------------------------------- one boot

def qemu_command(kernel, initramfs, mode, cores, cmdline):
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        raise Failure("qemu-system-x86_64 not found (apt-get install qemu-system-x86)")
    cmd = [qemu, "-M", "pc", "-m", str(MEMORY_MIB), "-smp", str(cores),
           "-display", "none", "-serial", "stdio", "-no-reboot", "-nic", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
    if mode == "kvm":
        if not os.access("/dev/kvm", os.R_OK | os.W_OK):
            raise Failure("--mode kvm needs read/write access to /dev/kvm")
        cmd += ["-accel", "kvm", "-cpu", "host"]
    elif mode == "icount":
        cmd += ["-accel", "tcg,thread=single", "-cpu", "max", "-icount", "shift=0"]
    else:
        cmd += ["-accel", "tcg,thread=multi", "-cpu", "max"]
    cmd += ["-kernel", kernel, "-initrd", initramfs, "-append", cmdline]
    return cmd


def boot(a, kernel, initramfs, mode, cores, log_path):
    """Boot once; returns (rows as lists of strings, seconds to /init's first
    line, total seconds). Raises Failure with the log's tail printed."""
    words = ["console=ttyS0", "quiet", "panic=-1",
             f"linbench.mode={mode}", f"linbench.tests={','.join(a.test_list)}",
             f"linbench.watchdog={max(30, int(a.timeout * 0.6))}"]
    if a.quick:
        words.append("linbench.quick=1")
    if a.samples:
        words.append(f"linbench.samples={a.samples}")
    words += a.append.split()
    cmd = qemu_command(kernel, initramfs, mode, cores, " ".join(words))
    log = open(log_path, "w")
    log.write("# " + " ".join(cmd) + "\n")
    start = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    except OSError as e:
        log.close()
        raise Failure(f"cannot start QEMU: {e}") from None
    lines, pending = [], b""
    to_init = None
    timed_out = False
    try:
        while True:
            wait = a.timeout - (time.monotonic() - start)
            if wait <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([proc.stdout], [], [], min(wait, 30.0))
            if not ready:
                if time.monotonic() - start < a.timeout:
                    progress(f"  ... {time.monotonic() - start:.0f} s, still running")
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            pending += chunk
            *raw_lines, pending = pending.split(b"\n")
            for raw in raw_lines:
                line = ANSI.sub("", raw.decode("utf-8", "replace")).replace("\r", "")
                lines.append(line)
                log.write(line + "\n")
                log.flush()
                if to_init is None and "linbench: start" in line:
                    to_init = time.monotonic() - start
                    progress(f"  /init started {to_init:.2f} s after QEMU")
                if a.verbose:
                    print(line, file=sys.stderr, flush=True)
                elif line.startswith("linbench: ran ") or line.startswith("linbench: skip "):
                    progress("  " + line[len("linbench: "):])
    except KeyboardInterrupt:
        proc.kill()
        proc.wait()
        log.close()
        raise Failure("interrupted") from None
    if pending:
        line = ANSI.sub("", pending.decode("utf-8", "replace")).replace("\r", "")
        lines.append(line)
        log.write(line + "\n")
    if timed_out:
        proc.kill()
    status = proc.wait()
    elapsed = time.monotonic() - start
    log.close()

    def failed(reason):
        tail = lines[-40:]
        if tail:
            sys.stderr.write(f"---- last {len(tail)} lines of {log_path} ----\n")
            sys.stderr.write("\n".join(tail) + "\n----\n")
        else:
            sys.stderr.write("run_linux: the guest printed nothing on the serial console\n")
        return Failure(reason)

    where = f"{mode}, {cores} core{'s' if cores > 1 else ''}"
    if timed_out:
        raise failed(f"{where}: QEMU killed after the {a.timeout:g} s timeout")
    guest_fail = next((l for l in lines if l.startswith("linbench: FAIL")), None)
    done = any(l.startswith("linbench: done") for l in lines)
    if guest_fail or status == QEMU_FAILURE:
        raise failed(f"{where}: {guest_fail or 'the guest reported a failure (QEMU status 35)'}")
    if status == 0 and done:
        progress(f"  warning: the guest powered off without the debug-exit device")
    elif status != QEMU_SUCCESS:
        if status == 0:
            why = "the guest rebooted, panicked or triple-faulted (QEMU exited 0 without a code)"
        else:
            why = f"QEMU exited with status {status}"
        raise failed(f"{where}: {why}")
    if not done:
        raise failed(f"{where}: the guest exited without its 'done' line")
    rows = [l[len("CSV "):] for l in lines if l.startswith("CSV ")]
    return rows, to_init, elapsed


# ---------------------------------------------------------------- rows

def check_rows(texts, mode, cores, where):
    """Parse and validate the guest's rows; set the mode and cores columns."""
    rows = []
    for text in texts:
        fields = next(csv.reader([text]))
        if fields == COLUMNS:
            continue
        if len(fields) != len(COLUMNS):
            raise Failure(f"{where}: malformed row {text!r}")
        r = dict(zip(COLUMNS, (f.strip() for f in fields)))
        if r["suite"] != "linux" or not r["metric"] or not r["unit"]:
            raise Failure(f"{where}: bad suite, metric or unit in {text!r}")
        if r["cores"] != str(cores):
            raise Failure(f"{where}: the guest saw {r['cores']} CPUs, expected {cores}")
        for k in ("src", "dst"):
            if r[k] != "-" and not r[k].isdigit():
                raise Failure(f"{where}: bad {k} in {text!r}")
        try:
            med, p99, n = float(r["median"]), float(r["p99"]), int(r["samples"])
        except ValueError:
            raise Failure(f"{where}: not a number in {text!r}") from None
        if not (med > 0 and p99 > 0 and n > 0) or med != med or p99 != p99:
            raise Failure(f"{where}: median, p99 and samples must be positive in {text!r}")
        r["mode"], r["cores"] = mode, str(cores)
        rows.append(r)
    return rows


def expected_metrics(tests, cores):
    out = set()
    for t in tests:
        metrics, min_cores = TESTS[t]
        if cores < min_cores:
            continue
        out.update(metrics)
    return out


def boot_row(mode, cores, seconds):
    ms = f"{seconds * 1000:.1f}"
    return {"suite": "linux", "metric": "boot_to_init", "mode": mode, "cores": str(cores), "src": "-",
            "dst": "-", "unit": "ms", "median": ms, "p99": ms, "samples": "1"}


def write_rows(rows, out):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([r[c] for c in COLUMNS])
    if out == "-":
        sys.stdout.write(buf.getvalue())
        return
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out + ".tmp", "w") as f:
        f.write(buf.getvalue())
    os.replace(out + ".tmp", out)


def summary(rows):
    lines = [f"{'metric':<36}{'mode':>7}{'cores':>6}{'src':>4}{'dst':>4}{'median':>13}{'p99':>13}"
             f"{'unit':>5}{'samples':>9}"]
    for r in rows:
        lines.append(f"{r['metric']:<36}{r['mode']:>7}{r['cores']:>6}{r['src']:>4}{r['dst']:>4}"
                     f"{float(r['median']):>13.1f}{float(r['p99']):>13.1f}{r['unit']:>5}{r['samples']:>9}")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def run(a):
    t_start = time.monotonic()
    os.makedirs(a.work, exist_ok=True)
    initramfs = build(a.work)
    if a.kernel:
        kernel = a.kernel
        if not os.path.isfile(kernel):
            raise Failure(f"--kernel {kernel}: no such file")
    else:
        try:
            kernel = fetch_kernel.ensure_kernel(a.work, log=progress)
        except fetch_kernel.FetchError as e:
            raise Failure(f"no kernel: {e}") from None
        info = fetch_kernel.kernel_info(a.work)
        progress(f"kernel {info.get('package', '?')} {info.get('version', '?')}")
    logs = os.path.join(a.work, "logs")
    os.makedirs(logs, exist_ok=True)

    plan = []
    for mode in a.modes:
        for cores in a.core_list:
            if mode == "icount" and cores != 1:
                continue
            plan.append((mode, cores))
        if mode == "icount" and any(c != 1 for c in a.core_list):
            progress("icount runs on one core only (QEMU refuses icount with MTTCG): "
                     "icount boots with -smp 1")
            if (mode, 1) not in plan:
                plan.append((mode, 1))
    all_rows = []
    for i, (mode, cores) in enumerate(plan, 1):
        log_path = os.path.join(logs, f"{mode}-{cores}cores.log")
        progress(f"boot {i}/{len(plan)}: {mode}, -smp {cores} (log: {log_path})")
        texts, to_init, elapsed = boot(a, kernel, initramfs, mode, cores, log_path)
        where = f"{mode}, {cores} cores"
        rows = check_rows(texts, mode, cores, where)
        if "boot_to_init" in a.test_list and to_init is not None:
            rows.insert(0, boot_row(mode, cores, to_init))
        missing = expected_metrics(a.test_list, cores) - {r["metric"] for r in rows}
        if missing:
            raise Failure(f"{where}: no rows for {', '.join(sorted(missing))}")
        progress(f"boot {i}/{len(plan)} done in {elapsed:.1f} s: {len(rows)} rows")
        for r in rows:
            if r["metric"] in TICK_SENSITIVE and float(r["median"]) >= 1e6:
                progress(f"  note: {r['metric']} {r['src']}->{r['dst']} median {float(r['median']) / 1e6:.1f} ms: "
                         "wakeups waited for the guest's timer tick (see docs/linux-baseline.md)")
        all_rows += rows
    if not all_rows:
        raise Failure("no CSV rows")
    write_rows(all_rows, a.out)
    if a.out != "-":
        print(summary(all_rows), flush=True)
        progress(f"wrote {len(all_rows)} rows to {a.out} in {time.monotonic() - t_start:.1f} s")
    else:
        progress(f"{len(all_rows)} rows in {time.monotonic() - t_start:.1f} s")
    return 0


def main(argv):
    try:
        a = parse_args(argv)
    except UsageError as e:
        print(f"run_linux: {e}", file=sys.stderr)
        return 2
    try:
        return run(a)
    except Failure as e:
        print(f"run_linux: FAILED: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"run_linux: FAILED: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
