/**
 * Delta bundles end to end, with the real CLI against a local index on 127.0.0.1: bundle A,
 * import A, take the store's inventory, bundle B --since that inventory, import B → the store
 * holds what one full import of A and B holds; B without A is refused naming A; a delta
 * verifies by itself (ferry verify and install.py agree); install of a delta needs --base
 * (ferry and install.py); the ledger makes a delta with nothing coming back; ferry sync twice
 * with nothing new writes nothing the second time and exits 11.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Manifest } from '../../src/bundle/manifest.js';
import { signBundle } from '../../src/bundle/sign.js';
import type { Catalog } from '../../src/server/store/index.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { makeKey, type TestKey } from '../server/store-fixture.js';

let index: LocalIndex;
let work: string;
let key: TestKey;
const python = process.env.FERRY_PYTHON ?? 'python3';
const hasPython =
  spawnSync(python, ['-c', 'import venv, ensurepip'], { stdio: 'ignore' }).status === 0;

before(async () => {
  index = await startLocalIndex([
    { name: 'app', version: '1.0', requiresDist: ['lib>=1'] },
    { name: 'app', version: '2.0', requiresDist: ['lib>=1', 'newdep'] },
    { name: 'lib', version: '1.0', requiresDist: ['tiny'] },
    { name: 'tiny', version: '0.1' },
    { name: 'newdep', version: '0.5' },
  ]);
  work = tempDir('ferry-deltas-');
  key = await makeKey(work, 'builder');
});
after(async () => {
  await index.close();
  await rm(work, { recursive: true, force: true });
});

const env = (extra: NodeJS.ProcessEnv = {}) =>
  isolatedEnv(join(work, 'cache'), { FERRY_LEDGER_DIR: join(work, 'ledger-default'), ...extra });
const resolveFlags = () => ['-t', 'ubuntu-22.04', '--isolated', '--index-url', index.url];

async function ferry(args: string[], extra: NodeJS.ProcessEnv = {}) {
  return runCli(args, { env: env(extra) });
}

/** `ferry bundle` + sign, as the builder does; returns the folder. */
async function signedBundle(name: string, requirement: string, more: string[] = []) {
  const dir = join(work, name);
  const r = await ferry(['bundle', requirement, ...resolveFlags(), '-o', dir, ...more]);
  assert.equal(r.code, 0, r.stderr);
  await signBundle(dir, key.secret);
  return dir;
}

const manifestOf = async (dir: string): Promise<Manifest> =>
  JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;

/** The store's current catalog, reduced to what pip sees: index → project → files. */
async function published(store: string): Promise<unknown> {
  const catalog = JSON.parse(
    await readFile(join(store, 'current', 'catalog.json'), 'utf8'),
  ) as Catalog;
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, data] of Object.entries(catalog.indexes)) {
    out[name] = {};
    for (const [project, p] of Object.entries(data.projects))
      out[name]![project] = {
        versions: p.versions,
        files: p.files.map((f) => [f.filename, f.sha256, f.size, f.version, f.requiresPython]),
      };
  }
  return out;
}

/** A project's PEP 691 page without the times (which differ between two imports). */
async function page(store: string, project: string): Promise<unknown> {
  const json = JSON.parse(
    await readFile(join(store, 'current', 'approved', 'simple', project, 'index.json'), 'utf8'),
  ) as { files: Record<string, unknown>[] };
  return { ...json, files: json.files.map(({ 'upload-time': _t, ...rest }) => rest) };
}

describe('delta bundles', { timeout: 300_000 }, () => {
  let bundleA: string;
  let deltaB: string;
  let inventory: string;
  const store = () => join(work, 'store');

  before(async () => {
    bundleA = await signedBundle('bundle-a', 'app==1.0');
    const imported = await ferry([
      'import',
      bundleA,
      '--store',
      store(),
      '--trusted-key',
      key.pubPath,
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    inventory = join(work, 'inventory.json');
    const inv = await ferry([
      'inventory',
      store(),
      '-o',
      inventory,
      '--key',
      key.keyPath,
      '--json',
    ]);
    assert.equal(inv.code, 0, inv.stderr);
    deltaB = await signedBundle('bundle-b', 'app==2.0', [
      '--since',
      inventory,
      '--since-key',
      key.pubPath,
    ]);
  });

  it('the inventory of a store lists its files with the bundle that brought them, deterministically and signed', async () => {
    const inv = JSON.parse(await readFile(inventory, 'utf8')) as {
      source: string;
      files: { filename: string; bundle?: string; sha256: string }[];
      bundles: { name: string }[];
    };
    assert.equal(inv.source, 'store');
    assert.deepEqual(
      inv.files.map((f) => f.filename),
      ['app-1.0-py3-none-any.whl', 'lib-1.0-py3-none-any.whl', 'tiny-0.1-py3-none-any.whl'],
    );
    assert.ok(inv.files.every((f) => f.bundle === 'bundle-a'));
    assert.deepEqual(
      inv.bundles.map((b) => b.name),
      ['bundle-a'],
    );
    await readFile(`${inventory}.minisig`);
    const again = join(work, 'inventory-again.json');
    const r = await ferry(['inventory', store(), '-o', again]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await readFile(again)).equals(await readFile(inventory)), 'not deterministic');
  });

  it('an inventory signed by another key is refused by --since-key', async () => {
    const other = await makeKey(work, 'other');
    const r = await ferry([
      'bundle',
      'app==2.0',
      ...resolveFlags(),
      '-o',
      join(work, 'refused'),
      '--since',
      inventory,
      '--since-key',
      other.pubPath,
      '--json',
    ]);
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr + r.stdout, /not signed by a key you trust/);
  });

  it('the delta carries only what the store lacks and names its base', async () => {
    const m = await manifestOf(deltaB);
    assert.deepEqual(
      m.files.map((f) => f.path),
      ['wheels/app-2.0-py3-none-any.whl', 'wheels/newdep-0.5-py3-none-any.whl'],
    );
    assert.deepEqual(
      m.baseFiles?.map((f) => [f.filename, f.bundle]),
      [
        ['lib-1.0-py3-none-any.whl', 'bundle-a'],
        ['tiny-0.1-py3-none-any.whl', 'bundle-a'],
      ],
    );
    const { createHash } = await import('node:crypto');
    assert.equal(
      m.base?.inventory,
      createHash('sha256')
        .update(await readFile(inventory))
        .digest('hex'),
    );
    assert.deepEqual(
      m.base?.bundles.map((b) => b.name),
      ['bundle-a'],
    );
    assert.deepEqual(m.packages.map((p) => p.name).sort(), ['app', 'lib', 'newdep', 'tiny']);
    const reqs = await readFile(join(deltaB, 'requirements.txt'), 'utf8');
    for (const pin of ['app==2.0', 'lib==1.0', 'newdep==0.5', 'tiny==0.1'])
      assert.ok(reqs.includes(pin), `${pin} missing from requirements.txt`);
  });

  it('a delta verifies by itself, and install.py --check-only agrees', async () => {
    const r = await ferry(['verify', deltaB, '--trusted-key', key.pubPath]);
    assert.equal(r.code, 0, r.stderr);
    const py = spawnSync(
      python,
      [join(deltaB, 'install.py'), '--check-only', '--trusted-key', key.pubPath],
      { encoding: 'utf8' },
    );
    assert.equal(py.status, 0, py.stderr);
  });

  it('a delta whose base list lost a file is incomplete to both verifiers', async () => {
    const dir = join(work, 'bundle-b-cut');
    spawnSync('cp', ['-a', deltaB, dir]);
    const m = await manifestOf(dir);
    await writeFile(
      join(dir, 'manifest.json'),
      `${JSON.stringify({ ...m, baseFiles: m.baseFiles?.slice(1) }, null, 2)}\n`,
    );
    const { computeSha256Sums, formatSha256Sums } = await import('../../src/bundle/sha256sums.js');
    await writeFile(join(dir, 'SHA256SUMS'), formatSha256Sums(await computeSha256Sums(dir)));
    await rm(join(dir, 'signatures'), { recursive: true, force: true });
    const r = await ferry(['verify', dir, '--allow-unsigned', '--json']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stdout, /lib 1\.0 has no file in the bundle/);
    const py = spawnSync(python, [join(dir, 'install.py'), '--check-only', '--allow-unsigned'], {
      encoding: 'utf8',
    });
    assert.equal(py.status, 6, py.stderr);
    assert.match(py.stderr, /lib 1\.0 has no file in the bundle/);
  });

  it('import of the delta onto its base gives the store one full import of A and B gives', async () => {
    const r = await ferry(['import', deltaB, '--store', store(), '--trusted-key', key.pubPath]);
    assert.equal(r.code, 0, r.stderr);
    const full = join(work, 'store-full');
    const fullB = await signedBundle('bundle-b-full', 'app==2.0');
    for (const b of [bundleA, fullB]) {
      const i = await ferry(['import', b, '--store', full, '--trusted-key', key.pubPath]);
      assert.equal(i.code, 0, i.stderr);
    }
    assert.deepEqual(await published(store()), await published(full));
    for (const project of ['app', 'lib', 'newdep', 'tiny'])
      assert.deepEqual(await page(store(), project), await page(full, project), project);
  });

  it('import of the delta into a store without its base is refused, naming the missing bundle and files', async () => {
    const empty = join(work, 'store-empty');
    const r = await ferry([
      'import',
      deltaB,
      '--store',
      empty,
      '--trusted-key',
      key.pubPath,
      '--json',
    ]);
    assert.equal(r.code, 6, r.stderr);
    const error = r.events.find((e) => e.event === 'error')!;
    assert.equal(error.code, 'ERR_FERRY_DELTA_BASE_MISSING');
    assert.match(String(error.message), /import bundle-a \([0-9a-f]{12}\) first/);
    assert.match(String(error.message), /lib-1\.0-py3-none-any\.whl/);
    assert.match(String(error.message), /tiny-0\.1-py3-none-any\.whl/);
  });

  it('ferry install of a delta without --base is refused naming its base; with --base it installs', {
    skip: hasPython ? false : `${python} with venv and ensurepip is needed to install`,
  }, async () => {
    const without = await ferry([
      'install',
      deltaB,
      '--venv',
      join(work, 'venv-no-base'),
      '--trusted-key',
      key.pubPath,
      '--smoke',
      'none',
      '--json',
    ]);
    assert.equal(without.code, 6, without.stderr);
    const error = without.events.find((e) => e.event === 'error')!;
    assert.equal(error.code, 'ERR_FERRY_DELTA_BASE_MISSING');
    assert.match(String(error.message), /delta bundle.*bundle-a/);
    // A base that is not the right one: named file by file.
    const wrong = await ferry([
      'install',
      deltaB,
      '--venv',
      join(work, 'venv-wrong-base'),
      '--trusted-key',
      key.pubPath,
      '--smoke',
      'none',
      '--base',
      join(work, 'bundle-b-full', 'signatures'),
    ]);
    assert.equal(wrong.code, 6, wrong.stderr);
    assert.match(wrong.stderr, /lacks 2 file\(s\)[\s\S]*lib-1\.0-py3-none-any\.whl/);
    const venv = join(work, 'venv-delta');
    const ok = await ferry([
      'install',
      deltaB,
      '--venv',
      venv,
      '--trusted-key',
      key.pubPath,
      '--smoke',
      'none',
      '--base',
      bundleA,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const listed = spawnSync(
      join(venv, 'bin', 'python'),
      ['-m', 'pip', 'list', '--format=freeze'],
      {
        encoding: 'utf8',
      },
    );
    for (const pin of ['app==2.0', 'lib==1.0', 'newdep==0.5', 'tiny==0.1'])
      assert.ok(listed.stdout.includes(pin), `${pin} not installed: ${listed.stdout}`);
    // The store works as a base too (files/ab/<sha256>/<name>).
    const fromStore = await ferry([
      'install',
      deltaB,
      '--venv',
      join(work, 'venv-store-base'),
      '--trusted-key',
      key.pubPath,
      '--smoke',
      'none',
      '--base',
      store(),
    ]);
    assert.equal(fromStore.code, 0, fromStore.stderr);
  });

  it('install.py refuses a delta without --base with a clear message, and installs it with one', {
    skip: hasPython ? false : `${python} with venv and ensurepip is needed to install`,
  }, async () => {
    const without = spawnSync(
      python,
      [
        join(deltaB, 'install.py'),
        '--trusted-key',
        key.pubPath,
        '--venv',
        join(work, 'py-venv-no-base'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(without.status, 6, without.stderr);
    assert.match(
      without.stderr,
      /this is a delta bundle: it relies on 2 file\(s\).*bundle-a.*--base DIR/,
    );
    const venv = join(work, 'py-venv');
    const ok = spawnSync(
      python,
      [join(deltaB, 'install.py'), '--trusted-key', key.pubPath, '--venv', venv, '--base', bundleA],
      { encoding: 'utf8' },
    );
    assert.equal(ok.status, 0, ok.stderr);
    const listed = spawnSync(
      join(venv, 'bin', 'python'),
      ['-m', 'pip', 'list', '--format=freeze'],
      {
        encoding: 'utf8',
      },
    );
    assert.ok(listed.stdout.includes('lib==1.0'), listed.stdout);
  });
});

describe('the ledger', { timeout: 120_000 }, () => {
  it('records every bundle written, so a delta needs nothing back from the far side', async () => {
    const ledger = join(work, 'ledger');
    const a = join(work, 'ledger-a');
    const first = await ferry([
      'bundle',
      'app==1.0',
      ...resolveFlags(),
      '-o',
      a,
      '--ledger',
      ledger,
    ]);
    assert.equal(first.code, 0, first.stderr);
    const records = await readdir(ledger);
    assert.equal(records.length, 1);
    const record = JSON.parse(await readFile(join(ledger, records[0]!), 'utf8')) as {
      name: string;
      digest: string;
      files: { filename: string; sha256: string }[];
      time: string;
    };
    assert.equal(record.name, 'ledger-a');
    const { createHash } = await import('node:crypto');
    assert.equal(
      record.digest,
      createHash('sha256')
        .update(await readFile(join(a, 'SHA256SUMS')))
        .digest('hex'),
    );
    assert.equal(record.files.length, 3);
    const b = join(work, 'ledger-b');
    const delta = await ferry([
      'bundle',
      'app==2.0',
      ...resolveFlags(),
      '-o',
      b,
      '--since',
      ledger,
      '--ledger',
      ledger,
    ]);
    assert.equal(delta.code, 0, delta.stderr);
    const m = await manifestOf(b);
    assert.equal(m.files.length, 2);
    assert.deepEqual(
      m.base?.bundles.map((x) => [x.name, x.digest]),
      [['ledger-a', record.digest]],
    );
    assert.equal((await readdir(ledger)).length, 2);
  });

  it('XDG_DATA_HOME decides the default ledger folder', async () => {
    const { defaultLedgerDir } = await import('../../src/bundle/ledger.js');
    assert.equal(defaultLedgerDir({ XDG_DATA_HOME: '/data' }), '/data/ferry/ledger');
    assert.equal(defaultLedgerDir({ XDG_DATA_HOME: '/data', FERRY_LEDGER_DIR: '/l' }), '/l');
    assert.match(defaultLedgerDir({ HOME: '/h' }), /\/\.local\/share\/ferry\/ledger$/);
  });
});

describe('ferry sync', { timeout: 180_000 }, () => {
  it('writes a dated delta bundle, then nothing (exit 11) when nothing is new', async () => {
    const req = join(work, 'sync-req.txt');
    await writeFile(req, 'app==1.0\n');
    const out = join(work, 'sync-out');
    const ledger = join(work, 'sync-ledger');
    const args = ['sync', '--requirements', req, ...resolveFlags(), '-o', out, '--ledger', ledger];
    const first = await ferry([...args, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const written = await readdir(out);
    assert.equal(written.length, 1);
    assert.match(written[0]!, /^ferry-\d{8}-\d{6}$/);
    const second = await ferry([...args, '--json']);
    assert.equal(second.code, 11, second.stderr);
    const result = second.events.find((e) => e.event === 'result')!;
    assert.equal(result.wrote, false);
    assert.deepEqual(await readdir(out), written);
    // A new requirement: only its files are carried.
    const req2 = join(work, 'sync-req2.txt');
    await writeFile(req2, 'newdep==0.5\n');
    await new Promise((r) => setTimeout(r, 1100)); // the dated names are per second
    const third = await ferry([
      'sync',
      '--requirements',
      req,
      '--requirements',
      req2,
      ...resolveFlags(),
      '-o',
      out,
      '--ledger',
      ledger,
    ]);
    assert.equal(third.code, 0, third.stderr);
    const newest = (await readdir(out)).sort().at(-1)!;
    const m = await manifestOf(join(out, newest));
    assert.deepEqual(
      m.files.map((f) => f.path),
      ['wheels/newdep-0.5-py3-none-any.whl'],
    );
    assert.equal(m.baseFiles?.length, 3);
  });

  it('--into publishes straight into a store, whose files are the next base', async () => {
    const req = join(work, 'sync-into.txt');
    await writeFile(req, 'app==2.0\n');
    const out = join(work, 'sync-into-out');
    const store = join(work, 'sync-store');
    const args = [
      'sync',
      '--requirements',
      req,
      ...resolveFlags(),
      '-o',
      out,
      '--ledger',
      join(work, 'sync-into-ledger'),
      '--into',
      store,
      '--key',
      key.keyPath,
      '--trusted-key',
      key.pubPath,
    ];
    const first = await ferry(args);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /published into/);
    const projects = JSON.parse(await readFile(join(store, 'current', 'catalog.json'), 'utf8'))
      .indexes.approved.projects;
    assert.deepEqual(Object.keys(projects).sort(), ['app', 'lib', 'newdep', 'tiny']);
    const second = await ferry(args);
    assert.equal(second.code, 11, second.stderr);
  });
});
