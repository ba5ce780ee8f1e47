/**
 * TensorFlow for real, as a new user runs it: `ferry bundle --framework tensorflow --cuda cpu`
 * from the configured index (built once, kept under .ferry-work/), signed, then
 * `ferry install --trusted-key` inside a network namespace with no network (unshare -n) into a
 * new venv. The import check imports tensorflow first, as users do, and leaves the gcs plugin
 * to TensorFlow; the Keras forward pass runs; the receipt says so.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../cli/run-cli.js';
import { ferry, signedBundle } from './framework-bundle.js';

const offline = spawnSync('unshare', ['-n', 'true']).status === 0;

interface Check {
  id: string;
  outcome: string;
  detail: string;
  data?: { outputShape?: number[]; imports?: { module: string; status: string }[] };
}

describe('TensorFlow (CPU) end to end', {
  skip: offline ? false : 'unshare -n is not permitted here (needs root or user namespaces)',
}, () => {
  it('bundles tensorflow --cuda cpu, installs it with no network, passes the smoke test', {
    timeout: 1_200_000,
  }, () => {
    const bundle = signedBundle('tensorflow-cpu', ['--framework', 'tensorflow', '--cuda', 'cpu']);
    const manifest = JSON.parse(readFileSync(join(bundle.dir, 'manifest.json'), 'utf8')) as {
      packages: { name: string; version: string }[];
    };
    const tf = manifest.packages.find((p) => /^tensorflow[-_]cpu$/i.test(p.name));
    assert.ok(tf, `a tensorflow-cpu build in ${manifest.packages.map((p) => p.name).join(', ')}`);

    const dir = tempDir('ferry-tf-');
    const receipt = join(dir, 'receipt.json');
    const venv = join(dir, 'venv');
    const i = ferry(
      [
        'install',
        bundle.dir,
        '--trusted-key',
        bundle.publicKey,
        '--venv',
        venv,
        '--receipt',
        receipt,
      ],
      true,
    );
    assert.equal(i.status, 0, i.stdout + i.stderr.slice(-4000));

    const r = JSON.parse(readFileSync(receipt, 'utf8')) as { outcome: string; checks: Check[] };
    assert.equal(r.outcome, 'passed');
    const byId = new Map(r.checks.map((c) => [c.id, c]));
    for (const id of [
      'imports',
      'tensorflow.version',
      'tensorflow.gpus',
      'tensorflow.keras_forward',
    ])
      assert.equal(byId.get(id)?.outcome, 'passed', JSON.stringify(r.checks));
    const imports = byId.get('imports')?.data?.imports ?? [];
    assert.equal(imports[0]?.module, 'tensorflow', 'tensorflow is imported first');
    assert.equal(imports[0]?.status, 'ok');
    const gcs = imports.find((m) => m.module === 'tensorflow_io_gcs_filesystem');
    if (gcs !== undefined) assert.equal(gcs.status, 'plugin');
    assert.deepEqual(byId.get('tensorflow.keras_forward')?.data?.outputShape, [2, 10]);
    assert.match(
      byId.get('tensorflow.version')?.detail ?? '',
      new RegExp(`tensorflow ${tf.version}`),
    );

    const v = ferry(['receipt', 'verify', receipt]);
    assert.equal(v.status, 0, v.stderr);
  });
});
