/**
 * ferry-policy.toml where it is enforced: `ferry audit --policy`, `ferry bundle --policy`
 * (before the download, and the licence rule after it) and `ferry install --policy` (signers,
 * projects), each refusal naming the rule, the package and the fix, with exit status 10.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parsePolicy } from '../../src/audit/policy.js';
import type { FerryError } from '../../src/core/errors.js';
import { enforceLicencePolicy } from '../../src/ops/audit.js';
import { install } from '../../src/ops/install.js';
import { generateKeyPair, parseSecretKey } from '../../src/trust/keys.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import type { FakeDist } from '../helpers/local-index.js';
import { writeBundle } from '../onhost/fake-bundle.js';
import { auditFixture } from './audit-fixture.js';

describe('ferry audit --policy', () => {
  let fx: Awaited<ReturnType<typeof auditFixture>>;
  const env = isolatedEnv(tempDir('ferry-policy-cache-'));
  before(async () => {
    fx = await auditFixture();
  });

  it('an exception and max-severity accept the findings: exit 0, and the table says why', async () => {
    const policy = join(fx.root, 'accept.toml');
    writeFileSync(
      policy,
      '[advisories]\nmax-severity = "medium"\n[[advisories.exceptions]]\nid = "CVE-2025-1111"\nreason = "input is never user-controlled"\nexpires = 2999-12-31\n',
    );
    const r = await runCli(
      ['audit', fx.bundle, '--advisories', fx.advisories, '--policy', policy],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /GHSA-util-0001 \(demo-util 0\.3\): accepted until 2999-12-31: input is never user-controlled/,
    );
    assert.match(
      r.stdout,
      /PYSEC-2025-2 \(demo-lib 2\.0\): severity medium is within max-severity = "medium"/,
    );
  });

  it('an expired exception no longer applies and says so: exit 10', async () => {
    const policy = join(fx.root, 'expired.toml');
    writeFileSync(
      policy,
      '[advisories]\nmax-severity = "medium"\n[[advisories.exceptions]]\nid = "GHSA-util-0001"\nreason = "until 0.4 is out"\nexpires = 2020-01-01\n',
    );
    const r = await runCli(
      ['audit', fx.bundle, '--advisories', fx.advisories, '--policy', policy],
      { env },
    );
    assert.equal(r.code, 10);
    assert.match(
      r.stdout,
      /the exception for GHSA-util-0001 expired on 2020-01-01 and no longer applies/,
    );
  });

  it('the licence allowlist reads the wheels of the bundle: exit 10 naming the rule and package', async () => {
    const policy = join(fx.root, 'licences.toml');
    writeFileSync(policy, '[advisories]\nmax-severity = "critical"\n[licenses]\nallow = ["MIT"]\n');
    const r = await runCli(
      ['audit', fx.bundle, '--advisories', fx.advisories, '--policy', policy],
      { env },
    );
    assert.equal(r.code, 10);
    assert.match(
      r.stdout,
      /\[licenses\.allow\] demo-lib 2\.0 is licensed Apache-2\.0 \(from License\)/,
    );
    // demo-util's "BSD License" classifier names no one licence: unknown, refused by default.
    assert.match(r.stdout, /\[licenses\.allow-unknown\] demo-util 0\.3 declares no SPDX licence/);
    // demo-app is "MIT OR Apache-2.0": one branch is allowed.
    assert.doesNotMatch(r.stdout, /demo-app 1\.0 is licensed/);
    assert.match(r.stderr, /ERR_FERRY_FINDINGS.*2 policy rule violation\(s\)/);
  });

  it('a policy with an unknown key is a usage error (2)', async () => {
    const policy = join(fx.root, 'typo.toml');
    writeFileSync(policy, '[project]\ndeny = ["x"]\n');
    const r = await runCli(['audit', fx.lock, '--advisories', fx.advisories, '--policy', policy], {
      env,
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown table "project"/);
    assert.match(r.stderr, /Did you mean "projects"/);
  });
});

describe('ferry bundle --policy', () => {
  let fx: Awaited<ReturnType<typeof auditFixture>>;
  const env = isolatedEnv(tempDir('ferry-policy-cache-'));
  before(async () => {
    fx = await auditFixture();
  });
  const target = ['--python', '3.11', '--os', 'linux', '--arch', 'x86_64', '--glibc', '2.28'];

  it('a denied project is refused before anything is downloaded (exit 10)', async () => {
    const policy = join(fx.root, 'deny.toml');
    writeFileSync(policy, '[projects]\ndeny = ["demo_util"]\n');
    const out = join(fx.root, 'out');
    const r = await runCli(
      ['bundle', '--lock', fx.lock, '-o', out, '--policy', policy, ...target],
      { env },
    );
    assert.equal(r.code, 10, r.stderr);
    assert.match(r.stderr, /\[projects\.deny\] demo-util 0\.3 is denied by projects\.deny/);
    assert.match(r.stderr, /fix: Remove demo-util from the requirements \(ferry why demo-util/);
    assert.equal(existsSync(out), false);
  });

  it('a lock the policy accepts goes on to the download', async () => {
    const policy = join(fx.root, 'ok.toml');
    writeFileSync(policy, '[projects]\ndeny = ["something-else"]\n[files]\nforbid-sdists = true\n');
    const r = await runCli(
      ['bundle', '--lock', fx.lock, '-o', join(fx.root, 'out2'), '--policy', policy, ...target],
      {
        env,
      },
    );
    // The lock's URLs point at a closed port: the run gets as far as the network (exit 4).
    assert.equal(r.code, 4, r.stderr);
  });

  it('the licence rule on downloaded wheels: accepted and refused', async () => {
    const wheels = readdirSync(join(fx.bundle, 'wheels')).map((filename) => ({
      name: filename.split('-')[0]!.replace('_', '-'),
      version: filename.split('-')[1]!,
      filename,
      path: join(fx.bundle, 'wheels', filename),
    }));
    await enforceLicencePolicy(
      parsePolicy('[licenses]\nallow = ["MIT", "Apache-2.0"]\nallow-unknown = true\n', 'p.toml'),
      wheels,
    );
    await assert.rejects(
      enforceLicencePolicy(
        parsePolicy('[licenses]\nallow = ["MIT"]\nallow-unknown = true\n', 'p.toml'),
        wheels,
      ),
      (e: FerryError) =>
        e.code === 'ERR_FERRY_POLICY' &&
        /\[licenses\.allow\] demo-lib 2\.0 is licensed Apache-2\.0/.test(e.message),
    );
  });
});

describe('ferry install --policy', () => {
  const signer = generateKeyPair('ed25519');
  const dist: FakeDist = {
    name: 'good-pkg',
    version: '1.0',
    files: { 'good_pkg/data.py': 'V = 1\n' },
  };
  const setup = async (policyText: string) => {
    const dir = tempDir('ferry-policy-install-');
    const pub = join(dir, 'builder.pub');
    writeFileSync(pub, signer.publicKeyText);
    const bundle = await writeBundle(
      join(dir, 'bundle'),
      [dist],
      [],
      parseSecretKey(signer.secretKeyText),
    );
    return { dir, pub, bundle, policy: parsePolicy(policyText, 'site-policy.toml') };
  };

  it('signatures.required-signers: one signer where the policy asks for two is refused by name', async () => {
    const { dir, pub, bundle, policy } = await setup('[signatures]\nrequired-signers = 2\n');
    await assert.rejects(
      install({
        bundle,
        venv: join(dir, 'venv'),
        keyFiles: [pub],
        requireSigners: 1,
        allowUnsigned: false,
        ferryVersion: 'test',
        policy,
      }),
      (e: FerryError) => {
        assert.equal(e.code, 'ERR_FERRY_POLICY');
        assert.match(
          e.message,
          /\[signatures\.required-signers\] The bundle .* is not signed by enough keys you trust/,
        );
        assert.match(e.message, /1 of 2 required trusted signer\(s\) signed it \(builder\)/);
        assert.match(e.message, /site-policy\.toml asks for 2/);
        return true;
      },
    );
    assert.equal(existsSync(join(dir, 'venv')), false);
  });

  it('projects.deny at install: refused after verification, before anything is made', async () => {
    const { dir, pub, bundle, policy } = await setup(
      '[projects]\ndeny = ["Good.Pkg"]\n[signatures]\nrequired-signers = 1\n',
    );
    await assert.rejects(
      install({
        bundle,
        venv: join(dir, 'venv'),
        keyFiles: [pub],
        requireSigners: 1,
        allowUnsigned: false,
        ferryVersion: 'test',
        policy,
        skipDoctor: true,
      }),
      (e: FerryError) =>
        e.code === 'ERR_FERRY_POLICY' &&
        /\[projects\.deny\] good-pkg 1\.0 is denied by projects\.deny in site-policy\.toml/.test(
          e.message,
        ),
    );
    assert.deepEqual(readdirSync(dir).sort(), ['builder.pub', 'bundle']);
  });
});
