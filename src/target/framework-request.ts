/**
 * `--framework paddle|torch|tensorflow`: turns the variant table's choice for a target into
 * requirements, constraints and the index the framework must come from.
 */
import type { Target } from '../standards/target.js';
import { targetTags } from '../standards/target.js';
import type { TargetProfile } from './profile.js';
import { chooseVariant, FLAGS_PROFILE_GENERATOR, type VariantChoice } from './variants.js';

export interface FrameworkRequest {
  readonly framework: string;
  readonly version?: string;
  /** auto | cpu | 11.8 | cu118 ... */
  readonly cuda: string;
  /** The target's NVIDIA driver, when no captured profile says it (jump-host use). */
  readonly driver?: string;
}

export function chooseFramework(
  request: FrameworkRequest,
  target: Target,
  profile?: TargetProfile,
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
    },
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
