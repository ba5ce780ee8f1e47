/**
 * Turns the resolver's first clash into an error a person can act on: which requirements
 * clash, who asked for each, and what the index actually has.
 */
import { FerryError } from '../core/errors.js';
import { parseSpecifierSet, specifierSetContains } from '../standards/specifier.js';
import {
  compareVersions,
  formatVersion,
  tryParseVersion,
  type Version,
} from '../standards/version.js';
import type { CandidatesAnswer, RejectedFile } from './provider.js';

export interface Clash {
  readonly name: string;
  readonly requirements: readonly { text: string; specifier: string; source: string }[];
  /** Set when the clash is with an already chosen version. */
  readonly pinned: string | undefined;
  readonly answer: CandidatesAnswer | undefined;
  readonly prereleasesAllowed: boolean;
  /** The target, for "no compatible file" errors. */
  readonly target?: { readonly description: string; readonly tags: readonly string[] };
  /** Versions fit the requirements but none has a file for every target that needs the project. */
  readonly uncovered?: {
    readonly targets: readonly string[];
    readonly versions: readonly string[];
  };
  /** Every candidate that matched was refused by its Requires-Python. */
  readonly requiresPython?: readonly string[];
  /** Versions that match but were set aside as yanked (PEP 592), with the index's reason. */
  readonly yanked?: readonly { readonly version: string; readonly reason?: string }[];
}

const MAX_LISTED = 15;
/** Files named in an error's details (--json): enough to see the pattern, not a whole index page. */
const MAX_DETAILED = 50;
/** Lines of the per-platform summary of a big project's files. */
const MAX_KINDS = 10;

export function describeClash(clash: Clash, decisions: number): FerryError {
  const asked = clash.requirements.map((r) => `  ${r.text}  (required by ${r.source})`).join('\n');
  const answer = clash.answer;

  if (answer?.kind === 'not-found') {
    const who = clash.requirements.map((r) => r.source).filter((s) => s !== 'the command line');
    const suggestion =
      answer.suggestions.length > 0
        ? `Did you mean ${answer.suggestions.map((s) => `"${s}"`).join(' or ')}? `
        : '';
    return new FerryError(
      'ERR_FERRY_UNKNOWN_PROJECT',
      `No project named "${clash.name}" was found on ${answer.searched.join(', ') || 'any index'}` +
        (who.length > 0 ? ` (required by ${who.join(', ')}).` : '.'),
      {
        hint: `${suggestion}Check the spelling, or name the index that hosts it with --extra-index-url or --find-links.`,
        details: {
          project: clash.name,
          suggestions: answer.suggestions,
          searched: answer.searched,
        },
      },
    );
  }

  if (clash.uncovered !== undefined) {
    const { targets, versions } = clash.uncovered;
    return new FerryError(
      'ERR_FERRY_NO_COMPATIBLE_FILE',
      `No version of "${clash.name}" that fits the requirements has a file for every target that needs it (${targets.join(', ')}):\n  ${versions.slice(0, MAX_LISTED).join('\n  ')}${versions.length > MAX_LISTED ? '\n  …' : ''}\nRequired as:\n${asked}`,
      {
        hint: 'Lock these targets separately, or pin a version that publishes wheels for all of them.',
        details: { project: clash.name, targets, versions },
      },
    );
  }

  if (answer?.kind === 'found' && answer.candidates.length === 0) {
    const target = clash.target;
    const rejected = answer.rejected;
    const tags = target?.tags ?? [];
    const tagLine =
      tags.length > 0
        ? `\nTags tried, best first (${tags.length}): ${tags.slice(0, 8).join(', ')}${tags.length > 8 ? ', …' : ''}`
        : '';
    const { withWheels, sdistOnly } = versionsByKind(rejected);
    const kinds =
      (withWheels.length > 0
        ? `\nVersions with wheels (for other platforms or Pythons): ${listVersions(withWheels)}`
        : '') +
      (sdistOnly.length > 0
        ? `\nVersions with only a source distribution (sdist): ${listVersions(sdistOnly)}`
        : '');
    const platform = targetPlatform(tags);
    // A big project has thousands of files, none for this target: a summary says more than a list.
    const summary = rejected.length > MAX_LISTED ? summarizeFiles(rejected, tags) : undefined;
    const files =
      summary === undefined
        ? `\nFiles on ${answer.source}:\n${rejected.map((f) => `  ${f.filename}  (${f.detail})`).join('\n') || '  (none)'}`
        : `\n${answer.source} has ${rejected.length} files of "${clash.name}"${platform === undefined ? '' : `, none for ${platform.label}`}:\n${summary.lines.join('\n')}` +
          (summary.nearest.length > 0
            ? `\nNearest tags that exist: ${summary.nearest.join(', ')}`
            : '');
    const noLoongWheels = platform?.arch === 'loongarch64';
    const hasSdist = rejected.some((f) => f.reason === 'sdist');
    const options = [
      'bundle for a target these wheels fit (--target, --python, --os, --arch, --glibc)',
      // No version has a file for any target here, so "pick another version" would lead nowhere.
      ...(noLoongWheels
        ? [
            `add an index that has ${clash.name} wheels for linux loongarch64 with --index NAME=URL (docs/indexes.md)`,
          ]
        : []),
      ...(hasSdist
        ? [
            `carry the sdist and build it on the target with --allow-sdist ${clash.name} (the target then may need a compiler and the Python headers)`,
          ]
        : []),
    ];
    // PyPI accepts no loongarch64 wheels yet (pypa/manylinux#1927 enables the images "once PyPI
    // accepts loongarch64 wheels"), so its mirrors have none either; community indexes do.
    const loong = noLoongWheels
      ? '\nPyPI does not accept loongarch64 wheels, so an index that mirrors it has none: such wheels come from other indexes (add one with --index NAME=URL).'
      : '';
    return new FerryError(
      'ERR_FERRY_NO_COMPATIBLE_FILE',
      `"${clash.name}" has no file that installs on ${target?.description ?? 'this target'}.${tagLine}${kinds}${files}${loong}`,
      {
        hint: `Options: ${options.join('; or ')}.`,
        details: {
          project: clash.name,
          tags,
          files: rejected.slice(0, MAX_DETAILED),
          fileCount: rejected.length,
          ...(summary === undefined
            ? {}
            : { filesByKind: summary.counts, nearestTags: summary.nearest }),
          versionsWithWheels: withWheels,
          sdistOnlyVersions: sdistOnly,
        },
      },
    );
  }

  if (clash.requiresPython !== undefined && clash.requiresPython.length > 0) {
    return new FerryError(
      'ERR_FERRY_RESOLUTION_IMPOSSIBLE',
      `Every matching version of "${clash.name}" requires another Python: ${clash.requiresPython.join('; ')}.\nRequired as:\n${asked}`,
      {
        hint: 'Pick a version that supports the target Python, or bundle for a Python these versions support.',
      },
    );
  }

  // A yanked version set aside is not available: the story and the list leave it out, and a
  // line of its own says why.
  const yankedAside = new Set(clash.yanked?.map((y) => y.version));
  const usable =
    answer?.kind === 'found'
      ? answer.candidates.filter((c) => !yankedAside.has(c.versionText))
      : [];
  const available = usable.map((c) => formatVersion(c.version));
  const listed =
    available.slice(0, MAX_LISTED).join(', ') + (available.length > MAX_LISTED ? ', …' : '');
  // Versions the requirements would accept if their sdist could be used (--allow-sdist).
  const sdistOnly = answer?.kind === 'found' ? versionsByKind(answer.rejected).sdistOnly : [];
  const sdistWanted = sdistOnly.filter((text) => {
    const v = tryParseVersion(text);
    return (
      v !== undefined &&
      !available.includes(formatVersion(v)) &&
      clash.requirements.every((r) => {
        try {
          return specifierSetContains(parseSpecifierSet(r.specifier), v, { prereleases: true });
        } catch {
          return false;
        }
      })
    );
  });
  const sdistLine =
    clash.pinned === undefined && sdistWanted.length > 0
      ? `\nVersions that match but have only a source distribution (sdist): ${listVersions(sdistWanted)}`
      : '';
  const onlyPre =
    !clash.prereleasesAllowed &&
    answer?.kind === 'found' &&
    answer.candidates.every((c) => c.version.pre !== undefined || c.version.dev !== undefined);
  const candidates =
    clash.pinned !== undefined
      ? [tryParseVersion(clash.pinned)].filter((v): v is Version => v !== undefined)
      : usable.map((c) => c.version);
  const story = derivation(clash, candidates);
  const head =
    clash.pinned === undefined
      ? `No version of "${clash.name}" satisfies all of these requirements:`
      : `"${clash.name}" ${clash.pinned} was already chosen, but these requirements on it clash:`;
  const yankedLine =
    clash.yanked === undefined || clash.yanked.length === 0
      ? ''
      : `\nYanked, so not chosen (PEP 592): ${clash.yanked
          .map(
            (y) =>
              `${clash.name} ${y.version} (${y.reason === undefined ? 'no reason given' : `reason: ${y.reason}`})`,
          )
          .join('; ')}`;
  return new FerryError(
    'ERR_FERRY_RESOLUTION_IMPOSSIBLE',
    `${story === undefined ? '' : `${story}\n\n`}${head}\n${asked}\nVersions with wheels for the target: ${listed || '(none)'}${yankedLine}${sdistLine}` +
      (decisions > 1 ? `\n(${decisions} combinations were tried.)` : ''),
    {
      hint:
        yankedLine !== ''
          ? `A yanked release is chosen only when you pin it exactly yourself (${clash.name}==${clash.yanked![0]!.version} as a requirement or in a constraints file); otherwise ask for a version that is not yanked, or a release of the requiring package that does not need it.`
          : onlyPre
            ? 'Only pre-releases are available: allow them with --pre or name one explicitly (e.g. ==1.0rc1).'
            : sdistLine !== ''
              ? `Pick a version with wheels for the target, or carry the sdist and build it on the target with --allow-sdist ${clash.name} (the target then may need a compiler and the Python headers).`
              : 'Loosen or change one of these requirements (or the one that pulls it in), or pin a version of the requiring package that agrees.',
      details: {
        project: clash.name,
        requirements: clash.requirements,
        available,
        ...(sdistWanted.length > 0 ? { sdistOnlyVersions: sdistWanted } : {}),
        ...(yankedLine !== '' ? { yanked: clash.yanked } : {}),
      },
    },
  );
}

/**
 * From the files an index has that do not fit: versions with a wheel for some platform or
 * Python, and versions published only as an sdist. Newest first.
 */
function versionsByKind(rejected: readonly RejectedFile[]): {
  withWheels: string[];
  sdistOnly: string[];
} {
  const wheels = new Map<string, string>();
  const sdists = new Map<string, string>();
  for (const f of rejected) {
    const v = tryParseVersion(f.version);
    if (v === undefined) continue;
    const key = formatVersion(v);
    if (f.reason === 'sdist') sdists.set(key, f.version);
    else if (f.reason !== 'invalid' && !/\.(tar\.gz|zip)$/.test(f.filename))
      wheels.set(key, f.version);
  }
  const newestFirst = (m: Map<string, string>) =>
    [...m.values()].sort((a, b) => compareVersions(tryParseVersion(b)!, tryParseVersion(a)!));
  return {
    withWheels: newestFirst(wheels),
    sdistOnly: newestFirst(new Map([...sdists].filter(([k]) => !wheels.has(k)))),
  };
}

function listVersions(versions: readonly string[]): string {
  return versions.slice(0, MAX_LISTED).join(', ') + (versions.length > MAX_LISTED ? ', …' : '');
}

const YOU = 'the command line';

function who(source: string): string {
  return source === YOU ? 'you require' : `${source} depends on`;
}

function subject(source: string): string {
  return source === YOU ? 'your requirements' : source;
}

/**
 * PubGrub's way of telling it (uv, pubgrub-rs): the smallest set of requirements that no
 * available version satisfies, as "Because A depends on X<2 and B depends on X>=2, A and B are
 * incompatible."
 */
function derivation(clash: Clash, versions: readonly Version[]): string | undefined {
  const reqs = clash.requirements.map((r) => {
    try {
      return { ...r, set: parseSpecifierSet(r.specifier) };
    } catch {
      return undefined;
    }
  });
  if (reqs.some((r) => r === undefined) || reqs.length === 0) return undefined;
  const all = reqs as NonNullable<(typeof reqs)[number]>[];
  const fits = (r: (typeof all)[number], v: Version) =>
    specifierSetContains(r.set, v, { prereleases: true });
  const name = clash.name;
  // One requirement that nothing available satisfies.
  const alone = all.find((r) => !versions.some((v) => fits(r, v)));
  if (alone !== undefined) {
    const have =
      versions.length === 0
        ? `no version of ${name} has a wheel for the target`
        : `only ${name} ${versions.map(formatVersion).slice(0, 5).join(', ')}${versions.length > 5 ? ', …' : ''} ${versions.length === 1 ? 'has wheels' : 'have wheels'} for the target`;
    return `Because ${have} and ${who(alone.source)} ${alone.text}, ${alone.source === YOU ? 'your requirements cannot be satisfied' : `${alone.source} cannot be used`}.`;
  }
  // Two requirements that no single version satisfies together.
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i]!;
      const b = all[j]!;
      if (a.source === b.source || versions.some((v) => fits(a, v) && fits(b, v))) continue;
      const both =
        a.source === YOU || b.source === YOU
          ? `${subject(a.source === YOU ? b.source : a.source)} cannot be used with your requirements`
          : `${a.source} and ${b.source} are incompatible`;
      return `Because ${who(a.source)} ${a.text} and ${who(b.source)} ${b.text}, ${both}.`;
    }
  }
  return undefined;
}

/** The target's OS and arch, read from its most specific platform tag. */
function targetPlatform(
  tags: readonly string[],
): { os: string; arch: string; label: string } | undefined {
  for (const tag of tags) {
    const plat = tag.split('-')[2];
    if (plat === undefined || plat === 'any') continue;
    const kind = platformKind(plat);
    if (kind !== undefined) return kind;
  }
  return undefined;
}

/** 'linux x86_64' for manylinux_2_17_x86_64; undefined for 'any' and tags it does not know. */
function platformKind(plat: string): { os: string; arch: string; label: string } | undefined {
  const kind = (os: string, arch: string, extra = '') => ({
    os,
    arch,
    label: `${os} ${arch}${extra}`,
  });
  let m = /^(?:manylinux(?:1|2010|2014|_\d+_\d+)|linux)_(.+)$/.exec(plat);
  if (m) return kind('linux', m[1] as string);
  m = /^musllinux_\d+_\d+_(.+)$/.exec(plat);
  if (m) return kind('linux', m[1] as string, ' (musl)');
  m = /^macosx_\d+_\d+_(.+)$/.exec(plat);
  if (m) return kind('macOS', m[1] as string);
  if (plat === 'win32') return kind('windows', 'x86');
  m = /^win_(.+)$/.exec(plat);
  if (m) return kind('windows', m[1] as string);
  return undefined;
}

/** The tag triples a wheel file name declares (its last three dash-separated parts, expanded). */
function wheelTags(filename: string): string[] {
  if (!filename.endsWith('.whl')) return [];
  const parts = filename.slice(0, -4).split('-');
  if (parts.length < 5) return [];
  const [py, abi, plat] = parts.slice(-3) as [string, string, string];
  const out: string[] = [];
  for (const p of py.split('.'))
    for (const a of abi.split('.'))
      for (const x of plat.split('.')) out.push(`${p}-${a}-${x}`.toLowerCase());
  return out;
}

/**
 * Counts of a project's files by platform and kind (sdists, pure-Python wheels, wheels per OS
 * and arch), and the existing tags nearest to the target's: same interpreter and ABI, same OS
 * and arch scored in that order, so "cp311 manylinux x86_64" is named for a cp311 loongarch64
 * target and "manylinux_2_34_x86_64" for a glibc 2.28 x86_64 one.
 */
function summarizeFiles(
  rejected: readonly RejectedFile[],
  targetTags: readonly string[],
): { lines: string[]; counts: Record<string, number>; nearest: string[] } {
  const counts = new Map<string, number>();
  const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const interpreters = new Set(targetTags.map((t) => t.split('-')[0]));
  const abis = new Set(targetTags.map((t) => t.split('-')[1]));
  const platform = targetPlatform(targetTags);
  const scored = new Map<string, number>();
  for (const f of rejected) {
    if (f.reason === 'sdist' || /\.(tar\.gz|zip|tar\.bz2)$/.test(f.filename)) {
      bump('source distributions (sdist)');
      continue;
    }
    const tags = wheelTags(f.filename);
    if (tags.length === 0) {
      bump('other files');
      continue;
    }
    const plat = tags[0]?.split('-')[2] ?? '';
    const kind = plat === 'any' ? undefined : platformKind(plat);
    bump(plat === 'any' ? 'wheels for any platform' : `wheels for ${kind?.label ?? plat}`);
    for (const tag of tags) {
      if (scored.has(tag)) continue;
      const [py, abi, p] = tag.split('-') as [string, string, string];
      const k = p === 'any' ? undefined : platformKind(p);
      const score =
        (interpreters.has(py) ? 8 : 0) +
        (abis.has(abi) ? 4 : 0) +
        (p === 'any' || (k !== undefined && k.os === platform?.os) ? 2 : 0) +
        (k !== undefined && k.arch === platform?.arch ? 1 : 0);
      scored.set(tag, score);
    }
  }
  // Source distributions first (they can be built anywhere), then wheels, most files first.
  const first = (key: string) => Number(!key.startsWith('source'));
  const ordered = [...counts].sort(
    (a, b) => first(a[0]) - first(b[0]) || b[1] - a[1] || a[0].localeCompare(b[0]),
  );
  const shown = ordered.slice(0, MAX_KINDS);
  const rest = ordered.slice(MAX_KINDS).reduce((n, [, c]) => n + c, 0);
  const lines = shown.map(([key, n]) => `  ${key}: ${n}`);
  const others = ordered.length - MAX_KINDS;
  if (rest > 0) lines.push(`  … ${others} other kind${others === 1 ? '' : 's'}: ${rest}`);
  const nearest = [...scored]
    .filter(([, score]) => score > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 5)
    .map(([tag]) => tag);
  return { lines, counts: Object.fromEntries(ordered), nearest };
}
