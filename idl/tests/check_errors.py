#!/usr/bin/env python3
"""The plugin's diagnostics on unsupported schemas. For each DIR/<name>.capnp
(a valid Cap'n Proto schema that capnpc-urpc must refuse), the plugin must
exit non-zero, write no header, and print exactly DIR/<name>.err on stderr.

The schemas are compiled the way a user would from a shell: from DIR, with
the file name relative to it, so messages read `<name>.capnp:LINE: error:`.
One schema is compiled again the way the build does it (--src-prefix and
URPC_SRC_PREFIX), where messages carry the full path. Use --update to write
the .err files from the current output (then review them)."""
import argparse
import os
import subprocess
import sys
import tempfile


def compile_schema(args, cwd, target, outdir, extra_env, extra_args=()):
    env = {k: v for k, v in os.environ.items() if k != 'URPC_SRC_PREFIX'}
    env.update(extra_env)
    cmd = [args.capnp, 'compile'] + ['-I' + i for i in args.include] + list(extra_args) + [
        '-o' + args.plugin + ':' + outdir, target]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


def check(args, name, cwd, target, expected, extra_env, extra_args=()):
    with tempfile.TemporaryDirectory() as out:
        run = compile_schema(args, cwd, target, out, extra_env, extra_args)
        written = os.listdir(out)
    problems = []
    if run.returncode == 0:
        problems.append('exit status 0')
    if written:
        problems.append('wrote ' + ', '.join(written))
    # capnp adds a last line naming the plugin, and kj may warn about the
    # environment: neither is the plugin's own output.
    lines = run.stderr.splitlines(True)
    if lines and lines[-1].endswith(': plugin failed: exit code 1\n'):
        lines.pop()
    else:
        problems.append('capnp did not report the plugin as failed')
    stderr = ''.join(line for line in lines if not line.startswith('kj/'))
    if expected is not None and stderr != expected:
        problems.append('stderr differs:\n--- expected\n' + expected + '--- got\n' + stderr)
    print(('FAIL ' if problems else 'ok   ') + name)
    for p in problems:
        print('     ' + p)
    return stderr, not problems


def too_many_methods(tmp):
    path = os.path.join(tmp, 'too_many_methods.capnp')
    with open(path, 'w') as f:
        f.write('@0xd0c1e6b5a4f3e2d1;\n\ninterface Big {\n')
        for i in range(257):
            f.write('  m%d @%d () -> ();\n' % (i, i))
        f.write('}\n')
    return 'too_many_methods.capnp:260: error: method \'m256\': an interface has at most ' \
           '256 methods (@0..@255)\n'


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--plugin', required=True)
    p.add_argument('--capnp', required=True)
    p.add_argument('--include', action='append', default=[])
    p.add_argument('--dir', required=True)
    p.add_argument('--update', action='store_true')
    args = p.parse_args()
    d = os.path.abspath(args.dir)

    passed = failed = 0
    schemas = sorted(f for f in os.listdir(d) if f.endswith('.capnp'))
    for schema in schemas:
        err_file = os.path.join(d, schema[:-len('.capnp')] + '.err')
        expected = None
        if not args.update:
            with open(err_file) as f:
                expected = f.read()
        stderr, ok = check(args, schema, d, schema, expected, {})
        if args.update:
            with open(err_file, 'w') as f:
                f.write(stderr)
        passed, failed = passed + ok, failed + (not ok)

    # As the build runs it: absolute paths in messages.
    first = schemas[0]
    with open(os.path.join(d, first[:-len('.capnp')] + '.err')) as f:
        expected = ''.join(d + '/' + line for line in f)
    _, ok = check(args, first + ' (build style)', '/', os.path.join(d, first), expected,
                  {'URPC_SRC_PREFIX': d}, ['--src-prefix=' + d])
    passed, failed = passed + ok, failed + (not ok)

    with tempfile.TemporaryDirectory() as tmp:
        expected = too_many_methods(tmp)
        _, ok = check(args, 'too_many_methods.capnp', tmp, 'too_many_methods.capnp', expected, {})
        passed, failed = passed + ok, failed + (not ok)

    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
