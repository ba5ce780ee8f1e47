/**
 * uv as the installer a bundle carries (docs/bundle-format.md, "The installer"). uv publishes
 * one wheel per platform whose `<name>.data/scripts/uv` is a self-contained binary (musllinux:
 * static; manylinux: needs only glibc); installing with it offline is about 5× faster than pip
 * (issue 12). The wheel is a tool of the bundle, not part of the user's closure: it sits in
 * tools/, is listed in manifest.json `tools[]` and SHA256SUMS (so it is verified and signed
 * like every other file), and is never installed into the target's venv; the far side only
 * unpacks the binary to run `uv pip install` (src/onhost/installer.ts, install.py).
 *
 * Pure: which targets get uv, which of uv's files fits each, and how it is recorded. The
 * lookup on the index is src/ops/bundle-installer.ts.
 */
import { parseWheelFilename, type WheelFilename } from '../standards/filename.js';
import { bestWheelRank, tagRanking } from '../standards/tags.js';
import { platformMachine, type Target, targetTags } from '../standards/target.js';
import type { ManifestTool } from './manifest.js';

/**
 * The uv that bundles carry. 0.13.9 is the version the benchmark times against
 * (test/oracles.txt, bench-venv), so the speed measured there is the speed a bundle gets; its
 * `uv pip install` has every flag the install step needs (--offline, --no-config,
 * --require-hashes, --no-deps, --no-build, --python). Change it together with that pin.
 */
export const UV_VERSION = '0.13.9';
/** The project on the index that publishes uv's wheels (PEP 503 normalized). */
export const UV_PROJECT = 'uv';
/** What manifest.json `tools[].tool` says for the carried uv. */
export const UV_TOOL = `uv ${UV_VERSION}`;

/** `ferry bundle --installer`: carry uv (the default where it runs), or leave it to pip. */
export type BundleInstaller = 'uv' | 'pip';

/** uv ships binaries for these Linux machines (x86_64 and aarch64, glibc and musl). */
const UV_ARCHES = new Set(['x86_64', 'aarch64']);

/** Whether uv is carried for this target: Linux on x86_64 or aarch64. */
export const uvRunsOn = (target: Target): boolean =>
  target.platform.os === 'linux' && UV_ARCHES.has(platformMachine(target.platform));

/** A file the index offers for uv (the fields of an index DistFile this needs). */
export interface UvCandidate {
  readonly filename: string;
  readonly url: string;
  readonly index: string;
  readonly sha256?: string;
  readonly size?: number;
}

/**
 * For each target uv runs on, the best of uv's UV_VERSION wheels by that target's tag order
 * (as the resolver picks a wheel), deduplicated; targets with no fitting wheel are returned
 * apart, so the caller can say so. Wheels without a SHA-256 are never chosen: nothing is
 * carried unchecked.
 */
export function chooseUvWheels(
  targets: readonly Target[],
  candidates: readonly UvCandidate[],
): { readonly chosen: readonly UvCandidate[]; readonly unmatched: readonly Target[] } {
  const wheels = candidates.flatMap((c) => {
    const parsed = tryParseWheelFilename(c.filename);
    if (parsed === undefined || parsed.version !== UV_VERSION || c.sha256 === undefined) return [];
    // A pure wheel holds no binary; only platform wheels are of use.
    if (parsed.platformTags.every((p) => p === 'any')) return [];
    return [{ candidate: c, parsed }];
  });
  const chosen = new Map<string, UvCandidate>();
  const unmatched: Target[] = [];
  for (const target of targets.filter(uvRunsOn)) {
    const ranking = tagRanking(targetTags(target));
    let best: { rank: number; candidate: UvCandidate } | undefined;
    for (const w of wheels) {
      const rank = bestWheelRank(w.parsed, ranking);
      if (rank !== undefined && (best === undefined || rank < best.rank))
        best = { rank, candidate: w.candidate };
    }
    if (best === undefined) unmatched.push(target);
    else chosen.set(best.candidate.filename, best.candidate);
  }
  return {
    chosen: [...chosen.values()].sort((a, b) => (a.filename < b.filename ? -1 : 1)),
    unmatched,
  };
}

function tryParseWheelFilename(filename: string): WheelFilename | undefined {
  try {
    return parseWheelFilename(filename);
  } catch {
    return undefined;
  }
}

/** Where a carried uv wheel lies in the bundle. */
export const uvToolPath = (filename: string): string => `tools/${filename}`;

/** The tools[] entries that are uv wheels, from a manifest's tools (path tools/uv-*.whl). */
export function uvTools(tools: readonly ManifestTool[] | undefined): ManifestTool[] {
  return (tools ?? []).filter(
    (t) => /^uv \S+$/.test(t.tool) && /^tools\/uv-[^/]+\.whl$/.test(t.path),
  );
}

/** The binary inside uv's wheel: `uv-VERSION.data/scripts/uv` (PEP 427's .data/scripts). */
export function uvBinaryEntry(wheelFilename: string): string | undefined {
  const parsed = tryParseWheelFilename(wheelFilename);
  return parsed === undefined ? undefined : `uv-${parsed.version}.data/scripts/uv`;
}
