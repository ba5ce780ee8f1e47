/**
 * The promise, for real: PaddlePaddle (CPU) and its whole closure from the index pip is
 * configured to use, bundled by `ferry bundle`, signed by `ferry sign`, installed by
 * `ferry install --trusted-key` inside a network namespace with no network at all
 * (unshare -n), and `import paddle` working there. Bundling the same packages again downloads
 * nothing. Then the intranet side: the same bundle imported into an index store and served by
 * `ferry serve`, and a node's pip installing paddle from it, again with no network but loopback.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from '../cli/run-cli.js';

const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;

test('paddlepaddle: bundle from the configured index, install with no network, import paddle', {
  timeout: 900_000,
  skip: canUnshare ? false : 'unshare -n is not permitted here (needs root or user namespaces)',
}, async () => {
  const work = tempDir('ferry-e2e-');
  const bundleDir = join(work, 'bundle');
  const first = await runCli(['bundle', 'paddlepaddle', '-o', bundleDir, '--json']);
  assert.equal(first.code, 0, first.stderr + first.stdout.slice(-2000));
  const result = first.events.find((e) => e.event === 'result') as {
    packages: { name: string }[];
    downloaded: number;
    fromCache: number;
  };
  const names = result.packages.map((p) => p.name);
  for (const expected of ['paddlepaddle', 'numpy', 'protobuf'])
    assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);

  const manifest = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8')) as {
    files: { sha256: string; url: string }[];
  };
  assert.equal(manifest.files.length, names.length);
  const requirements = readFileSync(join(bundleDir, 'requirements.txt'), 'utf8');
  for (const f of manifest.files) assert.ok(requirements.includes(`--hash=sha256:${f.sha256}`));

  // The same packages again: everything comes from the cache.
  const second = await runCli([
    'bundle',
    'paddlepaddle',
    '-o',
    join(work, 'bundle-again'),
    '--json',
  ]);
  assert.equal(second.code, 0, second.stderr);
  const again = second.events.find((e) => e.event === 'result') as {
    downloaded: number;
    fromCache: number;
  };
  assert.equal(again.downloaded, 0, 'a second bundle of the same packages downloads nothing');
  assert.equal(again.fromCache, manifest.files.length);
  assert.equal(second.events.filter((e) => e.event === 'download-start').length, 0);

  // Sign it, then install with no network at all, trusting only that key.
  const key = join(work, 'builder');
  assert.equal((await runCli(['keygen', key])).code, 0);
  const signed = await runCli(['sign', bundleDir, '--key', `${key}.key`]);
  assert.equal(signed.code, 0, signed.stderr);
  const venv = join(work, 'venv');
  const install = spawnSync(
    'unshare',
    [
      '-n',
      process.execPath,
      'bin/ferry.js',
      'install',
      bundleDir,
      '--trusted-key',
      `${key}.pub`,
      '--venv',
      venv,
      '--json',
    ],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  assert.equal(install.status, 0, install.stderr + install.stdout.slice(-3000));
  const report = install.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { event: string; imports?: { module: string; status: string }[] })
    .find((e) => e.event === 'result');
  assert.ok(
    report?.imports?.some((i) => i.module === 'paddle' && i.status === 'ok'),
    'paddle imported in the import check',
  );

  const imported = spawnSync(
    'unshare',
    ['-n', join(venv, 'bin', 'python'), '-c', 'import paddle; print(paddle.__version__)'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stdout.trim(), /^\d+\.\d+\.\d+/);

  // Sync once, serve many: import into a store, serve it, and install on a "node" whose only
  // network is its own loopback (a fresh namespace, lo brought up), with pip's configuration off.
  const store = join(work, 'store');
  const imported2 = await runCli([
    'import',
    bundleDir,
    '--store',
    store,
    '--trusted-key',
    `${key}.pub`,
  ]);
  assert.equal(imported2.code, 0, imported2.stderr);
  const nodeVenv = join(work, 'node-venv');
  assert.equal(spawnSync('python3', ['-m', 'venv', nodeVenv]).status, 0);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const script = [
    'ip link set lo up',
    `"${process.execPath}" bin/ferry.js serve --store "${store}" --listen 127.0.0.1:${port} &`,
    'server=$!',
    `for i in $(seq 100); do "${nodeVenv}/bin/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:${port}/approved/simple/')" 2>/dev/null && break; sleep 0.2; done`,
    `PIP_CONFIG_FILE=/dev/null "${nodeVenv}/bin/python" -m pip install --isolated --disable-pip-version-check --no-cache-dir --index-url http://127.0.0.1:${port}/approved/simple/ paddlepaddle`,
    'status=$?',
    `[ $status -eq 0 ] && "${nodeVenv}/bin/python" -c "import paddle; print('paddle', paddle.__version__)"`,
    'status=$?',
    'kill $server; wait $server',
    'exit $status',
  ].join('\n');
  const node = spawnSync('unshare', ['-n', 'sh', '-c', script], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  assert.equal(node.status, 0, node.stderr.slice(-3000) + node.stdout.slice(-3000));
  assert.match(node.stdout, /^paddle \d+\.\d+\.\d+/m);
});
