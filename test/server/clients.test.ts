// Real clients against a listening `ferry serve` (the CLI, as a child process) on 127.0.0.1:
// pip install of a signed bundle's closure into a venv, pip download, uv pip install, twine
// upload with a token and refused without one; then HTTPS with an openssl-made CA that pip
// trusts through --cert, and the pip.conf that `ferry client-config` prints. Clients get only
// --index-url (pip also --isolated and PIP_CONFIG_FILE=/dev/null, so this machine's pip
// configuration cannot help or interfere).
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openIndexStore } from '../../src/server/store/index.js';
import { buildWheel } from '../helpers/local-index.js';
import { ensurePinnedVenv, hostPython } from '../helpers/pinned-venv.js';
import { makeCertificates, opensslMissing } from '../net/servers.js';
import {
  type SignedStore,
  sha256,
  storeWithSignedBundle,
  type Work,
  workDir,
} from './serve-fixture.js';

const run = promisify(execFile);
const FERRY = join(process.cwd(), 'bin', 'ferry.js');

/** The environment for a client: no PIP_*, UV_* or proxy settings from this machine. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(PIP_|UV_|PYTHON|VIRTUAL_ENV|SSL_CERT|REQUESTS_CA|CURL_CA)|proxy$/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, PIP_CONFIG_FILE: '/dev/null', PIP_DISABLE_PIP_VERSION_CHECK: '1', ...extra };
}

interface Served {
  readonly base: string;
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[];
  stop(): Promise<{ code: number | null; events: Record<string, unknown>[] }>;
}

/** `ferry serve --json` as a child; resolves once it printed its serve-listening event. */
async function serve(args: readonly string[]): Promise<Served> {
  const child = spawn(
    process.execPath,
    [FERRY, 'serve', '--listen', '127.0.0.1:0', '--json', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const base = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      if (event.event === 'serve-listening') resolve(new URL((event.urls as string[])[0]!).origin);
    });
    void exited.then((code) => reject(new Error(`ferry serve exited (${code}): ${stderr}`)));
  });
  return {
    base,
    child,
    events,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      return { code, events };
    },
  };
}

async function makeVenv(path: string): Promise<string> {
  await run(hostPython, ['-m', 'venv', path], { env: cleanEnv() });
  return join(path, 'bin', 'python');
}

const pip = (python: string, args: readonly string[], env: Record<string, string> = {}) =>
  // --isolated drops PIP_DISABLE_PIP_VERSION_CHECK with the rest of the environment: the flag
  // keeps pip from asking the index for its own upgrade.
  run(python, ['-m', 'pip', '--disable-pip-version-check', ...args], {
    env: cleanEnv(env),
    maxBuffer: 16 << 20,
  });

const DISTS = [
  { name: 'demo-app', version: '1.0', requiresDist: ['dep-one>=1', 'dep-two'] },
  { name: 'dep-one', version: '1.2', requiresDist: ['dep-two>=0.5'] },
  { name: 'dep-two', version: '0.7' },
];

let work: Work;
let signed: SignedStore;
let served: Served;

before(async () => {
  work = await workDir('ferry-clients-');
  signed = await storeWithSignedBundle(work.dir, DISTS);
  served = await serve(['--store', signed.storeDir, '--access-log']);
});
after(async () => {
  if (served !== undefined && served.child.exitCode === null) await served.stop();
  await work?.cleanup();
});

describe('pip and uv against ferry serve', () => {
  it('pip install (index-url only) installs the bundle’s closure into a venv', async () => {
    const python = await makeVenv(join(work.dir, 'venv-pip'));
    await pip(python, [
      'install',
      '--isolated',
      '--no-cache-dir',
      '--index-url',
      `${served.base}/approved/simple/`,
      'demo-app',
    ]);
    const { stdout } = await run(python, [
      '-c',
      'import demo_app, dep_one, dep_two; print(demo_app.__version__, dep_one.__version__, dep_two.__version__)',
    ]);
    assert.equal(stdout.trim(), '1.0 1.2 0.7');
  });

  it('pip download fetches the same bytes the bundle carried', async () => {
    const dest = join(work.dir, 'downloaded');
    await pip(hostPython, [
      'download',
      '--isolated',
      '--no-cache-dir',
      '--index-url',
      `${served.base}/approved/simple/`,
      '-d',
      dest,
      'demo-app',
    ]);
    const files = (await readdir(dest)).sort();
    assert.deepEqual(files, [
      'demo_app-1.0-py3-none-any.whl',
      'dep_one-1.2-py3-none-any.whl',
      'dep_two-0.7-py3-none-any.whl',
    ]);
    for (const file of files) {
      const original = await readFile(join(signed.bundleDir, 'wheels', file));
      assert.equal(sha256(await readFile(join(dest, file))), sha256(original), file);
    }
  });

  it('uv pip install (index-url only) installs the closure', async () => {
    let uv: string;
    try {
      uv = join(await ensurePinnedVenv('bench-venv'), 'bin', 'uv');
    } catch (error) {
      assert.fail(
        `uv from test/oracles.txt (bench-venv) could not be installed: ${(error as Error).message}`,
      );
    }
    const venv = join(work.dir, 'venv-uv');
    const env = cleanEnv({ UV_NO_CONFIG: '1', UV_CACHE_DIR: join(work.dir, 'uv-cache') });
    await run(uv, ['venv', '--python', hostPython, venv], { env });
    await run(
      uv,
      [
        'pip',
        'install',
        '--python',
        join(venv, 'bin', 'python'),
        '--index-url',
        `${served.base}/approved/simple/`,
        'demo-app',
      ],
      { env },
    );
    const { stdout } = await run(join(venv, 'bin', 'python'), [
      '-c',
      'import demo_app, dep_two; print(demo_app.__version__)',
    ]);
    assert.equal(stdout.trim(), '1.0');
  });

  it('the access log saw the clients get pages and files, nothing refused or missing', () => {
    const requests = served.events.filter((e) => e.event === 'serve-request');
    assert.ok(requests.some((e) => e.path === '/approved/simple/demo-app/' && e.status === 200));
    assert.ok(requests.some((e) => String(e.path).startsWith('/files/') && e.status === 200));
    assert.deepEqual(
      requests.filter((e) => Number(e.status) >= 400),
      [],
    );
  });
});

describe('twine upload against ferry serve', () => {
  let twine: string | undefined;
  let skip: string | undefined;
  let token: string;
  let wheel: string;
  before(async () => {
    try {
      twine = join(await ensurePinnedVenv('twine-venv'), 'bin', 'twine');
    } catch (error) {
      skip = `twine from test/oracles.txt (twine-venv) could not be installed: ${(error as Error).message.split('\n')[0]}`;
    }
    const store = await openIndexStore(signed.storeDir);
    token = await store.tokens.create('twine-ci', 'upload');
    const dist = join(work.dir, 'dist');
    await mkdir(dist, { recursive: true });
    wheel = (await buildWheel({ name: 'twined', version: '2.0' }, dist)).path;
  });

  const twineUpload = (password: string) =>
    run(
      twine!,
      [
        'upload',
        '--non-interactive',
        '--disable-progress-bar',
        '--repository-url',
        `${served.base}/incoming/`,
        '-u',
        '__token__',
        '-p',
        password,
        wheel,
      ],
      // No keyring lookups on a test machine.
      { env: cleanEnv({ PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring' }) },
    );

  it('is refused with a wrong token (403) and publishes nothing', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const generation = (await (await openIndexStore(signed.storeDir)).current()).generation;
    await assert.rejects(
      twineUpload('ferry-wrong-token'),
      (error: { stdout: string; stderr: string }) => {
        assert.match(`${error.stdout}${error.stderr}`, /403/);
        return true;
      },
    );
    assert.equal((await (await openIndexStore(signed.storeDir)).current()).generation, generation);
  });

  it('uploads with a token; pip then installs the file from incoming', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    await twineUpload(token);
    const uploaded = served.events.find((e) => e.event === 'serve-upload');
    assert.equal(uploaded?.filename, 'twined-2.0-py3-none-any.whl');
    assert.equal(uploaded?.actor, 'twine-ci');
    const target = join(work.dir, 'twined-target');
    await pip(hostPython, [
      'install',
      '--isolated',
      '--no-cache-dir',
      '--no-deps',
      '--target',
      target,
      '--index-url',
      `${served.base}/incoming/simple/`,
      'twined',
    ]);
    assert.ok(existsSync(join(target, 'twined', '__init__.py')));
  });
});

describe('stopping', () => {
  it('SIGTERM stops ferry serve gracefully: exit 0 and a serve-stopped event', async () => {
    const { code, events } = await served.stop();
    assert.equal(code, 0);
    assert.ok(events.some((e) => e.event === 'serve-stopped' && e.reason === 'SIGTERM'));
  });
});

describe('HTTPS with an openssl-made CA', { skip: opensslMissing() }, () => {
  let tls: Served;
  let caFile: string;
  before(async () => {
    const certs = makeCertificates();
    caFile = certs.caFile;
    tls = await serve([
      '--store',
      signed.storeDir,
      '--tls-cert',
      certs.serverCert,
      '--tls-key',
      certs.serverKey,
    ]);
  });
  after(async () => {
    await tls?.stop();
  });

  it('serves https:// and prints the https URLs', () => {
    assert.match(tls.base, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('pip trusts it with --cert CA and refuses it without', async () => {
    const dest = join(work.dir, 'tls-download');
    const args = [
      'download',
      '--isolated',
      '--no-cache-dir',
      '--no-deps',
      '--index-url',
      `${tls.base}/approved/simple/`,
      '-d',
      dest,
      'dep-two',
    ];
    // pip says why only at -vv ("Could not fetch URL …: certificate verify failed").
    await assert.rejects(
      pip(hostPython, [...args, '--retries', '0', '-vv']),
      (error: { stdout: string; stderr: string }) => {
        assert.match(
          `${error.stdout}${error.stderr}`,
          /CERTIFICATE_VERIFY_FAILED|certificate verify failed/,
        );
        return true;
      },
    );
    assert.deepEqual(existsSync(dest) ? await readdir(dest) : [], [], 'nothing downloaded');
    await pip(hostPython, [...args, '--cert', caFile]);
    assert.deepEqual(await readdir(dest), ['dep_two-0.7-py3-none-any.whl']);
  });

  it('the pip.conf from ferry client-config --ca is all pip needs', async () => {
    const { stdout } = await run(process.execPath, [
      FERRY,
      'client-config',
      '--server',
      tls.base,
      '--ca',
      caFile,
      '--only',
      'pip',
    ]);
    assert.match(
      stdout,
      new RegExp(`^\\[global\\]\\nindex-url = ${tls.base}/approved/simple/\\ncert = ${caFile}\\n$`),
    );
    const conf = join(work.dir, 'node-pip.conf');
    await writeFile(conf, stdout);
    const dest = join(work.dir, 'conf-download');
    // Not --isolated: the point is that pip reads this file. The machine's own settings are
    // kept out by the clean environment; PIP_CONFIG_FILE is read last, over /etc/pip.conf.
    await run(
      hostPython,
      ['-m', 'pip', 'download', '--no-cache-dir', '--no-deps', '-d', dest, 'dep-one'],
      {
        env: { ...cleanEnv(), PIP_CONFIG_FILE: conf },
      },
    );
    assert.deepEqual(await readdir(dest), ['dep_one-1.2-py3-none-any.whl']);
  });
});
