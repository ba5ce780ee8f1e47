// The intranet index store as a library: generations, pages, files, tokens, audit.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readWheelMetadata } from '../../src/index/wheel-metadata.js';
import { openIndexStore, type Provenance, type PublishFile } from '../../src/server/store/index.js';
import { FIXTURE_WHEELS, fixtureWheel } from '../bundle/fixture.js';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-store-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function wheelFile(index: number, extra: Partial<PublishFile> = {}): Promise<PublishFile> {
  const { filename, data } = fixtureWheel(FIXTURE_WHEELS[index]!);
  const path = join(work, filename);
  await writeFile(path, data);
  return {
    path,
    filename,
    sha256: sha256(data),
    size: data.length,
    uploadTime: '2026-02-03T04:05:06.000Z',
    coreMetadata: Buffer.from(await readWheelMetadata(data)),
    ...extra,
  };
}

const provenance: Provenance = {
  kind: 'bundle',
  bundle: { name: 'demo', digest: 'a'.repeat(64) },
  signers: ['0123456789ABCDEF'],
  actor: 'tester',
  time: '2026-02-03T04:05:06.000Z',
};

describe('index store', () => {
  it('a new store is generation 0 with empty pages for each index, and refuses to open without create', async () => {
    const dir = join(work, 'new');
    await assert.rejects(openIndexStore(dir), { code: 'ERR_FERRY_STORE_NOT_FOUND' });
    const store = await openIndexStore(dir, { create: true, actor: 'tester' });
    const current = await store.current();
    assert.equal(current.generation, 0);
    assert.equal(await readlink(join(dir, 'current')), 'generations/0');
    assert.deepEqual(Object.keys(current.catalog.indexes).sort(), ['approved', 'incoming']);
    const list = JSON.parse(
      await readFile(join(current.dir, 'approved/simple/index.json'), 'utf8'),
    );
    assert.deepEqual(list, { meta: { 'api-version': '1.1' }, projects: [] });
    const audit = [];
    for await (const entry of store.audit()) audit.push(entry);
    assert.deepEqual(
      audit.map((e) => [e.action, e.actor, e.generation]),
      [['create', 'tester', 0]],
    );
  });

  it('a folder with other things in it is not made a store', async () => {
    const dir = join(work, 'busy');
    await openIndexStore(join(dir, 'x'), { create: true });
    await assert.rejects(openIndexStore(dir, { create: true }), {
      code: 'ERR_FERRY_STORE_NOT_FOUND',
    });
  });

  it('publish writes the files, their .metadata and PEP 503/691 pages, then switches current', async () => {
    const dir = join(work, 'pub');
    const store = await openIndexStore(dir, { create: true });
    const app = await wheelFile(0, { requiresPython: '>=3.8', yanked: 'broken <b>' });
    const result = await store.publish('approved', [app, await wheelFile(1)], provenance);
    assert.deepEqual(result, { generation: 1, added: 2, changed: true });
    const { dir: gen, catalog } = await store.current();
    assert.equal(await readlink(join(dir, 'current')), 'generations/1');
    const project = catalog.indexes.approved!.projects['demo-app']!;
    assert.equal(project.name, 'demo-app');
    assert.deepEqual(project.versions, ['1.0']);
    const file = project.files[0]!;
    assert.equal(file.url, `files/${app.sha256.slice(0, 2)}/${app.sha256}/${app.filename}`);
    assert.deepEqual(file.provenance, provenance);
    // The file and its metadata are there with the right bytes, under the URL's path.
    const bytes = await readFile(store.filePath(`/${file.url}`)!);
    assert.equal(sha256(bytes), app.sha256);
    const metadata = await readFile(store.filePath(`/${file.url}.metadata`)!);
    assert.deepEqual(metadata, app.coreMetadata);
    assert.equal(file.coreMetadata?.sha256, sha256(metadata));

    const json = JSON.parse(
      await readFile(join(gen, 'approved/simple/demo-app/index.json'), 'utf8'),
    );
    assert.deepEqual(json, {
      meta: { 'api-version': '1.1' },
      name: 'demo-app',
      versions: ['1.0'],
      files: [
        {
          filename: app.filename,
          url: `../../../${file.url}`,
          hashes: { sha256: app.sha256 },
          'requires-python': '>=3.8',
          yanked: 'broken <b>',
          'core-metadata': { sha256: sha256(metadata) },
          'dist-info-metadata': { sha256: sha256(metadata) },
          size: app.size,
          'upload-time': '2026-02-03T04:05:06.000Z',
        },
      ],
    });
    const html = await readFile(join(gen, 'approved/simple/demo-app/index.html'), 'utf8');
    assert.match(html, /<meta name="pypi:repository-version" content="1.1">/);
    assert.ok(
      html.includes(
        `<a href="../../../${file.url}#sha256=${app.sha256}" data-requires-python="&gt;=3.8" data-yanked="broken &lt;b&gt;" data-dist-info-metadata="sha256=${sha256(metadata)}" data-core-metadata="sha256=${sha256(metadata)}">${app.filename}</a>`,
      ),
      html,
    );
    const list = await readFile(join(gen, 'approved/simple/index.html'), 'utf8');
    assert.match(list, /<a href="demo-app\/">demo-app<\/a>/);
    assert.match(list, /<a href="demo-lib\/">demo-lib<\/a>/);
    assert.deepEqual(
      JSON.parse(await readFile(join(gen, 'approved/simple/index.json'), 'utf8')).projects,
      [{ name: 'demo-app' }, { name: 'demo-lib' }],
    );
    // Nothing in incoming.
    assert.deepEqual(catalog.indexes.incoming!.projects, {});
  });

  it('publishing what is there already writes nothing and keeps the generation', async () => {
    const dir = join(work, 'again');
    const store = await openIndexStore(dir, { create: true });
    await store.publish('approved', [await wheelFile(0)], provenance);
    const before = await readdir(join(dir, 'generations'));
    const auditBefore = await readFile(join(dir, 'audit.log'), 'utf8');
    const again = await store.publish('approved', [await wheelFile(0)], provenance);
    assert.deepEqual(again, { generation: 1, added: 0, changed: false });
    assert.deepEqual(await readdir(join(dir, 'generations')), before);
    assert.equal(await readFile(join(dir, 'audit.log'), 'utf8'), auditBefore);
  });

  it("an unchanged project's pages are hard links to the previous generation's", async () => {
    const dir = join(work, 'links');
    const store = await openIndexStore(dir, { create: true });
    await store.publish('approved', [await wheelFile(0)], provenance);
    await store.publish('approved', [await wheelFile(2)], provenance);
    for (const page of ['index.html', 'index.json']) {
      const one = await stat(join(dir, 'generations/1/approved/simple/demo-app', page));
      const two = await stat(join(dir, 'generations/2/approved/simple/demo-app', page));
      assert.equal(one.ino, two.ino, page);
    }
    const list1 = await stat(join(dir, 'generations/1/approved/simple/index.json'));
    const list2 = await stat(join(dir, 'generations/2/approved/simple/index.json'));
    assert.notEqual(list1.ino, list2.ino);
  });

  it('a published file name is never given other bytes', async () => {
    const store = await openIndexStore(join(work, 'conflict'), { create: true });
    const app = await wheelFile(0);
    await store.publish('approved', [app], provenance);
    const other = join(work, 'other.whl');
    await writeFile(other, 'not the same bytes');
    await assert.rejects(
      store.publish(
        'approved',
        [{ ...app, path: other, sha256: sha256('not the same bytes') }],
        provenance,
      ),
      { code: 'ERR_FERRY_FILE_CONFLICT' },
    );
    assert.equal((await store.current()).generation, 1);
  });

  it('a file whose bytes do not match its SHA-256 is refused and nothing is published', async () => {
    const store = await openIndexStore(join(work, 'mismatch'), { create: true });
    const app = await wheelFile(0);
    await assert.rejects(
      store.publish('approved', [{ ...app, sha256: 'b'.repeat(64) }], provenance),
      {
        code: 'ERR_FERRY_HASH_MISMATCH',
      },
    );
    assert.equal((await store.current()).generation, 0);
  });

  it('an index the store does not have is refused', async () => {
    const store = await openIndexStore(join(work, 'noindex'), { create: true });
    await assert.rejects(store.publish('nope', [await wheelFile(0)], provenance), {
      code: 'ERR_FERRY_UNKNOWN_INDEX',
    });
    await assert.rejects(store.publish('../x', [await wheelFile(0)], provenance), {
      code: 'ERR_FERRY_UNKNOWN_INDEX',
    });
  });

  it('filePath maps /files/… and refuses everything else', async () => {
    const store = await openIndexStore(join(work, 'paths'), { create: true });
    const sha = 'ab'.padEnd(64, '0');
    assert.equal(
      store.filePath(`/files/ab/${sha}/x-1.0-py3-none-any.whl`),
      join(store.dir, 'files/ab', sha, 'x-1.0-py3-none-any.whl'),
    );
    assert.equal(
      store.filePath(`/files/ab/${sha}/x-1.0.tar.gz.metadata`),
      join(store.dir, 'files/ab', sha, 'x-1.0.tar.gz.metadata'),
    );
    for (const bad of [
      `/files/ab/${sha}/..`,
      `/files/ab/${sha}/%2e%2e`,
      `/files/ab/${sha}/a%2Fb`,
      `/files/ab/${sha}/a%00b`,
      `/files/ab/${sha}/.hidden`,
      `/files/cd/${sha}/x.whl`,
      `/files/ab/${sha}/x/y.whl`,
      `/files/ab/${sha.toUpperCase()}/x.whl`,
      '/files/../store.json',
      '/store.json',
      `/files/ab/${sha}/%E0%A4%A`,
    ])
      assert.equal(store.filePath(bad), undefined, bad);
  });

  it('tokens: shown once, kept as SHA-256 only, scoped, compared in constant time, revocable', async () => {
    const store = await openIndexStore(join(work, 'tokens'), { create: true });
    const upload = await store.tokens.create('ci', 'upload');
    const admin = await store.tokens.create('ops', 'admin');
    assert.match(upload, /^ferry-[A-Za-z0-9_-]{43}$/);
    const file = await readFile(join(store.dir, 'tokens.json'), 'utf8');
    assert.ok(!file.includes(upload) && !file.includes(admin));
    assert.ok(file.includes(sha256(upload)));
    assert.equal((await stat(join(store.dir, 'tokens.json'))).mode & 0o777, 0o600);
    assert.equal((await store.tokens.check(upload, 'upload'))?.name, 'ci');
    assert.equal(await store.tokens.check(upload, 'admin'), undefined);
    assert.equal((await store.tokens.check(admin, 'upload'))?.name, 'ops');
    assert.equal(await store.tokens.check(`${upload}x`, 'upload'), undefined);
    assert.equal(await store.tokens.check('', 'upload'), undefined);
    await assert.rejects(store.tokens.create('ci', 'admin'), { code: 'ERR_FERRY_TOKEN_EXISTS' });
    await assert.rejects(store.tokens.create('../x', 'admin'), { code: 'ERR_FERRY_USAGE' });
    assert.deepEqual(
      (await store.tokens.list()).map((t) => [t.name, t.scope]),
      [
        ['ci', 'upload'],
        ['ops', 'admin'],
      ],
    );
    assert.equal(await store.tokens.revoke('ci'), true);
    assert.equal(await store.tokens.revoke('ci'), false);
    assert.equal(await store.tokens.check(upload, 'upload'), undefined);
    const actions = [];
    for await (const e of store.audit()) actions.push(e.action);
    assert.deepEqual(actions, ['create', 'token-create', 'token-create', 'token-revoke']);
    assert.ok(!(await readFile(join(store.dir, 'audit.log'), 'utf8')).includes(upload));
  });

  it('an audit entry lost to a crash after the switch is written by the next change', async () => {
    const dir = join(work, 'lost-audit');
    const store = await openIndexStore(dir, { create: true });
    await store.publish('approved', [await wheelFile(0)], provenance);
    const lines = (await readFile(join(dir, 'audit.log'), 'utf8')).trimEnd().split('\n');
    // As if killed between the rename of current and the append, mid-line.
    await writeFile(join(dir, 'audit.log'), `${lines[0]}\n{"time":"2026`);
    await store.publish('approved', [await wheelFile(1)], provenance);
    const entries = [];
    for await (const e of store.audit()) entries.push([e.action, e.generation]);
    assert.deepEqual(entries, [
      ['create', 0],
      ['import', 1],
      ['import', 2],
    ]);
  });
});
