#!/usr/bin/env python3
"""Write a Linux initramfs (cpio "newc", uncompressed) in pure Python, with no cpio program.

    mkinitramfs.py OUT.cpio PATH=HOSTFILE[:MODE] ...

Each PATH=HOSTFILE argument puts a regular file at PATH (e.g. init=linbench,
exit0=exit0); MODE is octal, 755 by default. The archive always holds the
directories dev, proc and sys and the node dev/console (char 5:1), so /init
has a console whatever the kernel's built-in initramfs provides.
"""
import os
import sys

NEWC_MAGIC = b"070701"
S_IFDIR, S_IFREG, S_IFCHR = 0o040000, 0o100000, 0o020000


def _pad4(n):
    return b"\0" * ((-n) % 4)


def _entry(ino, name, mode, data=b"", rdev=(0, 0), nlink=1, mtime=0):
    """One newc record: 110-byte ASCII header, NUL-terminated name and data,
    each padded to a multiple of 4 bytes."""
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, mtime, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
    header = NEWC_MAGIC + b"".join(b"%08X" % f for f in fields)
    rec = header + name_b
    rec += _pad4(len(rec))
    rec += data + _pad4(len(data))
    return rec


def build(out_path, files):
    """files: list of (archive path, host path, permission bits). The write
    is atomic (temporary file, then rename)."""
    records = []
    ino = 1
    for d in ("dev", "proc", "sys"):
        records.append(_entry(ino, d, S_IFDIR | 0o755, nlink=2))
        ino += 1
    records.append(_entry(ino, "dev/console", S_IFCHR | 0o600, rdev=(5, 1)))
    ino += 1
    for arc, host, perm in files:
        arc = arc.lstrip("/")
        if not arc or "/" in arc:
            raise ValueError(f"archive path {arc!r}: only files at the top level are supported")
        with open(host, "rb") as f:
            data = f.read()
        records.append(_entry(ino, arc, S_IFREG | perm, data))
        ino += 1
    records.append(_entry(0, "TRAILER!!!", 0))
    blob = b"".join(records)
    blob += b"\0" * ((-len(blob)) % 512)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, out_path)
    return len(blob)


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    files = []
    for spec in argv[1:]:
        if "=" not in spec:
            print(f"mkinitramfs: expected PATH=HOSTFILE[:MODE], got {spec!r}", file=sys.stderr)
            return 2
        arc, host = spec.split("=", 1)
        perm = 0o755
        if ":" in host:
            host, mode = host.rsplit(":", 1)
            perm = int(mode, 8)
        files.append((arc, host, perm))
    try:
        size = build(argv[0], files)
    except (OSError, ValueError) as e:
        print(f"mkinitramfs: {e}", file=sys.stderr)
        return 1
    print(f"mkinitramfs: wrote {argv[0]} ({size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
