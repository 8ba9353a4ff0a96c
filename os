#!/usr/bin/env bash
# ./os: the multikernel's one entry point.
#
#   ./os run [--cores N] [--boot iso|kernel] [--accel tcg|kvm] [--gdb] [--timeout S] [-- ARGS]
#                                    no ARGS: the shell on the serial console; -- demo: the demo
#   ./os test [MESON-TEST-ARGS]      every test: unit, IDL, simulations, QEMU boots
#   ./os bench SUITE [--cores LIST] [--out DIR] [--quick]
#   ./os build                       just build
#
# Each command installs the Debian packages that are missing (when run as
# root), configures the Meson build directory if needed and builds what is
# stale. See README.md and docs/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="${MK_BUILD_DIR:-$ROOT/build}"

# Everything the build, the tests and the benchmarks use, by Debian package.
PACKAGES=(
  python3 python3-matplotlib
  gcc g++ libc6-dev clang libclang-rt-14-dev binutils pkg-config meson ninja-build
  qemu-system-x86 grub-pc-bin grub-common xorriso
  capnproto libcapnp-dev catch2 spin
)

die() { echo "./os: $*" >&2; exit 2; }

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}"
  fi
  echo "./os: installing missing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >"$ROOT/.apt.log" 2>&1; then
    tail -n 20 "$ROOT/.apt.log" >&2
    die "apt-get could not install: ${missing[*]} (full log: .apt.log)"
  fi
  rm -f "$ROOT/.apt.log"
}

ensure_configured() {
  if [ ! -f "$BUILD/build.ninja" ]; then
    echo "./os: configuring $BUILD" >&2
    if ! meson setup "$BUILD" "$ROOT" --cross-file "$ROOT/cross-gcc.ini" >"$ROOT/.setup.log" 2>&1; then
      cat "$ROOT/.setup.log" >&2
      rm -rf "$BUILD"
      die "meson setup failed (output above)"
    fi
    rm -f "$ROOT/.setup.log"
  fi
}

# A service folder added or removed (services/discover.py) needs Meson to
# look again: ninja alone only notices edited meson.build files.
ensure_services_discovered() {
  local seen="$BUILD/services-discovered.txt"
  [ -f "$seen" ] || return 0
  if [ "$(python3 "$ROOT/services/discover.py" "$ROOT/services")" != "$(cat "$seen")" ]; then
    echo "./os: the service folders changed; reconfiguring" >&2
    meson setup --reconfigure "$BUILD" "$ROOT" >"$ROOT/.setup.log" 2>&1 || { cat "$ROOT/.setup.log" >&2; die "meson setup --reconfigure failed"; }
    rm -f "$ROOT/.setup.log"
  fi
}

build() {
  ensure_configured
  ensure_services_discovered
  local log="$BUILD/last-build.log"
  if ! ninja -C "$BUILD" >"$log" 2>&1; then
    grep -v '^\[' "$log" | tail -n 60 >&2
    die "build failed (full log: $log)"
  fi
}

cmd="${1:-help}"
[ $# -gt 0 ] && shift
case "$cmd" in
  run)
    ensure_packages
    python3 "$ROOT/boot/qemu.py" --validate-only "$@" || exit $?
    build
    exec python3 "$ROOT/boot/qemu.py" --build-dir "$BUILD" "$@"
    ;;
  test)
    ensure_packages
    build
    exec meson test -C "$BUILD" --print-errorlogs "$@"
    ;;
  bench)
    ensure_packages
    build
    exec python3 "$ROOT/test/bench/bench.py" --build-dir "$BUILD" "$@"
    ;;
  build)
    ensure_packages
    build
    echo "./os: built in $BUILD" >&2
    ;;
  help|-h|--help)
    usage
    ;;
  *)
    die "unknown command '$cmd' (commands: run, test, bench, build, help)"
    ;;
esac
