// The pages for people, in a real headless Chromium with JavaScript turned off: what a person
// sees (projects, a search that filters, a project's files with hashes and signers, bundles
// with their SBOM, the incoming queue), links that work, and markup from a bundle's name shown
// as text, never run. Screenshots land in .ferry-work/test-output/server-ui/.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importBundle } from '../../src/ops/import.js';
import { generateKeyPair, parseSecretKey } from '../../src/trust/keys.js';
import { ensureDebianTool } from '../helpers/ensure-tool.js';
import { writeBundle } from '../onhost/fake-bundle.js';
import {
  publishWheels,
  type SignedStore,
  startTestServer,
  storeWithSignedBundle,
  type TestServer,
  type Work,
  workDir,
} from './serve-fixture.js';

const SHOTS = join(process.cwd(), '.ferry-work', 'test-output', 'server-ui');
const CHROMIUM = '/usr/bin/chromium';
const HOSTILE = 'review <img src=x onerror=alert(1)> bundle';

const skip = ensureDebianTool('chromium', 'chromium')
  ? false
  : 'chromium is not installed and apt-get install chromium failed';

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

describe('web pages in a real browser', { skip }, () => {
  let work: Work;
  let signed: SignedStore;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];

  before(async () => {
    work = await workDir('ferry-ui-');
    signed = await storeWithSignedBundle(work.dir, [
      { name: 'Demo_Pkg', version: '1.0', requiresDist: ['dep-one>=1'] },
      { name: 'demo-pkg', version: '1.1' },
      { name: 'dep-one', version: '1.2', requiresPython: '>=3.8' },
    ]);
    // A second bundle, unsigned by anyone the store trusts for approved: it waits in incoming.
    const pair = generateKeyPair('ed25519');
    const pub = join(work.dir, 'reviewer.pub');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(pub, pair.publicKeyText);
    const waiting = await writeBundle(
      join(work.dir, HOSTILE),
      [{ name: 'queued-lib', version: '0.9' }],
      [],
      parseSecretKey(pair.secretKeyText),
    );
    await importBundle({
      bundle: waiting,
      store: signed.storeDir,
      keyFiles: [pub],
      index: 'incoming',
      actor: 'importer',
    });
    await publishWheels(
      signed.store,
      'incoming',
      [{ name: 'hand-made', version: '0.1' }],
      work.dir,
      {
        actor: 'ci-uploader',
      },
    );
    server = await startTestServer({ store: signed.store });
    await mkdir(SHOTS, { recursive: true });
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
    const context = await browser.newContext({ javaScriptEnabled: false });
    page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await work?.cleanup();
  });

  const rows = (selector: string) => page.locator(`${selector} tbody tr`);

  it('the home page lists every project with its latest version and indexes', async () => {
    const response = await page.goto(`${server.base}/`);
    assert.equal(response?.status(), 200);
    assert.equal(await seen(page.locator('h1')), 'Projects');
    const names = await rows('#projects').locator('td:first-child').allInnerTexts();
    assert.deepEqual(
      names,
      ['demo-pkg', 'dep-one', 'hand-made', 'queued-lib'].map((n) =>
        n === 'demo-pkg' ? expectName(names) : n,
      ),
    );
    const demo = rows('#projects').filter({ hasText: 'dep-one' });
    assert.match(await seen(demo), /1\.2\s+approved/);
    await page.screenshot({ path: join(SHOTS, 'home.png'), fullPage: true });
  });

  it('the search filters (a form GET, no script), and says when nothing matches', async () => {
    await page.goto(`${server.base}/`);
    await page.fill('#q', 'DEP_one');
    await page.press('#q', 'Enter');
    await page.waitForURL(/\?q=DEP_one/);
    const names = await rows('#projects').locator('td:first-child').allInnerTexts();
    assert.deepEqual(names, ['dep-one']);
    assert.match(await seen(page.locator('main')), /1 of 4 projects match/);
    await page.screenshot({ path: join(SHOTS, 'search.png'), fullPage: true });
    await page.goto(`${server.base}/?q=${encodeURIComponent('<b>zzz')}`);
    assert.match(await seen(page.locator('#no-results')), /No project matches “<b>zzz”/);
  });

  it('a project page shows versions and files with hash, size, upload time, bundle and signers; links work', async () => {
    await page.goto(`${server.base}/`);
    await page.click('#projects >> text=dep-one');
    await page.waitForURL(/\/ui\/project\/dep-one$/);
    const main = await seen(page.locator('main'));
    assert.match(main, /dep-one/);
    assert.match(main, /1\.2/);
    assert.match(main, /dep_one-1\.2-py3-none-any\.whl/);
    assert.match(main, /Requires-Python >=3\.8/);
    const catalog = (await signed.store.current()).catalog;
    const file = catalog.indexes.approved!.projects['dep-one']!.files[0]!;
    assert.match(main, new RegExp(file.sha256));
    assert.match(main, /demo-bundle/);
    assert.match(main, new RegExp(signed.keyId));
    assert.match(main, /\d+(\.\d)? (B|KiB)/);
    assert.match(main, /\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    await page.screenshot({ path: join(SHOTS, 'project.png'), fullPage: true });
    const href = await page
      .locator('table.files a', { hasText: file.filename })
      .getAttribute('href');
    const wheel = await page.request.get(new URL(href!, page.url()).href);
    assert.equal(wheel.status(), 200);
    assert.equal((await wheel.body()).length, file.size);
    const simple = await page.locator('a', { hasText: 'simple page' }).first().getAttribute('href');
    const simplePage = await page.request.get(new URL(simple!, page.url()).href);
    assert.equal(simplePage.status(), 200);
    await page.click('table.files >> text=demo-bundle');
    await page.waitForURL(/\/ui\/bundles#b-[0-9a-f]{64}$/);
  });

  it('another spelling of a project redirects; an unknown one says so with a search link', async () => {
    await page.goto(`${server.base}/ui/project/Dep_One`);
    assert.match(page.url(), /\/ui\/project\/dep-one$/);
    const missing = await page.goto(`${server.base}/ui/project/nothing-here`);
    assert.equal(missing?.status(), 404);
    await page.click('text=Search for it');
    await page.waitForURL(/\?q=nothing-here/);
  });

  it('the bundles page lists each bundle with signers and its SBOM; a hostile name is text', async () => {
    await page.goto(`${server.base}/`);
    await page.click('nav >> text=Bundles');
    await page.waitForURL(/\/ui\/bundles$/);
    const table = await seen(page.locator('table.bundles'));
    assert.match(table, /demo-bundle/);
    assert.match(table, new RegExp(signed.keyId));
    assert.ok(table.includes(HOSTILE), 'the name is shown as written');
    assert.equal(await page.locator('main img').count(), 0, 'no element came from the name');
    const sbom = page
      .locator('tr', { hasText: 'demo-bundle' })
      .locator('a', { hasText: 'sbom.cdx.json' });
    const href = await sbom.getAttribute('href');
    const response = await page.request.get(new URL(href!, page.url()).href);
    assert.equal(response.status(), 200);
    assert.deepEqual(
      JSON.parse(await response.text()),
      JSON.parse(await readFile(join(signed.bundleDir, 'sbom.cdx.json'), 'utf8')),
    );
    await page.screenshot({ path: join(SHOTS, 'bundles.png'), fullPage: true });
  });

  it('the incoming page shows the waiting bundle and the uploaded file', async () => {
    await page.goto(`${server.base}/ui/bundles`);
    await page.click('nav >> text=Incoming');
    await page.waitForURL(/\/ui\/incoming$/);
    const main = await seen(page.locator('main'));
    assert.match(main, /Bundles waiting for approval/);
    assert.ok(main.includes(HOSTILE));
    assert.doesNotMatch(main, /demo-bundle/, 'an approved bundle is not in the queue');
    const uploads = await seen(page.locator('table.uploads'));
    assert.match(uploads, /hand_made-0\.1-py3-none-any\.whl/);
    assert.match(uploads, /ci-uploader/);
    await page.screenshot({ path: join(SHOTS, 'incoming.png'), fullPage: true });
    assert.deepEqual(dialogs, [], 'no script ran');
  });
});

/** What a person sees of an element: its rendered text (innerText, not the DOM's textContent). */
function seen(locator: import('playwright-core').Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: playwright's innerText is the rendered text, which is the point
  return locator.innerText();
}

/** The catalog keeps the first spelling a project was published with. */
function expectName(names: readonly string[]): string {
  return names.find((n) => n.toLowerCase().replace(/[-_.]+/g, '-') === 'demo-pkg') ?? 'demo-pkg';
}
