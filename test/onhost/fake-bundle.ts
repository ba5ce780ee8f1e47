/**
 * Bundle folders for target-side tests: real wheels (test/helpers/local-index.ts), a manifest,
 * a hashed requirements.txt; with a key, also the rest of format 1 (SHA256SUMS, install.py,
 * README.txt, an SBOM) and a signature, as `ferry bundle` + `ferry sign` would leave it.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatInstallPy } from '../../src/bundle/install-py.js';
import { formatManifest, type Manifest } from '../../src/bundle/manifest.js';
import { computeSha256Sums, formatSha256Sums } from '../../src/bundle/sha256sums.js';
import { signBundle } from '../../src/bundle/sign.js';
import type { SecretKey } from '../../src/trust/keys.js';
import { buildWheel, type FakeDist } from '../helpers/local-index.js';

/** A manifest naming these wheel files (no bytes needed: for doctor). */
export function manifestOf(filenames: readonly string[]): Manifest {
  const files = filenames.map((filename) => {
    const [name, version] = filename.split('-') as [string, string];
    return {
      path: `wheels/${filename}`,
      name: name.replace(/_/g, '-'),
      version,
      size: 1,
      sha256: '0'.repeat(64),
      url: `https://files.example/${filename}`,
    };
  });
  return {
    formatVersion: 1,
    tool: 'ferry test',
    createdAt: '2026-01-01T00:00:00.000Z',
    targets: [],
    indexes: [],
    requirements: [],
    constraints: [],
    packages: files.map((f) => ({
      name: f.name,
      version: f.version,
      requiredBy: [],
      extras: [],
      dependencies: [],
      targets: [],
    })),
    files,
  };
}

export async function writeManifestOnlyBundle(
  dir: string,
  filenames: readonly string[],
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'manifest.json'), formatManifest(manifestOf(filenames)));
  return dir;
}

/**
 * A complete, installable bundle of generated wheels. `extraRequirements` are pinned lines with
 * no file. With `signWith`, the bundle gets SHA256SUMS and the other format-1 files and is
 * signed by that key; without it, it is an old-style bundle with no SHA256SUMS.
 */
export async function writeBundle(
  dir: string,
  dists: readonly FakeDist[],
  extraRequirements: readonly string[] = [],
  signWith?: SecretKey,
): Promise<string> {
  const wheels = join(dir, 'wheels');
  await mkdir(wheels, { recursive: true });
  const manifest = manifestOf([]);
  const lines: string[] = [];
  for (const dist of dists) {
    const built = await buildWheel(dist, wheels);
    const size = (await lstat(built.path)).size;
    manifest.files.push({
      path: `wheels/${built.filename}`,
      name: dist.name,
      version: dist.version,
      size,
      sha256: built.sha256,
      url: `https://files.example/${built.filename}`,
    });
    manifest.packages.push({
      name: dist.name,
      version: dist.version,
      requiredBy: [],
      extras: [],
      dependencies: [],
      targets: [],
    });
    lines.push(`${dist.name}==${dist.version} \\\n    --hash=sha256:${built.sha256}`);
  }
  for (const r of extraRequirements) lines.push(`${r} \\\n    --hash=sha256:${'1'.repeat(64)}`);
  await writeFile(join(dir, 'manifest.json'), formatManifest(manifest));
  await writeFile(join(dir, 'requirements.txt'), `# test bundle\n${lines.join('\n')}\n`);
  if (signWith !== undefined) {
    await writeFile(join(dir, 'install.py'), formatInstallPy(), { mode: 0o755 });
    await writeFile(join(dir, 'README.txt'), 'A ferry test bundle.\n');
    await writeFile(join(dir, 'sbom.cdx.json'), '{}\n');
    await resumBundle(dir);
    await signBundle(dir, signWith);
  }
  return dir;
}

/** Rewrites SHA256SUMS from the files as they are now (what an attacker who edits a bundle does). */
export async function resumBundle(dir: string): Promise<void> {
  await writeFile(join(dir, 'SHA256SUMS'), formatSha256Sums(await computeSha256Sums(dir)));
}

/** A hash of a whole tree: every path, type, mode, link target and file content. */
export async function treeHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(join(dir, rel))).sort();
    for (const name of entries) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = await lstat(join(dir, path));
      hash.update(`${path}\0${st.mode}\0`);
      if (st.isSymbolicLink()) hash.update(`link:${await readlink(join(dir, path))}\0`);
      else if (st.isDirectory()) await walk(path);
      else hash.update(await readFile(join(dir, path)));
    }
  };
  await walk('');
  return hash.digest('hex');
}
