// `ferry serve --upstream`: a pull-through cache of a local upstream index on 127.0.0.1
// (test/helpers/local-index.ts). The real pip (--isolated, PIP_CONFIG_FILE=/dev/null, only
// --index-url) installs through it, and again with the upstream stopped; a file whose bytes
// differ from the upstream page's SHA-256 is refused; a name the store has is never taken from
// the upstream (dependency confusion); the allowlist limits what is fetched; credentials in the
// upstream URL appear nowhere.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { formatPylock } from '../../src/bundle/pylock.js';
import type { FerryEvent } from '../../src/core/events.js';
import { ensureUpstreamIndex, startServe } from '../../src/ops/serve.js';
import { type IndexStore, openIndexStore } from '../../src/server/store/index.js';
import { isAllowed, readUpstreamAllow, Upstream } from '../../src/server/upstream/index.js';
import { type FakeDist, type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { hostPython } from '../helpers/pinned-venv.js';
import {
  basicAuth,
  publishWheels,
  raw,
  startTestServer,
  storeWithSignedBundle,
  type TestServer,
  type Work,
  workDir,
} from './serve-fixture.js';

const run = promisify(execFile);
const FERRY = join(process.cwd(), 'bin', 'ferry.js');
const PIP_ACCEPT =
  'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';

/** The upstream: an app with a dependency, a higher version of a name the store has, and more. */
const UPSTREAM_DISTS: FakeDist[] = [
  { name: 'up-app', version: '1.0', requiresDist: ['up-lib>=1'] },
  { name: 'up-lib', version: '1.0' },
  { name: 'up-lib', version: '1.5' },
  { name: 'demo-lib', version: '9.0' },
  { name: 'other-thing', version: '3.0' },
];

/** The environment for pip: no PIP_*, proxy or Python settings from this machine. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(PIP_|UV_|PYTHON|VIRTUAL_ENV)|proxy$/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, PIP_CONFIG_FILE: '/dev/null' };
}

const pipInstall = (indexUrl: string, target: string, ...names: string[]) =>
  run(
    hostPython,
    [
      '-m',
      'pip',
      '--isolated',
      '--disable-pip-version-check',
      'install',
      '--no-cache-dir',
      '--index-url',
      indexUrl,
      '--target',
      target,
      ...names,
    ],
    { env: cleanEnv(), maxBuffer: 16 << 20 },
  );

/** The versions a dist-info folder in a --target folder names, by project. */
async function installed(target: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(target)) {
    const m = /^(.+)-([^-]+)\.dist-info$/.exec(name);
    if (m !== null) out[m[1]!.toLowerCase().replace(/_/g, '-')] = m[2]!;
  }
  return out;
}

interface Setup {
  readonly work: Work;
  readonly store: IndexStore;
  readonly storeDir: string;
  readonly upstreamIndex: LocalIndex;
  readonly server: TestServer;
  readonly upstream: Upstream;
  readonly events: FerryEvent[];
  close(): Promise<void>;
}

/** A store with demo-lib 2.0 approved (a signed bundle), served with an upstream. */
async function setup(
  options: {
    upstreamUrl?: (index: LocalIndex) => string;
    auth?: { user: string; pass: string };
    allow?: string;
    incoming?: FakeDist[];
  } = {},
): Promise<Setup> {
  const work = await workDir('ferry-upstream-');
  const signed = await storeWithSignedBundle(work.dir, [{ name: 'demo-lib', version: '2.0' }]);
  await ensureUpstreamIndex(signed.storeDir);
  const store = await openIndexStore(signed.storeDir);
  if (options.incoming !== undefined)
    await publishWheels(store, 'incoming', options.incoming, join(work.dir, 'incoming'));
  const upstreamIndex = await startLocalIndex(
    UPSTREAM_DISTS,
    options.auth === undefined ? {} : { auth: options.auth },
  );
  const events: FerryEvent[] = [];
  const upstream = new Upstream({
    url: options.upstreamUrl?.(upstreamIndex) ?? upstreamIndex.url,
    store,
    ...(options.allow === undefined ? {} : { allow: await readUpstreamAllow(options.allow) }),
    pageTtlMs: 0,
    downForMs: 0,
    workDir: join(work.dir, 'upstream-work'),
    http: { retries: 0, timeoutMs: 5_000, backoffMs: 10 },
    events: (e) => events.push(e),
  });
  const server = await startTestServer({ store, upstream });
  return {
    work,
    store,
    storeDir: signed.storeDir,
    upstreamIndex,
    server,
    upstream,
    events,
    async close() {
      await server.close();
      await upstreamIndex.close().catch(() => {});
      await work.cleanup();
    },
  };
}

const getJson = async (port: number, path: string) => {
  const res = await raw(port, path, { headers: { accept: PIP_ACCEPT } });
  assert.equal(res.status, 200, `${path}: ${res.status} ${res.text}`);
  return JSON.parse(res.text) as {
    versions: string[];
    files: { filename: string; url: string; hashes: { sha256: string } }[];
  };
};

/** The store URL path of a file on a project page (relative to /upstream/simple/<project>/). */
const filePath = (url: string): string => `/${url.replace(/^(\.\.\/)+/, '')}`;

describe('ferry serve --upstream: pull-through', () => {
  let s: Setup;
  before(async () => {
    s = await setup();
  });
  after(async () => s?.close());

  it('pip installs through it; the files land in the upstream index with provenance "upstream"; with the upstream stopped pip still installs', async () => {
    const index = `${s.server.base}/upstream/simple/`;
    await pipInstall(index, join(s.work.dir, 't1'), 'up-app');
    assert.deepEqual(await installed(join(s.work.dir, 't1')), { 'up-app': '1.0', 'up-lib': '1.5' });

    const gen = await s.store.current();
    const cached = gen.catalog.indexes.upstream?.projects ?? {};
    assert.deepEqual(Object.keys(cached).sort(), ['up-app', 'up-lib']);
    const lib = cached['up-lib']!.files;
    assert.deepEqual(
      lib.map((f) => f.filename),
      ['up_lib-1.5-py3-none-any.whl'],
    );
    assert.equal(lib[0]!.provenance.kind, 'upstream');
    assert.equal(lib[0]!.provenance.actor, s.upstreamIndex.url);
    assert.ok(lib[0]!.coreMetadata !== undefined, 'the wheel’s METADATA is served as .metadata');
    const audit = [];
    for await (const entry of s.store.audit()) audit.push(entry);
    assert.equal(audit.filter((e) => e.action === 'upstream').length, 2);
    assert.ok(s.events.some((e) => e.type === 'warning') === false, JSON.stringify(s.events));

    await s.upstreamIndex.close();
    await pipInstall(index, join(s.work.dir, 't2'), 'up-app');
    assert.deepEqual(await installed(join(s.work.dir, 't2')), { 'up-app': '1.0', 'up-lib': '1.5' });
    // The cache alone: only what was fetched is offered now, and the failure was reported once.
    const page = await getJson(s.server.port, '/upstream/simple/up-lib/');
    assert.deepEqual(page.versions, ['1.5']);
    assert.ok(
      s.events.some((e) => e.type === 'warning' && e.code === 'ERR_FERRY_INDEX_UNREACHABLE'),
    );
  });

  it('a name the upstream never served, with the upstream down and nothing cached, is 502 naming the upstream', async () => {
    const res = await raw(s.server.port, '/upstream/simple/other-thing/', {
      headers: { accept: PIP_ACCEPT },
    });
    assert.equal(res.status, 502);
    assert.match(res.text, /the upstream http:\/\/127\.0\.0\.1:\d+\/simple could not be asked/);
  });

  it('uploads into the upstream index are refused (403): it holds only fetched files', async () => {
    const token = await s.store.tokens.create('ci', 'upload');
    const res = await raw(s.server.port, '/upstream/', {
      method: 'POST',
      headers: { authorization: basicAuth('__token__', token), 'content-type': 'text/plain' },
      body: 'x',
    });
    assert.equal(res.status, 403);
    assert.match(res.text, /only files fetched from the upstream; upload to \/incoming\//);
  });
});

describe('ferry serve --upstream: what is refused', () => {
  let s: Setup;
  before(async () => {
    s = await setup({ incoming: [{ name: 'waiting-pkg', version: '1.0' }] });
  });
  after(async () => s?.close());

  it('a file whose bytes differ from the upstream page’s SHA-256 is refused (502) and not published', async () => {
    const page = await getJson(s.server.port, '/upstream/simple/other-thing/');
    const file = page.files[0]!;
    s.upstreamIndex.fault(`/files/${file.filename}`, {
      status: 200,
      body: 'not the wheel the page promised',
      contentType: 'application/octet-stream',
    });
    const before = (await s.store.current()).generation;
    const res = await raw(s.server.port, filePath(file.url));
    assert.equal(res.status, 502);
    assert.match(res.text, /other_thing-3\.0-py3-none-any\.whl was not taken from the upstream/);
    assert.match(res.text, /SHA-256/);
    const gen = await s.store.current();
    assert.equal(gen.generation, before, 'no generation was written');
    assert.equal(gen.catalog.indexes.upstream?.projects['other-thing'], undefined);
  });

  it('dependency confusion: an upstream’s higher version of a name the store has is not offered, its file not fetched, and pip installs the local one', async () => {
    const page = await getJson(s.server.port, '/upstream/simple/demo-lib/');
    assert.deepEqual(page.versions, ['2.0']);
    assert.ok(
      !s.upstreamIndex.requests.includes('/simple/demo-lib/'),
      'the upstream was not asked',
    );
    // The upstream's file, asked for directly by its content address, is refused too.
    const upstreamFile = s.upstreamIndex.files.get('demo_lib-9.0-py3-none-any.whl')!;
    const sha = upstreamFile.sha256;
    const res = await raw(
      s.server.port,
      `/files/${sha.slice(0, 2)}/${sha}/${upstreamFile.filename}`,
    );
    assert.equal(res.status, 404);
    assert.match(
      res.text,
      /demo-lib is a project of this store \(approved\); it is never taken from the upstream/,
    );
    await pipInstall(`${s.server.base}/upstream/simple/`, join(s.work.dir, 't'), 'demo-lib');
    assert.deepEqual(await installed(join(s.work.dir, 't')), { 'demo-lib': '2.0' });
  });

  it('a name waiting in incoming is not taken from the upstream either (404 saying why)', async () => {
    const res = await raw(s.server.port, '/upstream/simple/waiting-pkg/');
    assert.equal(res.status, 404);
    assert.match(
      res.text,
      /is a project of this store \(in \/incoming\/simple\/waiting-pkg\/\), not approved yet/,
    );
    assert.ok(!s.upstreamIndex.requests.includes('/simple/waiting-pkg/'));
  });

  it('the project list is the approved projects and the cached ones, not the upstream’s', async () => {
    const res = await raw(s.server.port, '/upstream/simple/', { headers: { accept: PIP_ACCEPT } });
    const names = (JSON.parse(res.text).projects as { name: string }[]).map((p) => p.name);
    assert.deepEqual(names, ['demo-lib']);
  });

  it('HTML pages carry the store URL with #sha256 (PEP 503)', async () => {
    const res = await raw(s.server.port, '/upstream/simple/up-lib/', {
      headers: { accept: 'text/html' },
    });
    assert.equal(res.status, 200);
    const sha = s.upstreamIndex.files.get('up_lib-1.0-py3-none-any.whl')!.sha256;
    assert.ok(
      res.text.includes(
        `href="../../../files/${sha.slice(0, 2)}/${sha}/up_lib-1.0-py3-none-any.whl#sha256=${sha}"`,
      ),
      res.text,
    );
  });
});

describe('ferry serve --upstream-allow', () => {
  it('a list of names: other names are 404 and the upstream is never asked', async () => {
    const work = await workDir('ferry-allow-');
    const allow = join(work.dir, 'allow.txt');
    await writeFile(allow, '# what the site may take\nup-app\nUp_Lib\n');
    const s = await setup({ allow });
    try {
      const res = await raw(s.server.port, '/upstream/simple/other-thing/');
      assert.equal(res.status, 404);
      assert.match(res.text, /"other-thing" is not on the upstream allowlist/);
      assert.ok(!s.upstreamIndex.requests.includes('/simple/other-thing/'));
      assert.deepEqual((await getJson(s.server.port, '/upstream/simple/up-lib/')).versions, [
        '1.0',
        '1.5',
      ]);
    } finally {
      await s.close();
      await work.cleanup();
    }
  });

  it('a requirements file: only the pinned versions are offered; another version’s file is refused', async () => {
    const work = await workDir('ferry-allow-');
    const allow = join(work.dir, 'requirements.txt');
    await writeFile(allow, 'up-app==1.0\nup-lib==1.0\n');
    const s = await setup({ allow });
    try {
      assert.deepEqual((await getJson(s.server.port, '/upstream/simple/up-lib/')).versions, [
        '1.0',
      ]);
      const other = s.upstreamIndex.files.get('up_lib-1.5-py3-none-any.whl')!;
      const res = await raw(
        s.server.port,
        `/files/${other.sha256.slice(0, 2)}/${other.sha256}/${other.filename}`,
      );
      assert.equal(res.status, 404);
      assert.match(res.text, /is not allowed by .*requirements\.txt/);
      await pipInstall(`${s.server.base}/upstream/simple/`, join(work.dir, 't'), 'up-app');
      assert.deepEqual(await installed(join(work.dir, 't')), { 'up-app': '1.0', 'up-lib': '1.0' });
    } finally {
      await s.close();
      await work.cleanup();
    }
  });

  it('a pylock.toml: its versions and its files’ hashes, nothing else', async () => {
    const work = await workDir('ferry-allow-');
    try {
      const path = join(work.dir, 'pylock.toml');
      const sha = 'a'.repeat(64);
      await writeFile(
        path,
        formatPylock({
          packages: [
            {
              name: 'up-lib',
              version: '1.0',
              wheels: [
                {
                  name: 'up_lib-1.0-py3-none-any.whl',
                  url: 'https://example.invalid/up_lib-1.0-py3-none-any.whl',
                  hashes: { sha256: sha },
                },
              ],
            },
          ],
        }),
      );
      const allow = await readUpstreamAllow(path);
      assert.equal(isAllowed(allow, 'Up.Lib'), true);
      assert.equal(isAllowed(allow, 'up-lib', '1.0', sha), true);
      assert.equal(isAllowed(allow, 'up-lib', '1.0', 'b'.repeat(64)), false);
      assert.equal(isAllowed(allow, 'up-lib', '1.5'), false);
      assert.equal(isAllowed(allow, 'up-app'), false);
    } finally {
      await work.cleanup();
    }
  });

  it('--upstream-allow without --upstream is a usage error', async () => {
    await assert.rejects(
      startServe({ storeDir: '/nonexistent', upstreamAllow: 'x', events: () => {} }),
      { code: 'ERR_FERRY_USAGE', message: /--upstream-allow is given without --upstream/ },
    );
  });
});

describe('ferry serve --upstream: credentials', () => {
  it('an upstream with basic auth works; the password appears in no event, page, record or error', async () => {
    const auth = { user: 'mirror-user', pass: 's3cret-Pa55' };
    const s = await setup({
      auth,
      upstreamUrl: (i) => i.url.replace('http://', `http://${auth.user}:${auth.pass}@`),
    });
    try {
      await pipInstall(`${s.server.base}/upstream/simple/`, join(s.work.dir, 't'), 'up-lib==1.0');
      const gen = await s.store.current();
      const catalog = await readFile(join(gen.dir, 'catalog.json'), 'utf8');
      const audit = await readFile(join(s.storeDir, 'audit.log'), 'utf8');
      assert.match(catalog, /"actor": "http:\/\/\*\*\*\*:\*\*\*\*@127\.0\.0\.1:\d+\/simple"/);
      await s.upstreamIndex.close();
      const failed = await raw(s.server.port, '/upstream/simple/other-thing/');
      assert.equal(failed.status, 502);
      for (const text of [catalog, audit, failed.text, JSON.stringify(s.events)])
        assert.ok(!text.includes(auth.pass), text);
    } finally {
      await s.close();
    }
  });

  it('the CLI takes the URL from FERRY_UPSTREAM_URL and shows it redacted', async () => {
    const work = await workDir('ferry-upstream-cli-');
    try {
      const signed = await storeWithSignedBundle(work.dir, [{ name: 'demo-lib', version: '2.0' }]);
      const child = spawn(
        process.execPath,
        [FERRY, 'serve', '--store', signed.storeDir, '--listen', '127.0.0.1:0', '--json'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, FERRY_UPSTREAM_URL: 'http://u:TopSecret9@127.0.0.1:9/simple/' },
        },
      );
      const lines = createInterface({ input: child.stdout! });
      const first = await new Promise<string>((resolve) => lines.once('line', resolve));
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      const event = JSON.parse(first) as { event: string; upstream: string; urls: string[] };
      assert.equal(event.event, 'serve-listening');
      assert.equal(event.upstream, 'http://****:****@127.0.0.1:9/simple/');
      assert.ok(event.urls.some((u) => u.endsWith('/upstream/simple/')));
      assert.ok(!first.includes('TopSecret9'));
      const config = JSON.parse(await readFile(join(signed.storeDir, 'store.json'), 'utf8'));
      assert.deepEqual(config.indexes.upstream, {});
    } finally {
      await work.cleanup();
    }
  });
});
