/**
 * The lock's index client names only the wheels no target takes (IndexClientOptions.wanted,
 * index-provider.ts wantedFiles): the filter judges a wheel by the tags in its name, the page
 * keeps the others as names for "no compatible file" reports, the unsafe strategies still give
 * a version to the first index that has any file of it, and the candidates are the same as
 * without the filter. Served from 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IndexClient } from '../../src/index/client.js';
import { indexConfigFromPip } from '../../src/index/index-config.js';
import { IndexProvider, wantedFiles } from '../../src/resolver/index-provider.js';
import { normalizeName } from '../../src/standards/name.js';
import { makeTarget, targetTags } from '../../src/standards/target.js';
import { parseVersion } from '../../src/standards/version.js';
import { FAST_HTTP, type FakeDist, onlyIndex, startLocalIndex } from '../helpers/local-index.js';

const py = { implementation: 'cp', version: [3, 11] as const, fullVersion: '3.11.7' };
const linux = makeTarget('linux', py, {
  os: 'linux',
  arch: 'x86_64',
  libc: { kind: 'glibc', version: [2, 28] },
});
const providerTarget = {
  name: linux.name,
  tags: targetTags(linux),
  pythonVersion: parseVersion('3.11.7'),
};
const wanted = wantedFiles([providerTarget]);

describe('wantedFiles', () => {
  it('keeps sdists and the wheels whose tags a target takes (compressed tag sets expanded)', () => {
    for (const name of [
      'demo-1.0.tar.gz',
      'demo-1.0.zip',
      'demo-1.0-py3-none-any.whl',
      'demo-1.0-py2.py3-none-any.whl',
      'demo-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      'demo-1.0-cp37-abi3-manylinux_2_28_x86_64.whl',
      'Demo-1.0-1-CP311-CP311-MANYLINUX_2_28_X86_64.whl',
      // Not a well-formed wheel name: the full parse reports it.
      'demo-1.0.whl',
    ])
      assert.equal(wanted(name), true, name);
  });

  it('names only the rest: other platforms, other Pythons, a glibc newer than the target', () => {
    for (const name of [
      'demo-1.0-cp311-cp311-win_amd64.whl',
      'demo-1.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl',
      'demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl',
      'demo-1.0-cp311-cp311-manylinux_2_34_x86_64.whl',
      'demo-1.0-py2-none-any.whl',
    ])
      assert.equal(wanted(name), false, name);
  });
});

const dist = (version: string, tag: string): FakeDist => ({ name: 'demo', version, tag });

describe('an index client with the filter', () => {
  it('gives the same candidates, and the set-aside wheels as incompatible-tags refusals', async () => {
    const index = await startLocalIndex([
      dist('1.0', 'py3-none-any'),
      dist('2.0', 'cp311-cp311-win_amd64'),
      dist('2.0', 'cp311-cp311-manylinux_2_17_x86_64'),
      dist('3.0', 'cp312-cp312-manylinux_2_17_x86_64'),
    ]);
    try {
      const answer = async (filter: boolean) => {
        const client = new IndexClient({
          settings: onlyIndex(index.url),
          http: FAST_HTTP,
          ...(filter ? { wanted } : {}),
        });
        const provider = new IndexProvider({ client, targets: [providerTarget], searched: [] });
        const page = await client.getProject('demo');
        const found = await provider.candidates(normalizeName('demo'));
        assert.equal(found.kind, 'found');
        return { page: page!, found: found as Extract<typeof found, { kind: 'found' }> };
      };
      const all = await answer(false);
      const some = await answer(true);
      assert.deepEqual(
        some.found.candidates.map((c) => [c.versionText, c.file.filename]),
        all.found.candidates.map((c) => [c.versionText, c.file.filename]),
      );
      assert.deepEqual(
        some.found.candidates.map((c) => c.file.filename),
        ['demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl', 'demo-1.0-py3-none-any.whl'],
      );
      assert.deepEqual(some.page.otherFiles, [
        'demo-2.0-cp311-cp311-win_amd64.whl',
        'demo-3.0-cp312-cp312-manylinux_2_17_x86_64.whl',
      ]);
      assert.equal(some.page.files.length, 2);
      const refused = (f: typeof some.found) =>
        f.rejected.map((r) => [r.filename, r.reason]).sort();
      assert.deepEqual(refused(some.found), refused(all.found));
    } finally {
      await index.close();
    }
  });

  it('unsafe-best-match: a version on the first index only for other platforms is still not taken from the second', async () => {
    const first = await startLocalIndex([
      dist('1.0', 'py3-none-any'),
      dist('2.0', 'cp311-cp311-win_amd64'),
    ]);
    const second = await startLocalIndex([dist('2.0', 'py3-none-any')]);
    try {
      const client = new IndexClient({
        settings: indexConfigFromPip(
          { ...onlyIndex(first.url), extraIndexUrls: [second.url] },
          'unsafe-best-match',
        ),
        http: FAST_HTTP,
        wanted,
      });
      const page = await client.getProject('demo');
      assert.deepEqual(
        page!.files.map((f) => f.filename),
        ['demo-1.0-py3-none-any.whl'],
      );
      assert.deepEqual(page!.otherFiles, ['demo-2.0-cp311-cp311-win_amd64.whl']);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
