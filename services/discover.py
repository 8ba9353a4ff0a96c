#!/usr/bin/env python3
"""Lists the service folders: every services/<name>/ that has a meson.build,
one name a line, sorted. services/meson.build builds what it lists, and
`./os build` reconfigures when the list changes (a folder added or removed).
With a second argument, also writes the list there."""
import os
import sys

root = sys.argv[1]
names = sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "meson.build")))
text = "".join(n + "\n" for n in names)
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as f:
        f.write(text)
sys.stdout.write(text)
