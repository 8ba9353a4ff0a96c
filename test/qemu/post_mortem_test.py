#!/usr/bin/env python3
"""The launcher's post-mortem: when the timeout expires, it names where every
core was. The guest is told to idle, so every core must be found, by function
and source line, in the scheduler's idle loop, or in the interrupt path the
timer tick that wakes it from there runs (a tick may land the moment the
launcher stops the guest).

    post_mortem_test.py boot/qemu.py BUILD_DIR
"""
import re
import subprocess
import sys


# Where an idle core can be: halted in the idle loop, or handling the timer
# interrupt that wakes it (entry stubs, dispatch, the scheduler's tick).
IDLE_OR_TICK = ("idle_loop", "trap_dispatch", "traps.cpp", "trap_entry", "lapic", "scheduler.cpp")


def main():
    launcher, build_dir = sys.argv[1], sys.argv[2]
    r = subprocess.run([sys.executable, launcher, "--build-dir", build_dir, "--cores", "2", "--boot", "kernel",
                        "--timeout", "4", "--", "idle"], capture_output=True, text=True, timeout=120)
    where = {int(m[1]): m[2] for m in re.finditer(r"qemu:   cpu (\d+): rip 0x[0-9a-f]+ .*?: (.*)", r.stderr)}
    checks = [
        (r.returncode == 124, f"launcher exit status {r.returncode}, expected 124 (timeout)"),
        ("where each core was when the timeout expired" in r.stderr, "no post-mortem heading"),
        (sorted(where) == [0, 1], f"expected a line for cpu 0 and cpu 1, got {sorted(where)}"),
        (all(re.search(r"\(\w+\.(cpp|hpp|S):\d+\)", w) for w in where.values()),
         f"every core's place should be named with a source line: {where}"),
        (all(any(k in w for k in IDLE_OR_TICK) for w in where.values()),
         f"every core should be in idle_loop or on the tick's way there: {where}"),
    ]
    failed = [why for ok, why in checks if not ok]
    for why in failed:
        print("FAIL: " + why)
    if failed:
        print("---- launcher output ----\n" + r.stdout + r.stderr)
        return 1
    print("ok: post-mortem names where both idle cores were")
    return 0


if __name__ == "__main__":
    sys.exit(main())
