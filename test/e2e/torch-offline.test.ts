/**
 * PyTorch for real, as a new user runs it: `ferry bundle --framework torch --cuda cpu` from the
 * configured indexes (the +cpu build comes from pip's find-links when the vendor index cannot
 * be reached; built once, kept under .ferry-work/), signed, then installed with no network
 * (unshare -n) twice: by `ferry install --trusted-key` and by the bundle's own install.py, each
 * into a new venv, each running the same smoke test (a small conv net forward pass, torch alone).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../cli/run-cli.js';
import { ferry, signedBundle } from './framework-bundle.js';

const offline = spawnSync('unshare', ['-n', 'true']).status === 0;
const python = process.env.FERRY_PYTHON ?? 'python3';

interface Check {
  id: string;
  outcome: string;
  detail: string;
  data?: { outputShape?: number[]; imports?: { module: string; status: string }[] };
}

const TORCH_CHECKS = ['imports', 'torch.version', 'torch.cuda', 'torch.forward'];

describe('PyTorch (CPU) end to end', {
  skip: offline ? false : 'unshare -n is not permitted here (needs root or user namespaces)',
}, () => {
  const bundle = offline
    ? signedBundle('torch-cpu', ['--framework', 'torch', '--cuda', 'cpu'])
    : undefined;

  it('bundles torch --cuda cpu and installs it with ferry install, no network, smoke test passed', {
    timeout: 1_200_000,
  }, () => {
    assert.ok(bundle);
    const manifest = JSON.parse(readFileSync(join(bundle.dir, 'manifest.json'), 'utf8')) as {
      packages: { name: string; version: string }[];
    };
    const torch = manifest.packages.find((p) => p.name === 'torch');
    assert.match(torch?.version ?? '', /\+cpu$|^\d+\.\d+\.\d+$/, 'a CPU build of torch');
    assert.equal(
      manifest.packages.some((p) => p.name === 'torchvision'),
      false,
      'the smoke test needs torch alone',
    );

    const dir = tempDir('ferry-torch-');
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
    assert.deepEqual(
      r.checks.map((c) => [c.id, c.outcome]),
      TORCH_CHECKS.map((id) => [id, 'passed']),
    );
    const forward = r.checks.find((c) => c.id === 'torch.forward');
    assert.deepEqual(forward?.data?.outputShape, [2, 10]);
    assert.equal(r.checks[0]?.data?.imports?.[0]?.module, 'torch', 'torch is imported first');
  });

  it("installs it with the bundle's install.py, no network, running the same smoke test", {
    timeout: 1_200_000,
  }, () => {
    assert.ok(bundle);
    const dir = tempDir('ferry-torch-installpy-');
    const venv = join(dir, 'venv');
    const r = spawnSync(
      'unshare',
      [
        '-n',
        python,
        join(bundle.dir, 'install.py'),
        '--trusted-key',
        bundle.publicKey,
        '--venv',
        venv,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    assert.equal(r.status, 0, r.stderr.slice(-4000));
    const results = [
      ...r.stderr.matchAll(/^smoke: ([\w.]+): (passed|warning|failed|timeout), (.*)$/gm),
    ];
    assert.deepEqual(
      results.map((m) => [m[1], m[2]]),
      TORCH_CHECKS.map((id) => [id, 'passed']),
      r.stderr.slice(-4000),
    );
    assert.match(
      r.stderr,
      /smoke: torch\.forward: passed, conv net forward on \[2, 3, 32, 32\] gave \[2, 10\] on cpu/,
    );
    assert.match(r.stderr, /smoke test passed: 4 check\(s\)/);
    assert.ok(existsSync(join(venv, 'bin', 'python')));
  });
});
