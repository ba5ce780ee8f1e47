/**
 * A bundle's install.py runs the same smoke test as `ferry install`: the same checks chosen the
 * same way (the table is embedded), the same pass/fail, `--smoke none` honoured; a failed smoke
 * test leaves no venv (exit 8). Run under `unshare -n`, as on an offline target.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatInstallPy } from '../../src/bundle/install-py.js';
import { SMOKE_MODES, selectSmokeChecks } from '../../src/frameworks/smoke-checks.js';
import { generateKeyPair, parseSecretKey } from '../../src/trust/keys.js';
import { tempDir } from '../cli/run-cli.js';
import { writeBundle } from '../onhost/fake-bundle.js';

const python = process.env.FERRY_PYTHON ?? 'python3';
const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;

describe('install.py: the smoke test of ferry install', () => {
  it('chooses the same checks as ferry install for every mode', () => {
    const dir = tempDir('ferry-installpy-plan-');
    const script = join(dir, 'install.py');
    writeFileSync(script, formatInstallPy());
    const sets = [
      ['numpy'],
      ['paddlepaddle', 'numpy'],
      ['torch', 'sympy'],
      ['tensorflow-cpu', 'keras'],
      ['Tensorflow_CPU', 'torch', 'paddlepaddle-gpu'],
    ];
    const cases = SMOKE_MODES.flatMap((mode) => sets.map((names) => ({ mode, names })));
    const code = [
      'import importlib.util, json, sys',
      'spec = importlib.util.spec_from_file_location("install_py", sys.argv[1])',
      'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
      'plan = m.smoke_plan()',
      'cases = json.loads(sys.argv[2])',
      'print(json.dumps([[[c["id"], c["title"], c["file"], c["name"], c["timeoutSeconds"]] for c in m.select_smoke_checks(plan, k["mode"], k["names"])] for k in cases]))',
    ].join('\n');
    const r = spawnSync(python, ['-c', code, script, JSON.stringify(cases)]);
    assert.equal(r.status, 0, r.stderr.toString());
    const expected = cases.map(({ mode, names }) =>
      selectSmokeChecks(mode, names).map((c) => [c.id, c.title, c.file, c.name, c.timeoutSeconds]),
    );
    assert.deepEqual(JSON.parse(r.stdout.toString()), expected);
  });

  const run = (bundle: string, args: string[]) =>
    spawnSync('unshare', ['-n', python, join(bundle, 'install.py'), ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });

  async function signedBundle(dir: string, broken: boolean) {
    const pair = generateKeyPair('ed25519');
    const pub = join(dir, 'k.pub');
    writeFileSync(pub, pair.publicKeyText);
    const dists = [{ name: 'fine-one', version: '1.0' }];
    // A top-level module that imports what no distribution provides.
    if (broken)
      dists.push({
        name: 'broken-one',
        version: '1.0',
        files: { 'broken_mod.py': 'import no_such_module_here\n' },
      } as (typeof dists)[number]);
    const bundle = await writeBundle(
      join(dir, 'bundle'),
      dists,
      [],
      parseSecretKey(pair.secretKeyText),
    );
    return { bundle, pub };
  }

  const offline = canUnshare
    ? false
    : 'unshare -n is not permitted here (needs root or user namespaces)';

  it('runs the import check after installing, with no network, and reports it', {
    skip: offline,
    timeout: 120_000,
  }, async () => {
    const dir = tempDir('ferry-installpy-smoke-');
    const { bundle, pub } = await signedBundle(dir, false);
    const venv = join(dir, 'venv');
    const r = run(bundle, ['--trusted-key', pub, '--venv', venv]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^smoke: imports: passed, 1 modules import \(\d+\.\d s\)$/m);
    assert.match(r.stderr, /smoke test passed: 1 check\(s\)/);
    assert.ok(existsSync(join(venv, 'bin', 'python')));
  });

  it('fails the install (exit 8, no venv) when a module does not import, unless --smoke none', {
    skip: offline,
    timeout: 120_000,
  }, async () => {
    const dir = tempDir('ferry-installpy-smoke-');
    const { bundle, pub } = await signedBundle(dir, true);
    const venv = join(dir, 'venv');
    const failed = run(bundle, ['--trusted-key', pub, '--venv', venv]);
    assert.equal(failed.status, 8, failed.stderr);
    assert.match(
      failed.stderr,
      /smoke: imports: failed, 1 of 3 modules failed to import: broken_mod \(broken-one\): ModuleNotFoundError/,
    );
    assert.match(failed.stderr, /the smoke test failed, so no venv was made/);
    assert.equal(existsSync(venv), false, 'no venv is left behind');

    const skipped = run(bundle, ['--trusted-key', pub, '--venv', venv, '--smoke', 'none']);
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.match(skipped.stderr, /smoke: not run \(--smoke none\)/);
    assert.ok(existsSync(join(venv, 'bin', 'python')));
  });
});
