#!/usr/bin/env python3
"""One QEMU integration test: boot the multikernel through the launcher and
check how it ended.

    boot_test.py --launcher boot/qemu.py --build-dir BUILD --cores N --boot iso|kernel
                 [--expect success|fault|failure] [--fault-core K] [--fault-vector V]
                 [--require TEXT]... [--require-each-core REGEX]... [--timeout S] -- KERNEL ARGS

success: launcher exit 0, the BOOT line shows cores=N ready=N, every core's monitor
         reported from user mode, checked its Kernel capability and exited 0, the
         monitor mesh is complete (unless no-monitor), and SHUTDOWN ok.
fault:   launcher exit 1 (the guest's failure code) with a FAULT or PANIC report from
         the expected core, registers and a symbolised backtrace.
failure: launcher exit 1 and every --require text present.
The full guest log is printed whenever the test fails.
"""
import argparse
import re
import subprocess
import sys


def check(a, exit_code, log):
    problems = []
    boot = re.search(r"BOOT cores=(\d+) ready=(\d+) entry_to_ready_us=(\d+)", log)
    if a.expect == "success":
        if exit_code != 0:
            problems.append(f"launcher exit status {exit_code}, expected 0 (success code from the guest)")
        if not boot:
            problems.append("no BOOT line")
        elif boot.group(1) != str(a.cores) or boot.group(2) != str(a.cores):
            problems.append(f"BOOT line says cores={boot.group(1)} ready={boot.group(2)}, expected {a.cores}")
        if f"SHUTDOWN ok cores_stopped={a.cores}" not in log:
            problems.append(f"no 'SHUTDOWN ok cores_stopped={a.cores}' line")
        if "FAULT" in log or "PANIC" in log:
            problems.append("a fault or panic was reported")
        if "no-monitor" not in a.kernel_args:
            for k in range(a.cores):
                if f"[c{k}] monitor: up in user mode on core {k} of {a.cores}" not in log:
                    problems.append(f"core {k}'s monitor did not report from user mode")
            if "USER all monitors ended" not in log:
                problems.append("no 'USER all monitors ended' line")
            # Core 0's monitor started the others and built the mesh; every
            # monitor checked its Kernel capability's refusals and ended with 0.
            n = a.cores
            mesh = f"MESH ok monitors={n} channels={n * (n - 1) // 2} caps_sent={n * (n - 1)}"
            if mesh not in log:
                problems.append(f"no '{mesh}' line")
            if not re.search(r"\[c0\] monitor: irq checks: \d+ passed, 0 failed", log):
                problems.append("core 0's monitor did not pass its IRQ capability checks (COM1's line)")
            for k in range(a.cores):
                if not re.search(rf"\[c{k}\] monitor: kernel-cap checks: \d+ passed, 0 failed", log):
                    problems.append(f"core {k}'s monitor did not pass its Kernel capability checks")
                if not re.search(rf"\[c{k}\] domain monitor \(id [0-9a-f]+\) exited with code 0", log):
                    problems.append(f"core {k}'s monitor did not exit with code 0")
    elif a.expect == "fault":
        if exit_code != 1:
            problems.append(f"launcher exit status {exit_code}, expected 1 (failure code from the guest)")
        c = a.fault_core
        report = re.search(rf"\[c{c}\] (FAULT core={c} vector={a.fault_vector} |PANIC core={c}:)", log)
        if not report:
            problems.append(f"no FAULT/PANIC report from core {c} (vector {a.fault_vector})")
        if "backtrace:" not in log:
            problems.append("no backtrace")
        if "trigger_test_fault" not in log:
            problems.append("the backtrace does not name the faulting function (symbols missing?)")
        if f"[c{c}] FAILED:" not in log:
            problems.append("no FAILED line from the faulting core")
        if "SHUTDOWN ok" in log:
            problems.append("the run claims success after a fault")
    else:
        if exit_code != 1:
            problems.append(f"launcher exit status {exit_code}, expected 1")
    if "test" in a.kernel_args:
        # The memory storm: every replica of the ownership map identical and
        # matching the capabilities held; with several cores, chunks moved.
        # Retype across cores: each core's RAM was contended by two cores, and
        # exactly one of them may have made the Frame.
        won = [int(x) for x in re.findall(r"captest: CAPTEST core=\d+ passed=\d+ failed=\d+ retype_won=(\d+)", log)]
        if a.cores > 1 and sum(won) != a.cores:
            problems.append(f"retypes across cores: {sum(won)} won for {a.cores} contended RAM objects (expected one each)")
        m = re.search(rf"AGREE ok replicas={a.cores} identical={a.cores} .* moves=(\d+)", log)
        if not m:
            problems.append(f"no 'AGREE ok replicas={a.cores} identical={a.cores}' line")
        elif a.cores > 1 and m.group(1) == "0":
            problems.append("the memory storm moved no chunk between cores")
        # The capability storm (test/guest/capstorm.cpp): on every core, every
        # check passed; over all cores, one winner per contended page, one
        # last delete per object both holders deleted (and per token), every
        # revoked or deleted object gone, memory given back handed out again.
        # Core 0's monitor found, after quiescence, every storm piece back in
        # its owner's pool, no capability surviving a revoke, no free pool
        # memory covered by a capability, no offer left waiting (CAPS).
        storms = {}
        for k in range(a.cores):
            m = re.search(rf"\[c{k}\] capstorm: CAPSTORM core={k} passed=(\d+) failed=(\d+) rounds=(\d+) (.*)", log)
            if not m:
                problems.append(f"no CAPSTORM summary from core {k}")
                continue
            fields = dict(kv.split("=", 1) for kv in m.group(4).split())
            fields.update(passed=m.group(1), failed=m.group(2), rounds=m.group(3))
            storms[k] = {key: int(v) for key, v in fields.items()}
            if m.group(2) != "0":
                problems.append(f"core {k}: capstorm failed={m.group(2)}")
        if len(storms) == a.cores:
            rounds = storms[0]["rounds"]
            total = lambda key: sum(st.get(key, 0) for st in storms.values())
            if a.cores == 1:
                if total("local_last") != rounds:
                    problems.append(f"capstorm on one core: {total('local_last')} last local deletes, expected {rounds}")
            else:
                both = len([r for r in range(rounds) if r % 3 == 2])
                expect = {"won": a.cores * rounds, "last_pairs": a.cores * both, "token_last": 4 * a.cores,
                          "gone": a.cores * rounds, "local_last": 2 * a.cores * rounds, "revokes": a.cores * (rounds - both),
                          "tags_bad": 0}
                for key, want in expect.items():
                    if total(key) != want:
                        problems.append(f"capstorm: {key} adds up to {total(key)} over the cores, expected {want}")
                if total("again") == 0:
                    problems.append("capstorm: no allocation after the storm reused memory a delete or revoke gave back")
        caps = re.search(rf"CAPS ok monitors={a.cores} storm_outstanding=0 survivors=0 held_free=0 refused_give_backs=0 "
                         rf"offers_waiting=0 given_back=(\d+) reused=(\d+) deletes_agreed=(\d+) deletes_local=(\d+) "
                         rf"revokes=(\d+)", log)
        if not caps:
            problems.append(f"no clean 'CAPS ok monitors={a.cores} storm_outstanding=0 survivors=0 ...' line")
        elif a.cores > 1 and "0" in (caps.group(1), caps.group(2), caps.group(3), caps.group(5)):
            problems.append("CAPS: the storm gave back, reused, deleted with agreement or revoked nothing")
        # The in-guest suites: every core's usertest passed and then died alone
        # for touching kernel memory; every core's fuzzer left the kernel working.
        for k in range(a.cores):
            m = re.search(rf"\[c{k}\] usertest: USERTEST core={k} passed=(\d+) failed=(\d+)", log)
            if not m:
                problems.append(f"no USERTEST summary from core {k}")
            elif m.group(2) != "0" or int(m.group(1)) < 60:
                problems.append(f"core {k}: usertest passed={m.group(1)} failed={m.group(2)}")
            m = re.search(rf"\[c{k}\] memstorm: MEMSTORM core={k} .* failed=(\d+)", log)
            if not m or m.group(1) != "0":
                problems.append(f"core {k}: no MEMSTORM summary with failed=0")
            m = re.search(rf"\[c{k}\] captest: CAPTEST core={k} passed=(\d+) failed=(\d+)", log)
            if not m:
                problems.append(f"no CAPTEST summary from core {k}")
            elif m.group(2) != "0" or int(m.group(1)) < 6:
                problems.append(f"core {k}: captest passed={m.group(1)} failed={m.group(2)}")
            # Capabilities as IDL parameters and results between the cores
            # (captest's last part): every copy served its successor and
            # called its predecessor, each call carrying real capabilities.
            if a.cores > 1:
                m = re.search(rf"\[c{k}\] captest: CAPRPC core={k} passed=(\d+) failed=(\d+) sent=(\d+) received=(\d+)",
                              log)
                if not m:
                    problems.append(f"no CAPRPC summary from core {k}")
                elif m.group(2) != "0" or int(m.group(1)) < 15:
                    problems.append(f"core {k}: caprpc passed={m.group(1)} failed={m.group(2)}")
                elif int(m.group(3)) < 4 or int(m.group(4)) < 4:
                    problems.append(f"core {k}: caprpc moved too few capabilities (sent={m.group(3)} received={m.group(4)})")
            if not re.search(rf"\[c{k}\] domain usertest \(id [0-9a-f]+\) killed: #PF", log):
                problems.append(f"core {k}: usertest's fatal fault did not end it alone")
            if not re.search(rf"\[c{k}\] syscallfuzz: FUZZ core={k} calls=\d+ .*memory=intact interface=working", log):
                problems.append(f"core {k}: no clean FUZZ summary")
        # A domain spanning every core unmapped a page they all read and shot
        # it down: every other core faulted on it and none read it afterwards.
        n = a.cores - 1
        m = re.search(r"\[c0\] spantest: SPANTEST core=0 cores=(\d+) spans=(\d+) faulted=(\d+) stale=(\d+) "
                      r"passed=(\d+) failed=(\d+)", log)
        if not m:
            problems.append("no SPANTEST summary from core 0")
        elif m.groups()[:4] != (str(a.cores), str(n), str(n), "0") or m.group(6) != "0" or int(m.group(5)) < 8:
            problems.append(f"spantest: {m.group(0)} (expected spans={n} faulted={n} stale=0 failed=0)")
        if "TEST FAILED" in log:
            problems.append("a guest test failed (TEST FAILED above)")
    if "TEST FAILED" in log and "test" not in a.kernel_args:
        problems.append("a guest test failed (TEST FAILED above)")
    for text in a.require:
        if text not in log:
            problems.append(f"missing expected text: {text!r}")
    for pattern in a.require_each_core:
        for k in range(a.cores):
            if not re.search(pattern.replace("{core}", str(k)), log):
                problems.append(f"core {k}: no line matches {pattern.replace('{core}', str(k))!r}")
    return problems, boot


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--launcher", required=True)
    p.add_argument("--build-dir", required=True)
    p.add_argument("--cores", type=int, required=True)
    p.add_argument("--boot", required=True)
    p.add_argument("--expect", default="success", choices=["success", "fault", "failure"])
    p.add_argument("--fault-core", type=int, default=0)
    p.add_argument("--fault-vector", default=r"\d+")
    p.add_argument("--require", action="append", default=[])
    p.add_argument("--require-each-core", action="append", default=[], metavar="REGEX",
                   help="a regular expression every core's log must match, with {core} standing for its number")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--icount", action="store_true", help="boot in exact mode (-icount shift=0)")
    p.add_argument("kernel_args", nargs=argparse.REMAINDER)
    a = p.parse_args()
    args = a.kernel_args[1:] if a.kernel_args[:1] == ["--"] else a.kernel_args

    cmd = [sys.executable, a.launcher, "--build-dir", a.build_dir, "--cores", str(a.cores), "--boot", a.boot,
           "--timeout", str(a.timeout), *(["--icount"] if a.icount else []), "--", *args]
    print("running:", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    log = result.stdout
    problems, boot = check(a, result.returncode, log)
    if problems:
        print("---- guest log ----")
        print(log, end="")
        print("---- launcher ----")
        print(result.stderr, end="")
        print("---- problems ----")
        for problem in problems:
            print("FAIL:", problem)
        print(f"0 passed, {len(problems)} failed")
        return 1
    detail = f" entry_to_ready_us={boot.group(3)}" if boot else ""
    print(f"ok: {a.expect} at {a.cores} cores via {a.boot}{detail}")
    print(result.stderr.strip())
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
