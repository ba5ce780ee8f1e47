/**
 * CUDA builds hidden in version strings (see the brief): Paddle's `2.6.2.post112` is a PEP 440
 * post-release (CUDA 11.2), PyTorch's `2.1.2+cu118` a local label (CUDA 11.8). An unpinned or
 * `>=` requirement silently picks whichever build sorts highest (`>=2.6.2` picks post120, CUDA
 * 12.0), and `==2.1.2` matches every `+cuXXX` build; both deserve a warning.
 */
import type { Requirement } from '../standards/requirement.js';
import type { Version } from '../standards/version.js';

/** "11.8" for +cu118 / .post118 (Paddle's GPU projects), undefined when the version names no CUDA build. */
export function cudaBuildOf(project: string, version: Version): string | undefined {
  const local = version.local?.map(String).join('.') ?? '';
  const fromLocal = /^cu(\d{2,3})$/.exec(local);
  if (fromLocal) return splitCuda(fromLocal[1]!);
  if (project.startsWith('paddlepaddle') && version.post !== undefined && version.post >= 100)
    return splitCuda(String(version.post));
  return undefined;
}

function splitCuda(digits: string): string {
  // 118 → 11.8, 120 → 12.0, 92 → 9.2
  return `${digits.slice(0, digits.length - 1)}.${digits.slice(-1)}`;
}

/** Is this requirement pinned tightly enough to fix the CUDA build of `version`? */
export function pinsCudaBuild(requirement: Requirement, version: Version): boolean {
  return requirement.specifier.specifiers.some((s) => {
    if (s.operator === '===') return true;
    if (s.operator !== '==' || s.version.endsWith('*')) return false;
    // ==2.1.2 matches every local label (PEP 440), so it pins a +cuXXX build only if it names one;
    // ==2.6.2 never matches a .postNNN build, so a matching == already names the post-release.
    return version.local === undefined || s.version.includes('+');
  });
}

export function cudaVariantWarning(
  requirement: Requirement,
  source: string,
  chosen: Version,
  chosenText: string,
): string | undefined {
  const cuda = cudaBuildOf(requirement.normalizedName, chosen);
  if (cuda === undefined || pinsCudaBuild(requirement, chosen)) return undefined;
  const asked =
    requirement.specifier.specifiers.length === 0
      ? requirement.normalizedName
      : `${requirement.normalizedName}${requirement.specifier.specifiers.map((s) => `${s.operator}${s.version}`).join(',')}`;
  return (
    `"${asked}" (${source}) selected ${requirement.normalizedName} ${chosenText}, the CUDA ${cuda} build; ` +
    `it does not pin a CUDA build, so another index state or target could select a different one. ` +
    `Pin it exactly (${requirement.normalizedName}==${chosenText}) or use --framework with --cuda.`
  );
}
