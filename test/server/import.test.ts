// ferry import: verify as ferry verify does, then publish as one generation; same bundle again
// writes nothing; fewer signers than the policy wants lands in incoming.
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packBundle } from '../../src/bundle/pack.js';
import { bundleNameOf, importBundle } from '../../src/ops/import.js';
import { openIndexStore } from '../../src/server/store/index.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { treeHash } from '../onhost/fake-bundle.js';
import {
  checkConsistent,
  demoDists,
  generationsOf,
  makeKey,
  signedBundle,
  type TestKey,
} from './store-fixture.js';

let work: string;
let builder: TestKey;
let reviewer: TestKey;
let bundle: string;

before(async () => {
  work = tempDir('ferry-import-');
  builder = await makeKey(work, 'builder');
  reviewer = await makeKey(work, 'reviewer');
  bundle = await signedBundle(join(work, 'demo-bundle'), builder.secret);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const env = () => isolatedEnv(join(work, 'cache'));

describe('ferry import', () => {
  it('names a bundle after its folder or archive', () => {
    assert.equal(bundleNameOf('/x/paddle-bundle/'), 'paddle-bundle');
    assert.equal(bundleNameOf('paddle.ferry.tar'), 'paddle');
    assert.equal(bundleNameOf('paddle.ferry.tar.001'), 'paddle');
    assert.equal(bundleNameOf('paddle.ferry.tar.volumes.json'), 'paddle');
  });

  it('publishes a signed bundle into approved, with provenance and an audit entry', async () => {
    const store = join(work, 'store-a');
    const result = await importBundle({
      bundle,
      store,
      keyFiles: [builder.pubPath],
      actor: 'alice',
    });
    assert.equal(result.changed, true);
    assert.equal(result.index, 'approved');
    assert.equal(result.state, 'approved');
    assert.equal(result.generation, 1);
    assert.equal(result.added, 2);
    assert.deepEqual(result.signers, [builder.keyId]);
    assert.deepEqual(result.signerNames, ['builder']);
    const catalog = await checkConsistent(store);
    const app = catalog.indexes.approved!.projects['demo-app']!;
    assert.equal(app.files[0]!.requiresPython, '>=3.6');
    assert.deepEqual(app.files[0]!.provenance, {
      kind: 'bundle',
      bundle: { name: 'demo-bundle', digest: result.bundle.digest },
      signers: [builder.keyId],
      actor: 'alice',
      time: app.files[0]!.provenance.time,
    });
    const record = catalog.bundles[result.bundle.digest]!;
    assert.equal(record.state, 'approved');
    assert.ok(record.sbom?.startsWith('files/'));
    const entries = [];
    for await (const e of (await openIndexStore(store)).audit()) entries.push(e);
    const entry = entries.at(-1)!;
    assert.equal(entry.action, 'import');
    assert.equal(entry.actor, 'alice');
    assert.equal(entry.index, 'approved');
    assert.equal(entry.generation, 1);
    assert.deepEqual(entry.bundle, { name: 'demo-bundle', digest: result.bundle.digest });
    assert.deepEqual(entry.signers, [builder.keyId]);
    // The digest is that of SHA256SUMS, what the signatures cover.
    const { createHash } = await import('node:crypto');
    const sums = await readFile(join(bundle, 'SHA256SUMS'));
    assert.equal(result.bundle.digest, createHash('sha256').update(sums).digest('hex'));
  });

  it('importing the same bundle again changes nothing, writes nothing, and says so', async () => {
    const store = join(work, 'store-again');
    const first = await runCli(
      ['import', bundle, '--store', store, '--trusted-key', builder.pubPath],
      { env: env() },
    );
    assert.equal(first.code, 0, first.stderr);
    const before = await treeHash(store);
    const again = await runCli(
      ['import', bundle, '--store', store, '--trusted-key', builder.pubPath, '--json'],
      {
        env: env(),
      },
    );
    assert.equal(again.code, 0, again.stderr);
    const result = again.events.find((e) => e.event === 'result')!;
    assert.equal(result.changed, false);
    assert.equal(result.generation, 1);
    assert.equal(await treeHash(store), before);
    const text = await runCli(
      ['import', bundle, '--store', store, '--trusted-key', builder.pubPath],
      { env: env() },
    );
    assert.match(text.stdout, /already in approved; nothing changed \(generation 1\)/);
  });

  it('without a trusted key it refuses with exit 7 and makes no store', async () => {
    const store = join(work, 'store-nokey');
    const result = await runCli(['import', bundle, '--store', store, '--json'], { env: env() });
    assert.equal(result.code, 7, result.stderr);
    assert.equal(result.events.find((e) => e.event === 'error')?.code, 'ERR_FERRY_UNTRUSTED');
    await assert.rejects(readFile(join(store, 'store.json')));
  });

  it('a key that did not sign is untrusted (exit 7); a tampered bundle is refused (exit 5) and the store is unchanged', async () => {
    const store = join(work, 'store-bad');
    const wrong = await runCli(
      ['import', bundle, '--store', store, '--trusted-key', reviewer.pubPath],
      { env: env() },
    );
    assert.equal(wrong.code, 7, wrong.stderr);
    const ok = await runCli(
      ['import', bundle, '--store', store, '--trusted-key', builder.pubPath],
      { env: env() },
    );
    assert.equal(ok.code, 0, ok.stderr);
    const before = await treeHash(store);
    const tampered = join(work, 'tampered');
    await signedBundle(tampered, builder.secret, demoDists('3.0'));
    await appendFile(join(tampered, 'wheels', 'demo_app-3.0-py3-none-any.whl'), 'x');
    const bad = await runCli(
      ['import', tampered, '--store', store, '--trusted-key', builder.pubPath],
      { env: env() },
    );
    assert.equal(bad.code, 5, bad.stderr);
    assert.equal(await treeHash(store), before);
  });

  it('imports a .ferry.tar archive and its volumes', async () => {
    const store = join(work, 'store-tar');
    const other = await signedBundle(join(work, 'tar-bundle'), builder.secret, demoDists('4.0'));
    const tar = join(work, 'demo4.ferry.tar');
    await packBundle(other, tar, { splitBytes: 4096 });
    const result = await runCli(
      ['import', `${tar}.001`, '--store', store, '--trusted-key', builder.pubPath, '--json'],
      {
        env: env(),
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const out = result.events.find((e) => e.event === 'result')!;
    assert.deepEqual(out.bundle, {
      name: 'demo4',
      digest: (out.bundle as { digest: string }).digest,
    });
    const catalog = await checkConsistent(store);
    assert.deepEqual(catalog.indexes.approved!.projects['demo-app']!.versions, ['4.0']);
  });

  it('with fewer signers than approved requires, it lands in incoming and says so', async () => {
    const store = join(work, 'store-policy');
    await openIndexStore(store, { create: true });
    const config = JSON.parse(await readFile(join(store, 'store.json'), 'utf8'));
    config.indexes.approved.requireSigners = 2;
    await writeFile(join(store, 'store.json'), JSON.stringify(config));
    const result = await runCli(
      ['import', bundle, '--store', store, '--trusted-key', builder.pubPath],
      { env: env() },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /into incoming, NOT approved: signed by builder \(1 of 2 required\)/,
    );
    const catalog = await checkConsistent(store);
    assert.deepEqual(Object.keys(catalog.indexes.approved!.projects), []);
    assert.deepEqual(Object.keys(catalog.indexes.incoming!.projects), ['demo-app', 'demo-lib']);
  });

  it('an unknown --index is refused before anything is written', async () => {
    const store = join(work, 'store-index');
    await mkdir(store);
    const result = await runCli(
      ['import', bundle, '--store', store, '--trusted-key', builder.pubPath, '--index', 'nope'],
      { env: env() },
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /no index "nope"/);
    assert.equal((await checkConsistent(store)).generation, 0);
  });
});

describe('ferry import, twice at once', () => {
  it('the same bundle imported by two writers at once is published once', async () => {
    const store = join(work, 'store-race');
    await openIndexStore(store, { create: true });
    const [a, b] = await Promise.all([
      importBundle({ bundle, store, keyFiles: [builder.pubPath], actor: 'a' }),
      importBundle({ bundle, store, keyFiles: [builder.pubPath], actor: 'b' }),
    ]);
    assert.deepEqual([a.generation, b.generation], [1, 1]);
    assert.equal([a.changed, b.changed].filter(Boolean).length, 1);
    const catalog = await checkConsistent(store);
    assert.equal(catalog.generation, 1);
    assert.deepEqual(await generationsOf(store), ['0', '1']);
  });
});
