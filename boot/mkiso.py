#!/usr/bin/env python3
"""Build a bootable GRUB (Multiboot2) ISO of the CPU driver and its modules.

Usage: mkiso.py --kernel KERNEL.elf --out OS.iso [--module FILE[:ARGS]]... [--cmdline "ARGS"]

The ISO boots with GRUB on the serial console with no menu delay. Used by the
build (the default image, build/boot/iso/os.iso) and by the launcher, which
makes a fresh one when the kernel command line differs from the default.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

GRUB_CFG = """\
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
set default=0
menuentry "multikernel" {{
    multiboot2 /boot/kernel.elf {cmdline}
{modules}    boot
}}
"""


def grub_quote(text):
    """GRUB's shell-like parser: single quotes keep everything literal."""
    return "'" + text.replace("'", "'\\''") + "'" if text else ""


def build(kernel, out, modules, cmdline):
    if shutil.which("grub-mkrescue") is None:
        sys.exit("mkiso: grub-mkrescue not found; install: apt-get install grub-common grub-pc-bin xorriso")
    with tempfile.TemporaryDirectory(prefix="mk-iso-") as root:
        os.makedirs(os.path.join(root, "boot", "grub"))
        shutil.copy(kernel, os.path.join(root, "boot", "kernel.elf"))
        lines = []
        for spec in modules:
            path, _, args = spec.partition(":")
            name = os.path.basename(path)
            shutil.copy(path, os.path.join(root, "boot", name))
            words = " ".join(grub_quote(w) for w in ([name] + args.split()))
            lines.append(f"    module2 /boot/{name} {words}\n")
        args = " ".join(grub_quote(w) for w in cmdline.split())
        with open(os.path.join(root, "boot", "grub", "grub.cfg"), "w") as f:
            f.write(GRUB_CFG.format(cmdline=args, modules="".join(lines)))
        tmp_out = out + ".tmp"
        cmd = ["grub-mkrescue", "-o", tmp_out, "--locales=", "--fonts=", "--themes=",
               "--install-modules=multiboot2 normal serial terminal boot", root]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            sys.exit(f"mkiso: grub-mkrescue failed (exit {result.returncode})")
        os.replace(tmp_out, out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--module", action="append", default=[])
    p.add_argument("--cmdline", default="")
    a = p.parse_args()
    build(a.kernel, a.out, a.module, a.cmdline)


if __name__ == "__main__":
    main()
