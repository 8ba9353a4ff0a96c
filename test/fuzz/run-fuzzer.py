#!/usr/bin/env python3
"""Builds and runs the IDL frame-decoder fuzzer (frame_fuzz.cpp) with clang's
libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer.

Meson runs it as the test `idl-fuzz` for fuzz_seconds (meson_options.txt).
A longer run, from the top of the tree, after `ninja -C <builddir>`:
    test/fuzz/run-fuzzer.py --seconds 3600 --gen <builddir>/idl --work <builddir>/test/fuzz
The corpus grows in <work>/idl-fuzz-corpus across runs; a crashing input is
saved as <work>/crash-* and makes this script exit non-zero. To replay one:
    <work>/idl-frame-fuzz <work>/crash-..."""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def newer(target, sources):
    if not os.path.exists(target):
        return True
    t = os.path.getmtime(target)
    return any(os.path.getmtime(s) > t for s in sources)


def build(args, out, extra):
    lib = os.path.join(args.src_root, 'lib')
    sources = [os.path.join(HERE, 'frame_fuzz.cpp'),
               os.path.join(lib, 'idl', 'codec.cpp'),
               os.path.join(lib, 'idl', 'frame_check.cpp'),
               os.path.join(lib, 'base', 'string.cpp')]
    headers = [os.path.join(args.gen, 'kitchen_sink.urpc.hpp')]
    for d in (os.path.join(lib, 'idl'), os.path.join(lib, 'base'), os.path.join(lib, 'urpc')):
        headers += [os.path.join(d, f) for f in os.listdir(d) if f.endswith('.hpp')]
    if not newer(out, sources + headers):
        return True
    cmd = [args.clang, '-std=c++20', '-O1', '-g', '-Wall', '-Wextra', '-Werror',
           '-fno-sanitize-recover=all', '-DMK_HOSTED=1', '-I' + lib, '-I' + args.gen] + extra + \
          sources + ['-o', out]
    print(' '.join(cmd), flush=True)
    return subprocess.run(cmd).returncode == 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--clang', default='clang++')
    p.add_argument('--src-root', default=os.path.dirname(os.path.dirname(HERE)))
    p.add_argument('--gen', required=True, help='directory with kitchen_sink.urpc.hpp')
    p.add_argument('--work', required=True, help='where the binaries and the corpus live')
    p.add_argument('--seconds', type=int, default=20)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)

    fuzzer = os.path.join(args.work, 'idl-frame-fuzz')
    seeder = os.path.join(args.work, 'idl-frame-seeds')
    if not build(args, fuzzer, ['-fsanitize=fuzzer,address,undefined']):
        print('could not build the fuzzer (is libclang-rt-14-dev installed?)')
        return 1
    if not build(args, seeder, ['-DIDL_FUZZ_SEEDS', '-fsanitize=address,undefined']):
        return 1
    seeds = os.path.join(args.work, 'idl-fuzz-seeds')
    corpus = os.path.join(args.work, 'idl-fuzz-corpus')
    os.makedirs(seeds, exist_ok=True)
    os.makedirs(corpus, exist_ok=True)
    if subprocess.run([seeder, seeds]).returncode != 0:
        return 1

    cmd = [fuzzer, '-max_total_time=%d' % args.seconds, '-timeout=10', '-rss_limit_mb=2048',
           '-max_len=4096', '-print_final_stats=1',
           '-artifact_prefix=' + os.path.join(args.work, ''), corpus, seeds]
    print(' '.join(cmd), flush=True)
    rc = subprocess.run(cmd).returncode
    print('fuzzer exit status %d' % rc)
    return 0 if rc == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
