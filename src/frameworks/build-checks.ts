/**
 * Checks of one build (a row of data/frameworks.json) against the target that do not depend on
 * which release or interpreter is chosen: its libstdc++ floor and the GPUs it has kernels for.
 * ./variants.ts runs them for the build it chooses and for every 'auto' candidate.
 */
import type { ErrorCode } from '../core/error-codes.js';
import type { TargetProfile } from '../host/profile.js';
import { compareDottedVersions } from './cuda.js';
import { missingKernelsReason } from './gpu-arch.js';
import type { FrameworkVariant } from './table.js';

/** One reason a build cannot be used on a target, and what would remove that reason. */
export interface VariantProblem {
  readonly code: ErrorCode;
  readonly problem: string;
  readonly fix: string;
}

/** GCC releases by the GLIBCXX version their libstdc++ introduced (GCC's libstdc++ ABI docs). */
const GCC_OF_GLIBCXX: Readonly<Record<string, string>> = {
  '3.4.19': '4.8',
  '3.4.21': '5',
  '3.4.22': '6',
  '3.4.24': '7',
  '3.4.25': '8',
  '3.4.26': '9',
  '3.4.28': '10',
  '3.4.29': '11',
  '3.4.30': '12',
};

function withGcc(glibcxx: string): string {
  const gcc = GCC_OF_GLIBCXX[glibcxx];
  return gcc === undefined ? `GLIBCXX_${glibcxx}` : `GLIBCXX_${glibcxx} (GCC ${gcc})`;
}

/**
 * The build's problems on this target: a libstdc++ older than its floor (an unknown libstdc++,
 * as in a profile made from flags, is no problem: the chooser notes it instead), and a GPU the
 * build has no kernels for (gpu-arch.ts; CUDA 13 builds start at Turing, Blackwell needs a
 * CUDA ≥ 12.8 build). CPU builds have no GPU problems.
 */
export function buildProblems(
  v: FrameworkVariant,
  name: string,
  release: string,
  profile: TargetProfile,
  libc: { kind: string; version: string | null } | null,
): VariantProblem[] {
  const problems: VariantProblem[] = [];
  const have = profile.libstdcxx?.glibcxx ?? null;
  if (
    v.minGlibcxx !== undefined &&
    have !== null &&
    libc?.kind !== 'musl' &&
    compareDottedVersions(have, v.minGlibcxx) < 0
  ) {
    problems.push({
      code: 'ERR_FERRY_VARIANT_LIBSTDCXX',
      problem: `${name} ${release} needs libstdc++ with ${withGcc(v.minGlibcxx)} or newer; the target's libstdc++ has ${withGcc(have)}${profile.libstdcxx?.path ? ` (${profile.libstdcxx.path})` : ''}`,
      fix: `Install a newer libstdc++ on the target (e.g. from devtoolset/gcc-toolset ${GCC_OF_GLIBCXX[v.minGlibcxx] ?? ''}, or a distribution release that ships it), or choose an older ${name} release.`,
    });
  }
  if (v.cuda !== 'cpu') {
    const range =
      v.capabilities === undefined
        ? undefined
        : { min: v.capabilities.min, max: v.capabilities.max };
    const capabilities = profile.nvidia.computeCapabilities ?? [];
    const reasons = [
      ...new Set(
        capabilities
          .map((c) => missingKernelsReason(v.cuda, c, range))
          .filter((r): r is string => r !== undefined),
      ),
    ];
    for (const reason of reasons) {
      problems.push({
        code: 'ERR_FERRY_VARIANT_NO_KERNELS',
        problem: `${name} ${release}: ${reason}`,
        fix: 'Choose a CUDA build whose kernels cover the GPU (--cuda auto picks one), or the CPU build (--cuda cpu).',
      });
    }
  }
  return problems;
}
