// The legacy upload API of `ferry serve` (what twine posts), and --read-auth: each refusal has
// its own test, and a refused upload leaves the store as it was.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkUploadNames } from '../../src/server/http/upload.js';
import { type IndexStore, openIndexStore } from '../../src/server/store/index.js';
import { buildWheel, type FakeDist } from '../helpers/local-index.js';
import {
  basicAuth,
  raw,
  sha256,
  startTestServer,
  type TestServer,
  uploadForm,
  type Work,
  workDir,
} from './serve-fixture.js';

let work: Work;
let store: IndexStore;
let server: TestServer;
let token: string;
let admin: string;

before(async () => {
  work = await workDir('ferry-upload-');
  store = await openIndexStore(join(work.dir, 'store'), { create: true, actor: 'tester' });
  token = await store.tokens.create('ci-uploader', 'upload');
  admin = await store.tokens.create('admin', 'admin');
  server = await startTestServer({ store, maxUploadBytes: 64 * 1024 });
});
after(async () => {
  await server?.close();
  await work?.cleanup();
});

async function wheel(dist: FakeDist): Promise<{ filename: string; data: Buffer }> {
  const built = await buildWheel(dist, work.dir);
  return { filename: built.filename, data: await readFile(built.path) };
}

interface Post {
  readonly fields?: Record<string, string>;
  readonly file?: { filename: string; data: Buffer };
  /** null: no Authorization header at all. */
  readonly auth?: string | null;
  readonly target?: string;
}

async function post({
  fields,
  file,
  auth = basicAuth('__token__', token),
  target = '/incoming/',
}: Post) {
  const form = uploadForm(fields ?? {}, file);
  return raw(server.port, target, {
    method: 'POST',
    headers: {
      'content-type': form.contentType,
      ...(auth === null ? {} : { authorization: auth }),
    },
    body: form.body,
  });
}

/** The form twine sends for a file. */
const twineFields = (file: { filename: string; data: Buffer }, name: string, version: string) => ({
  ':action': 'file_upload',
  protocol_version: '1',
  metadata_version: '2.1',
  name,
  version,
  filetype: 'bdist_wheel',
  pyversion: 'py3',
  sha256_digest: sha256(file.data),
});

const generation = async (): Promise<number> => (await store.current()).generation;

describe('uploads (legacy API, as twine)', () => {
  it('a wheel with a valid token is published into incoming with provenance "upload"', async () => {
    const file = await wheel({ name: 'uploaded-pkg', version: '0.3', requiresPython: '>=3.9' });
    const r = await post({ fields: twineFields(file, 'uploaded-pkg', '0.3'), file });
    assert.equal(r.status, 200, r.text);
    const { catalog } = await store.current();
    const entry = catalog.indexes.incoming!.projects['uploaded-pkg']!.files[0]!;
    assert.equal(entry.filename, file.filename);
    assert.equal(entry.provenance.kind, 'upload');
    assert.equal(entry.provenance.actor, 'ci-uploader');
    assert.equal(entry.requiresPython, '>=3.9');
    assert.ok(entry.coreMetadata, 'the wheel’s METADATA is served as .metadata (PEP 658)');
    const page = await raw(server.port, '/incoming/simple/uploaded-pkg/');
    assert.match(page.text, new RegExp(file.filename.replace(/\./g, '\\.')));
  });

  it('any user name works with the token as password; an admin token too', async () => {
    const file = await wheel({ name: 'uploaded-pkg', version: '0.4' });
    const r = await post({
      fields: twineFields(file, 'uploaded-pkg', '0.4'),
      file,
      auth: basicAuth('someone', admin),
    });
    assert.equal(r.status, 200, r.text);
  });

  it('no token is 401 with a Basic challenge; nothing published', async () => {
    const before = await generation();
    const file = await wheel({ name: 'anon', version: '1.0' });
    const r = await post({ fields: twineFields(file, 'anon', '1.0'), file, auth: null });
    assert.equal(r.status, 401);
    assert.match(r.headers['www-authenticate'] ?? '', /^Basic realm=/);
    assert.equal(await generation(), before);
  });

  it('an invalid token is 403; nothing published', async () => {
    const before = await generation();
    const file = await wheel({ name: 'anon', version: '1.0' });
    const r = await post({
      fields: twineFields(file, 'anon', '1.0'),
      file,
      auth: basicAuth('__token__', 'ferry-not-a-real-token'),
    });
    assert.equal(r.status, 403);
    assert.equal(await generation(), before);
  });

  it('the approved index (signers required) refuses uploads with 403', async () => {
    const file = await wheel({ name: 'sneaky', version: '1.0' });
    const r = await post({
      fields: twineFields(file, 'sneaky', '1.0'),
      file,
      target: '/approved/',
    });
    assert.equal(r.status, 403);
    assert.match(r.text, /upload to \/incoming\//);
  });

  it('path traversal in the file name is 400', async () => {
    const file = await wheel({ name: 'evil', version: '1.0' });
    for (const filename of [
      '../evil-1.0-py3-none-any.whl',
      '..%2Fevil-1.0-py3-none-any.whl',
      'sub/evil-1.0-py3-none-any.whl',
      'evil-1.0-py3-none-any.whl\u0000.txt',
      '..\\evil-1.0-py3-none-any.whl',
    ]) {
      const before = await generation();
      const r = await post({
        fields: twineFields(file, 'evil', '1.0'),
        file: { filename, data: file.data },
      });
      assert.equal(r.status, 400, `${filename}: ${r.text}`);
      assert.equal(await generation(), before);
    }
  });

  it('path traversal in the project (index) part of the URL is 400', async () => {
    const file = await wheel({ name: 'evil', version: '1.0' });
    for (const target of ['/../', '/%2e%2e/', '/incoming%2f..%2f/', '/incoming/../']) {
      const r = await post({ fields: twineFields(file, 'evil', '1.0'), file, target });
      assert.equal(r.status, 400, `${target}: ${r.status} ${r.text}`);
    }
  });

  it('a project name that is not a name is 400', async () => {
    const file = await wheel({ name: 'evil', version: '1.0' });
    const r = await post({ fields: twineFields(file, '../../evil', '1.0'), file });
    assert.equal(r.status, 400);
  });

  it('a file of another project or version than the form names is 400', async () => {
    const file = await wheel({ name: 'real-name', version: '2.0' });
    const other = await post({ fields: twineFields(file, 'other-name', '2.0'), file });
    assert.equal(other.status, 400);
    assert.match(other.text, /is of project "real-name", but the form says "other-name"/);
    const version = await post({ fields: twineFields(file, 'real-name', '2.1'), file });
    assert.equal(version.status, 400);
    assert.match(version.text, /is version 2\.0, but the form says 2\.1/);
  });

  it('a file name that is no wheel or sdist (PEP 427/625) is 400', async () => {
    const file = await wheel({ name: 'shape', version: '1.0' });
    for (const filename of ['shape-1.0.exe', 'shape-1.0-py3.whl', 'shape.tar.gz']) {
      const r = await post({
        fields: twineFields(file, 'shape', '1.0'),
        file: { filename, data: file.data },
      });
      assert.equal(r.status, 400, filename);
    }
  });

  it('a wheel whose METADATA names another project is 400', async () => {
    const inner = await wheel({ name: 'inner', version: '1.0' });
    const r = await post({
      fields: { ...twineFields(inner, 'outer', '1.0') },
      file: { filename: 'outer-1.0-py3-none-any.whl', data: inner.data },
    });
    assert.equal(r.status, 400);
    assert.match(r.text, /METADATA inside/);
  });

  it('a SHA-256 (or MD5) that does not match the bytes is 400; a missing one too', async () => {
    const file = await wheel({ name: 'hashed', version: '1.0' });
    const wrong = await post({
      fields: { ...twineFields(file, 'hashed', '1.0'), sha256_digest: 'a'.repeat(64) },
      file,
    });
    assert.equal(wrong.status, 400);
    assert.match(wrong.text, /has SHA-256 [0-9a-f]{64}, but the form says a{64}/);
    const md5 = await post({
      fields: { ...twineFields(file, 'hashed', '1.0'), md5_digest: 'b'.repeat(32) },
      file,
    });
    assert.equal(md5.status, 400);
    const { sha256_digest: _, ...none } = twineFields(file, 'hashed', '1.0');
    const missing = await post({ fields: none, file });
    assert.equal(missing.status, 400);
  });

  it('an upload over the cap is 413, by Content-Length or by bytes streamed; nothing kept', async () => {
    const before = await generation();
    const big = await wheel({ name: 'big', version: '1.0', padding: 100 * 1024 });
    const announced = await post({ fields: twineFields(big, 'big', '1.0'), file: big });
    assert.equal(announced.status, 413);
    assert.match(announced.text, /--max-upload/);
    // Chunked: no Content-Length, so only counting the bytes can stop it.
    const form = uploadForm(twineFields(big, 'big', '1.0'), big);
    async function* chunked() {
      for (let i = 0; i < form.body.length; i += 16 * 1024)
        yield form.body.subarray(i, i + 16 * 1024);
    }
    const streamed = await raw(server.port, '/incoming/', {
      method: 'POST',
      headers: {
        'content-type': form.contentType,
        authorization: basicAuth('__token__', token),
        'transfer-encoding': 'chunked',
      },
      body: chunked(),
    });
    assert.equal(streamed.status, 413);
    assert.equal(await generation(), before);
  });

  it('another :action, no file, or no multipart body is 400; GET on /<index>/ is not an upload', async () => {
    const file = await wheel({ name: 'act', version: '1.0' });
    const action = await post({
      fields: { ...twineFields(file, 'act', '1.0'), ':action': 'remove_pkg' },
      file,
    });
    assert.equal(action.status, 400);
    const nofile = await post({ fields: twineFields(file, 'act', '1.0') });
    assert.equal(nofile.status, 400);
    const json = await raw(server.port, '/incoming/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth('__token__', token) },
      body: '{}',
    });
    assert.equal(json.status, 400);
  });

  it('the same file again is 200 (nothing changes); other bytes under a published name are 409', async () => {
    const first = await wheel({ name: 'stable', version: '1.0' });
    assert.equal(
      (await post({ fields: twineFields(first, 'stable', '1.0'), file: first })).status,
      200,
    );
    const generation = (await store.current()).generation;
    const again = await post({ fields: twineFields(first, 'stable', '1.0'), file: first });
    assert.equal(again.status, 200, again.text);
    assert.equal((await store.current()).generation, generation);
    const other = await wheel({
      name: 'stable',
      version: '1.0',
      files: { 'stable/extra.py': 'x = 1\n' },
    });
    assert.equal(other.filename, first.filename);
    const conflict = await post({ fields: twineFields(other, 'stable', '1.0'), file: other });
    assert.equal(conflict.status, 409, conflict.text);
    assert.equal((await store.current()).generation, generation);
  });

  it('an unknown index is 404 naming the indexes', async () => {
    const file = await wheel({ name: 'lost', version: '1.0' });
    const r = await post({ fields: twineFields(file, 'lost', '1.0'), file, target: '/nowhere/' });
    assert.equal(r.status, 404);
    assert.match(r.text, /\/approved\/, \/incoming\//);
  });
});

describe('checkUploadNames', () => {
  it('accepts legacy sdist names and normalized spellings', () => {
    assert.equal(checkUploadNames('Foo_Bar-1.0.tar.gz', 'foo.bar', '1.0').name, 'foo-bar');
    assert.equal(
      checkUploadNames('foo-1.0rc1-py3-none-any.whl', 'Foo', '1.0.rc1').version,
      '1.0rc1',
    );
  });
});

describe('--read-auth', () => {
  let locked: TestServer;
  before(async () => {
    locked = await startTestServer({ store, readAuth: true });
  });
  after(async () => {
    await locked?.close();
  });

  it('reading without a token is 401, with an invalid one 403, with a token (user:token@) 200', async () => {
    const none = await raw(locked.port, '/incoming/simple/');
    assert.equal(none.status, 401);
    assert.match(none.headers['www-authenticate'] ?? '', /Basic/);
    const bad = await raw(locked.port, '/incoming/simple/', {
      headers: { authorization: basicAuth('me', 'nope') },
    });
    assert.equal(bad.status, 403);
    const ok = await raw(locked.port, '/incoming/simple/', {
      headers: { authorization: basicAuth('me', token) },
    });
    assert.equal(ok.status, 200);
    const ui = await raw(locked.port, '/');
    assert.equal(ui.status, 401, 'the pages for people too');
  });
});
