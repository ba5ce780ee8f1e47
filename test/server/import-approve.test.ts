// Policy and approval: store.json says how many trusted signers `approved` needs; a bundle with
// fewer waits in incoming until `ferry approve` countersigns it.
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { approveBundle, findBundle } from '../../src/ops/approve.js';
import { importBundle } from '../../src/ops/import.js';
import { openIndexStore } from '../../src/server/store/index.js';
import { formatTrustedKeyLine, loadTrustedKeys } from '../../src/trust/keys.js';
import { checkSignatures } from '../../src/trust/verify-signatures.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { treeHash } from '../onhost/fake-bundle.js';
import { checkConsistent, makeKey, signedBundle, type TestKey } from './store-fixture.js';

let work: string;
let builder: TestKey;
let reviewer: TestKey;
let second: TestKey;
let bundle: string;

before(async () => {
  work = tempDir('ferry-approve-');
  builder = await makeKey(work, 'builder');
  reviewer = await makeKey(work, 'reviewer');
  second = await makeKey(work, 'second');
  bundle = await signedBundle(join(work, 'demo-bundle'), builder.secret);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const env = () => isolatedEnv(join(work, 'cache'));

/** A store whose `approved` needs `signers` signers, trusting the given keys by store.json. */
async function storeWithPolicy(name: string, signers: number, trusted: TestKey[]): Promise<string> {
  const dir = join(work, name);
  await openIndexStore(dir, { create: true });
  const config = JSON.parse(await readFile(join(dir, 'store.json'), 'utf8'));
  config.indexes.approved.requireSigners = signers;
  const keys = await loadTrustedKeys(trusted.map((k) => k.pubPath));
  config.trustedKeys = keys.map((k) => formatTrustedKeyLine(k.name, k).trimEnd());
  await writeFile(join(dir, 'store.json'), JSON.stringify(config, null, 2));
  return dir;
}

describe('ferry approve', () => {
  it('promotes an incoming bundle to approved once the policy is met, in one generation, audit-logged', async () => {
    const store = await storeWithPolicy('two', 2, [reviewer]);
    const imported = await importBundle({
      bundle,
      store,
      keyFiles: [builder.pubPath],
      actor: 'alice',
    });
    assert.equal(imported.state, 'incoming');
    assert.equal(imported.index, 'incoming');

    const cli = await runCli(
      [
        'approve',
        imported.bundle.digest.slice(0, 12),
        '--store',
        store,
        '--key',
        reviewer.keyPath,
        '--actor',
        'bob',
      ],
      { env: env() },
    );
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(
      cli.stdout,
      /approved demo-bundle \([0-9a-f]{12}\): 2 of 2 required signers \(builder, reviewer\); moved to approved/,
    );
    const catalog = await checkConsistent(store);
    assert.equal(catalog.generation, imported.generation + 1);
    assert.deepEqual(Object.keys(catalog.indexes.approved!.projects), ['demo-app', 'demo-lib']);
    assert.deepEqual(catalog.indexes.incoming!.projects, {});
    const record = catalog.bundles[imported.bundle.digest]!;
    assert.equal(record.state, 'approved');
    assert.deepEqual(record.signers, [builder.keyId, reviewer.keyId].sort());
    const file = catalog.indexes.approved!.projects['demo-app']!.files[0]!;
    assert.deepEqual(file.provenance.signers, [builder.keyId, reviewer.keyId].sort());
    assert.equal(file.provenance.actor, 'alice');

    // The reviewer's signature is a bundle signature: it verifies over the bundle's SHA256SUMS.
    const sums = await readFile(join(bundle, 'SHA256SUMS'));
    const sigDir = join(store, 'bundles', imported.bundle.digest, 'signatures');
    const sigs = await Promise.all(
      (await readdir(sigDir)).map(async (name) => ({
        name,
        bytes: await readFile(join(sigDir, name)),
      })),
    );
    const report = checkSignatures(
      sums,
      sigs,
      await loadTrustedKeys([builder.pubPath, reviewer.pubPath]),
    );
    assert.deepEqual(report.signers, ['builder', 'reviewer']);
    assert.deepEqual(report.invalid, []);

    const entries = [];
    for await (const e of (await openIndexStore(store)).audit()) entries.push(e);
    const entry = entries.at(-1)!;
    assert.equal(entry.action, 'approve');
    assert.equal(entry.actor, 'bob');
    assert.equal(entry.reviewer, reviewer.keyId);
    assert.equal(entry.index, 'approved');
    assert.equal(entry.generation, catalog.generation);
    assert.deepEqual(entry.bundle, imported.bundle);

    // Approving it again changes nothing.
    const before = await treeHash(store);
    const again = await approveBundle({ store, bundle: 'demo-bundle', keyPath: reviewer.keyPath });
    assert.equal(again.changed, false);
    assert.equal(await treeHash(store), before);
  });

  it('below the policy the signature is added and the bundle keeps waiting, and says so', async () => {
    const store = await storeWithPolicy('three', 3, [reviewer, second]);
    const imported = await importBundle({ bundle, store, keyFiles: [builder.pubPath] });
    const first = await runCli(
      ['approve', 'demo-bundle', '--store', store, '--key', reviewer.keyPath],
      {
        env: env(),
      },
    );
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /2 of 3 required signers \(builder, reviewer\); still waiting in incoming/,
    );
    let catalog = await checkConsistent(store);
    assert.equal(catalog.bundles[imported.bundle.digest]!.state, 'incoming');
    assert.deepEqual(Object.keys(catalog.indexes.incoming!.projects), ['demo-app', 'demo-lib']);
    const done = await approveBundle({ store, bundle: 'demo-bundle', keyPath: second.keyPath });
    assert.equal(done.promoted, true);
    assert.equal(done.signers.length, 3);
    catalog = await checkConsistent(store);
    assert.deepEqual(Object.keys(catalog.indexes.approved!.projects), ['demo-app', 'demo-lib']);
  });

  it('a reviewer key the store does not trust is refused (exit 7) and nothing is written', async () => {
    const store = await storeWithPolicy('untrusted', 2, []);
    await importBundle({ bundle, store, keyFiles: [builder.pubPath] });
    const before = await treeHash(store);
    const result = await runCli(
      ['approve', 'demo-bundle', '--store', store, '--key', reviewer.keyPath, '--json'],
      {
        env: env(),
      },
    );
    assert.equal(result.code, 7, result.stderr);
    assert.equal(result.events.find((e) => e.event === 'error')?.code, 'ERR_FERRY_UNTRUSTED');
    assert.equal(await treeHash(store), before);
    // Trusted on the command line instead, it counts.
    const ok = await approveBundle({
      store,
      bundle: 'demo-bundle',
      keyPath: reviewer.keyPath,
      keyFiles: [reviewer.pubPath],
    });
    assert.equal(ok.promoted, true);
  });

  it('a countersigned copy imported again promotes the waiting bundle', async () => {
    const store = await storeWithPolicy('recopy', 2, []);
    const copy = await signedBundle(join(work, 'recopy-bundle'), builder.secret);
    const first = await importBundle({ bundle: copy, store, keyFiles: [builder.pubPath] });
    assert.equal(first.state, 'incoming');
    const { signBundle } = await import('../../src/bundle/sign.js');
    await signBundle(copy, reviewer.secret);
    const second = await importBundle({
      bundle: copy,
      store,
      keyFiles: [builder.pubPath, reviewer.pubPath],
    });
    assert.equal(second.state, 'approved');
    const catalog = await checkConsistent(store);
    assert.deepEqual(catalog.indexes.incoming!.projects, {});
    assert.deepEqual(Object.keys(catalog.indexes.approved!.projects), ['demo-app', 'demo-lib']);
  });

  it('names a bundle by digest, prefix or name, and says which exist when none matches', () => {
    const rec = (name: string, digest: string, state: 'approved' | 'incoming') => ({
      name,
      digest,
      state,
      index: state,
      signers: [],
      signerNames: [],
      required: 2,
      actor: 'a',
      time: 't',
      files: 1,
    });
    const bundles = {
      ['a'.repeat(64)]: rec('x', 'a'.repeat(64), 'approved'),
      ['b'.repeat(64)]: rec('x', 'b'.repeat(64), 'incoming'),
      ['c'.repeat(64)]: rec('y', 'c'.repeat(64), 'incoming'),
    };
    assert.equal(findBundle(bundles, 'x').digest, 'b'.repeat(64));
    assert.equal(findBundle(bundles, 'cccccccc').name, 'y');
    assert.throws(() => findBundle(bundles, 'z'), {
      code: 'ERR_FERRY_UNKNOWN_BUNDLE',
      message: /no bundle "z"/,
    });
    assert.throws(
      () => findBundle(bundles, 'z'),
      (e: Error & { hint?: string }) => /x \(bbbbbbbbbbbb\)/.test(e.hint ?? ''),
    );
  });
});
