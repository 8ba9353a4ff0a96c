#!/usr/bin/env python3
"""Boot the multikernel on QEMU and report how the guest ended.

    qemu.py --build-dir BUILD [--cores N] [--boot iso|kernel] [--accel tcg|kvm]
            [--memory MIB] [--gdb] [--timeout S] [--log FILE] [-- ARGS...]

ARGS become the kernel command line (default: "run=shell shutdown", the
interactive shell on the serial console). The serial console is streamed to
stdout. With the shell, a terminal on stdin is the shell's keyboard (Ctrl-C
goes to the guest; Ctrl-A X quits QEMU); any other stdin (a pipe, a file,
/dev/null) is forwarded to the console from the shell's first prompt on, and
its end sends Ctrl-D, which ends
the shell and powers the guest off. Exit status:
  0    the guest powered off with the success code (QEMU status 33)
  1    the guest reported a failure (QEMU status 35): a fault, a panic, a failed check
  2    bad command line (of this script)
  3    the guest reset or triple-faulted: QEMU exited 0 without a code
  4    QEMU failed to start or died another way
  124  the timeout expired; the launcher then prints where every core was
       (instruction pointer and kernel function) before it kills QEMU
"""
import argparse
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkiso  # noqa: E402

DEFAULT_ARGS = ["run=shell", "shutdown"]
CANONICAL_ISO_ARGS = ["demo"]  # the command line the build's own os.iso boots (boot/iso/meson.build)
SHELL_PROMPT = b"mk> "  # services/shell/shell.cpp
SHELL_PROGRAMS = ("usertest", "syscallfuzz", "captest", "memstorm", "hello", "benchexo", "threadtest", "spawntest")
QEMU_SUCCESS = (0x10 << 1) | 1  # boot/layout.h DEBUG_EXIT_SUCCESS
QEMU_FAILURE = (0x11 << 1) | 1  # boot/layout.h DEBUG_EXIT_FAILURE
EXIT_OK, EXIT_GUEST_FAILED, EXIT_USAGE, EXIT_RESET, EXIT_QEMU, EXIT_TIMEOUT = 0, 1, 2, 3, 4, 124
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][AB012]|\x1b[=>c]")
MAX_CORES = 64


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def parse_args(argv):
    p = Parser(prog="./os run", add_help=True,
               description="Boot the multikernel on QEMU (default: 4 cores, TCG, GRUB ISO, the shell).")
    p.add_argument("--build-dir", default=os.environ.get("MK_BUILD_DIR", "build"))
    p.add_argument("--cores", default="4", help="number of cores, 1..%d (default 4)" % MAX_CORES)
    p.add_argument("--boot", default="iso", help="iso (GRUB, Multiboot2) or kernel (QEMU -kernel, Multiboot1)")
    p.add_argument("--accel", default="tcg", help="tcg (default) or kvm")
    p.add_argument("--memory", default="512", help="guest memory in MiB (default 512)")
    p.add_argument("--icount", action="store_true",
                   help="exact mode: -icount shift=0, one TCG thread (time counts instructions)")
    p.add_argument("--gdb", action="store_true", help="wait for GDB on localhost:1234 before the first instruction")
    p.add_argument("--timeout", default=None, help="seconds before the run is killed (default: none)")
    p.add_argument("--log", default=None, help="also write the serial log to this file")
    p.add_argument("--quiet", action="store_true", help="do not stream the console (the log file still gets it)")
    p.add_argument("--validate-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("args", nargs=argparse.REMAINDER, help="-- followed by the kernel command line")
    a = p.parse_args(argv)

    def positive_int(name, text, lo, hi):
        try:
            v = int(text)
        except ValueError:
            raise UsageError(f"--{name} must be a whole number, not '{text}'")
        if not lo <= v <= hi:
            raise UsageError(f"--{name} must be between {lo} and {hi}, not {v}")
        return v

    a.cores = positive_int("cores", a.cores, 1, MAX_CORES)
    a.memory = positive_int("memory", a.memory, 64, 65536)
    if a.boot not in ("iso", "kernel"):
        raise UsageError(f"--boot must be 'iso' or 'kernel', not '{a.boot}'")
    if a.accel not in ("tcg", "kvm"):
        raise UsageError(f"--accel must be 'tcg' or 'kvm', not '{a.accel}'")
    if a.icount and a.accel == "kvm":
        raise UsageError("--icount works only with --accel tcg")
    if a.timeout is not None:
        try:
            a.timeout = float(a.timeout)
        except ValueError:
            raise UsageError(f"--timeout must be a number of seconds, not '{a.timeout}'")
        if a.timeout <= 0:
            raise UsageError("--timeout must be positive")
    if a.args and a.args[0] == "--":
        a.args = a.args[1:]
    elif a.args:
        raise UsageError(f"unexpected argument '{a.args[0]}' (kernel arguments go after --)")
    if not a.args:
        a.args = list(DEFAULT_ARGS)
    for word in a.args:
        if any(c in word for c in "\n\r'\""):
            raise UsageError(f"kernel argument {word!r} contains a quote or newline")
    return a


def artifacts(build_dir, args=()):
    kernel = os.path.join(build_dir, "cpudriver", "kernel.elf")
    iso = os.path.join(build_dir, "boot", "iso", "os.iso")
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    modules = [os.path.join(src, "boot", "motd.txt"), os.path.join(build_dir, "monitor", "monitor.elf")]
    guest = os.path.join(build_dir, "test", "guest")
    if "test" in args:  # the in-guest test programs, only when asked for
        modules += [os.path.join(guest, name + ".elf") for name in ("usertest", "syscallfuzz", "captest", "memstorm",
                                                                "capstorm", "spantest")]
    if "test" in args or any(w.startswith("run=") for w in args):  # a program they spawn
        modules.append(os.path.join(guest, "hello.elf"))
    for word in args:  # run=NAME[:all]: a program from the build (guest tests and benchmarks)
        name = word[4:].removesuffix(":all")
        if word.startswith("run=") and os.path.exists(os.path.join(guest, name + ".elf")):
            modules.append(os.path.join(guest, name + ".elf"))
    if shell_mode(args):  # every program the shell can spawn (the shell itself is a service module)
        modules += [os.path.join(guest, n + ".elf") for n in SHELL_PROGRAMS]
    modules += service_modules(build_dir)
    seen = set()
    modules = [m for m in modules if not (m in seen or seen.add(m))]
    return kernel, iso, modules


def service_modules(build_dir):
    """The services (docs/services.md): the manifest the build generated and
    every program built from services/, in every image; services start only
    when used."""
    folder = os.path.join(build_dir, "services")
    manifest = os.path.join(folder, "services.txt")
    if not os.path.exists(manifest):
        return []
    return [manifest] + sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".elf"))


def shell_mode(args):
    return "run=shell" in args


def qemu_command(a, tmpdir):
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        raise UsageError("qemu-system-x86_64 not found; install: apt-get install qemu-system-x86")
    kernel, iso, modules = artifacts(a.build_dir, a.args)
    if not os.path.exists(kernel):
        raise UsageError(f"{kernel} does not exist; build first (./os build)")
    # The console multiplexes the serial port and QEMU's monitor on stdio. For
    # the shell, Ctrl-C must reach the guest rather than signal QEMU.
    signal = "off" if shell_mode(a.args) else "on"
    cmd = [qemu, "-M", "pc", "-smp", str(a.cores), "-m", str(a.memory), "-display", "none",
           "-chardev", f"stdio,id=console,mux=on,signal={signal}", "-serial", "chardev:console",
           "-mon", "chardev=console", "-no-reboot", "-nic", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
    if a.accel == "kvm":
        if not os.access("/dev/kvm", os.R_OK | os.W_OK):
            raise UsageError("--accel kvm needs read/write access to /dev/kvm")
        cmd += ["-accel", "kvm", "-cpu", "host"]
    elif a.icount:
        cmd += ["-accel", "tcg,thread=single", "-icount", "shift=0", "-cpu", "max"]
    else:
        cmd += ["-accel", "tcg", "-cpu", "max"]
    if a.gdb:
        cmd += ["-s", "-S"]
    if a.timeout is not None:  # for the post-mortem on timeout
        cmd += ["-qmp", f"unix:{os.path.join(tmpdir, 'qmp.sock')},server=on,wait=off"]
    cmdline = " ".join(a.args + (["icount"] if a.icount and "icount" not in a.args else []))
    if a.boot == "kernel":
        cmd += ["-kernel", kernel, "-append", cmdline, "-initrd", ",".join(modules)]
    else:
        if a.args != CANONICAL_ISO_ARGS or not os.path.exists(iso):
            iso = os.path.join(tmpdir, "os.iso")
            mkiso.build(kernel, iso, modules, cmdline)
        cmd += ["-cdrom", iso, "-boot", "d"]
    return cmd


def run(a):
    with tempfile.TemporaryDirectory(prefix="mk-run-") as tmpdir:
        cmd = qemu_command(a, tmpdir)
        if a.gdb:
            kernel = artifacts(a.build_dir)[0]
            print(f"qemu: waiting for GDB. Attach with:\n  gdb {kernel} -ex 'set architecture i386:x86-64' "
                  f"-ex 'target remote localhost:1234' -ex 'hbreak bsp_main' -ex 'continue'", flush=True)
        log = open(a.log, "w") if a.log else None
        interactive = sys.stdin.isatty() and not a.quiet
        shell = shell_mode(a.args)
        forward = shell and not interactive  # a script's or CI's stdin goes to the shell
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=None if interactive else subprocess.PIPE if forward else subprocess.DEVNULL)
        timed_out = False
        ready_after = None  # seconds from QEMU's start to the guest's BOOT line
        pending = b""
        streaming = False  # the shell's output goes out as it comes (prompt, echo), once the kernel speaks
        # Forwarded input waits for the shell's first prompt: the CPU driver
        # clears the UART's receive FIFO when it sets the UART up, so earlier
        # bytes would be lost.
        inputs = [proc.stdout]
        seen = b""
        try:
            while True:
                wait = None
                if a.timeout is not None:
                    wait = a.timeout - (time.monotonic() - start)
                    if wait <= 0:
                        timed_out = True
                        break
                ready, _, _ = select.select(inputs, [], [], wait)
                if not ready:
                    continue
                if sys.stdin in ready and forward:
                    if not forward_input(proc):
                        inputs.remove(sys.stdin)
                if proc.stdout not in ready:
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                if streaming and not a.quiet:
                    sys.stdout.write(ANSI.sub("", chunk.decode("utf-8", "replace")).replace("\r", ""))
                    sys.stdout.flush()
                if forward and sys.stdin not in inputs and SHELL_PROMPT not in seen:
                    seen = (seen + chunk)[-4096:]
                    if SHELL_PROMPT in seen:
                        inputs.append(sys.stdin)
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    emit(raw, log, a.quiet or streaming)
                    if ready_after is None and b"BOOT cores=" in raw:
                        ready_after = time.monotonic() - start
                    if shell and not streaming and raw.startswith(b"[c0] "):
                        streaming = True
                        if pending and not a.quiet:
                            sys.stdout.write(ANSI.sub("", pending.decode("utf-8", "replace")).replace("\r", ""))
                            sys.stdout.flush()
        except KeyboardInterrupt:
            proc.kill()
            proc.wait()
            print("\nqemu: interrupted", file=sys.stderr)
            return EXIT_GUEST_FAILED
        if pending:
            emit(pending, log, a.quiet or streaming)
        if timed_out:
            post_mortem(os.path.join(tmpdir, "qmp.sock"), artifacts(a.build_dir)[0])
            proc.kill()
        status = proc.wait()
        elapsed = time.monotonic() - start
        if log:
            log.close()
    if ready_after is not None:
        print(f"qemu: all cores ready {ready_after:.3f} s after QEMU started", file=sys.stderr)
    return verdict(status, timed_out, elapsed, a)


def forward_input(proc):
    """Copies what is on stdin to the guest's console; at its end sends Ctrl-D
    (the shell's end of input) and returns False."""
    data = os.read(sys.stdin.fileno(), 4096)
    try:
        proc.stdin.write(data if data else b"\x04")
        proc.stdin.flush()
    except (BrokenPipeError, OSError):
        return False
    return bool(data)


def qmp_registers(path):
    """Stops the guest and returns QEMU's 'info registers -a' text, or None."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(path)
            f = s.makefile("rw")
            f.readline()  # the greeting
            out = None
            for command in ({"execute": "qmp_capabilities"}, {"execute": "stop"},
                            {"execute": "human-monitor-command", "arguments": {"command-line": "info registers -a"}}):
                f.write(json.dumps(command) + "\n")
                f.flush()
                while True:  # skip asynchronous events until the command's answer
                    reply = json.loads(f.readline())
                    if "return" in reply or "error" in reply:
                        break
                out = reply.get("return")
            return out if isinstance(out, str) else None
    except (OSError, ValueError):
        return None


def symbolize(kernel, addresses):
    """Kernel function names for addresses (inlined callers after '<'), through addr2line."""
    tool = shutil.which("addr2line")
    names = {}
    for x in addresses if tool else ():
        try:
            out = subprocess.run([tool, "-f", "-i", "-C", "-s", "-e", kernel, hex(x)],
                                 capture_output=True, text=True, timeout=20).stdout.split("\n")
        except (OSError, subprocess.SubprocessError):
            break
        frames = [f"{out[i]} ({out[i + 1]})" for i in range(0, len(out) - 1, 2)]
        names[x] = " < ".join(frames)
    return names


def post_mortem(qmp_path, kernel):
    """Prints where each virtual CPU was when the timeout expired."""
    text = qmp_registers(qmp_path)
    if text is None:
        print("qemu: could not read the CPUs' registers for a post-mortem", file=sys.stderr)
        return
    rows = []
    for chunk in re.split(r"^CPU#", text, flags=re.M)[1:]:
        cpu, rip, rsp, cpl = (re.search(pat, chunk) for pat in (r"^(\d+)", r"RIP=([0-9a-f]+)", r"RSP=([0-9a-f]+)", r"CPL=(\d)"))
        if cpu and rip and rsp and cpl:
            rows.append((int(cpu[1]), int(rip[1], 16), int(cpl[1]), int(rsp[1], 16)))
    names = symbolize(kernel, sorted({rip for _, rip, cpl, _ in rows if cpl == 0}))
    print("qemu: where each core was when the timeout expired:", file=sys.stderr)
    for cpu, rip, cpl, rsp in rows:
        where = names.get(rip, "?") if cpl == 0 else "user mode"
        print(f"qemu:   cpu {cpu}: rip {rip:#x} rsp {rsp:#x} cpl {cpl}: {where}", file=sys.stderr)


def emit(raw, log, quiet):
    line = ANSI.sub("", raw.decode("utf-8", "replace")).replace("\r", "")
    if log:
        log.write(line + "\n")
        log.flush()
    if not quiet:
        print(line, flush=True)


def verdict(status, timed_out, elapsed, a):
    if timed_out:
        print(f"qemu: timed out after {a.timeout:g} s; the guest did not finish", file=sys.stderr)
        return EXIT_TIMEOUT
    if status == QEMU_SUCCESS:
        print(f"qemu: guest powered off with the success code after {elapsed:.2f} s", file=sys.stderr)
        return EXIT_OK
    if status == QEMU_FAILURE:
        print(f"qemu: guest reported a failure after {elapsed:.2f} s", file=sys.stderr)
        return EXIT_GUEST_FAILED
    if status == 0:
        print("qemu: the guest reset or triple-faulted (QEMU exited 0 with no exit code): failure",
              file=sys.stderr)
        return EXIT_RESET
    print(f"qemu: QEMU exited with status {status}", file=sys.stderr)
    return EXIT_QEMU


def main(argv):
    try:
        a = parse_args(argv)
        if a.validate_only:
            return EXIT_OK
        return run(a)
    except UsageError as e:
        print(f"./os run: {e}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
