/**
 * ferry report: the page's data (findings, signers, changes since a previous lock or bundle,
 * sizes), that it loads nothing from anywhere, and what a person sees in headless Chromium
 * (Debian's chromium driven by playwright-core; a screenshot is kept under
 * .ferry-work/test-output/report/).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { formatPylock } from '../../src/bundle/pylock.js';
import { signBundle } from '../../src/bundle/sign.js';
import { diffPackages, renderReportHtml } from '../../src/ops/report.js';
import { generateKeyPair, parseSecretKey } from '../../src/trust/keys.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { ensureDebianTool } from '../helpers/ensure-tool.js';
import { auditFixture } from './audit-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = resolve('.ferry-work/test-output/report');

/** The bundle this one replaces: demo-util was 0.2, old-pkg was there, demo-lib was not. */
function previousLock(): string {
  const entry = (name: string, version: string, deps: string[]) => ({
    name,
    version,
    dependencies: deps.map((d) => ({ name: d })),
    wheels: [
      {
        name: `${name.replace('-', '_')}-${version}-py3-none-any.whl`,
        url: `http://127.0.0.1:1/${name}-${version}.whl`,
        hashes: { sha256: '1'.repeat(64) },
      },
    ],
  });
  return formatPylock({
    packages: [
      entry('demo-app', '1.0', ['demo-util', 'old-pkg']),
      entry('demo-util', '0.2', []),
      entry('old-pkg', '1.0', []),
    ],
    tool: { ferry: { requirements: ['demo-app'] } },
  });
}

describe('ferry report', () => {
  let fx: Awaited<ReturnType<typeof auditFixture>>;
  let html = '';
  let page = '';
  let keyId = '';
  const env = isolatedEnv(tempDir('ferry-report-cache-'));

  before(async () => {
    fx = await auditFixture();
    const key = generateKeyPair('ed25519');
    keyId = (
      await signBundle(fx.bundle, parseSecretKey(key.secretKeyText), {
        trustedComment: 'reviewed by the builder',
      })
    ).keyId;
    const previous = join(fx.root, 'previous.pylock.toml');
    writeFileSync(previous, previousLock());
    page = join(fx.root, 'report.html');
    const r = await runCli(
      ['report', fx.bundle, '-o', page, '--advisories', fx.advisories, '--previous', previous],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /wrote .*report\.html: 3 packages, 1 signature\(s\), 2 finding\(s\) not accepted/,
    );
    html = readFileSync(page, 'utf8');
  });

  it('is self-contained: no script, stylesheet, font or image is loaded', () => {
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(/i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  });

  it('escapes what it shows', () => {
    const text = renderReportHtml({
      bundle: '<b>x</b>',
      tool: 'ferry',
      createdAt: 't',
      targets: [],
      requirements: [],
      packages: [],
      totalSize: 0,
      signers: [],
    });
    assert.match(text, /Review of &lt;b&gt;x&lt;\/b&gt;/);
    assert.doesNotMatch(text, /<b>x<\/b>/);
  });

  it('lists added, removed, upgraded and downgraded packages in PEP 440 order', () => {
    const d = diffPackages(
      'old',
      [
        { name: 'a', version: '1.9' },
        { name: 'b', version: '2.0' },
        { name: 'gone', version: '1' },
      ],
      [
        { name: 'A', version: '1.10' },
        { name: 'b', version: '2.0rc1' },
        { name: 'new', version: '1' },
      ],
    );
    assert.deepEqual(d.upgraded, [{ name: 'A', from: '1.9', to: '1.10' }]);
    assert.deepEqual(d.downgraded, [{ name: 'b', from: '2.0', to: '2.0rc1' }]);
    assert.deepEqual(d.added, [{ name: 'new', version: '1' }]);
    assert.deepEqual(d.removed, [{ name: 'gone', version: '1' }]);
  });

  it('omits the "Trimmed" section when the manifest records no exclusions', () => {
    assert.doesNotMatch(html, /<h2>Trimmed<\/h2>/);
  });

  const skip = ensureDebianTool('chromium', 'chromium')
    ? false
    : 'chromium is not installed and apt-get install chromium failed';

  describe('in headless Chromium', { skip }, () => {
    type Browser = import('playwright-core').Browser;
    let browser: Browser | undefined;
    after(async () => {
      await browser?.close();
    });

    it('shows the findings, packages, signers, changes and the size picture', async () => {
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
        ],
      });
      const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      tab.on('request', (r) => requests.push(r.url()));
      await tab.goto(pathToFileURL(page).href);
      const seen = (selector: string): Promise<string> =>
        // biome-ignore lint/performance/useDomNodeTextContent: innerText is the rendered text a person reads
        tab.locator(selector).first().innerText();

      assert.match(await seen('h1'), /^Review of .*bundle$/);
      const summary = await seen('#summary');
      assert.match(summary, /3\s+packages/);
      assert.match(summary, /2\s+findings refused/);
      assert.match(summary, /1\s+signatures/);

      const findings = await tab.locator('#findings tbody tr').allInnerTexts();
      assert.equal(findings.length, 2);
      assert.match(
        findings[1]!,
        /demo-util 0\.3\s+GHSA-util-0001\s+CVE-2025-1111\s+critical 9\.8\s+<0\.4\s+0\.4\s+refused/,
      );
      assert.match(findings[0]!, /demo-lib 2\.0\s+PYSEC-2025-2.*medium.*no fix known/s);

      const packages = await tab.locator('#packages tbody tr').allInnerTexts();
      assert.deepEqual(
        packages.map((r) => r.split('\t').slice(0, 3).join(' | ').replace(/\n/g, ' / ')),
        [
          'demo-app | 1.0 | MIT OR Apache-2.0 / from License-Expression',
          'demo-lib | 2.0 | Apache-2.0 / from License',
          'demo-util | 0.3 | unknown / declared: License :: OSI Approved :: BSD License',
        ],
      );
      assert.match(packages[0]!, /demo_app-1\.0-py3-none-any\.whl\s+[0-9a-f]{64}/);
      assert.match(packages[0]!, /http:\/\/127\.0\.0\.1:1\/simple/);

      assert.match(
        await seen('#signers'),
        new RegExp(`${keyId}\\s+Ed25519 \\(minisign\\)\\s+reviewed by the builder`),
      );

      const diff = await seen('#diff');
      assert.match(diff, /Added\s+demo-lib 2\.0/);
      assert.match(diff, /Removed\s+old-pkg 1\.0/);
      assert.match(diff, /Upgraded\s+demo-util 0\.2 → 0\.3/);

      // The bars: one per package, largest first, and visible.
      const labels = await tab.locator('#size-chart g > text:first-of-type').allTextContents();
      const sizes = await tab
        .locator('#size-chart rect')
        .evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('width'))));
      assert.equal(labels.length, 3);
      assert.deepEqual(
        [...sizes].sort((a, b) => b - a),
        sizes,
        'largest first',
      );
      assert.ok(await tab.locator('#size-chart').isVisible());

      assert.deepEqual(
        requests.filter((u) => !u.startsWith('file:')),
        [],
        'the page fetched nothing',
      );
      mkdirSync(OUTPUT, { recursive: true });
      await tab.screenshot({ path: join(OUTPUT, 'report.png'), fullPage: true });
    });
  });
});
