/**
 * `ferry bundle`: resolve for a target, download every file (parallel, hash-checked, cached),
 * and write the bundle folder. The folder is assembled beside the destination and renamed into
 * place, so a failed or interrupted run never leaves a half-written bundle.
 */
import { readdir, stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { redactUrl } from '../core/redact.js';
import type { ContentCache } from '../fetch/cache.js';
import { downloadAll } from '../fetch/download.js';
import { IndexClient } from '../index/client.js';
import type { IndexSettings } from '../index/pip-config.js';
import { IndexProvider } from '../resolver/index-provider.js';
import { type ResolvedPackage, resolve, type SourcedRequirement } from '../resolver/resolve.js';
import { formatRequirement } from '../standards/requirement.js';
import { describeTarget, type Target, targetTags } from '../standards/target.js';
import { parseVersion } from '../standards/version.js';
import { BUNDLE_FORMAT_VERSION, type Manifest, type ManifestFile } from './manifest.js';
import { formatRequirementsTxt } from './requirements-txt.js';
import { writeBundleFolder } from './write-folder.js';

export interface BuildBundleOptions {
  readonly requirements: readonly SourcedRequirement[];
  readonly constraints: readonly SourcedRequirement[];
  readonly prereleases: boolean;
  readonly settings: IndexSettings;
  readonly target: Target;
  readonly outDir: string;
  readonly cache: ContentCache;
  readonly toolVersion: string;
  readonly events?: EventSink;
  readonly concurrency?: number;
  /** Replace a destination that is not a ferry bundle. */
  readonly force?: boolean;
  /** Fixed creation time (SOURCE_DATE_EPOCH) for reproducible manifests. */
  readonly createdAt?: Date;
}

export interface BuildBundleResult {
  readonly outDir: string;
  readonly packages: readonly ResolvedPackage[];
  readonly files: readonly ManifestFile[];
  readonly downloaded: number;
  readonly fromCache: number;
  readonly bytes: number;
}

export function indexDescriptions(settings: IndexSettings): string[] {
  return settings.noIndex
    ? settings.findLinks.map(redactUrl)
    : [settings.indexUrl, ...settings.extraIndexUrls, ...settings.findLinks].map(redactUrl);
}

export async function buildBundle(options: BuildBundleOptions): Promise<BuildBundleResult> {
  const outDir = resolvePath(options.outDir);
  await checkDestination(outDir, options.force === true);
  const { target, settings, events } = options;
  const tags = targetTags(target);
  const pythonVersion = parseVersion(target.interpreter.fullVersion);
  const client = new IndexClient({ settings, ...(events ? { events } : {}), cacheDir: options.cache.dir });
  const searched = indexDescriptions(settings);
  const provider = new IndexProvider({
    client,
    tags,
    pythonVersion,
    searched,
    suggest: (name) => client.suggestNames(name),
  });
  const resolution = await resolve(options.requirements, {
    provider,
    markers: target.markers,
    pythonVersion,
    constraints: options.constraints,
    prereleases: options.prereleases,
    ...(events ? { events } : {}),
    target: { description: describeTarget(target), tags },
  });

  const requests = resolution.packages.map((p) => {
    const sha256 = p.candidate.file.hashes.sha256;
    if (sha256 === undefined) {
      throw new FerryError(
        'ERR_FERRY_NO_HASH',
        `The index gave no SHA-256 for ${p.candidate.file.filename} (${redactUrl(p.candidate.file.url)}).`,
        { hint: 'Use an index that publishes hashes (PEP 503 #sha256= fragments or PEP 691 JSON), or a local --find-links folder.' },
      );
    }
    return {
      url: p.candidate.file.url,
      filename: p.candidate.file.filename,
      sha256,
      ...(p.candidate.file.size === undefined ? {} : { size: p.candidate.file.size }),
    };
  });
  const downloads = await downloadAll(requests, {
    cache: options.cache,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(events ? { events } : {}),
  });

  const files: ManifestFile[] = resolution.packages.map((p, i) => {
    const d = downloads[i]!;
    return {
      path: `wheels/${d.filename}`,
      name: p.name,
      version: p.version,
      size: d.size,
      sha256: d.sha256,
      url: redactUrl(p.candidate.file.url),
      index: p.candidate.file.index,
    };
  });
  const manifest: Manifest = {
    formatVersion: BUNDLE_FORMAT_VERSION,
    tool: `ferry ${options.toolVersion}`,
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    targets: [
      {
        name: target.name,
        python: target.interpreter.fullVersion,
        implementation: target.interpreter.implementation,
        platform: describeTarget(target),
        tags,
        markers: { ...target.markers },
      },
    ],
    indexes: searched,
    requirements: options.requirements.map((r) => formatRequirement(r.requirement)),
    constraints: options.constraints.map((r) => formatRequirement(r.requirement)),
    packages: resolution.packages.map((p) => ({
      name: p.name,
      version: p.version,
      requiredBy: [...p.requiredBy],
      extras: [...p.extras],
    })),
    files,
  };

  await writeBundleFolder(outDir, {
    manifest,
    wheels: downloads.map((d) => ({ filename: d.filename, sha256: d.sha256 })),
    requirementsTxt: formatRequirementsTxt(
      resolution.packages.map((p, i) => ({ name: p.name, version: p.version, sha256: downloads[i]!.sha256 })),
      [
        `Written by ferry ${options.toolVersion} for ${describeTarget(target)}.`,
        'Install offline: pip install --no-index --find-links wheels --require-hashes -r requirements.txt',
      ],
    ),
    cache: options.cache,
  });
  return {
    outDir,
    packages: resolution.packages,
    files,
    downloaded: downloads.filter((d) => !d.fromCache).length,
    fromCache: downloads.filter((d) => d.fromCache).length,
    bytes: downloads.reduce((sum, d) => sum + d.size, 0),
  };
}

/** Refuses to overwrite a folder that is not a ferry bundle unless forced. */
async function checkDestination(outDir: string, force: boolean): Promise<void> {
  const info = await stat(outDir).catch(() => undefined);
  if (info === undefined || force) return;
  if (!info.isDirectory()) {
    throw new FerryError('ERR_FERRY_DESTINATION', `"${outDir}" exists and is not a folder.`, {
      hint: 'Choose another -o path.',
    });
  }
  const entries = await readdir(outDir);
  if (entries.length > 0 && !entries.includes('manifest.json')) {
    throw new FerryError('ERR_FERRY_DESTINATION', `"${outDir}" exists and is not a ferry bundle; refusing to replace it.`, {
      hint: 'Choose an empty or new -o path, or pass --force to replace it.',
    });
  }
}
