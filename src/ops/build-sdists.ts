/**
 * The bundle's first step for a lock that holds sdists to be built on this host (`build =
 * 'host'`, src/ops/lock.ts): each sdist is downloaded hash-checked, built into a wheel in its own
 * isolated build environment (src/build/), checked against every target it is needed on, and put
 * in the content cache; the lock is then rewritten to carry the wheel, with its provenance for the
 * manifest and the SBOM.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SdistBuilder } from '../build/builder.js';
import { builtWheelFits } from '../build/fit.js';
import { buildSourcesOf } from '../build/sources.js';
import type { Locked, LockedFile, LockedPackage } from '../bundle/locked.js';
import type { ManifestBuilt } from '../bundle/manifest.js';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { type ContentCache, hashFile } from '../fetch/cache.js';
import { downloadAll } from '../fetch/download.js';
import type { IndexClient } from '../index/client.js';
import { readSdistFiles, sdistBuildSystem } from '../index/sdist-metadata.js';
import { describeTarget } from '../standards/target.js';

export interface HostBuildRequest {
  readonly locked: Locked;
  readonly client: IndexClient;
  readonly cache: ContentCache;
  /** SOURCE_DATE_EPOCH for the builds; default: the sdist's upload time, else 1980-01-01. */
  readonly createdAt?: Date;
  readonly events?: EventSink;
  /** The builder (tests give one without network isolation, or another Python). */
  readonly builder?: SdistBuilder;
}

export interface HostBuildResult {
  /** The lock with each built sdist replaced by its wheel. */
  readonly locked: Locked;
  /** Provenance per built wheel's file name. */
  readonly built: ReadonlyMap<string, ManifestBuilt>;
}

const isWheel = (filename: string): boolean => filename.endsWith('.whl');
const ZIP_EPOCH = 315532800;

export async function buildSdistsOnHost(request: HostBuildRequest): Promise<HostBuildResult> {
  const { locked, client, cache, events } = request;
  const todo = locked.packages.filter(
    (p) => p.build === 'host' && p.files.some((f) => !isWheel(f.filename)),
  );
  const built = new Map<string, ManifestBuilt>();
  if (todo.length === 0) return { locked, built };
  const sdists = todo.map((p) => ({ pkg: p, file: p.files.find((f) => !isWheel(f.filename))! }));
  const downloads = await downloadAll(
    sdists.map(({ file }) => ({
      url: client.withCredentials(file.url),
      filename: file.filename,
      sha256: file.sha256,
      ...(file.size === undefined ? {} : { size: file.size }),
    })),
    { cache, ...(events ? { events } : {}) },
  );
  const builder =
    request.builder ??
    new SdistBuilder({
      sources: buildSourcesOf(client.config, (url) => client.withCredentials(url)),
      ...(events ? { events } : {}),
    });
  const isolation = await builder.networkIsolation();
  if (isolation === undefined)
    events?.({
      type: 'warning',
      code: 'W_FERRY_BUILD_NETWORK_OPEN',
      message:
        'unshare -n is not available here (no root, no user namespaces): build backends run with the network reachable',
    });
  const facts = await builder.facts();
  const replaced = new Map<LockedPackage, LockedFile>();
  const out = await mkdtemp(join(tmpdir(), 'ferry-wheels-'));
  try {
    for (const [i, { pkg, file }] of sdists.entries()) {
      const epoch =
        request.createdAt !== undefined
          ? Math.floor(request.createdAt.getTime() / 1000)
          : file.uploadTime !== undefined && Number.isFinite(Date.parse(file.uploadTime))
            ? Math.floor(Date.parse(file.uploadTime) / 1000)
            : ZIP_EPOCH;
      const path = downloads[i]!.path;
      const system = sdistBuildSystem(
        await readSdistFiles(await readFile(path), file.filename),
        file.filename,
      );
      events?.({
        type: 'info',
        message: `building ${pkg.name} ${pkg.version} from ${file.filename}`,
      });
      const dir = join(out, String(i));
      const wheel = await builder.wheel(
        path,
        file.filename,
        system.requires,
        dir,
        Math.max(epoch, ZIP_EPOCH),
      );
      for (const target of locked.targets.filter((t) => pkg.targets.includes(t.name))) {
        const fit = builtWheelFits(wheel.wheel, facts, target);
        if (!fit.fits) throw unfit(pkg, wheel.wheel, describeTarget(target), fit.reason);
      }
      const wheelPath = join(dir, wheel.wheel);
      const { sha256, size } = await hashFile(wheelPath);
      await cache.put(sha256, wheelPath, { alreadyVerified: true });
      events?.({
        type: 'info',
        message: `built ${pkg.name} ${pkg.version} into ${wheel.wheel} in ${wheel.seconds.toFixed(1)} s`,
      });
      replaced.set(pkg, {
        filename: wheel.wheel,
        url: file.url,
        index: file.index,
        sha256,
        size,
        ...(file.uploadTime === undefined ? {} : { uploadTime: file.uploadTime }),
      });
      built.set(wheel.wheel, {
        sdist: { filename: file.filename, sha256: file.sha256, url: file.url },
        backend: wheel.backend,
        buildRequires: [...wheel.requires],
        buildRequested: [...wheel.requested],
        builder: {
          os: facts.os,
          arch: facts.arch,
          ...(facts.glibc === undefined ? {} : { glibc: facts.glibc }),
          python: facts.python,
          implementation: facts.implementation,
        },
        networkIsolated: isolation !== undefined,
        sourceDateEpoch: Math.max(epoch, ZIP_EPOCH),
      });
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  return {
    locked: {
      ...locked,
      packages: locked.packages.map((p) => {
        const wheel = replaced.get(p);
        if (wheel === undefined) return p;
        const { build: _host, ...rest } = p;
        return { ...rest, files: [...p.files.filter((f) => isWheel(f.filename)), wheel] };
      }),
    },
    built,
  };
}

function unfit(pkg: LockedPackage, wheel: string, target: string, reason: string): FerryError {
  return new FerryError(
    'ERR_FERRY_BUILT_WHEEL_UNFIT',
    `${pkg.name} ${pkg.version} built on this host into ${wheel}, a native wheel that does not fit ${target}: ${reason}.`,
    {
      hint: `Carry the sdist to be built on the target with --allow-sdist ${pkg.name} (the target then needs a compiler and the Python headers), or run ferry bundle on a host like the target (same arch and Python, glibc no newer).`,
      details: { project: pkg.name, version: pkg.version, wheel, target, reason },
    },
  );
}
