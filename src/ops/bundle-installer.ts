/**
 * `ferry bundle`'s installer: uv's own wheel for each target it runs on (Linux x86_64 and
 * aarch64), looked up on the same indexes as the closure, at the one pinned version
 * (src/bundle/installer-tool.ts UV_VERSION), with the SHA-256 the index gives. buildBundle
 * downloads it hash-checked like every other file and records it in manifest.json `tools[]`.
 *
 * When the index has no uv for a target, the bundle is still written, with a warning: the
 * target then installs with pip, as bundles without uv always did.
 */
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
): Promise<ToolDownload[]> {
  if (installer === 'pip') return [];
  const wanted = targets.filter(uvRunsOn);
  if (wanted.length === 0) return [];
  const page = await client.getProject(UV_PROJECT);
  const { chosen, unmatched } = chooseUvWheels(
    wanted,
    (page?.files ?? []).map((f) => ({
      filename: f.filename,
      url: f.url,
      index: f.index,
      ...(f.hashes.sha256 === undefined ? {} : { sha256: f.hashes.sha256 }),
      ...(f.size === undefined ? {} : { size: f.size }),
    })),
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
