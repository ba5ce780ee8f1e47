/**
 * The indexes a build environment installs its build requirements from: the ones ferry resolved
 * against (pip's configuration, ferry.toml, the command line), never a host name of ours.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { IndexConfig } from '../index/index-config.js';
import type { BuildSources } from './builder.js';

export function buildSourcesOf(
  config: IndexConfig,
  withCredentials: (url: string) => string = (u) => u,
): BuildSources {
  return {
    // An index kept for pinned projects only (explicit) would not be searched by pip for build
    // requirements either.
    indexUrls: config.indexes.filter((i) => !i.explicit).map((i) => withCredentials(i.url)),
    findLinks: [...config.findLinks],
  };
}

/** Runs `body` with the sdist's bytes in a temporary file named as the sdist is. */
export async function withSdistFile<T>(
  bytes: Buffer,
  filename: string,
  body: (path: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-sdist-'));
  try {
    const path = join(dir, basename(filename));
    await writeFile(path, bytes);
    return await body(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
