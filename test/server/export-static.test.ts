// ferry export-static: the current generation as a plain tree; served by a real nginx with the
// configuration docs/index-server.md gives, then used by the real pip (and uv when present).
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportStatic } from '../../src/ops/export-static.js';
import { importBundle } from '../../src/ops/import.js';
import { openIndexStore } from '../../src/server/store/index.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { ensureDebianTool } from '../helpers/ensure-tool.js';
import { ensurePinnedVenv } from '../helpers/pinned-venv.js';
import {
  checkConsistent,
  demoDists,
  makeKey,
  signedBundle,
  type TestKey,
} from './store-fixture.js';

let work: string;
let builder: TestKey;
let store: string;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

before(async () => {
  work = tempDir('ferry-export-');
  // nginx's workers run as an unprivileged user: they must be able to enter the folders.
  await chmod(work, 0o755);
  builder = await makeKey(work, 'builder');
  store = join(work, 'store');
  for (const version of ['1.0', '1.1']) {
    const bundle = await signedBundle(
      join(work, `bundle-${version}`),
      builder.secret,
      demoDists(version),
    );
    await importBundle({ bundle, store, keyFiles: [builder.pubPath] });
  }
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('ferry export-static', () => {
  it('writes pages, files and .metadata of the current generation, hard-linked, and nothing else', async () => {
    // An object no generation names (what a killed import leaves) is not exported.
    const orphan = join(store, 'files', 'ee', 'e'.repeat(64), 'orphan-1.0-py3-none-any.whl');
    await mkdir(join(orphan, '..'), { recursive: true });
    await writeFile(orphan, 'orphan');
    const out = join(work, 'out');
    const result = await runCli(['export-static', '--store', store, '-o', out, '--json'], {
      env: isolatedEnv(join(work, 'cache')),
    });
    assert.equal(result.code, 0, result.stderr);
    const catalog = await checkConsistent(store);
    const done = result.events.find((e) => e.event === 'result')!;
    assert.equal(done.generation, catalog.generation);
    assert.deepEqual(done.indexes, ['approved', 'incoming']);
    const app = catalog.indexes.approved!.projects['demo-app']!;
    assert.deepEqual(app.versions, ['1.0', '1.1']);
    for (const file of app.files) {
      const exported = join(out, file.url);
      assert.equal(sha256(await readFile(exported)), file.sha256);
      assert.equal(
        (await stat(exported)).ino,
        (await stat(join(store, file.url))).ino,
        'a hard link',
      );
      assert.equal(sha256(await readFile(`${exported}.metadata`)), file.coreMetadata?.sha256);
    }
    const page = JSON.parse(
      await readFile(join(out, 'approved/simple/demo-app/index.json'), 'utf8'),
    );
    assert.deepEqual(
      page.files.map((f: { filename: string }) => f.filename),
      app.files.map((f) => f.filename),
    );
    assert.match(
      await readFile(join(out, 'approved/simple/index.html'), 'utf8'),
      /href="demo-lib\/"/,
    );
    assert.deepEqual(
      JSON.parse(await readFile(join(out, 'catalog.json'), 'utf8')).generation,
      catalog.generation,
    );
    await assert.rejects(stat(join(out, 'files', 'ee')));
    // The generation's own `files` link is not carried into the export as a link.
    assert.ok((await stat(join(out, 'files'))).isDirectory());
    assert.deepEqual((await readdir(out)).sort(), [
      'approved',
      'catalog.json',
      'files',
      'incoming',
    ]);
  });

  it('replaces an earlier export whole, and refuses a folder that is not one', async () => {
    const out = join(work, 'out-again');
    await exportStatic({ store, out });
    await writeFile(join(out, 'stale.txt'), 'from before');
    await exportStatic({ store, out });
    await assert.rejects(stat(join(out, 'stale.txt')));
    const other = join(work, 'not-an-export');
    await mkdir(other);
    await writeFile(join(other, 'keep.txt'), 'mine');
    await assert.rejects(exportStatic({ store, out: other }), { code: 'ERR_FERRY_DEST_EXISTS' });
    assert.equal(await readFile(join(other, 'keep.txt'), 'utf8'), 'mine');
  });
});

/** The nginx configuration from docs/index-server.md, for this root and port. */
async function documentedNginxConfig(root: string, port: number): Promise<string> {
  const doc = await readFile('docs/index-server.md', 'utf8');
  const block =
    /<!-- nginx-config-start -->\n```nginx\n([\s\S]*?)```\n<!-- nginx-config-end -->/.exec(
      doc,
    )?.[1];
  assert.ok(block !== undefined, 'docs/index-server.md has no nginx configuration block');
  assert.ok(block.includes('listen 8080;') && block.includes('root /srv/www/pypi;'));
  return block
    .replace('listen 8080;', `listen 127.0.0.1:${port};`)
    .replace('root /srv/www/pypi;', `root ${root};`);
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });

const nginxSkip = ensureDebianTool('nginx', 'nginx')
  ? false
  : 'nginx is not installed and apt-get install nginx failed';

describe('export-static served by nginx', { skip: nginxSkip }, () => {
  let nginx: ChildProcess | undefined;
  let base: string;
  let prefix: string;

  before(async () => {
    const out = join(work, 'www');
    await exportStatic({ store, out });
    prefix = join(work, 'nginx');
    await mkdir(join(prefix, 'tmp'), { recursive: true });
    const port = await freePort();
    const conf = `daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 64; }
http {
  log_format ferry '$request|$status|$sent_http_content_type|$http_accept';
  access_log ${prefix}/access.log ferry;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
${await documentedNginxConfig(out, port)}
}
`;
    await writeFile(join(prefix, 'nginx.conf'), conf);
    const check = spawnSync(
      'nginx',
      ['-t', '-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(check.status, 0, `nginx -t: ${check.stderr}`);
    nginx = spawn(
      'nginx',
      ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')],
      {
        stdio: 'ignore',
      },
    );
    base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`${base}/approved/simple/`).then(
          () => true,
          () => false,
        )
      )
        return;
      await sleep(100);
    }
    assert.fail(
      `nginx did not start: ${await readFile(join(prefix, 'error.log'), 'utf8').catch(() => '')}`,
    );
  });
  after(() => {
    nginx?.kill('SIGTERM');
  });

  it('negotiates PEP 691 JSON or PEP 503 HTML by Accept and ?format=, with Vary: Accept', async () => {
    const json = await fetch(`${base}/approved/simple/demo-app/`, {
      headers: {
        accept: 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.1',
      },
    });
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('content-type'), 'application/vnd.pypi.simple.v1+json');
    assert.equal(json.headers.get('vary'), 'Accept');
    const page = (await json.json()) as { name: string; versions: string[] };
    assert.equal(page.name, 'demo-app');
    assert.deepEqual(page.versions, ['1.0', '1.1']);
    const html = await fetch(`${base}/approved/simple/demo-app/`, {
      headers: { accept: 'text/html' },
    });
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await html.text(), /data-requires-python="&gt;=3.6"/);
    const forced = await fetch(
      `${base}/approved/simple/?format=application/vnd.pypi.simple.v1+json`,
      {
        headers: { accept: 'text/html' },
      },
    );
    assert.equal(forced.headers.get('content-type'), 'application/vnd.pypi.simple.v1+json');
    const plain = await fetch(`${base}/approved/simple/`);
    assert.match(plain.headers.get('content-type') ?? '', /^text\/html/);
    const redirect = await fetch(`${base}/approved/simple/demo-app`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.match(redirect.headers.get('location') ?? '', /\/approved\/simple\/demo-app\/$/);
    const file = (await (
      await fetch(`${base}/approved/simple/demo-lib/`, {
        headers: { accept: 'application/vnd.pypi.simple.v1+json' },
      })
    ).json()) as { files: { url: string; hashes: { sha256: string } }[] };
    const url = new URL(file.files[0]!.url, `${base}/approved/simple/demo-lib/`);
    const bytes = await fetch(url);
    assert.match(bytes.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(sha256(Buffer.from(await bytes.arrayBuffer())), file.files[0]!.hashes.sha256);
    assert.equal((await fetch(`${base}/catalog.json`)).status, 404);
    assert.equal((await fetch(`${base}/files/`)).status, 403);
  });

  it('the real pip finds, hash-checks and downloads the closure from it', async () => {
    const dest = join(work, 'pip-download');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PIP_CONFIG_FILE: '/dev/null',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
    };
    for (const key of Object.keys(env))
      if (
        key.startsWith('PIP_') &&
        key !== 'PIP_CONFIG_FILE' &&
        key !== 'PIP_DISABLE_PIP_VERSION_CHECK'
      )
        delete env[key];
    const run = spawnSync(
      'python3',
      [
        '-m',
        'pip',
        'download',
        '--isolated',
        '--no-cache-dir',
        '--index-url',
        `${base}/approved/simple/`,
        '-d',
        dest,
        'demo-app==1.1',
      ],
      { encoding: 'utf8', env },
    );
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const catalog = await checkConsistent(store);
    const got = (await readdir(dest)).sort();
    assert.deepEqual(got, ['demo_app-1.1-py3-none-any.whl', 'demo_lib-2.0-py3-none-any.whl']);
    for (const name of got) {
      const project = name.startsWith('demo_app') ? 'demo-app' : 'demo-lib';
      const listed = catalog.indexes.approved!.projects[project]!.files.find(
        (f) => f.filename === name,
      )!;
      assert.equal(sha256(await readFile(join(dest, name))), listed.sha256);
    }
    // pip asked for the JSON pages (PEP 691) and got them as such.
    const log = await readFile(join(prefix, 'access.log'), 'utf8');
    assert.match(
      log,
      /GET \/approved\/simple\/demo-app\/ HTTP\/1.1\|200\|application\/vnd\.pypi\.simple\.v1\+json\|/,
    );
  });

  it('uv installs from it', async (t) => {
    let venv: string;
    try {
      venv = await ensurePinnedVenv('bench-venv');
    } catch (error) {
      t.skip(`uv is not available: the bench venv cannot be made (${(error as Error).message})`);
      return;
    }
    const uv = join(venv, 'bin', 'uv');
    const target = join(work, 'uv-venv');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      UV_CACHE_DIR: join(work, 'uv-cache'),
      UV_NO_CONFIG: '1',
      UV_PYTHON_DOWNLOADS: 'never',
    };
    for (const key of Object.keys(env))
      if (key.startsWith('UV_INDEX') || key === 'UV_DEFAULT_INDEX' || key.startsWith('PIP_'))
        delete env[key];
    execFileSync(uv, ['venv', '--python', 'python3', target], { env, stdio: 'pipe' });
    const install = spawnSync(
      uv,
      [
        'pip',
        'install',
        '--python',
        join(target, 'bin', 'python'),
        '--index-url',
        `${base}/approved/simple/`,
        'demo-app==1.0',
      ],
      { encoding: 'utf8', env },
    );
    assert.equal(install.status, 0, install.stderr);
    const version = execFileSync(
      join(target, 'bin', 'python'),
      ['-c', 'import demo_app, demo_lib; print(demo_app.__version__, demo_lib.__version__)'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(version.trim(), '1.0 2.0');
  });
});

describe('export-static of an empty store', () => {
  it('writes the empty project lists', async () => {
    const empty = join(work, 'empty');
    await openIndexStore(empty, { create: true });
    const out = join(work, 'empty-out');
    const result = await exportStatic({ store: empty, out });
    assert.equal(result.files, 0);
    assert.deepEqual(
      JSON.parse(await readFile(join(out, 'approved/simple/index.json'), 'utf8')).projects,
      [],
    );
  });
});
