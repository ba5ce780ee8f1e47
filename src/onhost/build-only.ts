/**
 * The packages a bundle carries only to build its carried sdists on the target (setuptools,
 * wheel, a backend and its dependencies): pip's isolated build environment takes them from the
 * bundle's wheels (build-carried.ts), and the target venv does not get them, as `pip install`
 * of an sdist leaves no build requirement behind (PEP 517 build isolation). One the user's
 * closure also needs stays.
 *
 * The lock records why each package is there (`requiredBy`): a build requirement has the
 * source `build requirements of NAME VERSION`, a dependency the label `NAME VERSION` of the
 * package that asked for it, a root anything else (the command line, a requirements file).
 * What the roots reach through `dependencies` is the runtime closure; the rest is build-only.
 */
import { normalizeName } from '../standards/name.js';

export interface PackageWhy {
  readonly name: string;
  readonly version: string;
  readonly requiredBy: readonly string[];
  readonly dependencies: readonly string[];
}

const BUILD_SOURCE = 'build requirements of ';

/** Normalized names of the packages only the carried sdists' builds need. */
export function buildOnlyPackages(packages: readonly PackageWhy[]): Set<string> {
  if (!packages.some((p) => p.requiredBy.some((r) => r.startsWith(BUILD_SOURCE)))) return new Set();
  const labels = new Set(packages.map((p) => `${p.name} ${p.version}`));
  const byName = new Map(packages.map((p) => [normalizeName(p.name), p] as const));
  const runtime = new Set<string>();
  const queue = packages
    .filter((p) => p.requiredBy.some((r) => !r.startsWith(BUILD_SOURCE) && !labels.has(r)))
    .map((p) => normalizeName(p.name));
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (runtime.has(name)) continue;
    runtime.add(name);
    for (const dep of byName.get(name)?.dependencies ?? []) queue.push(normalizeName(dep));
  }
  // No root found: the records are not what this reads; keep everything rather than guess.
  if (runtime.size === 0) return new Set();
  return new Set([...byName.keys()].filter((n) => !runtime.has(n)));
}

/**
 * requirements.txt without the entries of the named projects. An entry is a line and its
 * `\`-continued lines (formatRequirementsTxt writes `NAME==VERSION \` then one `--hash` a line).
 */
export function withoutPackages(text: string, names: ReadonlySet<string>): string {
  if (names.size === 0) return text;
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const entry = [lines[i]!];
    while (entry[entry.length - 1]!.endsWith('\\') && i + 1 < lines.length) entry.push(lines[++i]!);
    const name = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(entry[0]!)?.[1];
    if (name !== undefined && names.has(normalizeName(name))) continue;
    out.push(...entry);
  }
  return out.join('\n');
}
