/**
 * The main job, for real: bundle PaddlePaddle (CPU) from the configured index (~200 MB, cached
 * in ~/.cache/ferry across runs), sign it, install it inside a network namespace with no
 * network trusting that key, run the Paddle smoke test (ResNet-18 forward → [1, 1000],
 * run_check) and verify the signed receipt.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateKeyPair } from '../../src/trust/keys.js';
import { tempDir } from '../cli/run-cli.js';

const offline = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0;
const ferry = (args: string[], noNetwork = false) =>
  noNetwork
    ? spawnSync('unshare', ['-n', process.execPath, 'bin/ferry.js', ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      })
    : spawnSync(process.execPath, ['bin/ferry.js', ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });

describe('PaddlePaddle end to end', { skip: offline ? false : 'needs root for unshare -n' }, () => {
  it('bundles paddle, installs it with no network, passes the Paddle smoke test, signs the receipt', {
    timeout: 900_000,
  }, () => {
    const dir = tempDir('ferry-paddle-');
    const bundle = join(dir, 'bundle');
    const help = ferry(['bundle', '--help']).stdout;
    const request = help.includes('--framework')
      ? ['--framework', 'paddle', '--cuda', 'cpu']
      : ['paddlepaddle'];
    const b = ferry(['bundle', ...request, '-o', bundle]);
    assert.equal(b.status, 0, b.stderr);

    const pair = generateKeyPair('ed25519');
    writeFileSync(join(dir, 'k.key'), pair.secretKeyText, { mode: 0o600 });
    writeFileSync(join(dir, 'k.pub'), pair.publicKeyText);
    const s = ferry(['sign', bundle, '--key', join(dir, 'k.key')]);
    assert.equal(s.status, 0, s.stderr);
    const receipt = join(dir, 'R.json');
    const venv = join(dir, 'V');
    const i = ferry(
      [
        'install',
        bundle,
        '--trusted-key',
        join(dir, 'k.pub'),
        '--venv',
        venv,
        '--receipt',
        receipt,
        '--key',
        join(dir, 'k.key'),
      ],
      true,
    );
    assert.equal(i.status, 0, i.stdout + i.stderr);

    const r = JSON.parse(readFileSync(receipt, 'utf8'));
    assert.equal(r.outcome, 'passed');
    const byId = new Map(r.checks.map((c: { id: string }) => [c.id, c]));
    for (const id of [
      'imports',
      'paddle.version',
      'paddle.cuda',
      'paddle.resnet18',
      'paddle.run_check',
    ]) {
      assert.equal(
        (byId.get(id) as { outcome: string } | undefined)?.outcome,
        'passed',
        JSON.stringify(r.checks),
      );
    }
    const resnet = byId.get('paddle.resnet18') as {
      data: { outputShape: number[] };
      seconds: number;
    };
    assert.deepEqual(resnet.data.outputShape, [1, 1000]);
    assert.ok(resnet.seconds > 0);
    assert.match(
      (byId.get('paddle.run_check') as { detail: string }).detail,
      /PaddlePaddle is installed successfully!/,
    );
    assert.equal(
      (byId.get('paddle.cuda') as { data: { compiledWithCuda: boolean } }).data.compiledWithCuda,
      false,
    );
    assert.equal(r.bundle.framework.name, 'paddlepaddle');

    const v = ferry(['receipt', 'verify', receipt, '--trusted-key', join(dir, 'k.pub')]);
    assert.equal(v.status, 0, v.stderr);
  });
});
