#!/usr/bin/env python3
"""The CPU driver must not use the x87/SSE registers in compiled code: they
hold the running domain's state, which the CPU driver switches only between
dispatchers (cpudriver/fpu.hpp). It is built with -mgeneral-regs-only; this
check catches what that flag cannot (inline assembly, a stray object built
with other flags). The only FPU instructions allowed are those that switch
and initialise the state.

    check_kernel_fpu.py KERNEL_ELF
"""
import re
import shutil
import subprocess
import sys

ALLOWED = {"fxsave64", "fxrstor64", "fninit"}
# x87 instructions (all named f...; "fs" is a segment prefix) and state management.
FPU_MNEMONIC = re.compile(r"^(f(?!s$)\w+|ldmxcsr|stmxcsr|xsave\w*|xrstor\w*|emms)$")
# Any operand naming an x87, MMX, SSE or AVX register.
FPU_REGISTER = re.compile(r"%(xmm|ymm|zmm|mm|st)\d*\b")


def main():
    objdump = shutil.which("objdump")
    if objdump is None:
        print("objdump not found; install: apt-get install binutils")
        return 1
    out = subprocess.run([objdump, "-d", "--no-show-raw-insn", sys.argv[1]], capture_output=True, text=True, check=True)
    bad, seen = [], set()
    for line in out.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        insn = re.sub(r"<[^>]*>", "", parts[1]).strip()  # symbol names are not operands
        words = insn.split()
        mnemonic = words[0] if words else ""
        if mnemonic in ("rex.W", "data16", "lock", "rep", "repz", "repnz") and len(words) > 1:
            mnemonic = words[1]
        if mnemonic in ALLOWED:
            seen.add(mnemonic)
        elif FPU_MNEMONIC.match(mnemonic) or FPU_REGISTER.search(insn):
            bad.append(line.strip())
    if bad:
        print("the CPU driver uses the FPU outside its state switch:")
        print("\n".join(bad[:20]))
        print("0 passed, 1 failed")
        return 1
    if seen != ALLOWED:
        print(f"expected the FPU switch instructions {sorted(ALLOWED)}, found {sorted(seen)}")
        print("0 passed, 1 failed")
        return 1
    print("the CPU driver touches the FPU only to switch it (fxsave64, fxrstor64, fninit)")
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
