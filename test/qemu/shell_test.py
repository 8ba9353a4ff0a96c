#!/usr/bin/env python3
"""A scripted session with the shell on the serial console (docs/services/shell.md).

    shell_test.py --launcher boot/qemu.py --build-dir BUILD --cores N [--full] [--eof]

Boots through the launcher with no kernel command line (so ./os run's default,
the shell), with a pipe as its stdin: the launcher forwards what the test
writes to the console. Each step writes a line and waits for the output it
must produce before the next prompt: the commands, line editing (backspace),
the error paths (an unknown command, bad arguments, a missing module, a bad
core), spawn on every core with an argument, an interrupted wait (Ctrl-C),
and finally shutdown, after which the guest must power off with its success
code. --full also runs the in-guest suites (test). --eof instead closes stdin
at once: the shell must see the end of input, shut down, and the guest end
cleanly. The full log is printed when anything fails.
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time

PROMPT = "mk> "
OUT = r"\[c0\] shell: "  # the shell's output lines come through the CPU driver


class Session:
    def __init__(self, cmd, stdin):
        self.proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.out = ""
        self.pos = 0  # what earlier steps consumed
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                return
            with self.lock:
                self.out += chunk.decode("utf-8", "replace")

    def expect(self, pattern, timeout, what):
        """Waits for the regex after what earlier steps consumed; consumes up to its end."""
        until = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < until:
            with self.lock:
                m = rx.search(self.out, self.pos)
                if m:
                    self.pos = m.end()
                    return m
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"{what}: no output matching {pattern!r} within {timeout:g} s")

    def expect_all(self, patterns, timeout, what):
        """Waits until every regex matches after what earlier steps consumed, in any order."""
        until = time.monotonic() + timeout
        rxs = [re.compile(p) for p in patterns]
        while time.monotonic() < until:
            with self.lock:
                found = [rx.search(self.out, self.pos) for rx in rxs]
                if all(found):
                    self.pos = max(m.end() for m in found)
                    return found
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        missing = [p for p, m in zip(patterns, found) if not m]
        raise AssertionError(f"{what}: no output matching {missing!r} within {timeout:g} s")

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def command(self, line, pattern, what, timeout=60):
        """Types a line, waits for its output and the next prompt; returns the output's match."""
        self.expect(re.escape(PROMPT), timeout, f"prompt before '{line}'")
        self.send(line + "\r")
        m = self.expect(pattern, timeout, what)
        return m


def session(s, a):
    n = a.cores
    s.expect(rf"multikernel shell on core 0 of {n} cores", 240, "the shell's banner")
    s.command("help", OUT + r" +spawn +NAME \[CORES\] \[ARGS\.\.\.\] \[&\][^\n]*\n(.*\n)*?" + OUT + r" +shutdown ",
              "help lists the commands")
    s.command("frobnicate now", r"unknown command 'frobnicate' \(type help for the list\)", "an unknown command")
    s.command("ps extra", OUT + r"usage: ps\r?\n", "a command with too many arguments")
    s.command("spawn hello 99", rf"spawn: bad core '99': the cores are 0\.\.{n - 1}", "spawn on a core that does not exist")
    s.command("spawn nosuchprog all", r"spawn: no boot module 'nosuchprog' \(there are: [a-z ]*hello", "spawn of a missing module")
    s.command("caps x", r"caps: bad domain 'x'", "caps with a malformed domain id")
    s.command("caps 7.99", r"caps: no domain 7\.99", "caps of a domain that does not exist")
    s.command("bench nope", r"bench: unknown suite 'nope' \(suites: spawn exo\)", "an unknown benchmark suite")
    # Line editing: 'pz', backspace, 's' is ps.
    s.command("pz\x7fs", OUT + r"ID +CORE NAME +STATE\s*\n(.*\n)*?" + OUT + r"0\.1 +0 +shell +running \(this shell\)", "ps after a backspace")
    # Ctrl-C on a half-typed line drops it.
    s.expect(re.escape(PROMPT), 30, "prompt before Ctrl-C")
    s.send("mem\x03")
    s.expect(r"\^C\r?\n", 30, "Ctrl-C on the prompt line")
    s.command("cores", rf"core {n - 1}: monitor up, \d+ programs \(\d+ running\), pool \d+ MiB", "cores")
    m = s.command("mem", r"total: (\d+) chunks of 1 MiB in the pools", "mem")
    if int(m.group(1)) == 0:
        raise AssertionError("mem: no chunks in the pools")
    s.command("caps", OUT + r"0x0009 Io .* ports 0x0\+65536[^\n]*\n(.*\n)*?" + OUT + r"\d+ capabilities in domain 0\.1", "caps of the shell: its console")
    # Every core, with an argument: each child ends with the exit code it was given.
    s.command(f"spawn spawntest all exit 5", r"started spawntest as 0\.\d+ on core 0", "spawn on every core")
    s.expect_all([rf"{core}\.\d+ spawntest: exit 5" for core in range(n)], 120, "every core's child ends with exit 5")
    s.command("spawn spawntest 1 fault", r"1\.\d+ spawntest: faulted, exit -1", "a child that faults: exit -1", timeout=120)
    m = s.command("caps 1.1", r"(\d+) capabilities in domain 1\.1", "caps of a domain on another core")
    if int(m.group(1)) < 5:
        raise AssertionError("caps 1.1: too few capabilities")
    # A long wait, interrupted.
    s.command("spawn spawntest 1 sleep 600000", r"started spawntest as (1\.\d+) on core 1", "a long-running child")
    time.sleep(1)
    s.send("\x03")
    s.expect(r"\^C interrupted: 1 of 1 still running", 60, "Ctrl-C interrupts the wait")
    s.command("ps", r"1\.\d+ +1 +spawntest +running", "ps shows the interrupted child still running")
    s.command("bench spawn", rf"BENCH spawn core={n - 1} best_of=3 cycles=\d+ us=\d+", "bench spawn", timeout=240)
    if a.full:
        s.command("test", rf"TEST ok passed={4 * n} of {4 * n}", "the in-guest suites", timeout=400)
        s.command("test", r"test: the in-guest suites run once per boot", "test a second time")
    s.command("shutdown", r"shutting down", "shutdown")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--launcher", required=True)
    p.add_argument("--build-dir", required=True)
    p.add_argument("--cores", type=int, required=True)
    p.add_argument("--timeout", type=float, default=420)
    p.add_argument("--full", action="store_true")
    p.add_argument("--eof", action="store_true")
    a = p.parse_args()
    cmd = [sys.executable, a.launcher, "--build-dir", a.build_dir, "--cores", str(a.cores), "--boot", "kernel",
           "--timeout", str(a.timeout)]
    s = Session(cmd, subprocess.DEVNULL if a.eof else subprocess.PIPE)
    problems = []
    try:
        if a.eof:
            s.expect(r"end of input: shutting down", 240, "the end of stdin ends the shell")
        else:
            session(s, a)
    except AssertionError as e:
        problems.append(str(e))
    if not a.eof:
        try:
            s.proc.stdin.close()  # after a failed step: the end of input ends the shell
        except OSError:
            pass
    try:
        status = s.proc.wait(timeout=a.timeout)
    except subprocess.TimeoutExpired:
        s.proc.kill()
        status = s.proc.wait()
    s.reader.join(timeout=10)
    if not problems:
        if status != 0:
            problems.append(f"launcher exit status {status}, expected 0")
        for marker in (f"SHUTDOWN ok cores_stopped={a.cores}", "USER all monitors ended", "AGREE ok"):
            if marker not in s.out:
                problems.append(f"no '{marker}' line")
        for bad in ("TEST FAILED", "FAULT", "PANIC"):
            if bad in s.out:
                problems.append(f"'{bad}' in the log")
    if problems:
        print(s.out)
        for problem in problems:
            print(f"FAIL: {problem}")
        return 1
    print(f"ok: shell session at {a.cores} cores{' (end of input)' if a.eof else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
