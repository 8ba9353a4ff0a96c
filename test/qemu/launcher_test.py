#!/usr/bin/env python3
"""The launcher's command-line errors: one clear line and exit status 2, no trace.

    launcher_test.py boot/qemu.py ./os
"""
import subprocess
import sys

CASES = [
    (["--cores", "0"], "--cores must be between 1 and 64, not 0"),
    (["--cores", "many"], "--cores must be a whole number, not 'many'"),
    (["--boot", "floppy"], "--boot must be 'iso' or 'kernel', not 'floppy'"),
    (["--accel", "xen"], "--accel must be 'tcg' or 'kvm', not 'xen'"),
    (["--timeout", "-3"], "--timeout must be positive"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["shutdown"], "unexpected argument 'shutdown' (kernel arguments go after --)"),
]


def main():
    launcher, os_script = sys.argv[1], sys.argv[2]
    passed = failed = 0
    for args, message in CASES:
        r = subprocess.run([sys.executable, launcher, "--validate-only", *args], capture_output=True, text=True)
        lines = r.stderr.strip().splitlines()
        ok = r.returncode == 2 and len(lines) == 1 and message in lines[0] and "Traceback" not in r.stderr
        print(("ok:   " if ok else "FAIL: ") + " ".join(args) + " -> " + r.stderr.strip())
        passed, failed = passed + ok, failed + (not ok)
    r = subprocess.run(["bash", os_script, "frobnicate"], capture_output=True, text=True)
    ok = r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr
    print(("ok:   " if ok else "FAIL: ") + "./os frobnicate -> " + r.stderr.strip())
    passed, failed = passed + ok, failed + (not ok)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
