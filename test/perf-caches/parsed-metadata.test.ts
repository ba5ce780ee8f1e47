/**
 * Wheels' dependencies as parsed, kept by the wheel's SHA-256 (src/resolver/parsed-metadata.ts):
 * a warm lock reads them back instead of parsing every Requires-Dist line again; an entry that
 * does not fit is parsed again, and the Name check still applies. Served from 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IndexClient } from '../../src/index/client.js';
import { IndexProvider } from '../../src/resolver/index-provider.js';
import { ParsedMetadataCache } from '../../src/resolver/parsed-metadata.js';
import { normalizeName } from '../../src/standards/name.js';
import { makeTarget, targetTags } from '../../src/standards/target.js';
import { parseVersion } from '../../src/standards/version.js';
import { tempDir } from '../cli/run-cli.js';
import { FAST_HTTP, type LocalIndex, onlyIndex, startLocalIndex } from '../helpers/local-index.js';

const py = { implementation: 'cp', version: [3, 11] as const, fullVersion: '3.11.7' };
const target = makeTarget('linux', py, {
  os: 'linux',
  arch: 'x86_64',
  libc: { kind: 'glibc', version: [2, 28] },
});

let index: LocalIndex;
before(async () => {
  index = await startLocalIndex([
    { name: 'demo', version: '1.0', requiresDist: ['beta>=2', 'gamma; extra == "test"'] },
  ]);
});
after(() => index.close());

async function dependencies(cacheDir: string): Promise<string[]> {
  const client = new IndexClient({
    settings: onlyIndex(index.url),
    http: FAST_HTTP,
  });
  const cache = new ParsedMetadataCache(cacheDir);
  const provider = new IndexProvider({
    client,
    targets: [
      { name: target.name, tags: targetTags(target), pythonVersion: parseVersion('3.11.7') },
    ],
    searched: [],
    parsedMetadata: cache,
  });
  const found = await provider.candidates(normalizeName('demo'));
  assert.equal(found.kind, 'found');
  const metadata = await provider.metadata(found.candidates[0]!);
  await cache.settled();
  return metadata.requiresDist.map((r) => r.normalizedName);
}

describe('parsed wheel metadata', () => {
  it('is kept after the first parse and read back by the next run', async () => {
    const cacheDir = tempDir('ferry-parsed-metadata-');
    assert.deepEqual(await dependencies(cacheDir), ['beta', 'gamma']);
    const dir = join(cacheDir, 'parsed-metadata');
    const [entry] = readdirSync(dir);
    assert.ok(entry);
    // Prove the next run reads it: rename a dependency in the entry.
    const path = join(dir, entry);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll('"beta"', '"planted"'));
    assert.deepEqual(await dependencies(cacheDir), ['planted', 'gamma']);
  });

  it('an entry that does not fit is parsed again; a wrong Name is still refused', async () => {
    const cacheDir = tempDir('ferry-parsed-metadata-');
    await dependencies(cacheDir);
    const dir = join(cacheDir, 'parsed-metadata');
    const path = join(dir, readdirSync(dir)[0]!);
    const good = readFileSync(path, 'utf8');
    writeFileSync(path, '{"name": "demo", "requiresDist": [1]}');
    assert.deepEqual(await dependencies(cacheDir), ['beta', 'gamma']);
    writeFileSync(path, good.replace('"name":"demo"', '"name":"other"'));
    await assert.rejects(dependencies(cacheDir), /names the project "other"/);
  });
});
