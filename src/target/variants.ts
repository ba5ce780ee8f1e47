/**
 * The framework variant table (data/frameworks.json) and the chooser: which exact pin, from
 * which index, is the build of PaddlePaddle / PyTorch / TensorFlow that runs on a target.
 *
 * Pins are always exact (`==`): Paddle's `.postNNN` is a PEP 440 post-release, so `>=2.6.2`
 * would pick post120 (CUDA 12.0), and `==2.6.2` does not match `2.6.2.post118`. PyTorch's
 * `+cuXXX` is a local label, so `==2.1.2` would match any CUDA build; ferry pins the label too.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FerryError } from '../core/errors.js';
import {
  compareDottedVersions,
  cudaSupport,
  describeDriver,
  maxCudaForDriver,
  minimumDriverFor,
  normalizeCuda,
} from './cuda.js';
import {
  cpuHas,
  interpreterVersion,
  type ProfileInterpreter,
  type TargetProfile,
} from './profile.js';

const variantSchema = z.object({
  cuda: z.string(),
  project: z.string(),
  /** '{version}' is replaced by the release, e.g. '{version}.post112' → '2.6.2.post112'. */
  version: z.string().includes('{version}'),
  extras: z.array(z.string()).optional(),
  /** An index name from `indexes`, or 'default' (the configured index). */
  index: z.string(),
  arches: z.array(z.string()).min(1),
  /** Oldest glibc the wheels accept (their manylinux tag), when stricter than manylinux2014. */
  minGlibc: z.string().optional(),
  from: z.string(),
});

const seriesSchema = z.object({
  framework: z.enum(['paddlepaddle', 'torch', 'tensorflow']),
  series: z.string(),
  versions: z.array(z.string()).min(1),
  defaultVersion: z.string(),
  versionsFrom: z.string().optional(),
  python: z.object({ min: z.string(), max: z.string(), from: z.string() }),
  requiresAvx: z.object({ value: z.boolean(), from: z.string() }),
  constraints: z.array(z.object({ requirement: z.string(), why: z.string(), from: z.string() })),
  notes: z.array(z.string()),
  variants: z.array(variantSchema).min(1),
});

export const frameworkTableSchema = z.object({
  formatVersion: z.literal(1),
  comment: z.string().optional(),
  indexes: z.record(z.string(), z.string().url()),
  series: z.array(seriesSchema),
});

export type FrameworkTable = z.infer<typeof frameworkTableSchema>;
export type FrameworkSeries = FrameworkTable['series'][number];
export type FrameworkVariant = FrameworkSeries['variants'][number];
export type FrameworkName = FrameworkSeries['framework'];

let cached: FrameworkTable | undefined;

/** data/frameworks.json, validated (read once). */
export function loadFrameworkTable(): FrameworkTable {
  if (cached !== undefined) return cached;
  const candidates = [
    new URL('../../data/frameworks.json', import.meta.url),
    new URL('../../../data/frameworks.json', import.meta.url),
  ];
  let text: string | undefined;
  for (const url of candidates) {
    try {
      text = readFileSync(fileURLToPath(url), 'utf8');
      break;
    } catch {
      // try the next location
    }
  }
  if (text === undefined) {
    throw new FerryError(
      'ERR_FERRY_DATA_MISSING',
      'data/frameworks.json is missing from this ferry installation',
      {
        hint: 'Reinstall ferry.',
      },
    );
  }
  cached = parseFrameworkTable(text, 'data/frameworks.json');
  return cached;
}

export function parseFrameworkTable(text: string, source: string): FrameworkTable {
  const parsed = frameworkTableSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new FerryError(
      'ERR_FERRY_DATA_INVALID',
      `${source}: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ')}`,
    );
  }
  for (const s of parsed.data.series) {
    for (const v of s.variants) {
      if (v.index !== 'default' && parsed.data.indexes[v.index] === undefined) {
        throw new FerryError(
          'ERR_FERRY_DATA_INVALID',
          `${source}: ${s.framework} ${s.series} names unknown index "${v.index}"`,
        );
      }
    }
  }
  return parsed.data;
}

const FRAMEWORK_ALIASES: Readonly<Record<string, FrameworkName>> = {
  paddle: 'paddlepaddle',
  paddlepaddle: 'paddlepaddle',
  'paddlepaddle-gpu': 'paddlepaddle',
  torch: 'torch',
  pytorch: 'torch',
  tensorflow: 'tensorflow',
  tf: 'tensorflow',
  'tensorflow-cpu': 'tensorflow',
};

const DISPLAY: Readonly<Record<FrameworkName, string>> = {
  paddlepaddle: 'PaddlePaddle',
  torch: 'PyTorch',
  tensorflow: 'TensorFlow',
};

export function normalizeFramework(name: string): FrameworkName {
  const f = FRAMEWORK_ALIASES[name.trim().toLowerCase().replace(/_/g, '-')];
  if (f === undefined) {
    throw new FerryError('ERR_FERRY_VARIANT_UNKNOWN', `ferry has no variant table for "${name}"`, {
      hint: 'Known frameworks: paddlepaddle, torch, tensorflow.',
    });
  }
  return f;
}

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
  /** 'cpu' or 'MAJOR.MINOR'. */
  readonly cuda: string;
  /** The target interpreter's version, 'X.Y'. */
  readonly python: string;
  readonly notes: readonly string[];
  /** Where the facts behind this row come from ('brief' or 'unverified'). */
  readonly from: string;
}

const SOURCE_ONLY_ARCHES: Readonly<Record<string, string>> = {
  loongarch64: 'LoongArch',
  sw_64: 'Sunway',
};

function refuse(
  code: string,
  message: string,
  hint: string,
  details?: Record<string, unknown>,
): FerryError {
  return new FerryError(code, message, details === undefined ? { hint } : { hint, details });
}

function pyTuple(v: string): [number, number] {
  const [a, b] = v.split('.').map(Number);
  return [a ?? 0, b ?? 0];
}

function pyInRange(v: [number, number], s: FrameworkSeries): boolean {
  const lo = pyTuple(s.python.min);
  const hi = pyTuple(s.python.max);
  const cmp = (x: [number, number], y: [number, number]) => x[0] - y[0] || x[1] - y[1];
  return cmp(v, lo) >= 0 && cmp(v, hi) <= 0;
}

function normalizeArch(arch: string): string {
  const a = arch.toLowerCase();
  if (a === 'amd64' || a === 'x64') return 'x86_64';
  if (a === 'arm64') return 'aarch64';
  if (a === 'loong64') return 'loongarch64';
  return a;
}

function versionKey(v: string): number[] {
  return v.split(/[.+]/).map((p) => Number.parseInt(p, 10) || 0);
}

function newerFirst(a: string, b: string): number {
  const x = versionKey(a);
  const y = versionKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (y[i] ?? 0) - (x[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function seriesFor(
  table: FrameworkTable,
  framework: FrameworkName,
  version: string | undefined,
): { series: FrameworkSeries[]; release?: string } {
  const all = table.series
    .filter((s) => s.framework === framework)
    .sort((a, b) => newerFirst(a.defaultVersion, b.defaultVersion));
  if (version === undefined) return { series: all };
  const exact = all.find((s) => s.versions.includes(version));
  if (exact !== undefined) return { series: [exact], release: version };
  const bySeries = all.find((s) => s.series === version);
  if (bySeries !== undefined) return { series: [bySeries] };
  const known = all.flatMap((s) => s.versions).join(', ');
  throw refuse(
    'ERR_FERRY_VARIANT_UNKNOWN',
    `${DISPLAY[framework]} ${version} is not in ferry's variant table (known: ${known})`,
    'Pick a listed release or series, or add a row to data/frameworks.json with its source.',
  );
}

function pickInterpreter(profile: TargetProfile, wanted: string | undefined): ProfileInterpreter[] {
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
    throw refuse(
      'ERR_FERRY_VARIANT_PYTHON',
      `the target has no Python "${wanted}" (found: ${seen})`,
      'Name one of the interpreters the probe found, or install that Python on the target.',
    );
  }
  return matching;
}

function libcOf(
  profile: TargetProfile,
  i: ProfileInterpreter,
): { kind: 'glibc' | 'musl'; version: string | null } | null {
  return i.libc ?? profile.libc;
}

function chooseInSeries(
  s: FrameworkSeries,
  release: string,
  opts: ChooseVariantOptions,
  table: FrameworkTable,
): VariantChoice {
  const name = DISPLAY[s.framework];
  const profile = opts.profile;
  const arch = normalizeArch(profile.arch);

  const sourceOnly = SOURCE_ONLY_ARCHES[arch];
  if (sourceOnly !== undefined) {
    throw refuse(
      'ERR_FERRY_VARIANT_SOURCE_ONLY',
      `${name} publishes no wheels for ${sourceOnly} (linux ${arch}): source builds only`,
      `Build ${name} from source for ${arch} (or use a vendor's ${sourceOnly} build) and bundle that wheel with --find-links.`,
      { arch },
    );
  }
  const forArch = s.variants.filter((v) => v.arches.includes(arch));
  if (forArch.length === 0) {
    throw refuse(
      'ERR_FERRY_VARIANT_ARCH',
      `${name} ${release} publishes no wheels for linux ${arch}`,
      `Wheels exist for: ${[...new Set(s.variants.flatMap((v) => v.arches))].join(', ')}.`,
      { arch },
    );
  }

  // Interpreter: the running one if it fits, else another the probe found.
  const candidates = pickInterpreter(profile, opts.python);
  const fitting = candidates.filter((i) => pyInRange(interpreterVersion(i), s));
  const notes: string[] = [...s.notes];
  const interp = fitting[0];
  if (interp === undefined) {
    const seen = candidates.map((i) => i.version).join(', ') || 'none';
    throw refuse(
      'ERR_FERRY_VARIANT_PYTHON',
      `${name} ${release} supports Python ${s.python.min}–${s.python.max}; the target has Python ${seen}`,
      `Install a Python ${s.python.min}–${s.python.max} on the target (and probe again), or choose another ${name} release.`,
      { python: seen, supported: [s.python.min, s.python.max] },
    );
  }
  if (candidates[0] !== interp)
    notes.push(
      `Built for ${interp.paths[0]} (Python ${interp.version}), not the interpreter that ran the probe.`,
    );
  const python = interpreterVersion(interp).join('.');

  const libc = libcOf(profile, interp);
  if (libc?.kind === 'musl') {
    throw refuse(
      'ERR_FERRY_VARIANT_MUSL',
      `${name} publishes no musllinux wheels; the target uses musl libc`,
      'Use a glibc-based host (or container image) for this framework.',
    );
  }

  if (arch === 'x86_64' && s.requiresAvx.value && cpuHas(profile, 'avx') === false) {
    throw refuse(
      'ERR_FERRY_VARIANT_NO_AVX',
      `${name} ${release} wheels need a CPU with AVX; the target's CPU (${profile.cpu.model ?? 'unknown model'}) has none`,
      `Run on a CPU with AVX, or build ${name} from source without AVX (WITH_AVX=OFF for Paddle).`,
    );
  }

  const glibcOk = (v: FrameworkVariant): boolean =>
    v.minGlibc === undefined ||
    libc === null ||
    libc.version === null ||
    compareDottedVersions(libc.version, v.minGlibc) >= 0;
  const glibcRefusal = (v: FrameworkVariant): FerryError =>
    refuse(
      'ERR_FERRY_VARIANT_GLIBC',
      `${name} ${release} ${v.cuda === 'cpu' ? 'CPU' : `CUDA ${v.cuda}`} wheels are manylinux_${(v.minGlibc ?? '').replace('.', '_')} only; the target's glibc is ${libc?.version}`,
      `Upgrade the target to glibc ≥ ${v.minGlibc} (e.g. openEuler 20.03 or later), or choose an older ${name} release.`,
    );

  const cpuVariant = forArch.find((v) => v.cuda === 'cpu');
  const gpuVariants = forArch
    .filter((v) => v.cuda !== 'cpu')
    .sort((a, b) => newerFirst(a.cuda, b.cuda));
  const driver = profile.nvidia.driverVersion;
  let chosen: FrameworkVariant | undefined;

  const wanted = opts.cuda.trim().toLowerCase();
  if (wanted === 'cpu') {
    chosen = cpuVariant;
    if (chosen === undefined) {
      throw refuse(
        'ERR_FERRY_VARIANT_UNKNOWN',
        `${name} ${release} has no CPU build for linux ${arch} in ferry's table`,
        'Choose a CUDA build.',
      );
    }
    if (!glibcOk(chosen)) throw glibcRefusal(chosen);
  } else if (wanted === 'auto') {
    if (driver === null) {
      chosen = cpuVariant;
      notes.push('No NVIDIA driver found on the target: chose the CPU build.');
    } else if (gpuVariants.length === 0) {
      chosen = cpuVariant;
      notes.push(`${name} publishes only CPU wheels for linux ${arch}: chose the CPU build.`);
    } else {
      const supported = gpuVariants.filter(
        (v) =>
          cudaSupport(driver, v.cuda) === 'full' ||
          (opts.allowMinorVersionCompat && cudaSupport(driver, v.cuda) !== 'none'),
      );
      chosen = supported.find(glibcOk);
      if (chosen === undefined) {
        chosen = cpuVariant;
        const why =
          supported.length > 0
            ? `the CUDA builds the driver supports need a newer glibc than ${libc?.version}`
            : `${describeDriver(driver)} and the oldest ${name} ${release} CUDA build needs ${gpuVariants[gpuVariants.length - 1]?.cuda}`;
        notes.push(`No usable CUDA build: ${why}; chose the CPU build.`);
      }
    }
    if (chosen === undefined) {
      throw refuse(
        'ERR_FERRY_VARIANT_UNKNOWN',
        `${name} ${release} has no CPU build for linux ${arch} in ferry's table`,
        'Choose a CUDA build.',
      );
    }
    if (!glibcOk(chosen)) throw glibcRefusal(chosen);
  } else {
    const cuda = normalizeCuda(wanted);
    if (gpuVariants.length === 0) {
      throw refuse(
        'ERR_FERRY_VARIANT_ARCH',
        `${name} publishes only CPU wheels for linux ${arch}`,
        `Use --cuda cpu, or build ${name} with CUDA from source for ${arch}.`,
        { arch, cuda },
      );
    }
    chosen = gpuVariants.find((v) => v.cuda === cuda);
    if (chosen === undefined) {
      throw refuse(
        'ERR_FERRY_VARIANT_UNKNOWN',
        `${name} ${release} has no CUDA ${cuda} build (builds: ${gpuVariants.map((v) => v.cuda).join(', ')}, cpu)`,
        'Pick one of the listed CUDA versions, --cuda auto, or another release.',
      );
    }
    if (driver === null) {
      throw refuse(
        'ERR_FERRY_VARIANT_NO_DRIVER',
        `the target has no NVIDIA driver (no /proc/driver/nvidia/version, no nvidia-smi); a CUDA ${cuda} build cannot run there`,
        `Install NVIDIA driver ≥ ${minimumDriverFor(cuda)} on the target, or use --cuda cpu.`,
      );
    }
    const support = cudaSupport(driver, cuda);
    if (
      support === 'none' ||
      (support === 'minor-version-compat' && !opts.allowMinorVersionCompat)
    ) {
      throw refuse(
        'ERR_FERRY_VARIANT_DRIVER_TOO_OLD',
        `${describeDriver(driver)}; this build needs ${cuda} — install driver ≥ ${minimumDriverFor(cuda)}, or use --cuda cpu`,
        `Install NVIDIA driver ≥ ${minimumDriverFor(cuda)}, choose --cuda ${maxCudaForDriver(driver) ?? 'cpu'} or older, or use --cuda cpu.`,
        { driver, cuda, maxCuda: maxCudaForDriver(driver) },
      );
    }
    if (support === 'minor-version-compat') {
      notes.push(
        `${describeDriver(driver)}: CUDA ${cuda} runs through minor-version compatibility, with limited features.`,
      );
    }
    if (!glibcOk(chosen)) throw glibcRefusal(chosen);
  }

  const version = chosen.version.replace('{version}', release);
  const extras = chosen.extras ?? [];
  const project = chosen.project;
  const requirement = `${project}${extras.length > 0 ? `[${extras.join(',')}]` : ''}==${version}`;
  const index = chosen.index === 'default' ? 'default' : (table.indexes[chosen.index] as string);
  if (
    s.framework === 'torch' &&
    chosen.cuda === 'cpu' &&
    chosen.index === 'default' &&
    arch === 'x86_64'
  ) {
    notes.push('Plain torch on the configured index is a CUDA build on linux x86_64.');
  }
  return {
    framework: s.framework,
    version,
    project,
    requirement,
    index,
    extras,
    constraints: s.constraints.map((c) => c.requirement),
    cuda: chosen.cuda,
    python,
    notes,
    from: chosen.from,
  };
}

/**
 * Chooses the build of a framework that runs on the profiled target, or throws a FerryError
 * whose message says why none does and whose hint says what to do.
 */
export function chooseVariant(
  opts: ChooseVariantOptions,
  table: FrameworkTable = loadFrameworkTable(),
): VariantChoice {
  const framework = normalizeFramework(opts.framework);
  const { series, release } = seriesFor(table, framework, opts.version);
  const errors: FerryError[] = [];
  // --cuda auto with a driver and no release named: prefer the newest release that has a CUDA
  // build this driver runs over the newest release's CPU build.
  if (
    opts.cuda.trim().toLowerCase() === 'auto' &&
    release === undefined &&
    opts.profile.nvidia.driverVersion !== null
  ) {
    for (const [n, s] of series.entries()) {
      try {
        const choice = chooseInSeries(s, s.defaultVersion, opts, table);
        if (choice.cuda === 'cpu') continue;
        if (n === 0) return choice;
        const newest = series[0] as FrameworkSeries;
        const why = `${DISPLAY[framework]} ${newest.defaultVersion} has no CUDA build for this target; chose the newest release that has one.`;
        return { ...choice, notes: [why, ...choice.notes] };
      } catch (error) {
        if (!(error instanceof FerryError)) throw error;
      }
    }
  }
  for (const s of series) {
    try {
      return chooseInSeries(s, release ?? s.defaultVersion, opts, table);
    } catch (error) {
      if (!(error instanceof FerryError)) throw error;
      errors.push(error);
      // Only a Python or glibc misfit makes an older series worth trying.
      if (
        error.code !== 'ERR_FERRY_VARIANT_PYTHON' &&
        error.code !== 'ERR_FERRY_VARIANT_GLIBC' &&
        error.code !== 'ERR_FERRY_VARIANT_UNKNOWN'
      )
        throw error;
    }
  }
  const first = errors[0];
  if (first === undefined) {
    throw refuse(
      'ERR_FERRY_VARIANT_UNKNOWN',
      `ferry's variant table has no ${DISPLAY[framework]} rows`,
      'Add rows to data/frameworks.json.',
    );
  }
  if (errors.length > 1 && errors.every((e) => e.code === 'ERR_FERRY_VARIANT_PYTHON')) {
    const ranges = series.map((s) => `${s.series}: ${s.python.min}–${s.python.max}`).join(', ');
    const seen = opts.profile.interpreters.map((i) => i.version).join(', ') || 'none';
    throw refuse(
      'ERR_FERRY_VARIANT_PYTHON',
      `no ${DISPLAY[framework]} release in ferry's table supports the target's Python ${seen} (${ranges})`,
      'Install a supported Python on the target and probe again.',
    );
  }
  throw first;
}
