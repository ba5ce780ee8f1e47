/**
 * The gate at the intranet's door: `ferry import --policy` applies ferry-policy.toml as audit,
 * bundle and install do, and publishes nothing when it refuses; `ferry audit STORE` audits the
 * store's current generation against the advisories (no dependency paths: the catalog has no
 * graph, and the output says so).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parsePolicy } from '../../src/audit/policy.js';
import { FerryError } from '../../src/core/errors.js';
import { audit } from '../../src/ops/audit.js';
import { importBundle } from '../../src/ops/import.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { writeAdvisories } from '../ops/audit-fixture.js';
import { makeKey, signedBundle, type TestKey } from '../server/store-fixture.js';

let work: string;
let builder: TestKey;
let bundle: string;
let advisories: string;

before(async () => {
  work = tempDir('ferry-gate-');
  builder = await makeKey(work, 'builder');
  // demo-app 1.0 → demo-lib 2.0; the advisories name demo-lib (PYSEC-2025-2, no fix).
  bundle = await signedBundle(join(work, 'demo-bundle'), builder.secret);
  advisories = writeAdvisories(join(work, 'osv'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const env = () => isolatedEnv(join(work, 'cache'));

describe('ferry import --policy', () => {
  test('a refusal names the rule, the package and the fix, and publishes nothing', async () => {
    const store = join(work, 'store-refused');
    const policy = join(work, 'deny.toml');
    await writeFile(policy, '[projects]\ndeny = ["demo-lib"]\n');
    const r = await runCli(
      ['import', bundle, '--store', store, '--trusted-key', builder.pubPath, '--policy', policy],
      { env: env() },
    );
    assert.equal(r.code, 10, r.stderr);
    assert.match(r.stderr, /ERR_FERRY_POLICY/);
    assert.match(r.stderr, /\[projects\.deny\] demo-lib 2\.0 is denied by projects\.deny/);
    assert.match(r.stderr, /fix: Remove demo-lib from the requirements/);
    assert.match(r.stderr, /change the rule in .*deny\.toml/);
    assert.equal(existsSync(store), false, 'no store may be made for a refused bundle');
  });

  test('a refusal leaves an existing store as it was', async () => {
    const store = join(work, 'store-kept');
    const first = await importBundle({ bundle, store, keyFiles: [builder.pubPath] });
    assert.equal(first.generation, 1);
    const other = await signedBundle(join(work, 'sdist-free'), builder.secret, [
      { name: 'demo-app', version: '2.0' },
    ]);
    await assert.rejects(
      importBundle({
        bundle: other,
        store,
        keyFiles: [builder.pubPath],
        policy: parsePolicy('[projects]\nallow = ["demo-lib"]\n', 'allow.toml'),
      }),
      (e: unknown) =>
        e instanceof FerryError &&
        e.code === 'ERR_FERRY_POLICY' &&
        /\[projects\.allow\] demo-app 2\.0 is not in projects\.allow in allow\.toml/.test(
          e.message,
        ),
    );
    const again = await importBundle({ bundle, store, keyFiles: [builder.pubPath] });
    assert.equal(again.generation, 1, 'the refused import wrote no generation');
  });

  test('a bundle the policy accepts is imported', async () => {
    const store = join(work, 'store-accepted');
    const policy = join(work, 'accept.toml');
    await writeFile(policy, '[projects]\ndeny = ["something-else"]\n');
    const r = await runCli(
      ['import', bundle, '--store', store, '--trusted-key', builder.pubPath, '--policy', policy],
      { env: env() },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported demo-bundle into approved/);
  });

  test("the policy's required-signers raises what approved needs: one signer waits in incoming", async () => {
    const result = await importBundle({
      bundle,
      store: join(work, 'store-signers'),
      keyFiles: [builder.pubPath],
      policy: parsePolicy('[signatures]\nrequired-signers = 2\n', 'signers.toml'),
    });
    assert.equal(result.state, 'incoming');
    assert.equal(result.required, 2);
  });
});

describe('ferry audit STORE', () => {
  let store: string;
  before(async () => {
    store = join(work, 'store-audited');
    await importBundle({ bundle, store, keyFiles: [builder.pubPath] });
  });

  test('finds a vulnerable version in the current generation, without paths, and says why', async () => {
    const report = await audit({ subject: store, advisories });
    assert.equal(report.subject.kind, 'store');
    assert.match(report.subject.label, /\(generation 1\)$/);
    assert.equal(report.packages, 2);
    assert.deepEqual(
      report.findings.map((f) => [f.package, f.version, f.id, f.path]),
      [['demo-lib', '2.0', 'PYSEC-2025-2', []]],
    );
    assert.equal(report.refused, true);
    assert.ok(report.notes.some((n) => n.includes('no dependency graph')));
  });

  test('the command: table and SARIF, exit 10; a policy can accept the finding (exit 0)', async () => {
    const table = await runCli(['audit', store, '--advisories', advisories], { env: env() });
    assert.equal(table.code, 10, table.stderr);
    assert.match(table.stdout, /demo-lib +2\.0 +PYSEC-2025-2/);
    assert.match(table.stdout, /note: a store has no dependency graph/);
    const sarif = await runCli(['audit', store, '--advisories', advisories, '--format', 'sarif'], {
      env: env(),
    });
    assert.equal(sarif.code, 10, sarif.stderr);
    const doc = JSON.parse(sarif.stdout) as {
      runs: { results: { ruleId: string; message: { text: string } }[] }[];
    };
    const result = doc.runs[0]!.results[0]!;
    assert.equal(result.ruleId, 'PYSEC-2025-2');
    assert.match(result.message.text, /Path: none \(a store records no dependencies\)/);
    const policy = join(work, 'moderate.toml');
    await writeFile(policy, '[advisories]\nmax-severity = "medium"\n');
    const accepted = await runCli(
      ['audit', store, '--advisories', advisories, '--policy', policy],
      {
        env: env(),
      },
    );
    assert.equal(accepted.code, 0, accepted.stderr);
  });
});
