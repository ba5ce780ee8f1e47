/**
 * ferry audit, offline: a bundle and a pylock.toml against an OSV folder; the table, JSON and
 * SARIF outputs; exit status 10 when a finding is not accepted; --ignore; and
 * `ferry advisories fetch` against a server on 127.0.0.1 (--url).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { audit } from '../../src/ops/audit.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { buildZip } from '../helpers/local-index.js';
import { auditFixture } from './audit-fixture.js';

describe('ferry audit', () => {
  let fx: Awaited<ReturnType<typeof auditFixture>>;
  const env = isolatedEnv(tempDir('ferry-audit-cache-'));
  before(async () => {
    fx = await auditFixture();
  });

  it('finds each advisory with aliases, severity, fixed versions and the path from the requirement', async () => {
    const report = await audit({ subject: fx.bundle, advisories: fx.advisories });
    assert.equal(report.subject.kind, 'bundle');
    assert.equal(report.packages, 3);
    assert.deepEqual(
      report.findings.map((f) => [f.package, f.id, f.severity.level, f.fixedIn, f.path, f.verdict]),
      [
        ['demo-lib', 'PYSEC-2025-2', 'medium', [], ['demo-app', 'demo-lib'], 'refused'],
        ['demo-util', 'GHSA-util-0001', 'critical', ['0.4'], ['demo-app', 'demo-util'], 'refused'],
      ],
    );
    assert.deepEqual(report.findings[1]!.aliases, ['CVE-2025-1111']);
    assert.deepEqual(report.findings[1]!.affected, ['<0.4']);
    assert.equal(report.findings[1]!.severity.score, 9.8);
    assert.equal(report.refused, true);
  });

  it('reads a pylock.toml the same way (its dependency graph and requirements)', async () => {
    const report = await audit({ subject: fx.lock, advisories: fx.advisories });
    assert.equal(report.subject.kind, 'lock');
    assert.deepEqual(
      report.findings.map((f) => [f.package, f.id, f.path.join(' > ')]),
      [
        ['demo-lib', 'PYSEC-2025-2', 'demo-app > demo-lib'],
        ['demo-util', 'GHSA-util-0001', 'demo-app > demo-util'],
      ],
    );
  });

  it('prints a table and exits 10 when findings are not accepted', async () => {
    const r = await runCli(['audit', fx.bundle, '--advisories', fx.advisories], { env });
    assert.equal(r.code, 10, r.stderr);
    assert.match(r.stdout, /PACKAGE\s+VERSION\s+ID/);
    assert.match(
      r.stdout,
      /demo-util\s+0\.3\s+GHSA-util-0001\s+CVE-2025-1111\s+critical 9\.8\s+0\.4\s+refused\s+demo-app > demo-util/,
    );
    assert.match(r.stderr, /ERR_FERRY_FINDINGS.*2 finding\(s\) not accepted/);
  });

  it('--ignore leaves advisories out (by id or alias) and exits 0', async () => {
    const r = await runCli(
      [
        'audit',
        fx.bundle,
        '--advisories',
        fx.advisories,
        '--ignore',
        'CVE-2025-1111',
        '--ignore',
        'PYSEC-2025-2',
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ignored/);
  });

  it('--format json is one JSON document; --format sarif is SARIF 2.1.0', async () => {
    const json = await runCli(
      ['audit', fx.lock, '--advisories', fx.advisories, '--format', 'json'],
      { env },
    );
    assert.equal(json.code, 10);
    const report = JSON.parse(json.stdout) as { findings: { id: string }[] };
    assert.deepEqual(
      report.findings.map((f) => f.id),
      ['PYSEC-2025-2', 'GHSA-util-0001'],
    );
    const sarif = await runCli(
      ['audit', fx.lock, '--advisories', fx.advisories, '--format', 'sarif'],
      { env },
    );
    const doc = JSON.parse(sarif.stdout) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string; properties: Record<string, unknown> }[] } };
        results: { ruleId: string; level: string }[];
      }[];
    };
    assert.equal(doc.version, '2.1.0');
    const run = doc.runs[0]!;
    assert.deepEqual(
      run.results.map((x) => [x.ruleId, x.level]),
      [
        ['PYSEC-2025-2', 'error'],
        ['GHSA-util-0001', 'error'],
      ],
    );
    const rule = run.tool.driver.rules.find((x) => x.id === 'GHSA-util-0001');
    assert.equal(rule?.properties['security-severity'], '9.8');
  });

  it('a clean snapshot exits 0 and says so', async () => {
    const empty = tempDir('ferry-osv-empty-');
    const r = await runCli(['audit', fx.bundle, '--advisories', empty], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no known vulnerabilities found/);
  });

  it('a missing --advisories is a usage error (2)', async () => {
    const r = await runCli(['audit', fx.bundle], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--advisories/);
  });
});

describe('ferry advisories fetch (a server on 127.0.0.1)', () => {
  const zip = buildZip([
    {
      name: 'PYSEC-1.json',
      data: Buffer.from(
        JSON.stringify({
          id: 'PYSEC-1',
          affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, versions: ['1'] }],
        }),
      ),
    },
  ]);
  const server = createServer((req, res) => {
    if (req.url === '/PyPI/all.zip') {
      res.writeHead(200, { 'content-length': zip.length });
      res.end(zip);
    } else if (req.url === '/html') {
      res.writeHead(200);
      res.end('<html>captive portal</html>');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  let base = '';
  const env = isolatedEnv(tempDir('ferry-adv-cache-'), { NO_PROXY: '*' });
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('downloads the zip and checks it reads as a snapshot', async () => {
    const dir = tempDir('ferry-adv-');
    const out = join(dir, 'osv-pypi.zip');
    const r = await runCli(['advisories', 'fetch', '-o', out, '--url', `${base}/PyPI/all.zip`], {
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 PyPI advisories/);
    assert.ok(existsSync(out));
  });

  it('an HTTP error or a body that is not a snapshot leaves no file', async () => {
    const dir = tempDir('ferry-adv-');
    const out = join(dir, 'osv-pypi.zip');
    const missing = await runCli(['advisories', 'fetch', '-o', out, '--url', `${base}/nope`], {
      env,
    });
    assert.equal(missing.code, 4, missing.stderr);
    assert.match(missing.stderr, /HTTP 404/);
    const html = await runCli(['advisories', 'fetch', '-o', out, '--url', `${base}/html`], { env });
    assert.equal(html.code, 2, html.stderr);
    assert.match(html.stderr, /did not send an OSV snapshot/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('refuses an unwritable destination before downloading', async () => {
    const r = await runCli(
      ['advisories', 'fetch', '-o', '/nonexistent-dir/x.zip', '--url', `${base}/PyPI/all.zip`],
      { env },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot write/);
  });
});
