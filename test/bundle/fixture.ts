/**
 * A small bundle for tests: three generated, pip-installable wheels with licences in their
 * METADATA (License-Expression, License, and a classifier), a dependency chain
 * demo-app → demo-lib → demo-util, written with writeBundleFolder through a ContentCache.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_FORMAT_VERSION, type Manifest } from '../../src/bundle/manifest.js';
import { formatRequirementsTxt } from '../../src/bundle/requirements-txt.js';
import { writeBundleFolder } from '../../src/bundle/write-folder.js';
import { ContentCache } from '../../src/fetch/cache.js';
import { buildZip } from '../helpers/local-index.js';

export interface FixtureWheel {
  name: string;
  version: string;
  requires: string[];
  licenseLines: string[];
}

export const FIXTURE_WHEELS: readonly FixtureWheel[] = [
  {
    name: 'demo-app',
    version: '1.0',
    requires: ['demo-lib>=2', 'demo-util'],
    licenseLines: ['License-Expression: MIT OR Apache-2.0'],
  },
  {
    name: 'demo-lib',
    version: '2.0',
    requires: ['demo-util'],
    licenseLines: ['License: Apache-2.0'],
  },
  {
    name: 'demo-util',
    version: '0.3',
    requires: [],
    licenseLines: ['Classifier: License :: OSI Approved :: BSD License'],
  },
];

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const escapeName = (name: string): string => name.replace(/[-_.]+/g, '_');

export function fixtureWheel(w: FixtureWheel): { filename: string; data: Buffer } {
  const pkg = escapeName(w.name).toLowerCase();
  const distInfo = `${escapeName(w.name)}-${w.version}.dist-info`;
  const metadata = [
    'Metadata-Version: 2.4',
    `Name: ${w.name}`,
    `Version: ${w.version}`,
    ...w.licenseLines,
    ...w.requires.map((r) => `Requires-Dist: ${r}`),
    '',
    '',
  ].join('\n');
  const files: [string, Buffer][] = [
    [`${pkg}/__init__.py`, Buffer.from(`__version__ = ${JSON.stringify(w.version)}\n`)],
    [`${distInfo}/METADATA`, Buffer.from(metadata)],
    [
      `${distInfo}/WHEEL`,
      Buffer.from(
        'Wheel-Version: 1.0\nGenerator: ferry-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n',
      ),
    ],
  ];
  const record = `${files.map(([p, d]) => `${p},sha256=${createHash('sha256').update(d).digest('base64url')},${d.length}`).join('\n')}\n${distInfo}/RECORD,,\n`;
  files.push([`${distInfo}/RECORD`, Buffer.from(record)]);
  return {
    filename: `${escapeName(w.name)}-${w.version}-py3-none-any.whl`,
    data: buildZip(files.map(([name, data]) => ({ name, data }))),
  };
}

export interface FixtureOptions {
  sm3?: boolean;
  pylockToml?: string;
  createdAt?: string;
  /** Drop this package's wheel (an incomplete closure). */
  omit?: string;
  /** Drop this package entirely, though others depend on it (a broken dependency edge). */
  dropPackage?: string;
}

/** Writes the fixture bundle to `outDir`, with `cacheDir` as the content cache. */
export async function writeFixtureBundle(
  outDir: string,
  cacheDir: string,
  options: FixtureOptions = {},
): Promise<Manifest> {
  const cache = new ContentCache(cacheDir);
  const staging = await mkdtemp(join(tmpdir(), 'ferry-fixture-wheels-'));
  const built = [];
  for (const w of FIXTURE_WHEELS) {
    const { filename, data } = fixtureWheel(w);
    const path = join(staging, filename);
    await mkdir(staging, { recursive: true });
    await writeFile(path, data);
    const sha = sha256(data);
    if (!(await cache.has(sha))) await cache.put(sha, path);
    built.push({ w, filename, sha256: sha, size: data.length });
  }
  const kept = built.filter((b) => b.w.name !== options.omit && b.w.name !== options.dropPackage);
  const manifest: Manifest = {
    formatVersion: BUNDLE_FORMAT_VERSION,
    tool: 'ferry 0.1.0',
    createdAt: options.createdAt ?? '2026-01-02T03:04:05.000Z',
    targets: [
      {
        name: 'cp311-linux-x86_64',
        python: '3.11.7',
        implementation: 'cpython',
        platform: 'CPython 3.11 on Linux x86_64 (glibc 2.28)',
        tags: ['py3-none-any'],
        markers: { python_version: '3.11', sys_platform: 'linux' },
      },
    ],
    indexes: ['http://127.0.0.1:1/simple'],
    requirements: ['demo-app==1.0'],
    constraints: [],
    packages: built
      .filter((b) => b.w.name !== options.dropPackage)
      .map((b) => ({
        name: b.w.name,
        version: b.w.version,
        requiredBy: b.w.name === 'demo-app' ? [] : ['demo-app'],
        extras: [],
        dependencies: b.w.requires.map((r) => /^[A-Za-z0-9._-]+/.exec(r)![0]).sort(),
        targets: ['cp311-linux-x86_64'],
      })),
    files: kept.map((b) => ({
      path: `wheels/${b.filename}`,
      name: b.w.name,
      version: b.w.version,
      size: b.size,
      sha256: b.sha256,
      url: `http://127.0.0.1:1/files/${b.filename}`,
      index: 'http://127.0.0.1:1/simple',
    })),
  };
  await writeBundleFolder(outDir, {
    manifest,
    wheels: kept.map((b) => ({ filename: b.filename, sha256: b.sha256 })),
    requirementsTxt: formatRequirementsTxt(
      kept.map((b) => ({ name: b.w.name, version: b.w.version, sha256: b.sha256 })),
    ),
    cache,
    ...(options.sm3 === true ? { sm3: true } : {}),
    ...(options.pylockToml === undefined ? {} : { pylockToml: options.pylockToml }),
  });
  return manifest;
}
