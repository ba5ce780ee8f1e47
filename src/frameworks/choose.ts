/**
 * The chooser's API (what `ferry lock --framework`, `ferry bundle` and `ferry frameworks` call):
 *
 * - `frameworkRows(table?)`: every build in ferry's table as one row each: framework, series,
 *   releases, build (cpu or CUDA X.Y), project and pin template, index, arches, Python range,
 *   glibc / libstdc++ floors, compute-capability range, source.
 * - `chooseVariant(options)`: the exact pin for a target, or a FerryError listing every reason
 *   there is none (`details.problems`, each with code, problem and fix) and the builds that do
 *   run there (`details.alternatives`).
 * - `explainChoice(options)`: the same, never throwing: `{ choice }` or `{ problems, alternatives }`.
 * - `workingAlternatives(options)`: the builds that run on the target as it is.
 *
 * All are pure: which files each index holds is an input (`options.availability`, see
 * ./availability.ts), fetched by src/ops/framework-availability.ts or read from the recorded
 * availability (data/framework-availability.json).
 */
import type { ErrorCode } from '../core/error-codes.js';
import { FerryError } from '../core/errors.js';
import { compareVersions } from '../standards/version.js';
import { isAcceleratorBuild, isCudaBuild } from './accelerators.js';
import type { VariantProblem } from './build-checks.js';
import { normalizeCuda } from './cuda.js';
import {
  FRAMEWORK_DISPLAY,
  type FrameworkSeries,
  type FrameworkTable,
  loadFrameworkTable,
  normalizeFramework,
} from './table.js';
import {
  type Assessment,
  assess,
  type ChooseVariantOptions,
  FALLBACK_CODES,
  FLAGS_PROFILE_GENERATOR,
  frameworkSeries,
  newerFirst,
  pickInterpreter,
  pythonFix,
  seriesFor,
  type VariantAlternative,
  type VariantChoice,
} from './variants.js';

/** One build of ferry's table, as `ferry frameworks` lists it. */
export interface FrameworkRow {
  readonly framework: string;
  readonly series: string;
  /** The series' releases that have this build (availability at lock time narrows them). */
  readonly releases: readonly string[];
  /** 'cpu' or 'MAJOR.MINOR'. */
  readonly build: string;
  readonly project: string;
  /** e.g. 'torch==X+cu126', X standing for the release. */
  readonly pin: string;
  /** Index URL, or 'default' (the configured index). */
  readonly index: string;
  readonly arches: readonly string[];
  readonly python: { readonly min: string; readonly max: string };
  readonly minGlibc?: string;
  readonly minGlibcxx?: string;
  readonly capabilities?: { readonly min: string; readonly max: string };
  readonly from: string;
}

/** Every build in the table, framework by framework, newest series first. */
export function frameworkRows(table: FrameworkTable = loadFrameworkTable()): FrameworkRow[] {
  const rows: FrameworkRow[] = [];
  for (const framework of ['paddlepaddle', 'torch', 'tensorflow'] as const) {
    for (const s of frameworkSeries(table, framework)) {
      for (const v of s.variants) {
        const extras = v.extras?.length ? `[${v.extras.join(',')}]` : '';
        rows.push({
          framework,
          series: s.series,
          releases: v.releases ?? s.versions,
          build: v.cuda,
          project: v.project,
          pin: `${v.project}${extras}==${v.version.replace('{version}', 'X')}`,
          index: v.index === 'default' ? 'default' : (table.indexes[v.index] as string),
          arches: v.arches,
          python: v.python ?? { min: s.python.min, max: s.python.max },
          ...(v.minGlibc === undefined ? {} : { minGlibc: v.minGlibc }),
          ...(v.minGlibcxx === undefined ? {} : { minGlibcxx: v.minGlibcxx }),
          ...(v.capabilities === undefined
            ? {}
            : { capabilities: { min: v.capabilities.min, max: v.capabilities.max } }),
          from: v.from,
        });
      }
    }
  }
  return rows;
}

export type ChoiceExplanation =
  | { readonly choice: VariantChoice }
  | {
      readonly code: ErrorCode;
      readonly message: string;
      readonly hint: string;
      readonly problems: readonly VariantProblem[];
      readonly alternatives: readonly VariantAlternative[];
    };

/** chooseVariant, answering a refusal as data (every reason, and what runs) instead of throwing. */
export function explainChoice(
  opts: ChooseVariantOptions,
  table: FrameworkTable = loadFrameworkTable(),
): ChoiceExplanation {
  try {
    return { choice: chooseVariant(opts, table) };
  } catch (error) {
    // Every FerryError the chooser throws is an answer about the request (a refusal, or an
    // unknown framework, release or CUDA version); anything else is a bug.
    if (!(error instanceof FerryError)) throw error;
    const details = (error.details ?? {}) as {
      problems?: VariantProblem[];
      alternatives?: VariantAlternative[];
    };
    return {
      code: error.code,
      message: error.message,
      hint: error.hint ?? '',
      problems: details.problems ?? [
        { code: error.code, problem: error.message, fix: error.hint ?? '' },
      ],
      alternatives: details.alternatives ?? [],
    };
  }
}

/**
 * Builds of the framework that run on the target as it is, for hints: the series' default
 * release (and `release`, when one was asked for) with each of its builds, newest first.
 * Every entry was checked by the same assessment, so the flags it names do work.
 */
export function workingAlternatives(
  opts: ChooseVariantOptions,
  table: FrameworkTable = loadFrameworkTable(),
  release?: string,
): VariantAlternative[] {
  const framework = normalizeFramework(opts.framework);
  const found: VariantAlternative[] = [];
  const wanted = opts.cuda.trim().toLowerCase();
  const asked = isAcceleratorBuild(wanted) ? wanted : undefined;
  for (const s of frameworkSeries(table, framework)) {
    const releases = [
      ...new Set([
        ...(release !== undefined && s.versions.includes(release) ? [release] : []),
        s.defaultVersion,
      ]),
    ];
    // Accelerator builds (ROCm, Ascend, ...) are named only when one was asked for.
    const builds = [...new Set(s.variants.map((v) => v.cuda))]
      .filter(
        (b) =>
          b === 'cpu' || isCudaBuild(b) || (asked !== undefined && b.startsWith(asked.slice(0, 3))),
      )
      .sort((a, b) =>
        a === 'cpu' ? 1 : b === 'cpu' ? -1 : a.localeCompare(b, 'en', { numeric: true }) * -1,
      );
    for (const r of releases) {
      for (const cuda of builds) {
        const a = assess(s, r, { ...opts, cuda, version: r }, table);
        if (a.choice !== undefined && a.choice.cuda === cuda)
          found.push({
            release: r,
            cuda,
            requirement: a.choice.requirement,
            flags: `--framework-version ${r} --cuda ${cuda}`,
          });
      }
    }
  }
  return found;
}

/** The alternatives worth naming for a request: up to two builds of the asked kind, then CPU. */
function pickAlternatives(all: readonly VariantAlternative[], cuda: string): VariantAlternative[] {
  // Builds of the asked CUDA version (from other releases) first, then the newest others.
  const same = (a: VariantAlternative) => Number(a.cuda === cuda);
  const gpu = all.filter((a) => a.cuda !== 'cpu').sort((a, b) => same(b) - same(a));
  const cpu = all.filter((a) => a.cuda === 'cpu');
  if (cuda === 'cpu') return cpu.slice(0, 2);
  return [...gpu.slice(0, 2), ...cpu.slice(0, 1)];
}

function refusal(
  name: string,
  assessment: Assessment,
  alternatives: readonly VariantAlternative[],
): FerryError {
  const problems = assessment.problems;
  const works =
    alternatives.length > 0
      ? `Builds that run on this target as it is: ${alternatives.map((a) => `${a.flags} (${a.requirement})`).join('; ')}.`
      : `No ${name} build in ferry's table runs on this target as it is.`;
  const details = {
    problems: problems.map((p) => ({ ...p })),
    alternatives: alternatives.map((a) => ({ ...a })),
  };
  const only = problems[0] as VariantProblem;
  if (problems.length === 1)
    return new FerryError(only.code, only.problem, { hint: `${only.fix} ${works}`, details });
  const list = problems.map((p, i) => `  ${i + 1}. ${p.problem}\n     fix: ${p.fix}`).join('\n');
  return new FerryError(
    only.code,
    `${assessment.label} cannot be used on this target, for ${problems.length} reasons:\n${list}`,
    {
      hint:
        alternatives.length > 0 ? works : `${works} Fix each problem above (every fix is needed).`,
      details,
    },
  );
}

/**
 * When `chosen` comes from an older series because the target's Python is older than the
 * newest series supports (Kylin V10 ships 3.7.9): which release that is, what it costs, and how
 * to bring a newer Python. Undefined when the newest series takes the target's Python.
 */
function oldPythonNotes(
  newest: FrameworkSeries,
  chosenSeries: FrameworkSeries,
  choice: VariantChoice,
  opts: ChooseVariantOptions,
): string[] | undefined {
  if (newest === chosenSeries || compareVersions(choice.python, newest.python.min) >= 0)
    return undefined;
  const name = FRAMEWORK_DISPLAY[newest.framework];
  const release = choice.version.split('+')[0] as string;
  const fromFlags = opts.profile.generator === FLAGS_PROFILE_GENERATOR;
  return [
    `Python ${choice.python} is older than ${name} ${newest.defaultVersion} supports (${newest.python.min}–${newest.python.max}): chose ${name} ${release}, the newest release in ferry's table for Python ${choice.python}.`,
    chosenSeries.oldPythonNote ??
      `${name} ${release} lacks the fixes and features of every release since (up to ${newest.defaultVersion}).`,
    `To use ${name} ${newest.defaultVersion}, bring Python ${newest.python.min} or newer to the target: the distribution's own python3 package where it has one, or a relocatable CPython build (python-build-standalone) unpacked on the target${fromFlags ? `, then lock with --python ${newest.python.min}` : ', then probe again'}.`,
  ];
}

/**
 * Chooses the build of a framework that runs on the profiled target, or throws a FerryError
 * that lists every reason the asked build cannot run there (each with its fix) and names the
 * builds that do run there, if any.
 */
export function chooseVariant(
  opts: ChooseVariantOptions,
  table: FrameworkTable = loadFrameworkTable(),
): VariantChoice {
  const framework = normalizeFramework(opts.framework);
  const { series, release } = seriesFor(table, framework, opts.version);
  const name = FRAMEWORK_DISPLAY[framework];
  // --cuda auto with a driver and no release named: prefer the newest release that has a CUDA
  // build this driver runs over the newest release's CPU build.
  // Without a release named, every release of every series is a candidate, newest first
  // (a build may be missing from the newest release: Paddle 3.3 has no aarch64 wheels).
  const candidates: [FrameworkSeries, string][] = series.flatMap((s) =>
    release !== undefined
      ? [[s, release] as [FrameworkSeries, string]]
      : [...s.versions].sort(newerFirst).map((r) => [s, r] as [FrameworkSeries, string]),
  );
  const newest = candidates[0]?.[1];
  // Releases passed over because a constraint (-c, PIP_CONSTRAINT, pip.conf) excludes them.
  const constrained: VariantProblem[] = [];
  const passedOver = (a: Assessment): void => {
    for (const p of a.problems)
      if (p.code === 'ERR_FERRY_VARIANT_CONSTRAINED' && !constrained.includes(p))
        constrained.push(p);
  };
  const olderNote = (choice: VariantChoice, what: string): VariantChoice => {
    const chosen = choice.version.split('+')[0];
    if (chosen === newest || newest === undefined) return choice;
    const first = constrained[0];
    const note =
      first === undefined
        ? `${name} ${newest} has no ${what} for this target; chose ${chosen}, the newest release that has one.`
        : `${first.problem}: chose ${name} ${chosen}, the newest release the constraints allow.`;
    return { ...choice, notes: [note, ...choice.notes] };
  };
  if (
    opts.cuda.trim().toLowerCase() === 'auto' &&
    release === undefined &&
    opts.profile.nvidia.driverVersion !== null
  ) {
    for (const [s, r] of candidates) {
      const a = assess(s, r, opts, table);
      passedOver(a);
      const choice = a.choice;
      if (choice === undefined || choice.cuda === 'cpu') continue;
      return olderNote(choice, 'CUDA build');
    }
    constrained.length = 0;
  }
  const failed: Assessment[] = [];
  const fallbackWorthy = (a: Assessment) =>
    a.problems.filter((p) => FALLBACK_CODES.has(p.code)).length;
  for (const [s, r] of candidates) {
    const a = assess(s, r, opts, table);
    // Reached only when every newer release misfits on Python, glibc or a missing build.
    if (a.choice !== undefined) {
      if (release !== undefined) return a.choice;
      const old = oldPythonNotes(series[0] as FrameworkSeries, s, a.choice, opts);
      return old === undefined
        ? olderNote(a.choice, 'build')
        : { ...a.choice, notes: [...old, ...a.choice.notes] };
    }
    failed.push(a);
    passedOver(a);
    // A release that fails only for reasons an older one shares (driver, arch, AVX, musl):
    // older releases are not worth trying.
    if (fallbackWorthy(a) === 0) break;
  }
  if (failed.length === 0) {
    throw new FerryError('ERR_FERRY_VARIANT_UNKNOWN', `ferry's variant table has no ${name} rows`, {
      hint: 'Add rows to data/frameworks.json.',
    });
  }
  // Report the release closest to fitting: fewest release-specific misfits, newest on a tie.
  const reported = failed.reduce((best, a) =>
    fallbackWorthy(a) < fallbackWorthy(best) ? a : best,
  );
  let problems = reported.problems;
  // When no release at all supports the target's Python, say so once, with every range.
  const noPython =
    series.length > 1 &&
    series.every((s) =>
      assess(s, s.defaultVersion, { ...opts, cuda: 'auto' }, table).problems.some(
        (p) => p.code === 'ERR_FERRY_VARIANT_PYTHON',
      ),
    );
  if (noPython) {
    const ranges = series.map((s) => `${s.series}: ${s.python.min}–${s.python.max}`).join(', ');
    const seen =
      pickInterpreter(opts.profile, opts.python)
        .map((i) => i.version)
        .join(', ') || 'none';
    const range = {
      min: series.map((s) => s.python.min).sort(compareVersions)[0] as string,
      max: series.map((s) => s.python.max).sort(newerFirst)[0] as string,
      // The oldest Python the newest release supports: older releases mostly do too.
      suggest: (series[0] as FrameworkSeries).python.min,
    };
    const fromFlags = opts.profile.generator === FLAGS_PROFILE_GENERATOR;
    problems = problems.map((p) =>
      p.code === 'ERR_FERRY_VARIANT_PYTHON'
        ? {
            code: p.code,
            problem: `no ${name} release in ferry's table supports the target's Python ${seen} (${ranges})`,
            fix: pythonFix(range, fromFlags, undefined),
          }
        : p,
    );
  }
  const asked = opts.cuda.trim().toLowerCase();
  const alternatives = pickAlternatives(
    workingAlternatives(opts, table, release),
    asked === 'cpu' || asked === 'auto' || isAcceleratorBuild(asked) ? asked : normalizeCuda(asked),
  );
  throw refusal(name, { ...reported, problems }, alternatives);
}
