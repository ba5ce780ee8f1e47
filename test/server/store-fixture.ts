/**
 * Signed bundles and keys for the index store's tests (import, approve, export): real wheels
 * from test/helpers/local-index.ts, signed as `ferry sign` signs (test/onhost/fake-bundle.ts).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../../src/server/store/index.js';
import {
  generateKeyPair,
  parseSecretKey,
  type SecretKey,
  writeKeyPairFiles,
} from '../../src/trust/keys.js';
import type { FakeDist } from '../helpers/local-index.js';
import { writeBundle } from '../onhost/fake-bundle.js';

export interface TestKey {
  readonly secret: SecretKey;
  /** NAME.key */
  readonly keyPath: string;
  /** NAME.pub */
  readonly pubPath: string;
  readonly keyId: string;
}

export async function makeKey(dir: string, name: string): Promise<TestKey> {
  const pair = generateKeyPair('ed25519');
  const { secretKeyPath, publicKeyPath } = await writeKeyPairFiles(join(dir, name), pair);
  return {
    secret: parseSecretKey(pair.secretKeyText),
    keyPath: secretKeyPath,
    pubPath: publicKeyPath,
    keyId: pair.keyId,
  };
}

/** Two projects, one with Requires-Python and a dependency, as pip resolves them. */
export const demoDists = (version = '1.0'): FakeDist[] => [
  {
    name: 'demo-app',
    version,
    requiresDist: ['demo-lib>=2'],
    requiresPython: '>=3.6',
  },
  { name: 'demo-lib', version: '2.0' },
];

export async function signedBundle(
  dir: string,
  key: SecretKey,
  dists: readonly FakeDist[] = demoDists(),
): Promise<string> {
  return writeBundle(dir, dists, [], key);
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * What a reader of `current` relies on: the catalog parses and is the generation `current`
 * names, every file a page names is there with its hash (and its .metadata), and the JSON
 * pages agree with the catalog. Returns the catalog; throws naming the first inconsistency.
 */
export async function checkConsistent(store: string): Promise<Catalog> {
  const target = await readlink(join(store, 'current'));
  const gen = join(store, target);
  const catalog = JSON.parse(await readFile(join(gen, 'catalog.json'), 'utf8')) as Catalog;
  if (`generations/${catalog.generation}` !== target)
    throw new Error(`current -> ${target} holds generation ${catalog.generation}`);
  for (const [index, data] of Object.entries(catalog.indexes)) {
    const list = JSON.parse(await readFile(join(gen, index, 'simple/index.json'), 'utf8'));
    const listed = (list.projects as { name: string }[]).map((p) => p.name).sort();
    const expected = Object.values(data.projects)
      .map((p) => p.name)
      .sort();
    if (JSON.stringify(listed) !== JSON.stringify(expected))
      throw new Error(`${index}: the project list ${listed} is not the catalog's ${expected}`);
    for (const [name, project] of Object.entries(data.projects)) {
      const page = JSON.parse(
        await readFile(join(gen, index, 'simple', name, 'index.json'), 'utf8'),
      );
      await readFile(join(gen, index, 'simple', name, 'index.html'));
      if (page.files.length !== project.files.length)
        throw new Error(
          `${index}/${name}: the page has ${page.files.length} files, the catalog ${project.files.length}`,
        );
      for (const file of page.files as {
        url: string;
        hashes: { sha256: string };
        'core-metadata'?: { sha256: string };
      }[]) {
        const path = join(gen, index, 'simple', name, file.url);
        const bytes = await readFile(path);
        if (sha256(bytes) !== file.hashes.sha256)
          throw new Error(`${path} does not have its page's hash`);
        const meta = file['core-metadata'];
        if (meta !== undefined && sha256(await readFile(`${path}.metadata`)) !== meta.sha256)
          throw new Error(`${path}.metadata does not have its page's hash`);
      }
    }
  }
  // All or nothing: every file of every bundle the catalog names is in the bundle's index.
  for (const bundle of Object.values(catalog.bundles)) {
    const manifest = JSON.parse(
      await readFile(join(store, 'bundles', bundle.digest, 'manifest.json'), 'utf8'),
    ) as { files: { path: string; sha256: string }[] };
    const published = new Map(
      Object.values(catalog.indexes[bundle.index]?.projects ?? {}).flatMap((p) =>
        p.files.map((f) => [f.filename, f.sha256] as const),
      ),
    );
    for (const file of manifest.files) {
      const name = file.path.split('/').pop()!;
      if (published.get(name) !== file.sha256)
        throw new Error(`${bundle.name}: ${name} is not in ${bundle.index}`);
    }
  }
  return catalog;
}

/** The generations on disk (for "nothing was written"). */
export const generationsOf = async (store: string): Promise<string[]> =>
  (await readdir(join(store, 'generations'))).sort();
