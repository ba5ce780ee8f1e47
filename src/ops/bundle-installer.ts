/**
 * `ferry bundle`'s installer: uv's own wheel for each target it runs on (Linux x86_64 and
 * aarch64), looked up on the same indexes as the closure, at the one pinned version
 * (src/bundle/installer-tool.ts UV_VERSION), with the SHA-256 the index gives (hashed here for a
 * find-links folder, which is listed by name). buildBundle downloads it hash-checked like every
 * other file and records it in manifest.json `tools[]`.
 *
 * When the index has no uv for a target, the bundle is still written, with a warning: the
 * target then installs with pip, as bundles without uv always did.
 */
import { fileURLToPath } from 'node:url';
import {
  type BundleInstaller,
  chooseUvWheels,
  UV_PROJECT,
  UV_TOOL,
  UV_VERSION,
  uvRunsOn,
} from '../bundle/installer-tool.js';
import type { EventSink } from '../core/events.js';
import type { IndexClient } from '../index/client.js';
import { localFileSha256 } from '../index/http.js';
import { describeTarget, type Target } from '../standards/target.js';

/** A tool file to download into the bundle's tools/ folder. */
export interface ToolDownload {
  readonly filename: string;
  readonly url: string;
  readonly index: string;
  readonly sha256: string;
  readonly size?: number;
  /** manifest.json tools[].tool, e.g. "uv 0.13.9". */
  readonly tool: string;
}

/** uv's wheels for `targets` (none with `--installer pip`, or for targets uv does not run on). */
export async function installerTools(
  installer: BundleInstaller,
  client: Pick<IndexClient, 'getProject'>,
  targets: readonly Target[],
  events: EventSink = () => {},
  /** ferry's cache dir: a find-links wheel's hash is kept there while the file is unchanged. */
  cacheDir?: string,
): Promise<ToolDownload[]> {
  if (installer === 'pip') return [];
  const wanted = targets.filter(uvRunsOn);
  if (wanted.length === 0) return [];
  const page = await client.getProject(UV_PROJECT);
  const { chosen, unmatched } = chooseUvWheels(
    wanted,
    await Promise.all(
      (page?.files ?? []).map(async (f) => {
        // A find-links folder is listed without hashes: hash the uv wheels it holds here.
        const sha256 =
          f.hashes.sha256 ??
          (f.url.startsWith('file:') && f.filename.startsWith(`uv-${UV_VERSION}-`)
            ? await localFileSha256(fileURLToPath(f.url), cacheDir)
            : undefined);
        return {
          filename: f.filename,
          url: f.url,
          index: f.index,
          ...(sha256 === undefined ? {} : { sha256 }),
          ...(f.size === undefined ? {} : { size: f.size }),
        };
      }),
    ),
  );
  if (unmatched.length > 0)
    events({
      type: 'warning',
      code: 'W_FERRY_NO_UV',
      message: `the indexes have no uv ${UV_VERSION} wheel with a SHA-256 for ${unmatched.map(describeTarget).join('; ')}: ${unmatched.length === wanted.length ? 'the bundle' : 'those targets'} will install with pip (slower; --installer pip says this on purpose)`,
    });
  return chosen.map((c) => ({
    filename: c.filename,
    url: c.url,
    index: c.index,
    sha256: c.sha256 as string,
    ...(c.size === undefined ? {} : { size: c.size }),
    tool: UV_TOOL,
  }));
}
