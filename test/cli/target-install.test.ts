/**
 * ferry install with generated, signed bundles, inside a network namespace with no network
 * (unshare -n) when this runs as root: trust fails closed (no key, no install, nothing made),
 * a failed smoke test or a SIGKILL leaves no half-made venv, --into leaves the venv byte for
 * byte as it was, a re-run after a kill succeeds; receipts are signed, verified, and name the
 * bundle as the user named it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { packBundle } from '../../src/bundle/pack.js';
import { generateKeyPair, parseSecretKey } from '../../src/trust/keys.js';
import { buildWheel, type FakeDist } from '../helpers/local-index.js';
import { resumBundle, treeHash, writeBundle } from '../onhost/fake-bundle.js';
import { isolatedEnv, runCli, tempDir } from './run-cli.js';

const BIN = resolve('bin/ferry.js');
const python = process.env.FERRY_PYTHON ?? 'python3';
const offline = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0;
const env = isolatedEnv(tempDir('ferry-cache-'));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `ferry ARGS` with no network; `killOnPip` SIGKILLs ferry and its children once pip has started. */
function ferry(args: readonly string[], killOnPip?: number): Promise<Run> {
  const [cmd, ...pre] = offline ? ['unshare', '-n', process.execPath] : [process.execPath];
  return new Promise((done, fail) => {
    const child = spawn(
      cmd as string,
      [...pre, BIN, ...args, ...(killOnPip === undefined ? [] : ['--json'])],
      { env, detached: true },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      if (killOnPip !== undefined && /"step":"pip"/.test(c)) {
        setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), killOnPip);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

const good: FakeDist = {
  name: 'good-pkg',
  version: '1.0',
  files: { 'good_pkg/data.py': 'VALUE = 42\n' },
};
const broken: FakeDist = {
  name: 'broken-pkg',
  version: '2.0',
  files: { 'broken_pkg/__init__.py': 'raise RuntimeError("this module refuses to import")\n' },
};
/** Many small files: pip takes a while to install it, long enough to be killed mid-way. */
const slow: FakeDist = {
  name: 'slow-pkg',
  version: '3.0',
  files: Object.fromEntries(
    Array.from({ length: 4000 }, (_, i) => [
      `slow_pkg/m${i}.py`,
      `X = ${i}\n${'# padding\n'.repeat(50)}`,
    ]),
  ),
};

function keyFiles(dir: string, algorithm: 'ed25519' | 'sm2'): { secret: string; pub: string } {
  const pair = generateKeyPair(algorithm);
  const secret = join(dir, `${algorithm}.key`);
  const pub = join(dir, `${algorithm}.pub`);
  writeFileSync(secret, pair.secretKeyText, { mode: 0o600 });
  writeFileSync(pub, pair.publicKeyText);
  return { secret, pub };
}

/** Every test bundle is signed by this key; installs name its public half. */
const signer = generateKeyPair('ed25519');
const signerKey = parseSecretKey(signer.secretKeyText);
const signerPub = join(tempDir('ferry-signer-'), 'builder.pub');
writeFileSync(signerPub, signer.publicKeyText);
const trust = ['--trusted-key', signerPub] as const;
const signedBundle = (dir: string, dists: readonly FakeDist[], extra: readonly string[] = []) =>
  writeBundle(dir, dists, extra, signerKey);

const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.includes('.ferry-'));
const makeVenv = (path: string) => assert.equal(spawnSync(python, ['-m', 'venv', path]).status, 0);

describe(`ferry install (${offline ? 'unshare -n: no network' : 'network namespace unavailable'})`, () => {
  it('installs, smoke-tests and writes receipts signed with Ed25519 and SM2', async () => {
    const dir = tempDir('ferry-inst-');
    const bundle = await signedBundle(join(dir, 'bundle'), [good]);
    const venv = join(dir, 'venv');
    const ed = keyFiles(dir, 'ed25519');
    const sm = keyFiles(dir, 'sm2');
    const receipt = join(dir, 'receipt.json');
    const r = await ferry([
      'install',
      bundle,
      ...trust,
      '--venv',
      venv,
      '--receipt',
      receipt,
      '--key',
      ed.secret,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /passed {2}imports/);
    assert.equal(
      spawnSync(join(venv, 'bin', 'python'), ['-c', 'import good_pkg.data as d; print(d.VALUE)'])
        .stdout.toString()
        .trim(),
      '42',
    );
    assert.deepEqual(leftovers(dir), []);
    const data = JSON.parse(readFileSync(receipt, 'utf8'));
    assert.equal(data.outcome, 'passed');
    assert.equal(data.kind, 'ferry-install-receipt');
    assert.match(data.bundle.sha256, /^[0-9a-f]{64}$/);
    assert.equal(data.checks[0].id, 'imports');
    assert.equal(data.checks[0].outcome, 'passed');
    assert.equal(typeof data.checks[0].seconds, 'number');
    assert.ok(existsSync(`${receipt}.minisig`));

    const ok = await runCli(['receipt', 'verify', receipt, '--trusted-key', ed.pub], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /signed by trusted key "ed25519"/);
    const untrusted = await runCli(['receipt', 'verify', receipt, '--trusted-key', sm.pub], {
      env,
    });
    assert.equal(untrusted.code, 7, untrusted.stderr);
    writeFileSync(receipt, readFileSync(receipt, 'utf8').replace('"passed"', '"failed"'));
    const tampered = await runCli(['receipt', 'verify', receipt, '--trusted-key', ed.pub], { env });
    assert.equal(tampered.code, 5, tampered.stderr);
    assert.match(tampered.stderr, /changed after it was signed/);
    writeFileSync(receipt, '{"formatVersion": 1}');
    assert.equal((await runCli(['receipt', 'verify', receipt], { env })).code, 5);

    // SM2, into the same venv (--force replaces it)
    const r2 = await ferry([
      'install',
      bundle,
      ...trust,
      '--venv',
      venv,
      '--force',
      '--smoke',
      'imports',
      '--receipt',
      receipt,
      '--key',
      sm.secret,
    ]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.ok(existsSync(`${receipt}.sm2.sig`));
    assert.ok(!existsSync(`${receipt}.minisig`), 'the old signature is removed');
    assert.equal(
      (await runCli(['receipt', 'verify', receipt, '--trusted-key', sm.pub], { env })).code,
      0,
    );
    writeFileSync(receipt, readFileSync(receipt, 'utf8').replace('"imports"', '"imp0rts"'));
    assert.equal(
      (await runCli(['receipt', 'verify', receipt, '--trusted-key', sm.pub], { env })).code,
      5,
    );
  });

  it('a failing smoke test leaves no venv, and the receipt says why', async () => {
    const dir = tempDir('ferry-inst-');
    const bundle = await signedBundle(join(dir, 'bundle'), [good, broken]);
    const venv = join(dir, 'venv');
    const receipt = join(dir, 'r.json');
    const r = await ferry(['install', bundle, ...trust, '--venv', venv, '--receipt', receipt]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(
      r.stderr,
      /imports: failed: 1 of 2 modules failed to import: broken_pkg \(broken-pkg\): RuntimeError: this module refuses to import/,
    );
    assert.ok(!existsSync(venv));
    assert.deepEqual(leftovers(dir), []);
    const data = JSON.parse(readFileSync(receipt, 'utf8'));
    assert.equal(data.outcome, 'failed');
    assert.equal(data.checks[0].outcome, 'failed');
  });

  it('--into: a failing smoke test leaves the venv byte for byte as it was; a good bundle goes in', async () => {
    const dir = tempDir('ferry-inst-');
    const venv = join(dir, 'venv');
    makeVenv(venv);
    const before = await treeHash(venv);
    const bad = await signedBundle(join(dir, 'bad'), [good, broken]);
    const r = await ferry(['install', bad, ...trust, '--into', venv]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /was left as it was/);
    assert.equal(await treeHash(venv), before);
    assert.deepEqual(leftovers(dir), []);
    const ok = await ferry([
      'install',
      await signedBundle(join(dir, 'ok'), [good]),
      ...trust,
      '--into',
      venv,
      '--smoke',
      'imports',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(spawnSync(join(venv, 'bin', 'python'), ['-c', 'import good_pkg']).status, 0);
    assert.deepEqual(leftovers(dir), []);
  });

  it('SIGKILL during pip leaves no venv; the next run cleans up and succeeds', async () => {
    const dir = tempDir('ferry-inst-');
    const bundle = await signedBundle(join(dir, 'bundle'), [good, slow]);
    const venv = join(dir, 'venv');
    const killed = await ferry(['install', bundle, ...trust, '--venv', venv], 700);
    assert.equal(
      killed.signal ?? (killed.code === 137 ? 'SIGKILL' : null),
      'SIGKILL',
      `${killed.code} ${killed.stderr}`,
    );
    assert.ok(!existsSync(venv), 'no venv at the destination');
    const again = await ferry(['install', bundle, ...trust, '--venv', venv, '--smoke', 'imports']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(leftovers(dir), []);
    assert.equal(spawnSync(join(venv, 'bin', 'python'), ['-c', 'import slow_pkg.m3999']).status, 0);
  });

  it('--into: SIGKILL during pip leaves the venv byte for byte as it was', async () => {
    const dir = tempDir('ferry-inst-');
    const venv = join(dir, 'venv');
    makeVenv(venv);
    const before = await treeHash(venv);
    const bundle = await signedBundle(join(dir, 'bundle'), [good, slow]);
    const killed = await ferry(['install', bundle, ...trust, '--into', venv], 700);
    assert.equal(
      killed.signal ?? (killed.code === 137 ? 'SIGKILL' : null),
      'SIGKILL',
      `${killed.code} ${killed.stderr}`,
    );
    assert.equal(await treeHash(venv), before);
    const again = await ferry(['install', bundle, ...trust, '--into', venv, '--smoke', 'imports']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(leftovers(dir), []);
    assert.notEqual(await treeHash(venv), before);
  });

  it('refuses a bundle that would need the network, and a damaged one', async () => {
    const dir = tempDir('ferry-inst-');
    const needy = await signedBundle(join(dir, 'needy'), [good], ['requests==2.31.0']);
    const r = await ferry(['install', needy, ...trust, '--venv', join(dir, 'v1')]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(
      r.stderr,
      /Installing would need the network: requirements.txt names 1 package\(s\) the bundle has no file for: requests==2.31.0/,
    );
    const damaged = await signedBundle(join(dir, 'damaged'), [good]);
    const wheel = join(damaged, 'wheels', readdirSync(join(damaged, 'wheels'))[0] as string);
    const bytes = readFileSync(wheel);
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    writeFileSync(wheel, bytes);
    const d = await ferry(['install', damaged, ...trust, '--venv', join(dir, 'v2')]);
    assert.equal(d.code, 5, d.stderr);
    assert.match(d.stderr, /has been changed or damaged/);
    assert.deepEqual(leftovers(dir), []);
    assert.ok(!existsSync(join(dir, 'v1')) && !existsSync(join(dir, 'v2')));
  });
  it('fails closed: a swapped wheel with SHA256SUMS and manifest recomputed and signatures dropped is refused (7) and nothing is made; --allow-unsigned installs it, saying so', async () => {
    const dir = tempDir('ferry-inst-');
    const bundle = await signedBundle(join(dir, 'bundle'), [good]);
    // The attack: foreign code under the same name, every checksum made to match, no signature.
    const foreign = await buildWheel(
      { ...good, files: { 'good_pkg/data.py': 'VALUE = 666  # foreign code\n' } },
      tempDir('ferry-foreign-'),
    );
    copyFileSync(foreign.path, join(bundle, 'wheels', foreign.filename));
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    const old = manifest.files[0].sha256;
    manifest.files[0].sha256 = foreign.sha256;
    manifest.files[0].size = readFileSync(foreign.path).length;
    writeFileSync(join(bundle, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const reqs = join(bundle, 'requirements.txt');
    writeFileSync(reqs, readFileSync(reqs, 'utf8').replace(old, foreign.sha256));
    rmSync(join(bundle, 'signatures'), { recursive: true });
    await resumBundle(bundle);

    const venv = join(dir, 'venv');
    const refused = await ferry(['install', bundle, '--venv', venv]);
    assert.equal(refused.code, 7, refused.stderr);
    assert.match(refused.stderr, /ERR_FERRY_UNTRUSTED.*no trusted key was given/);
    assert.match(refused.stderr, /--trusted-key/);
    assert.ok(!existsSync(venv), 'no venv');
    assert.deepEqual(leftovers(dir), [], 'no staging folder');

    const keyed = await ferry(['install', bundle, ...trust, '--venv', venv]);
    assert.equal(keyed.code, 7, keyed.stderr);
    assert.match(keyed.stderr, /the bundle has no signatures/);
    assert.ok(!existsSync(venv));
    assert.deepEqual(leftovers(dir), []);

    const both = await ferry(['install', bundle, ...trust, '--allow-unsigned', '--venv', venv]);
    assert.equal(both.code, 2, both.stderr);

    const unsigned = await ferry([
      'install',
      bundle,
      '--allow-unsigned',
      '--venv',
      venv,
      '--smoke',
      'imports',
    ]);
    assert.equal(unsigned.code, 0, unsigned.stderr);
    assert.match(unsigned.stderr, /signatures were NOT checked/);
    const value = spawnSync(join(venv, 'bin', 'python'), [
      '-c',
      'import good_pkg.data as d; print(d.VALUE)',
    ]);
    assert.equal(value.stdout.toString().trim(), '666');
  });

  it('--require-signers N: too few trusted signers is refused (7) and nothing is made', async () => {
    const dir = tempDir('ferry-inst-');
    const bundle = await signedBundle(join(dir, 'bundle'), [good]);
    const venv = join(dir, 'venv');
    const r = await ferry(['install', bundle, ...trust, '--require-signers', '2', '--venv', venv]);
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /1 of 2 required trusted signer\(s\) signed it/);
    assert.ok(!existsSync(venv));
    assert.deepEqual(leftovers(dir), []);
  });

  it('an old bundle without SHA256SUMS installs only with --allow-unsigned', async () => {
    const dir = tempDir('ferry-inst-');
    const bundle = await writeBundle(join(dir, 'bundle'), [good]);
    const venv = join(dir, 'venv');
    const refused = await ferry(['install', bundle, '--venv', venv]);
    assert.equal(refused.code, 7, refused.stderr);
    const keyed = await ferry(['install', bundle, ...trust, '--venv', venv]);
    assert.equal(keyed.code, 7, keyed.stderr);
    assert.match(keyed.stderr, /has no SHA256SUMS/);
    assert.ok(!existsSync(venv));
    assert.deepEqual(leftovers(dir), []);
  });

  it('from an archive: messages and the receipt name the archive, not its temporary copy', async () => {
    const dir = tempDir('ferry-inst-');
    const bundle = await signedBundle(join(dir, 'bundle'), [good]);
    const archive = join(dir, 'good.ferry.tar');
    await packBundle(bundle, archive);
    const receipt = join(dir, 'r.json');
    const r = await ferry([
      'install',
      archive,
      ...trust,
      '--venv',
      join(dir, 'venv'),
      '--smoke',
      'imports',
      '--receipt',
      receipt,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(readFileSync(receipt, 'utf8')).bundle.path, archive);
    assert.doesNotMatch(r.stdout + r.stderr, /ferry-bundle-/);
    const steps = r.stdout
      .split('\n')
      .filter((l) => l.includes('"install-step"') || l.includes('"step"'))
      .join('\n');
    assert.match(steps, /good\.ferry\.tar/);
  });
});
