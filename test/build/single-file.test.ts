/**
 * dist/ferry.mjs: ferry as one file. It is built afresh into a temporary folder (never the
 * dist/ of the checkout, which may be stale), copied alone into an empty folder with no
 * node_modules anywhere above it, and run there: the commands load lazily, the Python scripts
 * and data tables come from inside the file. Then `ferry pack --with-ferry` puts that file in
 * a bundle, both verifiers check it, and the copy from the archive runs too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFixtureBundle } from '../bundle/fixture.js';

const root = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'ferry-single-'));
const built = join(work, 'build', 'ferry.mjs');
const empty = join(work, 'empty');
const childTmp = join(work, 'tmp');
/** Where the single file keeps V8's code cache in these tests (its default is $TMPDIR). */
const codeCache = join(work, 'code-cache');

/** A node_modules folder above the temporary folder would let Node find the packages anyway. */
function modulesAbove(dir: string): string | undefined {
  for (let d = dirname(dir); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return join(d, 'node_modules');
    if (dirname(d) === d) return undefined;
  }
}
const above = modulesAbove(work);
const skip = above === undefined ? false : `${above} exists, so Node would find packages there`;

function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('PIP_') && !k.startsWith('FERRY_') && !k.startsWith('NODE_')) out[k] = v;
  return {
    ...out,
    PIP_CONFIG_FILE: '/dev/null',
    NO_COLOR: '1',
    TMPDIR: childTmp,
    FERRY_CACHE_DIR: join(work, 'cache'),
    NODE_COMPILE_CACHE: codeCache,
  };
}

/** Builds dist/ferry.mjs afresh into `built` (a temporary folder), once for this file. */
function buildOnce(): void {
  if (existsSync(built)) return;
  const r = spawnSync(process.execPath, ['scripts/build-single.mjs', '--outfile', built], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
}

function ferry(file: string, args: string[], cwd = empty, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [file, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...env(), ...extraEnv },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('dist/ferry.mjs, alone in an empty folder', { skip }, () => {
  const bundle = join(work, 'bundle');

  before(async () => {
    buildOnce();
    mkdirSync(empty);
    mkdirSync(childTmp);
    copyFileSync(built, join(empty, 'ferry.mjs'));
    await writeFixtureBundle(bundle, join(work, 'fixture-cache'));
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it('--version prints the version of package.json', () => {
    const r = ferry('ferry.mjs', ['--version']);
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `ferry ${version}\n`);
  });

  it('targets reads the embedded presets', () => {
    const r = ferry('ferry.mjs', ['targets']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /kylin-v10-aarch64/);
  });

  it('keygen, sign and verify a bundle', () => {
    const k = ferry('ferry.mjs', ['keygen', 'builder']);
    assert.equal(k.status, 0, k.stderr);
    const s = ferry('ferry.mjs', ['sign', bundle, '--key', 'builder.key']);
    assert.equal(s.status, 0, s.stderr);
    const v = ferry('ferry.mjs', ['verify', bundle, '--trusted-key', 'builder.pub']);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /verified .*3 packages, complete; signed by builder/);
  });

  it('probe runs the embedded probe.py and removes its copy afterwards', () => {
    const r = ferry('ferry.mjs', ['probe']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).formatVersion, 1);
    assert.deepEqual(readdirSync(childTmp), [], 'the scripts written for Python are removed');
  });

  it('doctor checks the bundle against this host', () => {
    const r = ferry('ferry.mjs', ['doctor', bundle, '--json']);
    const result = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; code?: string })
      .find((e) => e.event === 'result' || e.event === 'error');
    assert.ok(result !== undefined, r.stdout + r.stderr);
    // 0 (runs here) or 9 (a finding): never a missing file or an internal error.
    assert.ok(r.status === 0 || r.status === 9, `${r.status}: ${r.stdout}${r.stderr}`);
    assert.notEqual(result.code, 'ERR_FERRY_INTERNAL');
  });
});

describe('the code cache of dist/ferry.mjs', { skip }, () => {
  const folder = join(codeCache, `ferry-code-cache-${process.getuid?.() ?? ''}`.replace(/-$/, ''));
  const files = (): string[] => (existsSync(folder) ? readdirSync(folder).sort() : []);
  const version = (): string =>
    `ferry ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}\n`;

  before(() => {
    buildOnce();
    mkdirSync(empty, { recursive: true });
    copyFileSync(built, join(empty, 'ferry.mjs'));
  });

  it('is written once per command, in a folder only this user can write, and read back', () => {
    rmSync(codeCache, { recursive: true, force: true });
    assert.equal(ferry('ferry.mjs', ['--version']).stdout, version());
    assert.equal(ferry('ferry.mjs', ['targets']).status, 0);
    const written = files();
    assert.equal(written.length, 2, written.join(' '));
    assert.ok(written.some((f) => f.endsWith(`-${process.arch}-targets.bin`)));
    assert.ok(written.some((f) => f.endsWith(`-${process.arch}-other.bin`)));
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    const before = statSync(join(folder, written[0]!)).mtimeMs;
    // A run that finds its cache accepted leaves it as it was.
    assert.equal(ferry('ferry.mjs', ['--version']).stdout, version());
    assert.equal(ferry('ferry.mjs', ['targets']).status, 0);
    assert.deepEqual(files(), written);
    assert.equal(statSync(join(folder, written[0]!)).mtimeMs, before);
  });

  it('a damaged cache is rejected by V8 and written again; the command still runs', () => {
    const name = files().find((f) => f.endsWith('-other.bin'));
    assert.ok(name !== undefined);
    writeFileSync(join(folder, name), Buffer.alloc(4096, 7));
    assert.equal(ferry('ferry.mjs', ['--version']).stdout, version());
    assert.notDeepEqual(readFileSync(join(folder, name)), Buffer.alloc(4096, 7));
  });

  it("another build's caches are removed when this build writes its own", () => {
    const stale = join(folder, '0123456789abcdef-v20.0.0-x64-lock.bin');
    writeFileSync(stale, 'old');
    rmSync(join(folder, files().find((f) => f.endsWith('-other.bin'))!));
    assert.equal(ferry('ferry.mjs', ['--version']).stdout, version());
    assert.equal(existsSync(stale), false);
  });

  it('is not read from, nor written to, a folder others can write to', () => {
    chmodSync(folder, 0o777);
    try {
      const name = files().find((f) => f.endsWith('-other.bin'))!;
      // Garbage V8 would reject: a run that read it would write a good one back.
      writeFileSync(join(folder, name), 'planted');
      assert.equal(ferry('ferry.mjs', ['--version']).stdout, version());
      assert.equal(readFileSync(join(folder, name), 'utf8'), 'planted');
    } finally {
      chmodSync(folder, 0o700);
    }
  });

  it('NODE_DISABLE_COMPILE_CACHE=1 turns it off', () => {
    rmSync(codeCache, { recursive: true, force: true });
    const r = ferry('ferry.mjs', ['--version'], empty, { NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(r.stdout, version());
    assert.equal(existsSync(codeCache), false);
  });
});

describe('ferry pack --with-ferry', { skip }, () => {
  const bundle = join(work, 'tool-bundle');
  const archive = join(work, 'tool.ferry.tar');

  before(async () => {
    buildOnce();
    mkdirSync(empty, { recursive: true });
    mkdirSync(childTmp, { recursive: true });
    copyFileSync(built, join(empty, 'ferry.mjs'));
    await writeFixtureBundle(bundle, join(work, 'fixture-cache-2'));
  });

  it('adds tools/ferry.mjs to manifest.json and SHA256SUMS; both verifiers accept it', () => {
    const add = ferry('ferry.mjs', ['pack', bundle, '--with-ferry']);
    assert.equal(add.status, 0, add.stderr);
    assert.ok(readFileSync(join(bundle, 'tools', 'ferry.mjs')).equals(readFileSync(built)));
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    assert.equal(manifest.tools[0].path, 'tools/ferry.mjs');
    assert.match(readFileSync(join(bundle, 'SHA256SUMS'), 'utf8'), / {2}tools\/ferry\.mjs\n/);
    assert.match(readFileSync(join(bundle, 'README.txt'), 'utf8'), /node tools\/ferry\.mjs serve/);
    const v = ferry('ferry.mjs', ['verify', bundle, '--allow-unsigned']);
    assert.equal(v.status, 0, v.stderr);
    const py = spawnSync(
      'python3',
      [join(bundle, 'install.py'), '--check-only', '--allow-unsigned'],
      { encoding: 'utf8', env: env() },
    );
    assert.equal(py.status, 0, py.stdout + py.stderr);
  });

  it('is signed with the bundle, packed, and runs from the archive', () => {
    assert.equal(ferry('ferry.mjs', ['keygen', 'packer']).status, 0);
    const s = ferry('ferry.mjs', ['sign', bundle, '--key', 'packer.key']);
    assert.equal(s.status, 0, s.stderr);
    // Already there and the same: packing the signed folder --with-ferry changes nothing.
    const p = ferry('ferry.mjs', ['pack', bundle, '--with-ferry', '-o', archive]);
    assert.equal(p.status, 0, p.stderr);
    const v = ferry('ferry.mjs', ['verify', archive, '--trusted-key', 'packer.pub']);
    assert.equal(v.status, 0, v.stderr);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    assert.equal(spawnSync('tar', ['-xf', archive, '-C', unpacked]).status, 0);
    const tool = join(unpacked, 'tool', 'tools', 'ferry.mjs');
    const r = ferry(tool, ['verify', join(unpacked, 'tool'), '--trusted-key', 'packer.pub']);
    assert.equal(r.status, 0, r.stderr);
  });

  it('refuses to add itself to a signed bundle (the signatures would stop matching)', async () => {
    const signed = join(work, 'signed-bundle');
    await writeFixtureBundle(signed, join(work, 'fixture-cache-3'));
    assert.equal(ferry('ferry.mjs', ['sign', signed, '--key', 'packer.key']).status, 0);
    const r = ferry('ferry.mjs', ['pack', signed, '--with-ferry']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /already signed.*void them/);
    assert.equal(existsSync(join(signed, 'tools')), false);
  });

  it('a changed tools/ferry.mjs is tampering for ferry verify and install.py', () => {
    appendFileSync(join(bundle, 'tools', 'ferry.mjs'), '\n// changed\n');
    const v = ferry('ferry.mjs', ['verify', bundle, '--trusted-key', 'packer.pub']);
    assert.equal(v.status, 5, v.stderr);
    assert.match(v.stderr, /tools\/ferry\.mjs/);
    const py = spawnSync(
      'python3',
      [join(bundle, 'install.py'), '--check-only', '--trusted-key', join(empty, 'packer.pub')],
      { encoding: 'utf8', env: env() },
    );
    assert.equal(py.status, 5, py.stdout + py.stderr);
  });
});
