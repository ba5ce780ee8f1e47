/**
 * Parsed PEP 691 pages kept by the digest of their bytes (src/index/parsed-pages.ts): a page
 * served again unchanged (this index sends no caching headers, so it is downloaded again) is
 * read from the cache, not parsed; a changed page, another file filter or a page with a
 * dropped entry is parsed again. Served from 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FerryEvent } from '../../src/core/events.js';
import { IndexClient } from '../../src/index/client.js';
import { tempDir } from '../cli/run-cli.js';
import { FAST_HTTP, type LocalIndex, onlyIndex, startLocalIndex } from '../helpers/local-index.js';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

let index: LocalIndex;
before(async () => {
  index = await startLocalIndex([
    { name: 'demo', version: '1.0' },
    { name: 'demo', version: '2.0', tag: 'cp311-cp311-win_amd64' },
  ]);
});
after(() => index.close());

function client(cacheDir: string, key = 'linux', events: FerryEvent[] = []): IndexClient {
  return new IndexClient({
    settings: onlyIndex(index.url),
    http: FAST_HTTP,
    cacheDir,
    wanted: (filename) => !filename.includes('win_amd64'),
    wantedKey: key,
    events: (e) => events.push(e),
  });
}

/** The project page, once the client's cache writes have landed. */
async function project(c: IndexClient) {
  const page = await c.getProject('demo');
  await c.settled();
  return page;
}

const entries = (cacheDir: string): string[] => {
  try {
    return readdirSync(join(cacheDir, 'parsed-pages'));
  } catch {
    return [];
  }
};

describe('parsed index pages', () => {
  it('an unchanged page is read back from the cache, not parsed again', async () => {
    const cacheDir = tempDir('ferry-parsed-');
    const first = await project(client(cacheDir));
    assert.deepEqual(
      first!.files.map((f) => f.filename),
      ['demo-1.0-py3-none-any.whl'],
    );
    assert.deepEqual(first!.otherFiles, ['demo-2.0-cp311-cp311-win_amd64.whl']);
    const [entry] = entries(cacheDir);
    assert.ok(entry, 'one parsed page kept');
    // Prove the next run reads the entry: rename the file it names.
    const path = join(cacheDir, 'parsed-pages', entry);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll('demo-1.0-py3', 'demo-1.1-py3'));
    const again = await project(client(cacheDir));
    assert.deepEqual(
      again!.files.map((f) => f.filename),
      ['demo-1.1-py3-none-any.whl'],
    );
    // Another filter does not read it.
    const other = await project(client(cacheDir, 'aarch64'));
    assert.deepEqual(
      other!.files.map((f) => f.filename),
      ['demo-1.0-py3-none-any.whl'],
    );
    assert.equal(entries(cacheDir).length, 2);
  });

  it('a changed page is parsed again; an entry that does not fit is parsed again', async () => {
    const cacheDir = tempDir('ferry-parsed-');
    await project(client(cacheDir));
    const [entry] = entries(cacheDir);
    writeFileSync(join(cacheDir, 'parsed-pages', entry!), '{"links": "not a list"}');
    const reparsed = await project(client(cacheDir));
    assert.equal(reparsed!.files.length, 1);
    const page = JSON.parse(
      await (await fetch(`${index.url}/demo/`, { headers: { accept: JSON_TYPE } })).text(),
    ) as { files: { filename: string }[] };
    index.fault('/simple/demo/', {
      contentType: JSON_TYPE,
      body: JSON.stringify({ ...page, files: page.files.slice(0, 1) }),
      times: 1,
    });
    const changed = await project(client(cacheDir));
    assert.equal(changed!.otherFiles, undefined);
    assert.equal(entries(cacheDir).length, 2);
  });

  it('a page with a dropped entry is not kept, so the warning comes again', async () => {
    const cacheDir = tempDir('ferry-parsed-');
    const page = JSON.parse(
      await (await fetch(`${index.url}/demo/`, { headers: { accept: JSON_TYPE } })).text(),
    ) as { files: unknown[] };
    const broken = JSON.stringify({ ...page, files: [...page.files, { filename: 7 }] });
    for (let run = 0; run < 2; run++) {
      index.fault('/simple/demo/', { contentType: JSON_TYPE, body: broken, times: 1 });
      const events: FerryEvent[] = [];
      await project(client(cacheDir, 'linux', events));
      assert.ok(
        events.some((e) => e.type === 'warning' && e.code === 'ERR_FERRY_MALFORMED_ENTRY'),
        `run ${run + 1} warns`,
      );
    }
    assert.deepEqual(entries(cacheDir), []);
  });
});
