#!/usr/bin/env python3
"""Compiles generated stubs with clang++ and the guest flags, -Werror: the
CPU driver's flags for stubs without floats (tests/guest_check.cpp), and the
same without -mgeneral-regs-only for a schema with floats."""
import argparse
import subprocess
import sys
import tempfile

GUEST = ['-std=c++20', '-Wall', '-Wextra', '-Werror', '-ffreestanding', '-fno-exceptions',
         '-fno-rtti', '-fno-pie', '-fno-pic', '-mno-red-zone', '-mcmodel=kernel',
         '-DMK_FREESTANDING=1']

FLOATS = r'''
#include "floats.urpc.hpp"
namespace fl = mk::idl::test_floats;
struct Link {
    mk::Status try_send(const mk::idl::Payload&) { return {}; }
    bool try_recv(mk::idl::Payload&) { return false; }
};
struct Meter {
    mk::Status record(const fl::Meter::RecordParams& p, fl::Meter::RecordResults& r) {
        r.mean = p.sample.y;
        r.first = p.sample.x;
        return {};
    }
};
template class fl::MeterClient<Link>;
template class fl::MeterServer<Meter, Link>;
'''


def compile_one(args, source, flags, what):
    cmd = [args.clang] + GUEST + flags + ['-I' + args.lib, '-I' + args.gen, '-c', source,
                                          '-o', '/dev/null']
    run = subprocess.run(cmd, capture_output=True, text=True)
    print(('ok   ' if run.returncode == 0 else 'FAIL ') + what)
    if run.returncode != 0:
        print(' '.join(cmd))
        print(run.stdout + run.stderr)
    return run.returncode == 0


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--clang', required=True)
    p.add_argument('--lib', required=True)
    p.add_argument('--gen', required=True)
    p.add_argument('--source', required=True)
    args = p.parse_args()
    results = [compile_one(args, args.source, ['-mgeneral-regs-only'],
                           'boot and kitchen_sink, CPU driver flags')]
    with tempfile.NamedTemporaryFile('w', suffix='.cpp') as f:
        f.write(FLOATS)
        f.flush()
        results.append(compile_one(args, f.name, [], 'floats, guest flags with FPU'))
    print('%d passed, %d failed' % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
