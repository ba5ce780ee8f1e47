/**
 * The target profile: what `ferry probe` (src/host/probe.py) captured on the real target host,
 * validated at the boundary. docs/target-profile.md describes the format.
 */
import { z } from 'zod';
import { FerryError } from '../core/errors.js';
import { MARKER_VARIABLES, type MarkerEnvironment } from '../standards/marker.js';
import type { Target } from '../standards/target.js';

export const TARGET_PROFILE_FORMAT_VERSION = 1;

const dotted = /^\d+\.\d+$/;

const libcSchema = z.object({
  kind: z.enum(['glibc', 'musl']),
  /** 'MAJOR.MINOR'; null when a musl loader was seen but could not be asked. */
  version: z.string().regex(dotted, 'expected MAJOR.MINOR, e.g. "2.28"').nullable(),
});

const markersSchema = z.object(
  Object.fromEntries(MARKER_VARIABLES.map((name) => [name, z.string()])) as Record<
    (typeof MARKER_VARIABLES)[number],
    z.ZodString
  >,
);

const interpreterSchema = z.object({
  executable: z.string().min(1),
  paths: z.array(z.string()).min(1),
  running: z.boolean(),
  /** platform.python_version(), e.g. '3.7.9'. */
  version: z
    .string()
    .regex(/^\d+\.\d+\.\d+((a|b|rc)\d+)?\+?$/, 'expected a Python version such as "3.9.18"'),
  /** sys.implementation.name, e.g. 'cpython'. */
  implementation: z.string().min(1),
  abiTag: z.string().nullable(),
  abis: z.array(z.string()),
  libc: libcSchema.nullable(),
  pip: z.string().nullable(),
  markers: markersSchema,
  tags: z.array(
    z
      .string()
      .regex(/^[^-\s]+-[^-\s]+-[^-\s]+$/, 'expected a tag like "cp39-cp39-manylinux_2_17_x86_64"'),
  ),
});

export const targetProfileSchema = z.object({
  formatVersion: z.literal(TARGET_PROFILE_FORMAT_VERSION),
  generator: z.string().optional(),
  hostname: z.string().nullable().optional(),
  os: z
    .object({
      id: z.string().nullable().optional(),
      versionId: z.string().nullable().optional(),
      prettyName: z.string().nullable().optional(),
      idLike: z.array(z.string()).optional(),
    })
    .nullable(),
  system: z.string().default('Linux'),
  arch: z.string().min(1),
  libc: libcSchema.nullable(),
  cpu: z.object({
    model: z.string().nullable(),
    count: z.number().int().nonnegative().nullable(),
    /** avx, avx2, avx512f, fma, sse4_2 → present or not; null when /proc/cpuinfo was unreadable. */
    flags: z.record(z.string(), z.boolean()).nullable(),
  }),
  nvidia: z.object({
    driverVersion: z
      .string()
      .regex(/^\d+\.\d+(\.\d+)?$/, 'expected a driver version such as "535.54.03"')
      .nullable(),
    driverSource: z.string().nullable(),
    gpuCount: z.number().int().nonnegative().nullable(),
    gpus: z.array(z.string()).default([]),
    /** One per GPU, in the order of `gpus`: 'MAJOR.MINOR' (nvidia-smi's compute_cap). */
    computeCapabilities: z
      .array(z.string().regex(/^\d+\.\d+$/, 'expected a compute capability such as "8.6"'))
      .default([]),
  }),
  /**
   * The newest GLIBCXX_ symbol version the host's libstdc++.so.6 exports ('3.4.25' is GCC 8),
   * which is what a C++ extension built with a newer GCC needs; null when it was not found.
   */
  libstdcxx: z
    .object({
      glibcxx: z
        .string()
        .regex(/^\d+\.\d+\.\d+$/, 'expected a GLIBCXX version such as "3.4.25"')
        .nullable(),
      path: z.string().nullable(),
    })
    .nullable()
    .default(null),
  cudaLibraries: z.array(
    z.object({
      library: z.string(),
      soname: z.string(),
      version: z.string(),
      path: z.string(),
      source: z.string(),
    }),
  ),
  interpreters: z.array(interpreterSchema),
  warnings: z.array(z.string()).default([]),
});

export type TargetProfile = z.infer<typeof targetProfileSchema>;
export type ProfileInterpreter = TargetProfile['interpreters'][number];

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path)
    out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(top level)' : out;
}

/**
 * Parses a profile (JSON text or an already-parsed value). Errors name the file (`source`) and
 * every bad field, e.g. `kylin.json: nvidia.driverVersion: expected a driver version ...`.
 */
export function parseTargetProfile(json: string | unknown, source: string): TargetProfile {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new FerryError(
        'ERR_FERRY_INVALID_PROFILE',
        `${source}: not JSON (${(error as Error).message})`,
        {
          hint: 'A target profile is the JSON that `ferry probe` (or `python3 install.py --probe`) prints on the target.',
          cause: error,
        },
      );
    }
  }
  if (typeof value === 'object' && value !== null && 'formatVersion' in value) {
    const v = (value as { formatVersion: unknown }).formatVersion;
    if (v !== TARGET_PROFILE_FORMAT_VERSION) {
      throw new FerryError(
        'ERR_FERRY_INVALID_PROFILE',
        `${source}: formatVersion ${JSON.stringify(v)} is not supported (this ferry reads formatVersion ${TARGET_PROFILE_FORMAT_VERSION})`,
        { hint: 'Probe the target again with the probe that ships with this ferry.' },
      );
    }
  }
  const parsed = targetProfileSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`);
    throw new FerryError(
      'ERR_FERRY_INVALID_PROFILE',
      `${source}: invalid target profile: ${problems.join('; ')}`,
      {
        hint: 'Probe the target again with `ferry probe`, or fix the named fields.',
        details: { source, problems },
      },
    );
  }
  return parsed.data;
}

const SHORT_IMPLEMENTATION: Readonly<Record<string, string>> = {
  cpython: 'cp',
  pypy: 'pp',
  ironpython: 'ip',
  jython: 'jy',
  graalpy: 'graalpy',
};

function osOf(system: string): 'linux' | 'macos' | 'windows' {
  if (system === 'Darwin') return 'macos';
  if (system === 'Windows') return 'windows';
  return 'linux';
}

function libcVersion(v: string | null): readonly [number, number] | undefined {
  if (v === null) return undefined;
  const [a, b] = v.split('.').map(Number);
  return a === undefined || b === undefined ? undefined : [a, b];
}

/** A short name for a host: the os-release ID and version, else the hostname, else 'target'. */
export function profileName(profile: TargetProfile): string {
  const os = profile.os;
  if (os?.id)
    return `${os.id}${os.versionId ? `-${os.versionId}` : ''}`.toLowerCase().replace(/\s+/g, '-');
  return profile.hostname ?? 'target';
}

/** The interpreter's [major, minor]. */
export function interpreterVersion(i: ProfileInterpreter): [number, number] {
  const [major, minor] = i.version.split('.').map(Number);
  return [major ?? 0, minor ?? 0];
}

/**
 * One Target per interpreter found on the host, the running one first. The markers are the ones
 * the probe read on the host (platform_release and platform_version included), not derived.
 */
export function profileToTargets(profile: TargetProfile): Target[] {
  const name = profileName(profile);
  return profile.interpreters.map((i) => {
    const [major, minor] = interpreterVersion(i);
    const libc = i.libc ?? profile.libc;
    const version = libc === null ? undefined : libcVersion(libc.version);
    const markers: MarkerEnvironment = { ...i.markers };
    return {
      name: `${name}-py${major}.${minor}${profile.interpreters.length > 1 ? `-${i.executable}` : ''}`,
      interpreter: {
        implementation: SHORT_IMPLEMENTATION[i.implementation] ?? i.implementation,
        version: [major, minor] as const,
        ...(i.abis.length > 0 ? { abis: i.abis } : {}),
        fullVersion: i.version,
      },
      platform: {
        os: osOf(i.markers.platform_system || profile.system),
        arch: i.markers.platform_machine || profile.arch,
        ...(libc !== null && version !== undefined ? { libc: { kind: libc.kind, version } } : {}),
      },
      markers,
    };
  });
}

/** True when the CPU has the flag; undefined when the probe could not read the CPU flags. */
export function cpuHas(profile: TargetProfile, flag: string): boolean | undefined {
  const flags = profile.cpu.flags;
  if (flags === null) return undefined;
  return flags[flag] === true;
}

/** The libc version as [major, minor], if known. */
export function profileLibc(
  profile: TargetProfile,
): { kind: 'glibc' | 'musl'; version?: [number, number] } | undefined {
  const libc = profile.libc;
  if (libc === null) return undefined;
  const v = libcVersion(libc.version);
  return v === undefined ? { kind: libc.kind } : { kind: libc.kind, version: [v[0], v[1]] };
}
