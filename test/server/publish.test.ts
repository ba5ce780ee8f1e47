/**
 * `ferry publish` against real index servers on 127.0.0.1, installed from test/oracles.txt:
 * pypiserver with an htpasswd file, and devpi-server as a primary with a replica. The signed
 * fixture bundle is published, published again (nothing new: twine's --skip-existing), and the
 * real pip installs it from pypiserver and from the devpi replica with no other index.
 * Refusals come first: nothing reaches an index from an unverified bundle.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signBundle } from '../../src/bundle/sign.js';
import type { FerryEvent } from '../../src/core/events.js';
import { alreadyExists, publish, uploadFields } from '../../src/ops/publish.js';
import { generateKeyPair, parseSecretKey } from '../../src/trust/keys.js';
import { writeFixtureBundle } from '../bundle/fixture.js';
import { ensurePinnedVenv, hostPython, venvPython } from '../helpers/pinned-venv.js';

const work = mkdtempSync(join(tmpdir(), 'ferry-publish-'));
const bundle = join(work, 'bundle');
const keyFile = join(work, 'builder.pub');
const otherKeyFile = join(work, 'other.pub');

async function makeBundle(): Promise<void> {
  await writeFixtureBundle(bundle, join(work, 'cache'));
  const pair = generateKeyPair('ed25519');
  await signBundle(bundle, parseSecretKey(pair.secretKeyText));
  writeFileSync(keyFile, pair.publicKeyText);
  writeFileSync(otherKeyFile, generateKeyPair('ed25519').publicKeyText);
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(url, (res) => {
        res.resume();
        resolve((res.statusCode ?? 500) < 500);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not answer at ${url}`);
}

/** pip install into a fresh venv from `indexUrl` alone, with no configuration of the host. */
function pipInstall(indexUrl: string): { status: number | null; output: string; freeze: string } {
  const venv = mkdtempSync(join(work, 'venv-'));
  execFileSync(hostPython, ['-m', 'venv', venv]);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_')) env[k] = v;
  env.PIP_CONFIG_FILE = '/dev/null';
  const r = spawnSync(
    venvPython(venv),
    [
      '-m',
      'pip',
      'install',
      '--isolated',
      '--disable-pip-version-check',
      '--no-cache-dir',
      '--index-url',
      indexUrl,
      'demo-app==1.0',
    ],
    { encoding: 'utf8', env },
  );
  const freeze = spawnSync(venvPython(venv), ['-m', 'pip', 'freeze', '--isolated'], {
    encoding: 'utf8',
    env,
  }).stdout;
  return { status: r.status, output: `${r.stdout}\n${r.stderr}`, freeze };
}

describe('publish: the upload form', () => {
  it('sends the metadata fields twine sends, repeated fields once per value', () => {
    const fields = uploadFields(
      'Metadata-Version: 2.1\nName: demo_app\nVersion: 1.0\nSummary: a demo\nClassifier: A\nClassifier: B\nRequires-Dist: demo-lib>=2\nLicense-File: LICENSE\n\nThe description.\n',
      { filename: 'demo_app-1.0-py2.py3-none-any.whl', sha256: 'ab'.repeat(32) },
    );
    const get = (name: string): string[] => fields.filter(([k]) => k === name).map(([, v]) => v);
    assert.deepEqual(fields[0], [':action', 'file_upload']);
    assert.deepEqual(get('protocol_version'), ['1']);
    assert.deepEqual(get('name'), ['demo_app']);
    assert.deepEqual(get('classifiers'), ['A', 'B']);
    assert.deepEqual(get('requires_dist'), ['demo-lib>=2']);
    assert.deepEqual(get('filetype'), ['bdist_wheel']);
    assert.deepEqual(get('pyversion'), ['py2.py3']);
    assert.deepEqual(get('sha256_digest'), ['ab'.repeat(32)]);
    assert.deepEqual(get('description'), ['The description.\n']);
    // License-File is not a field before metadata 2.4 (twine drops it).
    assert.deepEqual(get('license_file'), []);
    const sdist = uploadFields('Metadata-Version: 2.4\nName: x\nVersion: 1\nLicense-File: L\n', {
      filename: 'x-1.tar.gz',
      sha256: 'cd'.repeat(32),
    });
    assert.deepEqual(
      sdist.filter(([k]) => k === 'filetype' || k === 'pyversion' || k === 'license_file'),
      [
        ['license_file', 'L'],
        ['filetype', 'sdist'],
        ['pyversion', 'source'],
      ],
    );
  });

  it('reads "already there" as twine --skip-existing does', () => {
    assert.equal(alreadyExists(409, '', ''), true);
    assert.equal(alreadyExists(400, '', 'File already exists.'), true);
    assert.equal(alreadyExists(403, '', 'Cannot overwrite artifact'), true);
    assert.equal(alreadyExists(400, '', 'invalid metadata'), false);
    assert.equal(alreadyExists(403, '', 'forbidden'), false);
  });
});

describe('publish: verification comes first', () => {
  before(makeBundle);

  it('refuses without a trusted key, and sends nothing', async () => {
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      req.resume();
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      await assert.rejects(
        publish({
          bundle,
          repository: url,
          keyFiles: [],
          requireSigners: 1,
          allowUnsigned: false,
        }),
        { code: 'ERR_FERRY_UNTRUSTED' },
      );
      await assert.rejects(
        publish({
          bundle,
          repository: url,
          keyFiles: [otherKeyFile],
          requireSigners: 1,
          allowUnsigned: false,
        }),
        { code: 'ERR_FERRY_UNTRUSTED' },
      );
      assert.equal(requests, 0);
    } finally {
      server.close();
    }
  });
});

let pypiserverVenv: string | undefined;
let devpiVenv: string | undefined;
const skipReasons: Record<string, string | false> = { pypiserver: false, devpi: false };
try {
  pypiserverVenv = await ensurePinnedVenv('pypiserver-venv');
} catch (error) {
  skipReasons.pypiserver = `pypiserver from test/oracles.txt could not be installed: ${(error as Error).message.split('\n')[0]}`;
}
try {
  devpiVenv = await ensurePinnedVenv('devpi-venv');
} catch (error) {
  skipReasons.devpi = `devpi-server from test/oracles.txt could not be installed: ${(error as Error).message.split('\n')[0]}`;
}

describe('publish to pypiserver (htpasswd)', { skip: skipReasons.pypiserver }, () => {
  let server: ChildProcess;
  let url: string;

  before(async () => {
    await makeBundle();
    const packages = join(work, 'pypiserver-packages');
    mkdirSync(packages);
    const htpasswd = join(work, 'htpasswd');
    execFileSync(venvPython(pypiserverVenv!), [
      '-c',
      'import sys; from passlib.apache import HtpasswdFile as H; h = H(sys.argv[1], new=True); h.set_password("uploader", "s3cret"); h.save()',
      htpasswd,
    ]);
    const port = await freePort();
    server = spawn(
      venvPython(pypiserverVenv!),
      [
        '-m',
        'pypiserver',
        'run',
        '-i',
        '127.0.0.1',
        '-p',
        `${port}`,
        '-P',
        htpasswd,
        '-a',
        'update',
        packages,
      ],
      { stdio: 'ignore' },
    );
    url = `http://127.0.0.1:${port}/`;
    await waitFor(`${url}simple/`, server, 'pypiserver');
  });

  after(() => server?.kill());

  it('refuses wrong credentials with exit status "network" and a hint', async () => {
    await assert.rejects(
      publish({
        bundle,
        repository: url,
        username: 'uploader',
        password: 'wrong',
        keyFiles: [keyFile],
        requireSigners: 1,
        allowUnsigned: false,
      }),
      (error: Error & { code?: string; hint?: string }) =>
        error.code === 'ERR_FERRY_HTTP_STATUS' && /credentials/.test(error.hint ?? ''),
    );
  });

  it('uploads every wheel, then finds them all there; pip installs from it', async () => {
    const events: FerryEvent[] = [];
    const first = await publish({
      bundle,
      repository: url,
      username: 'uploader',
      password: 's3cret',
      keyFiles: [keyFile],
      requireSigners: 1,
      allowUnsigned: false,
      events: (e) => events.push(e),
    });
    assert.equal(first.uploaded, 3);
    assert.equal(first.signaturesChecked, true);
    // Credentials are never shown, not even masked.
    assert.equal(first.repository, url);
    assert.ok(events.every((e) => !JSON.stringify(e).includes('uploader')));
    assert.equal(events.filter((e) => e.type === 'upload-start').length, 3);
    const again = await publish({
      bundle,
      repository: url,
      username: 'uploader',
      password: 's3cret',
      keyFiles: [keyFile],
      requireSigners: 1,
      allowUnsigned: false,
    });
    assert.deepEqual([again.uploaded, again.existing], [0, 3]);
    const pip = pipInstall(`${url}simple/`);
    assert.equal(pip.status, 0, pip.output);
    assert.match(pip.freeze, /demo-app==1\.0/i);
    assert.match(pip.freeze, /demo-util==0\.3/i);
  });
});

describe('publish to devpi-server, installed from its replica', { skip: skipReasons.devpi }, () => {
  const children: ChildProcess[] = [];
  let primary: string;
  let replica: string;
  const devpi = (bin: string): string => join(devpiVenv!, 'bin', bin);

  /** A JSON request to devpi's HTTP API (user and index creation need no devpi client). */
  async function api(
    method: string,
    url: string,
    body: unknown,
    auth?: string,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const data = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'content-length': String(data.length),
            ...(auth === undefined ? {} : { 'x-devpi-auth': auth }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, json: text === '' ? {} : JSON.parse(text) });
          });
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  before(async () => {
    await makeBundle();
    const primaryDir = join(work, 'devpi-primary');
    const replicaDir = join(work, 'devpi-replica');
    // The replica proves itself to the primary with a secret both share (devpi >= 6).
    const secret = join(work, 'devpi-secret');
    execFileSync(devpi('devpi-gen-secret'), ['--secretfile', secret], { stdio: 'ignore' });
    execFileSync(
      devpi('devpi-init'),
      ['--serverdir', primaryDir, '--root-passwd', 'rootpw', '--no-root-pypi'],
      {
        stdio: 'ignore',
      },
    );
    const primaryPort = await freePort();
    primary = `http://127.0.0.1:${primaryPort}`;
    children.push(
      spawn(
        devpi('devpi-server'),
        [
          '--serverdir',
          primaryDir,
          '--host',
          '127.0.0.1',
          '--port',
          `${primaryPort}`,
          '--role',
          'primary',
          '--secretfile',
          secret,
        ],
        { stdio: 'ignore' },
      ),
    );
    await waitFor(`${primary}/+api`, children[0]!, 'devpi-server (primary)');
    // A replica's folder is initialised from its primary (devpi-init --primary-url).
    execFileSync(devpi('devpi-init'), ['--serverdir', replicaDir, '--primary-url', primary], {
      stdio: 'ignore',
    });
    const replicaPort = await freePort();
    replica = `http://127.0.0.1:${replicaPort}`;
    children.push(
      spawn(
        devpi('devpi-server'),
        [
          '--serverdir',
          replicaDir,
          '--host',
          '127.0.0.1',
          '--port',
          `${replicaPort}`,
          '--primary-url',
          primary,
          '--secretfile',
          secret,
        ],
        { stdio: 'ignore' },
      ),
    );
    await waitFor(`${replica}/+api`, children[1]!, 'devpi-server (replica)');
    const created = await api('PUT', `${primary}/uploader`, { password: 's3cret' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const login = await api('POST', `${primary}/+login`, { user: 'uploader', password: 's3cret' });
    const token = (login.json.result as { password: string }).password;
    const auth = Buffer.from(`uploader:${token}`).toString('base64');
    const index = await api('PUT', `${primary}/uploader/dev`, { bases: [], type: 'stage' }, auth);
    assert.equal(index.status, 200, JSON.stringify(index.json));
  });

  after(() => {
    for (const child of children) child.kill();
  });

  it('uploads to the primary; pip installs the closure from the replica', async () => {
    const first = await publish({
      bundle,
      repository: `${primary}/uploader/dev/`,
      username: 'uploader',
      password: 's3cret',
      keyFiles: [keyFile],
      requireSigners: 1,
      allowUnsigned: false,
    });
    assert.equal(first.uploaded, 3);
    const again = await publish({
      bundle,
      repository: `${primary}/uploader/dev/`,
      username: 'uploader',
      password: 's3cret',
      keyFiles: [keyFile],
      requireSigners: 1,
      allowUnsigned: false,
    });
    // devpi answers 200 to an identical re-upload; either way nothing is refused.
    assert.equal(again.uploaded + again.existing, 3);
    // The replica catches up asynchronously: poll its page until the last file is listed.
    for (let i = 0; i < 150; i++) {
      const page = await new Promise<string>((resolve) => {
        http
          .get(`${replica}/uploader/dev/+simple/demo-util/`, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          })
          .on('error', () => resolve(''));
      });
      if (page.includes('demo_util-0.3')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const pip = pipInstall(`${replica}/uploader/dev/+simple/`);
    assert.equal(pip.status, 0, pip.output);
    assert.match(pip.freeze, /demo-app==1\.0/i);
    assert.match(pip.freeze, /demo-lib==2\.0/i);
  });
});

after(() => rmSync(work, { recursive: true, force: true }));
