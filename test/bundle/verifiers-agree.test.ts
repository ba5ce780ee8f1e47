/**
 * `ferry verify` and the bundle's install.py make the same decision, with a clear message and
 * no stack trace, on bundles crafted to slip past one of them: a folder the verifier cannot
 * read, a tree nested past PATH_MAX, a file name that is not UTF-8, folders and stray files in
 * signatures/ under --allow-unsigned, duplicate manifest entries, manifest fields of the wrong
 * type. Each case recomputes SHA256SUMS, as an attacker would.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { computeSha256Sums, formatSha256Sums } from '../../src/bundle/sha256sums.js';
import { checkBundle } from '../../src/bundle/verify.js';
import { writeFixtureBundle } from './fixture.js';

const BIN = resolve('bin/ferry.js');
const hasPython = spawnSync('python3', ['--version']).status === 0;
const isRoot = process.getuid?.() === 0;
/**
 * How to run a command that cannot read a chmod 000 folder: root without the two capabilities
 * that let it ignore permissions (capabilities(7): CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH). It
 * stays root, so it still reaches a checkout that only root may enter (a mktemp -d clone).
 */
const NOBODY = ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'];
const canDropRoot = isRoot && spawnSync(NOBODY[0]!, [...NOBODY.slice(1), 'true']).status === 0;
const unprivileged: string[] | undefined = !isRoot ? [] : canDropRoot ? NOBODY : undefined;
/** A python3 the unprivileged user can run (a root-only pyenv shim may come first on PATH). */
const pythonFor = (asUser: readonly string[]): string =>
  ['python3', '/usr/bin/python3', '/usr/local/bin/python3'].find(
    (py) =>
      spawnSync(asUser[0] ?? py, [
        ...asUser.slice(1),
        ...(asUser.length > 0 ? [py] : []),
        '--version',
      ]).status === 0,
  ) ?? 'python3';

interface Verdict {
  readonly code: number | null;
  readonly stderr: string;
}

function run(command: string[], asUser: readonly string[] = []): Verdict {
  const [cmd, ...args] = [...asUser, ...command];
  const r = spawnSync(cmd!, args, {
    encoding: 'utf8',
    // tsx keeps its cache in $TMPDIR/tsx-UID; an unprivileged user makes its own there.
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stderr: r.stderr };
}

/** ferry verify and install.py --check-only on `dir`, with the same trust arguments. */
function both(
  dir: string,
  trust: readonly string[] = ['--allow-unsigned'],
  asUser: readonly string[] = [],
): { ferry: Verdict; py: Verdict } {
  return {
    ferry: run([process.execPath, BIN, 'verify', dir, ...trust], asUser),
    py: run([pythonFor(asUser), join(dir, 'install.py'), '--check-only', ...trust], asUser),
  };
}

function assertBothRefuse(
  verdicts: { ferry: Verdict; py: Verdict },
  code: number,
  message: RegExp,
): void {
  for (const [who, v] of Object.entries(verdicts)) {
    assert.equal(v.code, code, `${who}: exit ${v.code}\n${v.stderr}`);
    assert.match(v.stderr, message, `${who}: ${v.stderr}`);
    assert.doesNotMatch(v.stderr, /Traceback|internal error|\n {4}at /, `${who}: ${v.stderr}`);
  }
}

const resum = async (dir: string): Promise<void> =>
  writeFile(join(dir, 'SHA256SUMS'), formatSha256Sums(await computeSha256Sums(dir)));

describe('ferry verify and install.py agree, and fail closed on what they cannot see', {
  skip: hasPython ? false : 'python3 is needed to run install.py',
}, () => {
  let work = '';
  let base = '';
  let n = 0;
  /** A fresh, writable copy of the (unsigned, intact) fixture bundle. */
  const copy = async (): Promise<string> => {
    const dir = join(work, `case${n++}`, 'bundle');
    await cp(base, dir, { recursive: true });
    spawnSync('chmod', ['-R', 'u+w,a+rX', join(dir, '..')]);
    return dir;
  };
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ferry-agree-'));
    await chmod(work, 0o755); // an unprivileged user must reach the bundles
    base = join(work, 'base');
    await writeFixtureBundle(base, join(work, 'cache'));
  });
  after(async () => {
    spawnSync('chmod', ['-R', 'u+rwX', work]);
    spawnSync('rm', ['-rf', work]); // coreutils rm copes with trees past PATH_MAX
  });

  it('the intact bundle passes both', () => {
    const v = both(base);
    assert.equal(v.ferry.code, 0, v.ferry.stderr);
    assert.equal(v.py.code, 0, v.py.stderr);
  });

  it('a folder the verifier cannot read, holding an unlisted file: both refuse (5)', {
    skip:
      unprivileged === undefined
        ? 'runs as root and setpriv cannot drop the capabilities that let root read a chmod 000 folder, so the case cannot be made'
        : false,
  }, async () => {
    const dir = await copy();
    await mkdir(join(dir, 'wheels', 'hidden'));
    await writeFile(join(dir, 'wheels', 'hidden', 'sitecustomize.py'), 'import os\n');
    await chmod(join(dir, 'wheels', 'hidden'), 0o000);
    // The case is real: the user running the verifiers cannot list the folder.
    assert.notEqual(run(['ls', join(dir, 'wheels', 'hidden')], unprivileged).code, 0);
    assertBothRefuse(
      both(dir, ['--allow-unsigned'], unprivileged),
      5,
      /wheels\/hidden\/: cannot be read \(EACCES\)/,
    );
  });

  it('an unlisted file nested past PATH_MAX: both refuse (5) without walking it', async () => {
    const dir = await copy();
    // chdir step by step: no single path names the bottom, which lies past PATH_MAX (4096).
    const made = spawnSync(
      'python3',
      [
        '-c',
        'import os, sys\nos.chdir(sys.argv[1])\nfor _ in range(1200):\n    os.mkdir("d1234")\n    os.chdir("d1234")\nopen("evil.py", "w").write("import os\\n")',
        join(dir, 'wheels'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, made.stderr);
    assertBothRefuse(
      both(dir),
      5,
      /wheels\/d1234\/d1234\/d1234\/d1234\/d1234\/d1234\/d1234\/d1234\/: is nested more than 8 folders deep/,
    );
  });

  it('a file name that is not UTF-8: both refuse (5) and show its bytes', async () => {
    const dir = await copy();
    await writeFile(
      Buffer.concat([
        Buffer.from(`${dir}/wheels/evil`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('.py'),
      ]),
      'x',
    );
    assertBothRefuse(both(dir), 5, /wheels\/evil\\xff\\xfe\.py: has a name that is not UTF-8/);
  });

  for (const [what, make, shown] of [
    ['an empty folder', (d: string) => mkdir(join(d, 'signatures', 'sub')), 'signatures/sub'],
    [
      'a folder holding a file',
      async (d: string) => {
        await mkdir(join(d, 'signatures', 'sub'));
        await writeFile(join(d, 'signatures', 'sub', '0123456789ABCDEF.minisig'), 'x');
      },
      'signatures/sub',
    ],
    [
      'a file that is not a signature',
      (d: string) => writeFile(join(d, 'signatures', 'notes.txt'), 'x'),
      'signatures/notes.txt',
    ],
  ] as const) {
    it(`${what} in signatures/ under --allow-unsigned: both refuse (7)`, async () => {
      const dir = await copy();
      await make(dir);
      assertBothRefuse(
        both(dir),
        7,
        new RegExp(`${shown.replace(/[./]/g, '\\$&')}: is not a signature file`),
      );
    });
  }

  it('a file named twice in manifest.json: both refuse (5) naming it; the count is not inflated', async () => {
    const dir = await copy();
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    manifest.files.push(manifest.files[0]);
    await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await resum(dir);
    assertBothRefuse(
      both(dir),
      5,
      /wheels\/demo_app-1\.0-py3-none-any\.whl: is named more than once in manifest\.json/,
    );
  });

  it('a package listed twice in manifest.json: both refuse (5) naming it; the count is not inflated', async () => {
    const dir = await copy();
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    manifest.packages.push(manifest.packages[1]);
    await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await resum(dir);
    assertBothRefuse(
      both(dir),
      5,
      /manifest\.json: lists the package demo-lib 2\.0 more than once/,
    );
    const report = await checkBundle(dir, { allowUnsigned: true });
    assert.equal(report.packages, 3);
  });

  for (const [what, edit, message] of [
    [
      '"files": 5',
      (m: Record<string, unknown>) => {
        m.files = 5;
      },
      /manifest\.json: cannot be read: .*files/,
    ],
    [
      'a size written as a string',
      (m: { files: { size: unknown }[] }) => {
        m.files[0]!.size = String(m.files[0]!.size);
      },
      /manifest\.json: cannot be read: .*files(\[0\]|\.0)\.size/,
    ],
    [
      'a package name that is a number',
      (m: { packages: { name: unknown }[] }) => {
        m.packages[0]!.name = 5;
      },
      /manifest\.json: cannot be read: .*packages(\[0\]|\.0)\.name/,
    ],
    ['a manifest that is a list', (_m: unknown) => [], /manifest\.json: cannot be read/],
  ] as const) {
    it(`manifest fields of the wrong type (${what}): both refuse (5), no traceback`, async () => {
      const dir = await copy();
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      const replaced = (edit as (m: unknown) => unknown)(manifest) ?? manifest;
      await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(replaced, null, 2)}\n`);
      await resum(dir);
      assertBothRefuse(both(dir), 5, message);
    });
  }

  it('the library reports an unreadable folder as a problem, not an exception', {
    skip: isRoot
      ? 'root reads a chmod 000 folder; the CLI case above runs as an unprivileged user'
      : false,
  }, async () => {
    const dir = await copy();
    await mkdir(join(dir, 'wheels', 'hidden'));
    await chmod(join(dir, 'wheels', 'hidden'), 0o000);
    const report = await checkBundle(dir, { allowUnsigned: true });
    assert.ok(
      report.problems.some((p) => p.kind === 'tampered' && p.path === 'wheels/hidden/'),
      JSON.stringify(report.problems),
    );
    await rm(join(dir, 'wheels', 'hidden'), { recursive: true, force: true }).catch(() => {});
  });
});
