/**
 * src/net/s3.ts: SigV4 against AWS's published examples, and uploadTree against moto's server
 * mode on 127.0.0.1 (test/oracles.txt, "# venv: moto-venv") behind a counting proxy, so the
 * PUTs that reach the store are counted on the wire, not by the client's own report.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { netRequest } from '../../src/net/request.js';
import {
  parseS3Url,
  S3Client,
  type S3Config,
  s3ConfigFromEnv,
  signV4,
  uploadTree,
} from '../../src/net/s3.js';
import { exportStatic } from '../../src/ops/export-static.js';
import { importBundle } from '../../src/ops/import.js';
import { isolatedEnv, runCli } from '../cli/run-cli.js';
import { ensurePinnedVenv, venvPython } from '../helpers/pinned-venv.js';
import { demoDists, makeKey, signedBundle } from '../server/store-fixture.js';

const EXAMPLE: S3Config = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
};
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('S3 Signature Version 4', () => {
  // The "GET Object" and "GET Bucket (List Objects)" examples of the S3 API reference,
  // "Signature Calculations for the Authorization Header".
  it('signs the GET Object example as AWS documents it', () => {
    const headers = signV4(EXAMPLE, {
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      headers: { range: 'bytes=0-9' },
      payloadSha256: EMPTY,
      amzDate: '20130524T000000Z',
    });
    assert.equal(
      headers.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('signs the List Objects example (a sorted, encoded query string)', () => {
    const headers = signV4(EXAMPLE, {
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2'),
      headers: {},
      payloadSha256: EMPTY,
      amzDate: '20130524T000000Z',
    });
    assert.match(
      headers.authorization ?? '',
      /Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7$/,
    );
  });

  it('parses s3:// URLs and refuses ones that are not', () => {
    assert.deepEqual(parseS3Url('s3://my-bucket/pypi/export/'), {
      bucket: 'my-bucket',
      prefix: 'pypi/export',
    });
    assert.deepEqual(parseS3Url('s3://my-bucket'), { bucket: 'my-bucket', prefix: '' });
    assert.throws(() => parseS3Url('https://my-bucket/x'), { code: 'ERR_FERRY_BAD_URL' });
    assert.throws(() => parseS3Url('s3://my-bucket/a/../b'), { code: 'ERR_FERRY_BAD_URL' });
  });

  it('reads credentials from the AWS variables, and says which are missing', () => {
    const config = s3ConfigFromEnv({
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
    });
    assert.equal(config.region, 'us-east-1');
    assert.equal(config.endpoint, 'http://127.0.0.1:9000');
    assert.throws(
      () => s3ConfigFromEnv({ AWS_ACCESS_KEY_ID: 'id' }),
      (error: Error) => /AWS_SECRET_ACCESS_KEY/.test(error.message),
    );
  });

  it('addresses a custom endpoint path-style, each key segment encoded once', () => {
    const client = new S3Client({ ...EXAMPLE, endpoint: 'http://127.0.0.1:9000/' });
    assert.equal(
      client.objectUrl('b', 'files/a b+c/x.whl').href,
      'http://127.0.0.1:9000/b/files/a%20b%2Bc/x.whl',
    );
  });
});

let venv: string | undefined;
let skip: string | false = false;
try {
  venv = await ensurePinnedVenv('moto-venv');
} catch (error) {
  skip = `moto[server] from test/oracles.txt could not be installed: ${(error as Error).message.split('\n')[0]}`;
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('uploadTree against moto server mode', { skip }, () => {
  let moto: ChildProcess;
  let proxy: http.Server;
  let endpoint: string;
  const methods: string[] = [];
  const config = (): S3Config => ({ ...EXAMPLE, endpoint });
  const bucket = 'ferry-export';
  const tree = mkdtempSync(join(tmpdir(), 'ferry-s3-tree-'));
  const files: Record<string, Buffer> = {
    'files/ab/0123/demo_app-1.0-py3-none-any.whl': randomBytes(3000),
    'files/ab/0123/demo_app-1.0-py3-none-any.whl.metadata': Buffer.from(
      'Metadata-Version: 2.1\nName: demo-app\nVersion: 1.0\n',
    ),
    'approved/simple/index.html': Buffer.from('<!DOCTYPE html><a href="demo-app/">demo-app</a>\n'),
    'approved/simple/demo-app/index.html': Buffer.from('<!DOCTYPE html><a href="x">x</a>\n'),
    'approved/simple/demo-app/index.json': Buffer.from('{"meta":{"api-version":"1.1"}}\n'),
    'a dir with spaces/plus+sign.txt': Buffer.from('encoded keys\n'),
  };
  const puts = (): number => methods.filter((m) => m === 'PUT').length;

  before(async () => {
    const motoPort = await freePort();
    moto = spawn(venvPython(venv!), ['-m', 'moto.server', '-H', '127.0.0.1', '-p', `${motoPort}`], {
      stdio: 'ignore',
    });
    // A proxy that counts what reaches the store: the test's own witness of every request.
    proxy = http.createServer((req, res) => {
      methods.push(req.method ?? '?');
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: motoPort,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    for (let i = 0; ; i++) {
      try {
        const r = await netRequest(`http://127.0.0.1:${motoPort}/`);
        await r.body.cancel();
        break;
      } catch (error) {
        if (i > 150) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    // CreateBucket is not part of src/net/s3.ts (ferry uploads into a bucket the site owns).
    const url = new URL(`${endpoint}/${bucket}`);
    const created = await netRequest(url.href, {
      method: 'PUT',
      body: new Uint8Array(0),
      headers: signV4(config(), {
        method: 'PUT',
        url,
        headers: {},
        payloadSha256: EMPTY,
        amzDate: new Date()
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d{3}/, ''),
      }),
    });
    await created.body.cancel();
    assert.equal(created.status, 200);
    for (const [rel, data] of Object.entries(files)) {
      mkdirSync(dirname(join(tree, rel)), { recursive: true });
      writeFileSync(join(tree, rel), data);
    }
  });

  after(() => {
    moto?.kill();
    proxy?.close();
    rmSync(tree, { recursive: true, force: true });
  });

  it('uploads every file, then sends nothing again, then only the one that changed', async () => {
    methods.length = 0;
    const first = await uploadTree(tree, `s3://${bucket}/export`, { config: config() });
    assert.equal(first.uploaded.length, Object.keys(files).length);
    assert.equal(puts(), Object.keys(files).length);
    // Pages last, so a page never names a file that is not there yet.
    assert.ok(
      first.uploaded.slice(-3).every((p) => /index\.(html|json)$/.test(p)),
      first.uploaded.join(),
    );

    methods.length = 0;
    const second = await uploadTree(tree, `s3://${bucket}/export`, { config: config() });
    assert.deepEqual(second.uploaded, []);
    assert.equal(second.unchanged.length, Object.keys(files).length);
    assert.equal(puts(), 0, `PUTs on the second run: ${methods.join(' ')}`);

    // Same size, different bytes: only the MD5 (ETag) can tell.
    const changed = 'files/ab/0123/demo_app-1.0-py3-none-any.whl';
    files[changed] = randomBytes(3000);
    writeFileSync(join(tree, changed), files[changed]!);
    methods.length = 0;
    const third = await uploadTree(tree, `s3://${bucket}/export`, { config: config() });
    assert.deepEqual(third.uploaded, [changed]);
    assert.equal(puts(), 1);
  });

  it('stores the bytes it was given under the right keys and content types', async () => {
    const client = new S3Client(config());
    for (const [rel, data] of Object.entries(files)) {
      const got = await client.getObject(bucket, `export/${rel}`);
      assert.ok(got.equals(readFileSync(join(tree, rel))), rel);
      assert.ok(got.equals(data), rel);
    }
    const page = await netRequest(`${endpoint}/${bucket}/export/approved/simple/index.html`);
    await page.body.cancel();
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(await client.headObject(bucket, 'export/nothing-here'), undefined);
  });

  it('ferry export-static --to s3:// uploads the export, and nothing again when nothing changed', async () => {
    const site = mkdtempSync(join(tmpdir(), 'ferry-s3-store-'));
    try {
      const builder = await makeKey(site, 'builder');
      const store = join(site, 'store');
      const bundle = await signedBundle(join(site, 'bundle'), builder.secret, demoDists('1.0'));
      await importBundle({ bundle, store, keyFiles: [builder.pubPath] });
      const env = isolatedEnv(join(site, 'cache'), {
        AWS_ACCESS_KEY_ID: EXAMPLE.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EXAMPLE.secretAccessKey,
        AWS_ENDPOINT_URL: endpoint,
      });
      methods.length = 0;
      const first = await runCli(
        ['export-static', '--store', store, '--to', `s3://${bucket}/site`, '--json'],
        { env },
      );
      assert.equal(first.code, 0, first.stderr);
      const sent = puts();
      assert.ok(sent > 0);
      methods.length = 0;
      const again = await runCli(
        ['export-static', '--store', store, '--to', `s3://${bucket}/site`],
        {
          env,
        },
      );
      assert.equal(again.code, 0, again.stderr);
      assert.equal(puts(), 0, `PUTs on the second export: ${methods.join(' ')}`);
      // The bucket holds what export-static writes to a folder, byte for byte.
      const local = join(site, 'local');
      await exportStatic({ store, out: local });
      const client = new S3Client(config());
      const listed: string[] = [];
      for await (const o of client.listObjects(bucket, 'site/')) listed.push(o.key);
      assert.equal(listed.length, sent);
      for (const key of listed) {
        const got = await client.getObject(bucket, key);
        assert.ok(got.equals(readFileSync(join(local, key.slice('site/'.length)))), key);
      }
    } finally {
      rmSync(site, { recursive: true, force: true });
    }
  });
});
