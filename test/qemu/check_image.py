#!/usr/bin/env python3
"""Static checks of the kernel image that a boot failure would only hint at.

    check_image.py STAGE1.elf KERNEL.elf ISO

1. Both boot headers are where loaders look: Multiboot1 in the first 8 KiB,
   4-byte aligned; Multiboot2 in the first 32 KiB, 8-byte aligned (grub-file
   agrees when it is installed).
2. QEMU's -kernel loader (Multiboot1 a.out kludge) copies the file in one piece,
   so every loadable segment must satisfy file offset - physical address = constant.
3. All physical load addresses lie below 4 GiB (GRUB refuses others).
4. The symbol table was added without moving code: every function has the same
   address and size in the first-stage and the final image (data references
   inside .text may differ, since .data and .bss move), and the final image's
   .data is larger by the table.
5. The ISO exists and is a plausible ISO 9660 image.
"""
import os
import shutil
import struct
import subprocess
import sys

failures = []


def expect(cond, message):
    print(("ok:   " if cond else "FAIL: ") + message)
    if not cond:
        failures.append(message)


def segments(path):
    data = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    segs = []
    for i in range(phnum):
        p_type, _flags, off, _vaddr, paddr, filesz, memsz, _align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            segs.append((off, paddr, filesz, memsz))
    return data, segs


def functions(path):
    out = subprocess.run(["nm", "--defined-only", "-S", path], capture_output=True, text=True, check=True).stdout
    return sorted(line for line in out.splitlines() if len(line.split()) == 4 and line.split()[2] in "tTwW")


def section(path, name):
    out = subprocess.run(["objcopy", "-O", "binary", "--only-section=" + name, path, "/dev/stdout"],
                         capture_output=True, check=True)
    return out.stdout


def main():
    stage1, kernel, iso = sys.argv[1:4]
    data, segs = segments(kernel)
    mb1 = data[:8192].find(struct.pack("<I", 0x1BADB002))
    mb2 = data[:32768].find(struct.pack("<I", 0xE85250D6))
    expect(mb1 >= 0 and mb1 % 4 == 0, f"Multiboot1 header in the first 8 KiB, aligned (offset {mb1:#x})")
    expect(mb2 >= 0 and mb2 % 8 == 0, f"Multiboot2 header in the first 32 KiB, aligned (offset {mb2:#x})")
    deltas = {off - paddr for off, paddr, filesz, _ in segs if filesz}
    expect(len(deltas) == 1, f"file offset - physical address is one constant for all segments ({len(deltas)} seen)")
    expect(all(paddr + memsz <= 1 << 32 for _, paddr, _, memsz in segs), "all load addresses below 4 GiB")
    if shutil.which("grub-file"):
        expect(subprocess.run(["grub-file", "--is-x86-multiboot2", kernel]).returncode == 0, "grub-file: Multiboot2")
        expect(subprocess.run(["grub-file", "--is-x86-multiboot", kernel]).returncode == 0, "grub-file: Multiboot1")
    f1, f2 = functions(stage1), functions(kernel)
    expect(len(f1) > 50 and f1 == f2, f"{len(f2)} functions at the same addresses and sizes in both links")
    expect(len(section(kernel, ".data")) > len(section(stage1, ".data")), ".ksyms added in the final link")
    with open(iso, "rb") as f:
        f.seek(0x8001)
        expect(f.read(5) == b"CD001", f"{os.path.basename(iso)} is an ISO 9660 image")
    print(f"{4 + 2 * bool(shutil.which('grub-file')) + 3 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
