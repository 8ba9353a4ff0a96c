#!/usr/bin/env python3
"""Writes the service manifest, the boot module that tells the monitors which
services exist and on which cores (lib/svc/manifest.hpp): one `name cores`
line per NAME=CORES argument."""
import sys

out = sys.argv[1]
with open(out, "w") as f:
    f.write("# services and the cores of their replicas (generated from services/*/meson.build)\n")
    for spec in sys.argv[2:]:
        name, cores = spec.split("=", 1)
        f.write(f"{name} {cores}\n")
