#!/usr/bin/env python3
"""Golden tests of capnpc-urpc: for each schema DIR/<name>.capnp, the plugin's
output must equal the committed DIR/<name>.urpc.hpp byte for byte.

After an intended change to the generator, regenerate the files with
    ninja -C <builddir> idl-golden-update
and review the diff like any other change."""
import argparse
import difflib
import os
import subprocess
import sys
import tempfile


def generate(args, schema, outdir):
    env = dict(os.environ, URPC_SRC_PREFIX=args.dir)
    cmd = [args.capnp, 'compile'] + ['-I' + i for i in args.include] + [
        '-o' + args.plugin + ':' + outdir, '--src-prefix=' + args.dir,
        os.path.join(args.dir, schema)]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        return None
    with open(os.path.join(outdir, schema[:-len('.capnp')] + '.urpc.hpp')) as f:
        return f.read()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--plugin', required=True)
    p.add_argument('--capnp', required=True)
    p.add_argument('--include', action='append', default=[])
    p.add_argument('--dir', required=True)
    p.add_argument('--update', action='store_true', help='rewrite the expected files')
    args = p.parse_args()

    schemas = sorted(f for f in os.listdir(args.dir) if f.endswith('.capnp'))
    if not schemas:
        print('no schemas in ' + args.dir)
        return 1
    failed = 0
    with tempfile.TemporaryDirectory() as out:
        for schema in schemas:
            got = generate(args, schema, out)
            golden = os.path.join(args.dir, schema[:-len('.capnp')] + '.urpc.hpp')
            if got is None:
                print('FAIL ' + schema + ': the plugin failed')
                failed += 1
                continue
            if args.update:
                with open(golden, 'w') as f:
                    f.write(got)
                print('updated ' + golden)
                continue
            try:
                with open(golden) as f:
                    want = f.read()
            except FileNotFoundError:
                want = ''
            if got == want:
                print('ok   ' + schema)
                continue
            failed += 1
            print('FAIL ' + schema + ': output differs from ' + golden)
            sys.stdout.writelines(difflib.unified_diff(
                want.splitlines(True), got.splitlines(True), golden, 'generated'))
    print('%d passed, %d failed' % (len(schemas) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
