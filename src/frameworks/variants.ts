/**
 * The chooser: which exact pin, from which index, is the build of PaddlePaddle / PyTorch /
 * TensorFlow that runs on a target, from the variant table (./table.ts), and when none does,
 * why not and which builds would.
 *
 * Pins are always exact (`==`): Paddle's `.postNNN` is a PEP 440 post-release, so `>=2.6.2`
 * would pick post120 (CUDA 12.0), and `==2.6.2` does not match `2.6.2.post118`. PyTorch's
 * `+cuXXX` is a local label, so `==2.1.2` would match any CUDA build; ferry pins the label too.
 */
import type { ErrorCode } from '../core/error-codes.js';
import { FerryError } from '../core/errors.js';
import {
  cpuHas,
  interpreterVersion,
  type ProfileInterpreter,
  type TargetProfile,
} from '../host/profile.js';
import { evaluateMarker } from '../standards/marker.js';
import { normalizeName } from '../standards/name.js';
import { formatRequirement, type Requirement } from '../standards/requirement.js';
import { specifierSetContains } from '../standards/specifier.js';
import { compareVersions } from '../standards/version.js';
import { acceleratorName, isAcceleratorBuild, isCudaBuild, vendorChannel } from './accelerators.js';
import type { Availability } from './availability.js';
import { buildProblems, type VariantProblem } from './build-checks.js';
import {
  compareDottedVersions,
  cudaSupport,
  describeDriver,
  minimumDriverFor,
  normalizeCuda,
} from './cuda.js';
import { checkPublished } from './published.js';
import {
  FRAMEWORK_DISPLAY,
  type FrameworkName,
  type FrameworkSeries,
  type FrameworkTable,
  type FrameworkVariant,
} from './table.js';

export interface ChooseVariantOptions {
  readonly framework: string;
  /** A release ('2.6.2') or a series ('2.6', '3'); default: the newest series the target's Python supports. */
  readonly version?: string;
  /** 'auto' (newest CUDA build the driver supports, CPU without a driver), 'cpu', or '11.8', 'cu118'... */
  readonly cuda: string;
  readonly profile: TargetProfile;
  /** The interpreter to build for: 'X.Y' or a path on the target; default the running one if it fits. */
  readonly python?: string;
  /** Accept a driver that runs the CUDA build only through minor-version compatibility. */
  readonly allowMinorVersionCompat?: boolean;
  /**
   * Which files each build's index holds (./availability.ts): discovered at lock time or
   * recorded. A release whose build has no wheel for the target there is not chosen. Without
   * it, or for an index it does not list, the table's policy alone decides (and a note says so).
   */
  readonly availability?: Availability;
  /**
   * The constraints the lock honours (-c files, PIP_CONSTRAINT, pip.conf's `constraint`), each
   * with where it was written: a release they exclude is not chosen, since the resolver would
   * then refuse the pin (pip applies constraints to every requirement, `--framework`'s too).
   */
  readonly constraints?: readonly SourcedConstraint[];
}

/** A constraint and where it was written ('constraints.txt:3'). */
export interface SourcedConstraint {
  readonly requirement: Requirement;
  readonly source: string;
}

export interface VariantChoice {
  readonly framework: FrameworkName;
  readonly version: string;
  readonly project: string;
  /** Exact pin, e.g. 'paddlepaddle-gpu==2.6.2.post112' or 'tensorflow[and-cuda]==2.17.1'. */
  readonly requirement: string;
  /** Index URL, or 'default' for the configured index. */
  readonly index: string;
  readonly extras: readonly string[];
  /** Extra pins the bundle must honour, e.g. 'protobuf<=3.20.3' for Paddle 2.x. */
  readonly constraints: readonly string[];
  /** Requirements locked with the pin (torch==2.7.1 beside torch-npu==2.7.1); usually none. */
  readonly alsoRequires?: readonly string[];
  /** 'cpu' or 'MAJOR.MINOR'. */
  readonly cuda: string;
  /** The target interpreter's version, 'X.Y'. */
  readonly python: string;
  readonly notes: readonly string[];
  /** Where the facts behind this row come from ('brief' or 'unverified'). */
  readonly from: string;
  /** The wheel for the target that the index (or the recorded availability) lists, when known. */
  readonly file?: string;
}

const SOURCE_ONLY_ARCHES: Readonly<Record<string, string>> = {
  loongarch64: 'LoongArch',
  sw_64: 'Sunway',
};

/**
 * The `generator` of a profile made from target flags or a preset (framework-request.ts): what
 * such a profile leaves empty (driver, CPU flags) is unknown, not absent.
 */
export const FLAGS_PROFILE_GENERATOR = 'ferry (from target flags)';

export type { VariantProblem } from './build-checks.js';

/** A build that does run on the target as it is, as the flags that choose it. */
export interface VariantAlternative {
  readonly release: string;
  readonly cuda: string;
  readonly requirement: string;
  /** `--framework-version 2.6.2 --cuda 11.2` */
  readonly flags: string;
}

/**
 * Either a choice or every reason there is none. All checks run before anything is reported,
 * so a target that fails on Python and on arch hears about both at once (validation collects
 * all problems, as pypa/packaging's metadata validation does).
 */
export interface Assessment {
  readonly choice?: VariantChoice;
  readonly problems: readonly VariantProblem[];
  /** 'PaddlePaddle 3.3.1 (CUDA 11.8 build)' */
  readonly label: string;
}

/** Codes for which an older series is worth trying: it may support that Python, glibc or build. */
export const FALLBACK_CODES: ReadonlySet<ErrorCode> = new Set([
  'ERR_FERRY_VARIANT_PYTHON',
  'ERR_FERRY_VARIANT_GLIBC',
  'ERR_FERRY_VARIANT_LIBSTDCXX',
  'ERR_FERRY_VARIANT_UNKNOWN',
  'ERR_FERRY_VARIANT_UNPUBLISHED',
  // Accelerator builds exist for some releases only (torch-npu, ROCm).
  'ERR_FERRY_VARIANT_ACCELERATOR',
  // A constraint (torch<=2.14.1) excludes newer releases, not older ones.
  'ERR_FERRY_VARIANT_CONSTRAINED',
]);

/**
 * The constraints that exclude `project==version` for the interpreter (markers evaluated for
 * it, as pip does: a constraint whose marker is false for the target does not apply).
 */
export function excludingConstraints(
  constraints: readonly SourcedConstraint[] | undefined,
  project: string,
  version: string,
  interp: ProfileInterpreter,
): SourcedConstraint[] {
  const name = normalizeName(project);
  return (constraints ?? []).filter(
    (c) =>
      c.requirement.normalizedName === name &&
      (c.requirement.marker === undefined ||
        evaluateMarker(c.requirement.marker, interp.markers)) &&
      !specifierSetContains(c.requirement.specifier, version, { prereleases: true }),
  );
}

function pyInRange([major, minor]: [number, number], s: FrameworkSeries): boolean {
  const v = `${major}.${minor}`;
  return compareVersions(v, s.python.min) >= 0 && compareVersions(v, s.python.max) <= 0;
}

function normalizeArch(arch: string): string {
  const a = arch.toLowerCase();
  if (a === 'amd64' || a === 'x64') return 'x86_64';
  if (a === 'arm64') return 'aarch64';
  if (a === 'loong64') return 'loongarch64';
  return a;
}

export const newerFirst = (a: string, b: string): number => compareVersions(b, a);

export function seriesFor(
  table: FrameworkTable,
  framework: FrameworkName,
  version: string | undefined,
): { series: FrameworkSeries[]; release?: string } {
  const all = frameworkSeries(table, framework);
  if (version === undefined) return { series: all };
  const exact = all.find((s) => s.versions.includes(version));
  if (exact !== undefined) return { series: [exact], release: version };
  const bySeries = all.find((s) => s.series === version);
  if (bySeries !== undefined) return { series: [bySeries] };
  const known = all.flatMap((s) => s.versions).join(', ');
  throw new FerryError(
    'ERR_FERRY_VARIANT_UNKNOWN',
    `${FRAMEWORK_DISPLAY[framework]} ${version} is not in ferry's variant table (known: ${known})`,
    {
      hint: 'Pick a listed release or series, or add a row to data/frameworks.json with its source.',
    },
  );
}

/** The series of one framework, newest first. */
export function frameworkSeries(
  table: FrameworkTable,
  framework: FrameworkName,
): FrameworkSeries[] {
  return table.series
    .filter((s) => s.framework === framework)
    .sort((a, b) => newerFirst(a.defaultVersion, b.defaultVersion));
}

export function pickInterpreter(
  profile: TargetProfile,
  wanted: string | undefined,
): ProfileInterpreter[] {
  const all = [...profile.interpreters].sort((a, b) => Number(b.running) - Number(a.running));
  if (wanted === undefined) return all;
  const matching = all.filter(
    (i) =>
      i.paths.includes(wanted) ||
      i.executable === wanted ||
      interpreterVersion(i).join('.') === wanted,
  );
  if (matching.length === 0) {
    const seen = all.map((i) => `${i.version} (${i.paths[0]})`).join(', ') || 'none';
    throw new FerryError(
      'ERR_FERRY_VARIANT_PYTHON',
      `the target has no Python "${wanted}" (found: ${seen})`,
      {
        hint: 'Name one of the interpreters the probe found, or install that Python on the target.',
      },
    );
  }
  return matching;
}

function libcOf(
  profile: TargetProfile,
  i: ProfileInterpreter | undefined,
): { kind: 'glibc' | 'musl'; version: string | null } | null {
  return i?.libc ?? profile.libc;
}

function buildLabel(cuda: string): string {
  return cuda === 'cpu' ? 'CPU build' : cuda === 'auto' ? 'build' : `CUDA ${cuda} build`;
}

/**
 * How to get a Python in `min`–`max`: on a probed host, install it and probe again; for a preset
 * or target flags, install it and lock for it with --python (`suggest`, a version in range).
 */
export function pythonFix(
  range: { min: string; max: string; suggest: string },
  fromFlags: boolean,
  another: string | undefined,
): string {
  const install = fromFlags
    ? `Install a Python ${range.min}–${range.max} on the target and lock for it (--python ${range.suggest})`
    : `Install a Python ${range.min}–${range.max} on the target (and probe again)`;
  return another === undefined
    ? `${install}.`
    : `${install}, or choose another ${another} release.`;
}

export function assess(
  s: FrameworkSeries,
  release: string,
  opts: ChooseVariantOptions,
  table: FrameworkTable,
): Assessment {
  const name = FRAMEWORK_DISPLAY[s.framework];
  const profile = opts.profile;
  const arch = normalizeArch(profile.arch);
  const fromFlags = profile.generator === FLAGS_PROFILE_GENERATOR;
  const wanted = opts.cuda.trim().toLowerCase();
  const cuda =
    wanted === 'cpu' || wanted === 'auto' || isAcceleratorBuild(wanted)
      ? wanted
      : normalizeCuda(wanted);
  const label = `${name} ${release} (${buildLabel(cuda)})`;
  const problems: VariantProblem[] = [];
  const add = (code: ErrorCode, problem: string, fix: string) =>
    problems.push({ code, problem, fix });
  const notes: string[] = [];

  const sourceOnly = SOURCE_ONLY_ARCHES[arch];
  const inRelease = s.variants.filter(
    (v) => v.releases === undefined || v.releases.includes(release),
  );
  const forArch = sourceOnly === undefined ? inRelease.filter((v) => v.arches.includes(arch)) : [];
  const otherReleases = s.variants
    .filter((v) => v.arches.includes(arch) && !inRelease.includes(v))
    .flatMap((v) => v.releases ?? []);
  if (sourceOnly !== undefined) {
    add(
      'ERR_FERRY_VARIANT_SOURCE_ONLY',
      `${name} publishes no wheels for ${sourceOnly} (linux ${arch}): source builds only`,
      `Build ${name} from source for ${arch} (or use a vendor's ${sourceOnly} build) and bundle that wheel with --find-links.`,
    );
  } else if (forArch.length === 0 && otherReleases.length > 0) {
    add(
      'ERR_FERRY_VARIANT_UNPUBLISHED',
      `${name} ${release} publishes no wheels for linux ${arch}`,
      `${name} releases with linux ${arch} wheels: ${[...new Set(otherReleases)].sort(newerFirst).join(', ')} (--framework-version).`,
    );
  } else if (forArch.length === 0) {
    add(
      'ERR_FERRY_VARIANT_ARCH',
      `${name} ${release} publishes no wheels for linux ${arch}`,
      `Wheels exist for: ${[...new Set(s.variants.flatMap((v) => v.arches))].join(', ')}.`,
    );
  }

  // Interpreter: the running one if it fits, else another the probe found.
  const candidates = pickInterpreter(profile, opts.python);
  const interp = candidates.find((i) => pyInRange(interpreterVersion(i), s));
  if (interp === undefined) {
    const seen = candidates.map((i) => i.version).join(', ') || 'none';
    add(
      'ERR_FERRY_VARIANT_PYTHON',
      `${name} ${release} supports Python ${s.python.min}–${s.python.max}; the target has Python ${seen}`,
      pythonFix({ ...s.python, suggest: s.python.min }, fromFlags, name),
    );
  } else if (candidates[0] !== interp) {
    notes.push(
      `Built for ${interp.paths[0]} (Python ${interp.version}), not the interpreter that ran the probe.`,
    );
  }

  const libc = libcOf(profile, interp ?? candidates[0]);
  if (libc?.kind === 'musl') {
    add(
      'ERR_FERRY_VARIANT_MUSL',
      `${name} publishes no musllinux wheels; the target uses musl libc`,
      'Use a glibc-based host (or container image) for this framework.',
    );
  }
  if (arch === 'x86_64' && s.requiresAvx.value && cpuHas(profile, 'avx') === false) {
    add(
      'ERR_FERRY_VARIANT_NO_AVX',
      `${name} ${release} wheels need a CPU with AVX; the target's CPU (${profile.cpu.model ?? 'unknown model'}) has none`,
      `Run on a CPU with AVX, or build ${name} from source without AVX (WITH_AVX=OFF for Paddle).`,
    );
  }

  const glibcOk = (v: FrameworkVariant): boolean =>
    v.minGlibc === undefined ||
    libc === null ||
    libc.kind !== 'glibc' ||
    libc.version === null ||
    compareDottedVersions(libc.version, v.minGlibc) >= 0;

  const cpuVariant = forArch.find((v) => v.cuda === 'cpu');
  const gpuVariants = forArch
    .filter((v) => isCudaBuild(v.cuda))
    .sort((a, b) => newerFirst(a.cuda, b.cuda));
  // ROCm, Ascend, Kunlunxin, Hygon: only when asked for by name; newest ROCm first.
  const acceleratorVariants = forArch
    .filter((v) => isAcceleratorBuild(v.cuda))
    .sort((a, b) => b.cuda.localeCompare(a.cuda, 'en', { numeric: true }));
  const driver = profile.nvidia.driverVersion;
  let chosen: FrameworkVariant | undefined;
  const noCpuBuild = () =>
    add(
      'ERR_FERRY_VARIANT_UNKNOWN',
      `${name} ${release} has no CPU build for linux ${arch} in ferry's table`,
      'Choose a CUDA build (--cuda X.Y).',
    );

  if (forArch.length > 0 && cuda === 'cpu') {
    chosen = cpuVariant;
    if (chosen === undefined) noCpuBuild();
  } else if (sourceOnly === undefined && isAcceleratorBuild(cuda)) {
    chosen = acceleratorVariants.find(
      (v) => v.cuda === cuda || (cuda === 'rocm' && v.cuda.startsWith('rocm')),
    );
    if (chosen === undefined) {
      const other = acceleratorVariants.filter((v) => v.cuda.startsWith(cuda.slice(0, 3)));
      add(
        'ERR_FERRY_VARIANT_ACCELERATOR',
        `ferry's table has no ${acceleratorName(cuda)} build of ${name} ${release} for linux ${arch}${other.length > 0 ? ` (it has: ${other.map((v) => v.cuda).join(', ')})` : ''}`,
        other.length > 0
          ? `Use --cuda ${other[0]?.cuda}, or another release (ferry frameworks lists them).`
          : `${vendorChannel(s.framework, cuda)}; bundle such a wheel with --find-links.`,
      );
    } else {
      notes.push(
        `ferry does not check the ${acceleratorName(chosen.cuda)} driver stack here: ferry doctor and the smoke test check it on the target.`,
      );
    }
  } else if (forArch.length > 0 && cuda === 'auto') {
    if (driver === null) {
      chosen = cpuVariant;
      notes.push(
        fromFlags
          ? 'The target’s NVIDIA driver is not known (give it with --driver): chose the CPU build.'
          : 'No NVIDIA driver found on the target: chose the CPU build.',
      );
    } else if (gpuVariants.length === 0) {
      chosen = cpuVariant;
      notes.push(
        `ferry's table has no CUDA build of ${name} ${release} for linux ${arch}: chose the CPU build.`,
      );
    } else {
      const supported = gpuVariants.filter(
        (v) =>
          cudaSupport(driver, v.cuda) === 'full' ||
          (opts.allowMinorVersionCompat && cudaSupport(driver, v.cuda) !== 'none'),
      );
      // 'auto' takes the newest build the driver runs that fits glibc, libstdc++ and has
      // kernels for every GPU the probe saw.
      chosen = supported.find(
        (v) => glibcOk(v) && buildProblems(v, name, release, profile, libc).length === 0,
      );
      if (chosen === undefined) {
        chosen = cpuVariant;
        const why =
          supported.length > 0
            ? `the CUDA builds the driver supports do not fit the target (${buildProblems(supported[0] as FrameworkVariant, name, release, profile, libc)[0]?.problem ?? `they need a newer glibc than ${libc?.version}`})`
            : `${describeDriver(driver)} and the oldest ${name} ${release} CUDA build needs ${gpuVariants[gpuVariants.length - 1]?.cuda}`;
        notes.push(`No usable CUDA build: ${why}; chose the CPU build.`);
      }
    }
    if (chosen === undefined) noCpuBuild();
  } else if (forArch.length > 0) {
    if (gpuVariants.length === 0) {
      add(
        'ERR_FERRY_VARIANT_ARCH',
        `ferry's table has no CUDA build of ${name} ${release} for linux ${arch}, only the CPU build`,
        `Use --cuda cpu, or build ${name} with CUDA from source for ${arch}.`,
      );
    } else {
      chosen = gpuVariants.find((v) => v.cuda === cuda);
      if (chosen === undefined) {
        add(
          'ERR_FERRY_VARIANT_UNKNOWN',
          `${name} ${release} has no CUDA ${cuda} build (builds: ${gpuVariants.map((v) => v.cuda).join(', ')}, cpu)`,
          'Pick one of the listed CUDA versions, --cuda auto, or another release.',
        );
      } else if (driver === null && fromFlags) {
        // A preset or target flags say nothing about the driver: the build asked for is taken,
        // and the check is left to the target (ferry doctor), unless --driver gives it now.
        notes.push(
          `The target's NVIDIA driver is not known here: the CUDA ${cuda} build needs driver ≥ ${minimumDriverFor(cuda)} there (give --driver VERSION to check it now; ferry doctor checks it on the target).`,
        );
      } else if (driver === null) {
        add(
          'ERR_FERRY_VARIANT_NO_DRIVER',
          `the target has no NVIDIA driver (no /proc/driver/nvidia/version, no nvidia-smi); a CUDA ${cuda} build cannot run there`,
          `Install NVIDIA driver ≥ ${minimumDriverFor(cuda)} on the target, or use --cuda cpu.`,
        );
      } else {
        const support = cudaSupport(driver, cuda);
        if (
          support === 'none' ||
          (support === 'minor-version-compat' && !opts.allowMinorVersionCompat)
        ) {
          add(
            'ERR_FERRY_VARIANT_DRIVER_TOO_OLD',
            `${describeDriver(driver)}; the CUDA ${cuda} build needs driver ≥ ${minimumDriverFor(cuda)}`,
            `Install NVIDIA driver ≥ ${minimumDriverFor(cuda)} on the target.`,
          );
        } else if (support === 'minor-version-compat') {
          notes.push(
            `${describeDriver(driver)}: CUDA ${cuda} runs through minor-version compatibility, with limited features.`,
          );
        }
      }
    }
  }
  if (chosen !== undefined && !glibcOk(chosen)) {
    add(
      'ERR_FERRY_VARIANT_GLIBC',
      `${name} ${release} ${chosen.cuda === 'cpu' ? 'CPU' : `CUDA ${chosen.cuda}`} wheels are manylinux_${(chosen.minGlibc ?? '').replace('.', '_')} only; the target's glibc is ${libc?.version}`,
      `Upgrade the target to glibc ≥ ${chosen.minGlibc} (e.g. openEuler 20.03 or later), or choose an older ${name} release.`,
    );
  }
  if (chosen !== undefined) {
    for (const p of buildProblems(chosen, name, release, profile, libc))
      add(p.code, p.problem, p.fix);
    if (chosen.minGlibcxx !== undefined && profile.libstdcxx?.glibcxx == null)
      notes.push(
        `${name} ${release} needs libstdc++ with GLIBCXX_${chosen.minGlibcxx} or newer; the target's is not known here (ferry probe records it; ferry doctor checks it on the target).`,
      );
  }
  if (problems.length > 0 || chosen === undefined || interp === undefined)
    return { problems, label };

  const version = chosen.version.replace('{version}', release);
  const extras = chosen.extras ?? [];
  const project = chosen.project;
  const requirement = `${project}${extras.length > 0 ? `[${extras.join(',')}]` : ''}==${version}`;
  const excluded = excludingConstraints(opts.constraints, project, version, interp);
  if (excluded.length > 0) {
    const which = excluded.map((c) => `${formatRequirement(c.requirement)} (${c.source})`);
    return {
      label,
      problems: [
        {
          code: 'ERR_FERRY_VARIANT_CONSTRAINED',
          problem: `${project}==${version} is excluded by the constraint ${which.join(' and ')}`,
          fix: `Choose a release the constraint allows (--framework-version), or loosen the constraint in ${excluded.map((c) => c.source.replace(/:\d+$/, '')).join(', ')}.`,
        },
      ],
    };
  }
  let index = chosen.index === 'default' ? 'default' : (table.indexes[chosen.index] as string);
  let file: string | undefined;
  if (opts.availability !== undefined) {
    const published = checkPublished(opts.availability, {
      index,
      tableIndex: chosen.index,
      project,
      version,
      namesBuild: chosen.version !== '{version}',
      cpu: chosen.cuda === 'cpu',
      tags: interp.tags,
      python: interp.version,
      arch,
    });
    if (published.problem !== undefined) return { label, problems: [published.problem] };
    notes.push(...published.notes);
    index = published.index;
    file = published.file;
  }
  // The series' notes are about its CUDA builds (vendor indexes, nvidia-* wheels, which
  // release has which CUDA): a CPU build gets none of them.
  if (chosen.cuda !== 'cpu') notes.unshift(...s.cudaNotes);
  notes.push(...(chosen.notes ?? []));
  if (
    s.framework === 'torch' &&
    chosen.cuda === 'cpu' &&
    chosen.index === 'default' &&
    arch === 'x86_64'
  ) {
    notes.push('Plain torch on the configured index is a CUDA build on linux x86_64.');
  }
  return {
    problems,
    label,
    choice: {
      framework: s.framework,
      version,
      project,
      requirement,
      index,
      extras,
      constraints: s.constraints.map((c) => c.requirement),
      ...(chosen.alsoRequires === undefined
        ? {}
        : { alsoRequires: chosen.alsoRequires.map((r) => r.replace('{version}', release)) }),
      cuda: chosen.cuda,
      python: interpreterVersion(interp).join('.'),
      notes,
      from: chosen.from,
      ...(file === undefined ? {} : { file }),
    },
  };
}
