/**
 * Benchmark of `ferry serve` against the servers a site would otherwise run: pypiserver and
 * devpi-server (pinned in test/oracles.txt, installed with ensurePinnedVenv) serving the same
 * files, and nginx serving `ferry export-static`'s tree with the configuration of
 * docs/index-server.md. wrk (2 threads, 16 connections, 5 s each) asks each for a project page
 * (PEP 503 HTML and PEP 691 JSON by Accept) and for a file; requests/s are printed side by
 * side with the ratios the goals name (ferry ≥ 100× pypiserver, ≥ 0.3× nginx).
 *
 * Then a store of 100,000 synthetic wheels (2,000 projects × 50 versions, published in batches
 * through the store API, timed): p99 latency of project pages picked at random (wrk --latency
 * with a Lua script) and `ferry serve`'s peak resident memory (VmHWM) — goals p99 < 10 ms,
 * < 300 MB; and the cost of `ferry import` of a signed bundle against `sha256sum` of its files.
 *
 *   npm run bench:server                 # or: npm run bench -- --server-only
 *   npm run bench:server -- --quick      # 2 s runs, a 10,000-file store, a smaller bundle
 *   npm run bench:server -- --only servers   # one part: servers, big or import
 *
 * Every server runs as one process on 127.0.0.1 (nginx with one worker), so the figures
 * compare servers, not core counts. Results also go to .ferry-work/bench-server/results.json.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportStatic } from '../src/ops/export-static.js';
import { openIndexStore, type PublishFile } from '../src/server/store/index.js';
import { generateKeyPair, parseSecretKey } from '../src/trust/keys.js';
import { ensureDebianTool } from '../test/helpers/ensure-tool.js';
import {
  buildWheel,
  type FakeDist,
  wheelBytes,
  wheelFilename,
} from '../test/helpers/local-index.js';
import { ensurePinnedVenv, venvPython } from '../test/helpers/pinned-venv.js';
import { writeBundle } from '../test/onhost/fake-bundle.js';

const quick = process.argv.includes('--quick');
/** `--only servers|big|import`: one part alone (as many --only as wanted). */
const only = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--only' ? [a] : []));
const runs = (part: string) => only.length === 0 || only.includes(part);
const SECONDS = quick ? 2 : 5;
const BIG_PROJECTS = quick ? 200 : 2_000;
const BIG_VERSIONS = 50;
const BIG_BATCH = 10_000;
const WORK = resolve('.ferry-work/bench-server');
const FERRY = resolve('bin/ferry.js');
const PROJECT = 'bench-pkg';
const ACCEPT = { html: 'text/html', json: 'application/vnd.pypi.simple.v1+json' } as const;

type Endpoint = 'html' | 'json' | 'file';
interface Target {
  readonly name: string;
  readonly page: string;
  readonly file: string;
  readonly child?: ChildProcess;
}
interface WrkResult {
  readonly rps: number;
  readonly p99ms: number;
  readonly errors: number;
}

const log = (message: string) => process.stderr.write(`${message}\n`);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function get(
  url: string,
  accept?: string,
): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolveGet) => {
    const req = http.get(url, { headers: accept === undefined ? {} : { accept } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolveGet({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          type: String(res.headers['content-type'] ?? ''),
        }),
      );
    });
    req.on('error', () => resolveGet({ status: 0, body: '', type: '' }));
  });
}

async function waitFor(url: string, child: ChildProcess | undefined, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child !== undefined && child.exitCode !== null)
      throw new Error(`${what} exited with ${child.exitCode}`);
    const { status } = await get(url);
    if (status > 0 && status < 500) return;
    await sleep(100);
  }
  throw new Error(`${what} did not answer at ${url}`);
}

/** `1.23ms`, `450.00us`, `1.02s` → milliseconds. */
function parseDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (m === null) return Number.NaN;
  const value = Number(m[1]);
  return m[2] === 'us'
    ? value / 1000
    : m[2] === 'ms'
      ? value
      : m[2] === 's'
        ? value * 1000
        : value * 60_000;
}

function wrk(url: string, accept?: string, script?: string, seconds = SECONDS): WrkResult {
  const args = ['-t2', '-c16', `-d${seconds}s`, '--latency'];
  if (accept !== undefined) args.push('-H', `Accept: ${accept}`);
  if (script !== undefined) args.push('-s', script);
  const out = spawnSync('wrk', [...args, url], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`wrk ${url}: ${out.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)?.[1] ?? Number.NaN);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out.stdout)?.[1];
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out.stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    out.stdout,
  );
  const errors =
    non2xx + (socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0));
  return { rps, p99ms: p99 === undefined ? Number.NaN : parseDuration(p99), errors };
}

const vmHwmMb = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
};

const children: ChildProcess[] = [];
function start(command: string, args: string[], options: { cwd?: string } = {}): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore', ...options });
  children.push(child);
  return child;
}
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** The dataset: 40 small wheels of one project, and one of ~100 KiB that the file runs ask for. */
function dists(): FakeDist[] {
  const out: FakeDist[] = [];
  for (let i = 0; i < 40; i++)
    out.push({ name: PROJECT, version: `1.${i}`, requiresDist: ['dep-one>=1'] });
  out.push({ name: PROJECT, version: '2.0', padding: 100 * 1024 });
  return out;
}

async function ferryStore(
  dir: string,
  files: readonly { path: string; filename: string; data: Buffer }[],
): Promise<string> {
  const store = await openIndexStore(dir, { create: true, actor: 'bench' });
  const time = new Date().toISOString();
  await store.publish(
    'approved',
    files.map((f) => ({
      path: f.path,
      filename: f.filename,
      sha256: sha256(f.data),
      size: f.data.length,
      uploadTime: time,
    })),
    { kind: 'upload', signers: [], actor: 'bench', time },
  );
  return dir;
}

async function startFerry(store: string): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const child = start(process.execPath, [
    FERRY,
    'serve',
    '--store',
    store,
    '--listen',
    `127.0.0.1:${port}`,
  ]);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/approved/simple/`, child, 'ferry serve');
  return { base, child };
}

async function startPypiserver(packages: string, file: string): Promise<Target> {
  const venv = await ensurePinnedVenv('pypiserver-venv');
  const port = await freePort();
  // No authentication (-a . -P .): what a read-only intranet mirror runs.
  const child = start(venvPython(venv), [
    '-m',
    'pypiserver',
    'run',
    '-i',
    '127.0.0.1',
    '-p',
    `${port}`,
    '-a',
    '.',
    '-P',
    '.',
    packages,
  ]);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/simple/`, child, 'pypiserver');
  return {
    name: 'pypiserver',
    page: `${base}/simple/${PROJECT}/`,
    file: `${base}/packages/${file}`,
    child,
  };
}

/** devpi-server with a user and a stage index, the files uploaded as twine sends them. */
async function startDevpi(
  dir: string,
  files: readonly { filename: string; data: Buffer; version: string }[],
  file: string,
): Promise<Target> {
  const venv = await ensurePinnedVenv('devpi-venv');
  const bin = (name: string) => join(venv, 'bin', name);
  const serverDir = join(dir, 'devpi');
  execFileSync(
    bin('devpi-init'),
    ['--serverdir', serverDir, '--root-passwd', 'rootpw', '--no-root-pypi'],
    {
      stdio: 'ignore',
    },
  );
  const port = await freePort();
  const child = start(bin('devpi-server'), [
    '--serverdir',
    serverDir,
    '--host',
    '127.0.0.1',
    '--port',
    `${port}`,
  ]);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/+api`, child, 'devpi-server');
  const api = (method: string, path: string, body: unknown, auth?: string) =>
    request(method, `${base}${path}`, Buffer.from(JSON.stringify(body)), {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(auth === undefined ? {} : { 'x-devpi-auth': auth }),
    });
  await api('PUT', '/bench', { password: 'benchpw' });
  const login = JSON.parse(
    (await api('POST', '/+login', { user: 'bench', password: 'benchpw' })).body,
  );
  const auth = Buffer.from(`bench:${login.result.password}`).toString('base64');
  await api('PUT', '/bench/dev', { bases: [], type: 'stage' }, auth);
  for (const f of files) {
    const boundary = `----ferrybench${Math.random().toString(16).slice(2)}`;
    const fields: Record<string, string> = {
      ':action': 'file_upload',
      protocol_version: '1',
      name: PROJECT,
      version: f.version,
      filetype: 'bdist_wheel',
      pyversion: 'py3',
      metadata_version: '2.1',
      sha256_digest: sha256(f.data),
    };
    const parts: Buffer[] = Object.entries(fields).map(([k, v]) =>
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
    );
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="${f.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      f.data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    );
    const res = await request('POST', `${base}/bench/dev/`, Buffer.concat(parts), {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      authorization: `Basic ${Buffer.from('bench:benchpw').toString('base64')}`,
    });
    if (res.status >= 300)
      throw new Error(`devpi upload of ${f.filename}: ${res.status} ${res.body}`);
  }
  const page = `${base}/bench/dev/+simple/${PROJECT}/`;
  const html = (await get(page, ACCEPT.html)).body;
  const href = new RegExp(`href="([^"#]*${file.replace(/[.+]/g, '\\$&')})`).exec(html)?.[1];
  if (href === undefined) throw new Error(`devpi's page does not link ${file}`);
  return { name: 'devpi-server', page, file: new URL(href, page).toString(), child };
}

function request(
  method: string,
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolveRequest, reject) => {
    const req = http.request(
      url,
      { method, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolveRequest({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** nginx (one worker) with docs/index-server.md's configuration over an export-static tree. */
async function startNginx(dir: string, root: string, fileUrl: string): Promise<Target> {
  const doc = await readFile('docs/index-server.md', 'utf8');
  const block =
    /<!-- nginx-config-start -->\n```nginx\n([\s\S]*?)```\n<!-- nginx-config-end -->/.exec(
      doc,
    )?.[1];
  if (block === undefined) throw new Error('docs/index-server.md has no nginx configuration');
  const port = await freePort();
  const prefix = join(dir, 'nginx');
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
${block.replace('listen 8080;', `listen 127.0.0.1:${port};`).replace('root /srv/www/pypi;', `root ${root};`)}
}
`,
  );
  const child = start('nginx', [
    '-p',
    prefix,
    '-e',
    join(prefix, 'error.log'),
    '-c',
    join(prefix, 'nginx.conf'),
  ]);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/approved/simple/`, child, 'nginx');
  return {
    name: 'nginx (export-static)',
    page: `${base}/approved/simple/${PROJECT}/`,
    file: `${base}/${fileUrl}`,
    child,
  };
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '—';

async function compareServers(results: Record<string, unknown>): Promise<void> {
  const dir = join(WORK, 'servers');
  mkdirSync(dir, { recursive: true });
  const packages = join(dir, 'packages');
  const built = [];
  for (const dist of dists()) {
    const b = await buildWheel(dist, packages);
    built.push({ ...b, data: await readFile(b.path), version: dist.version });
  }
  const big = built.at(-1)!;
  const storeDir = await ferryStore(join(dir, 'store'), built);
  const store = await openIndexStore(storeDir);
  const gen = await store.current();
  const fileUrl = gen.catalog.indexes.approved!.projects[PROJECT]!.files.find(
    (f) => f.filename === big.filename,
  )!.url;

  const targets: Target[] = [];
  const skipped: string[] = [];
  const ferry = await startFerry(storeDir);
  targets.push({
    name: 'ferry serve',
    page: `${ferry.base}/approved/simple/${PROJECT}/`,
    file: `${ferry.base}/${fileUrl}`,
    child: ferry.child,
  });
  for (const [name, make] of [
    ['pypiserver', () => startPypiserver(packages, big.filename)],
    ['devpi-server', () => startDevpi(dir, built, big.filename)],
    [
      'nginx',
      async () => {
        if (!ensureDebianTool('nginx', 'nginx')) throw new Error('nginx is not installed');
        const out = join(dir, 'www');
        await exportStatic({ store: storeDir, out });
        // nginx's worker runs as an unprivileged user: it must be able to enter the folders.
        for (const p of [WORK, dir, out]) chmodSync(p, 0o755);
        return startNginx(dir, out, fileUrl);
      },
    ],
  ] as const) {
    try {
      targets.push(await make());
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  const rows: Record<string, Record<Endpoint, WrkResult>> = {};
  for (const t of targets) {
    // Each server answers each URL once first (its caches warm, its answer checked).
    for (const [accept, url] of [
      [ACCEPT.html, t.page],
      [ACCEPT.json, t.page],
      [undefined, t.file],
    ] as const) {
      const res = await get(url, accept);
      if (res.status !== 200) throw new Error(`${t.name}: ${url} answered ${res.status}`);
    }
    log(`wrk: ${t.name}`);
    rows[t.name] = {
      html: wrk(t.page, ACCEPT.html),
      json: wrk(t.page, ACCEPT.json),
      file: wrk(t.file),
    };
    if (t.name === 'ferry serve') results.ferryServeVmHwmMb = vmHwmMb(t.child!.pid!);
    if (t.name !== 'ferry serve') await stop(t.child);
  }
  await stop(ferry.child);
  results.servers = rows;
  results.skipped = skipped;

  const ferryRow = rows['ferry serve']!;
  const lines = [
    '',
    `Requests/s (wrk -t2 -c16 -d${SECONDS}s; one process each; page: ${PROJECT}, 41 files; file: ${fmt(big.data.length / 1024)} KiB)`,
    `${'server'.padEnd(24)}${'HTML page'.padStart(12)}${'JSON page'.padStart(12)}${'file'.padStart(12)}`,
  ];
  for (const [name, row] of Object.entries(rows)) {
    const errors = row.html.errors + row.json.errors + row.file.errors;
    lines.push(
      `${name.padEnd(24)}${fmt(row.html.rps).padStart(12)}${fmt(row.json.rps).padStart(12)}${fmt(row.file.rps).padStart(12)}${errors > 0 ? `   (${errors} errors)` : ''}`,
    );
  }
  for (const [peer, goal] of [
    ['pypiserver', 100],
    ['devpi-server', undefined],
    ['nginx (export-static)', 0.3],
  ] as const) {
    const row = rows[peer];
    if (row === undefined) continue;
    const ratio = (e: Endpoint) => ferryRow[e].rps / row[e].rps;
    const verdict =
      goal === undefined
        ? ''
        : (['html', 'json', 'file'] as const).every((e) => ratio(e) >= goal)
          ? `   goal ≥ ${goal}×: met`
          : `   goal ≥ ${goal}×: MISSED`;
    lines.push(
      `${`ferry ÷ ${peer}`.padEnd(24)}${`${fmt(ratio('html'), 2)}×`.padStart(12)}${`${fmt(ratio('json'), 2)}×`.padStart(12)}${`${fmt(ratio('file'), 2)}×`.padStart(12)}${verdict}`,
    );
  }
  for (const s of skipped) lines.push(`skipped ${s}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function bigStore(results: Record<string, unknown>): Promise<void> {
  const dir = join(WORK, 'big');
  mkdirSync(dir, { recursive: true });
  const storeDir = join(dir, 'store');
  const store = await openIndexStore(storeDir, { create: true, actor: 'bench' });
  const total = BIG_PROJECTS * BIG_VERSIONS;
  const perBatch = Math.min(BIG_BATCH, total);
  const started = performance.now();
  let publishMs = 0;
  for (let first = 0; first < total; first += perBatch) {
    const batchDir = join(dir, `batch-${first}`);
    mkdirSync(batchDir, { recursive: true });
    const files: PublishFile[] = [];
    const time = new Date().toISOString();
    // Project-major order: a batch holds whole projects (as a bundle would).
    for (let i = first; i < Math.min(first + perBatch, total); i++) {
      const dist: FakeDist = {
        name: `synthetic-${String(Math.floor(i / BIG_VERSIONS)).padStart(5, '0')}`,
        version: `1.${i % BIG_VERSIONS}`,
      };
      const data = wheelBytes(dist);
      const filename = wheelFilename(dist);
      const path = join(batchDir, filename);
      await writeFile(path, data);
      files.push({ path, filename, sha256: sha256(data), size: data.length, uploadTime: time });
    }
    const t0 = performance.now();
    await store.publish('approved', files, { kind: 'upload', signers: [], actor: 'bench', time });
    const ms = performance.now() - t0;
    publishMs += ms;
    log(
      `big store: ${first + files.length} files (this batch published in ${fmt(ms / 1000, 1)} s)`,
    );
    await rm(batchDir, { recursive: true, force: true });
  }
  const wallS = (performance.now() - started) / 1000;
  const ferry = await startFerry(storeDir);
  // Random project pages: a page cache that holds only a few pages would show here.
  const script = join(dir, 'random-page.lua');
  writeFileSync(
    script,
    `math.randomseed(42)
request = function()
  local n = math.random(0, ${BIG_PROJECTS - 1})
  return wrk.format("GET", string.format("/approved/simple/synthetic-%05d/", n))
end
`,
  );
  const cold = wrk(`${ferry.base}/`, ACCEPT.json, script);
  const warm = wrk(`${ferry.base}/`, ACCEPT.json, script);
  const vmHwm = vmHwmMb(ferry.child.pid!);
  await stop(ferry.child);
  results.bigStore = {
    files: total,
    projects: BIG_PROJECTS,
    batches: Math.ceil(total / perBatch),
    publishSeconds: publishMs / 1000,
    wallSeconds: wallS,
    firstPass: cold,
    secondPass: warm,
    vmHwmMb: vmHwm,
  };
  process.stdout.write(
    [
      '',
      `A store of ${fmt(total)} files (${fmt(BIG_PROJECTS)} projects × ${BIG_VERSIONS}), published in ${Math.ceil(total / perBatch)} batches of ${fmt(perBatch)}: ${fmt(publishMs / 1000, 1)} s in store.publish (${fmt(wallS, 1)} s with making the wheels)`,
      `random project pages (JSON), first pass: ${fmt(cold.rps)} req/s, p99 ${fmt(cold.p99ms, 2)} ms; second pass: ${fmt(warm.rps)} req/s, p99 ${fmt(warm.p99ms, 2)} ms   goal p99 < 10 ms: ${warm.p99ms < 10 && cold.p99ms < 10 ? 'met' : 'MISSED'}`,
      `ferry serve peak resident memory (VmHWM): ${fmt(vmHwm)} MB   goal < 300 MB: ${vmHwm < 300 ? 'met' : 'MISSED'}`,
      '',
    ].join('\n'),
  );
}

async function importCost(results: Record<string, unknown>): Promise<void> {
  const dir = join(WORK, 'import');
  mkdirSync(dir, { recursive: true });
  const pair = generateKeyPair('ed25519');
  const keyFile = join(dir, 'builder.pub');
  writeFileSync(keyFile, pair.publicKeyText);
  const count = quick ? 10 : 40;
  const padding = (quick ? 1 : 5) * 1024 * 1024;
  const bundle = await writeBundle(
    join(dir, 'bundle'),
    Array.from({ length: count }, (_, i) => ({ name: `bundled-${i}`, version: '1.0', padding })),
    [],
    parseSecretKey(pair.secretKeyText),
  );
  const names = readFileSync(join(bundle, 'SHA256SUMS'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('wheels/'))
    .map((l) => join(bundle, l.split(/\s+\*?/)[1]!));
  const timeIt = (command: string, args: string[]): number => {
    const t0 = performance.now();
    const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
    return (performance.now() - t0) / 1000;
  };
  timeIt('cat', names); // both read from the page cache
  const hashS = timeIt('sha256sum', names);
  const importS = timeIt(process.execPath, [
    FERRY,
    'import',
    bundle,
    '--store',
    join(dir, 'store'),
    '--trusted-key',
    keyFile,
  ]);
  const againS = timeIt(process.execPath, [
    FERRY,
    'import',
    bundle,
    '--store',
    join(dir, 'store'),
    '--trusted-key',
    keyFile,
  ]);
  const startS = timeIt(process.execPath, [FERRY, '--version']);
  const mb = (count * padding) / 1024 / 1024;
  results.importCost = {
    files: count,
    megabytes: mb,
    sha256sumSeconds: hashS,
    importSeconds: importS,
    importAgainSeconds: againS,
    ferryStartSeconds: startS,
  };
  process.stdout.write(
    `ferry import of a signed ${count}-wheel bundle (${fmt(mb)} MiB): ${fmt(importS, 2)} s (again, nothing new: ${fmt(againS, 2)} s; start-up ${fmt(startS, 2)} s); sha256sum of its files: ${fmt(hashS, 2)} s; import ÷ hashing ${fmt(importS / hashS, 1)}×\n`,
  );
}

async function main(): Promise<void> {
  if (!ensureDebianTool('wrk', 'wrk')) {
    log('wrk is not installed and apt-get install wrk failed: the server benchmark needs it.');
    process.exitCode = 1;
    return;
  }
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const results: Record<string, unknown> = {
    quick,
    seconds: SECONDS,
    cpus: (await import('node:os')).cpus().length,
  };
  try {
    if (runs('servers')) await compareServers(results);
    if (runs('big')) await bigStore(results);
    if (runs('import')) await importCost(results);
  } finally {
    for (const child of children) await stop(child);
    writeFileSync(join(WORK, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  }
}

await main();
