/**
 * `--framework paddle|torch|tensorflow`: turns the variant table's choice for a target into
 * requirements, constraints and the index the framework must come from.
 */

import type { TargetProfile } from '../host/profile.js';
import type { Requirement } from '../standards/requirement.js';
import type { Target } from '../standards/target.js';
import { targetTags } from '../standards/target.js';
import { tryParseVersion } from '../standards/version.js';
import { type Availability, recordedAvailability } from './availability.js';
import { chooseVariant } from './choose.js';
import { cudaBuildOf } from './cuda-variants.js';
import { type FrameworkTable, loadFrameworkTable } from './table.js';
import { FLAGS_PROFILE_GENERATOR, type SourcedConstraint, type VariantChoice } from './variants.js';

export interface FrameworkRequest {
  readonly framework: string;
  readonly version?: string;
  /** auto | cpu | 11.8 | cu118 ... */
  readonly cuda: string;
  /** The target's NVIDIA driver, when no captured profile says it (jump-host use). */
  readonly driver?: string;
}

/**
 * The build for one target. `availability` says which files the builds' indexes hold
 * (discovered by src/ops/framework-availability.ts); default: the recorded availability, so a
 * choice made without the network still names a file that was published. `constraints`: the
 * lock's (-c, PIP_CONSTRAINT, pip.conf); a release they exclude is not chosen.
 */
export function chooseFramework(
  request: FrameworkRequest,
  target: Target,
  profile?: TargetProfile,
  availability: Availability = recordedAvailability(),
  constraints: readonly SourcedConstraint[] = [],
): VariantChoice {
  const effective = profile ?? profileFromTarget(target, request.driver);
  const withDriver =
    request.driver === undefined || profile === undefined
      ? effective
      : {
          ...effective,
          nvidia: { ...effective.nvidia, driverVersion: request.driver, driverSource: '--driver' },
        };
  return chooseVariant({
    framework: request.framework,
    cuda: request.cuda,
    profile: withDriver,
    python: target.interpreter.fullVersion.split('.').slice(0, 2).join('.'),
    availability,
    constraints,
    ...(request.version === undefined ? {} : { version: request.version }),
  });
}

/**
 * A profile for a target typed on the command line or taken from a preset: what is known
 * (interpreter, platform, markers, tags) is filled in; CPU flags and GPUs are unknown, except
 * the driver when --driver gives it.
 */
export function profileFromTarget(target: Target, driver?: string): TargetProfile {
  const libc = target.platform.libc;
  const libcEntry =
    libc === undefined
      ? null
      : { kind: libc.kind, version: `${libc.version[0]}.${libc.version[1]}` };
  return {
    formatVersion: 1,
    generator: FLAGS_PROFILE_GENERATOR,
    hostname: null,
    os: null,
    system: target.markers.platform_system || 'Linux',
    arch: target.markers.platform_machine || target.platform.arch,
    libc: libcEntry,
    cpu: { model: null, count: null, flags: null },
    nvidia: {
      driverVersion: driver ?? null,
      driverSource: driver === undefined ? null : '--driver',
      gpuCount: null,
      gpus: [],
      computeCapabilities: [],
    },
    libstdcxx: null,
    cudaLibraries: [],
    interpreters: [
      {
        executable: 'python3',
        paths: ['python3'],
        running: true,
        version: target.interpreter.fullVersion,
        implementation: target.markers.implementation_name || 'cpython',
        abiTag: target.interpreter.abis?.[0] ?? null,
        abis: [...(target.interpreter.abis ?? [])],
        libc: libcEntry,
        pip: null,
        markers: { ...target.markers },
        tags: targetTags(target),
      },
    ],
    warnings: [],
  };
}

/** How to get, with --framework, the CUDA build a hand-written requirement pins. */
export interface FrameworkPinAdvice {
  /** 'paddle' | 'torch': what --framework takes. */
  readonly framework: string;
  /** The CUDA version the pin names, 'MAJOR.MINOR'. */
  readonly cuda: string;
  /** The release written in the pin ('2.6.0'). */
  readonly asked: string;
  /** The release to name: the asked one when the table has it, else its series' release. */
  readonly release: string;
  /** `--framework paddle --framework-version 2.6.2 --cuda 11.8` */
  readonly flags: string;
  /** The table's pin for that build, e.g. 'paddlepaddle-gpu==2.6.2'. */
  readonly requirement: string;
  /** Where the table says the build comes from: an index URL, or 'default'. */
  readonly index: string;
  /** What to tell the user about the table, e.g. that 2.6.0 is not in it but 2.6.2 is. */
  readonly note?: string;
}

const PIN_FRAMEWORKS: Readonly<Record<string, { framework: string; flag: string }>> = {
  'paddlepaddle-gpu': { framework: 'paddlepaddle', flag: 'paddle' },
  torch: { framework: 'torch', flag: 'torch' },
};

/**
 * For `paddlepaddle-gpu==2.6.0.post118` or `torch==2.1.2+cu118` (a CUDA build pinned by hand,
 * which only its vendor's index, or one particular index, has), the --framework flags that get
 * that build from where ferry's table says it is. Undefined for any other requirement, or when
 * the table has no such build.
 */
export function frameworkForPin(
  requirement: Requirement,
  table: FrameworkTable = loadFrameworkTable(),
): FrameworkPinAdvice | undefined {
  const known = PIN_FRAMEWORKS[requirement.normalizedName];
  const pins = requirement.specifier.specifiers.filter(
    (s) => (s.operator === '==' || s.operator === '===') && !s.version.endsWith('*'),
  );
  if (known === undefined || pins.length !== 1) return undefined;
  const version = tryParseVersion((pins[0] as { version: string }).version);
  if (version === undefined) return undefined;
  const cuda = cudaBuildOf(requirement.normalizedName, version);
  if (cuda === undefined) return undefined;
  const asked = version.release.join('.');
  const series = table.series.filter((s) => s.framework === known.framework);
  const exact = series.find((s) => s.versions.includes(asked));
  const sameSeries =
    exact ?? series.find((s) => asked === s.series || asked.startsWith(`${s.series}.`));
  if (sameSeries === undefined) return undefined;
  const variant = sameSeries.variants.find((v) => v.cuda === cuda);
  if (variant === undefined) return undefined;
  const release = exact === undefined ? sameSeries.defaultVersion : asked;
  return {
    framework: known.flag,
    cuda,
    asked,
    release,
    flags: `--framework ${known.flag} --framework-version ${release} --cuda ${cuda}`,
    requirement: `${variant.project}${variant.extras?.length ? `[${variant.extras.join(',')}]` : ''}==${variant.version.replace('{version}', release)}`,
    index: variant.index === 'default' ? 'default' : (table.indexes[variant.index] ?? 'default'),
    ...(exact === undefined
      ? {
          note: `${asked} is not in ferry's variant table; ${release} is the ${sameSeries.series} release it has`,
        }
      : {}),
  };
}
