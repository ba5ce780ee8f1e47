/**
 * The install use case as library calls (no CLI): trust is refused before the bundle is
 * opened, the Plan step makes nothing, and a failed smoke test still leaves a receipt and no
 * staging folder. test/cli/target-install.test.ts covers the same through `ferry install`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FerryError } from '../../src/core/errors.js';
import { planInstall } from '../../src/onhost/install.js';
import { install } from '../../src/ops/install.js';
import { generateKeyPair, loadTrustedKeys, parseSecretKey } from '../../src/trust/keys.js';
import { tempDir } from '../cli/run-cli.js';
import type { FakeDist } from '../helpers/local-index.js';
import { writeBundle } from '../onhost/fake-bundle.js';

const python = process.env.FERRY_PYTHON ?? 'python3';
const hasVenv = spawnSync(python, ['-c', 'import venv, ensurepip']).status === 0;

const good: FakeDist = {
  name: 'good-pkg',
  version: '1.0',
  files: { 'good_pkg/data.py': 'V = 1\n' },
};
const broken: FakeDist = {
  name: 'broken-pkg',
  version: '2.0',
  files: { 'broken_pkg/__init__.py': 'raise RuntimeError("refuses to import")\n' },
};

const signer = generateKeyPair('ed25519');
const signerPub = join(tempDir('ferry-ops-signer-'), 'builder.pub');
writeFileSync(signerPub, signer.publicKeyText);
const signed = (dir: string, dists: readonly FakeDist[]) =>
  writeBundle(dir, dists, [], parseSecretKey(signer.secretKeyText));

describe('ops/install', () => {
  it('refuses a bundle with no trusted key before opening it', async () => {
    let opened = false;
    await assert.rejects(
      install({
        bundle: '/nowhere/bundle.ferry.tar',
        venv: join(tempDir('ferry-ops-'), 'venv'),
        keyFiles: [],
        requireSigners: 1,
        allowUnsigned: false,
        ferryVersion: 'test',
        open: async () => {
          opened = true;
          throw new Error('opened');
        },
      }),
      (e: FerryError) => e.code === 'ERR_FERRY_UNTRUSTED',
    );
    assert.equal(opened, false);
  });

  it('the Plan step verifies and decides, and makes nothing', async () => {
    const dir = tempDir('ferry-ops-');
    const bundle = await signed(join(dir, 'bundle'), [good]);
    const venv = join(dir, 'venv');
    const plan = await planInstall({
      bundleDir: bundle,
      venv,
      trustedKeys: await loadTrustedKeys([signerPub]),
    });
    assert.equal(plan.mode, 'new');
    assert.equal(plan.dest, venv);
    assert.equal(plan.replaces, false);
    assert.deepEqual(plan.offline.sdists, []);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n !== 'bundle'),
      [],
      'no venv and no staging folder yet',
    );
  });

  it('a failed smoke test leaves a failed receipt and no staging folder', {
    skip: hasVenv ? false : `${python} has no venv/ensurepip module`,
  }, async () => {
    const dir = tempDir('ferry-ops-');
    const bundle = await signed(join(dir, 'bundle'), [good, broken]);
    const receipt = join(dir, 'receipt.json');
    await assert.rejects(
      install({
        bundle,
        venv: join(dir, 'venv'),
        smoke: 'imports',
        keyFiles: [signerPub],
        requireSigners: 1,
        allowUnsigned: false,
        receipt: { path: receipt },
        ferryVersion: 'test',
      }),
      (e: FerryError) => e.code === 'ERR_FERRY_SMOKE_FAILED',
    );
    assert.equal(JSON.parse(readFileSync(receipt, 'utf8')).outcome, 'failed');
    assert.equal(existsSync(join(dir, 'venv')), false);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.includes('.ferry-')),
      [],
    );
  });
});
