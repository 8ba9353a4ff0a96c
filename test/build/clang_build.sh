#!/usr/bin/env bash
# Builds the guest image with clang 14 in a build directory of its own, with
# the same -Wall -Wextra -Werror as the GCC build, so the tree stays
# warning-free under both compilers. Usage: clang_build.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
dir="$2"
if ! command -v clang++ >/dev/null; then
  echo "clang++ not found; install: apt-get install clang" >&2
  exit 1
fi
if [ ! -f "$dir/build.ninja" ]; then
  # Only the guest uses clang (cross-clang.ini); the host tools it needs, such
  # as the IDL compiler, are built with the usual compiler and no sanitizers.
  meson setup "$dir" "$src" --cross-file "$src/cross-clang.ini" -Db_sanitize=none >"$dir.setup.log" 2>&1 \
    || { cat "$dir.setup.log"; rm -rf "$dir"; exit 1; }
fi
log="$dir/guest-build.log"
if ! ninja -C "$dir" cpudriver/kernel.elf monitor/monitor.elf >"$log" 2>&1; then
  cat "$log"
  echo "0 passed, 1 failed"
  exit 1
fi
if grep -E "warning:" "$log"; then
  echo "clang reported warnings (above)"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "clang 14: guest image built warning-free"
echo "1 passed, 0 failed"
