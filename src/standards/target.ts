/**
 * The target model: the interpreter and platform that a bundle is built for. Everything that
 * pip would read from the running host (tags, PEP 508 marker variables) is derived here from
 * the target's description instead, never from the machine ferry runs on (pypa/pip#10050).
 */
import { FerryError } from '../core/errors.js';
import type { MarkerEnvironment } from './marker.js';
import { compatibleTags, defaultAbis, type Interpreter, type Platform } from './tags.js';

export interface TargetInterpreter extends Interpreter {
  /** platform.python_version() on the target, e.g. '3.11.4' or '3.13.0rc1'. */
  readonly fullVersion: string;
  /** sys.implementation.version as PEP 508 formats it; CPython's is fullVersion. */
  readonly implementationVersion?: string;
}

export interface Target {
  readonly name: string;
  readonly interpreter: Interpreter & { readonly fullVersion: string };
  readonly platform: Platform;
  readonly markers: MarkerEnvironment;
}

/** Optional host facts that only a probe of the real target can know. */
export interface PlatformRelease {
  /** platform.release(): the kernel release on Linux, Darwin's on macOS, '10' on Windows. */
  readonly release?: string;
  /** platform.version() */
  readonly version?: string;
}

// sys.implementation.name and platform.python_implementation() per PEP 425 short name.
const IMPLEMENTATIONS: Readonly<
  Record<string, { readonly name: string; readonly platform: string }>
> = {
  cp: { name: 'cpython', platform: 'CPython' },
  pp: { name: 'pypy', platform: 'PyPy' },
  ip: { name: 'ironpython', platform: 'IronPython' },
  jy: { name: 'jython', platform: 'Jython' },
  graalpy: { name: 'graalpy', platform: 'GraalVM' },
};

// What platform.system() / sys.platform / os.name say on each OS.
const OS_FACTS = {
  linux: { system: 'Linux', sysPlatform: 'linux', osName: 'posix' },
  macos: { system: 'Darwin', sysPlatform: 'darwin', osName: 'posix' },
  windows: { system: 'Windows', sysPlatform: 'win32', osName: 'nt' },
} as const;

/** platform.machine() on the target: uname -m on POSIX, PROCESSOR_ARCHITECTURE on Windows. */
export function platformMachine(p: Platform): string {
  const arch = p.arch.toLowerCase();
  if (p.os === 'windows') {
    if (['amd64', 'x86_64', 'x64', 'win_amd64'].includes(arch)) return 'AMD64';
    if (['arm64', 'aarch64', 'win_arm64'].includes(arch)) return 'ARM64';
    if (['x86', 'i386', 'i686', 'win32'].includes(arch)) return 'x86';
    return p.arch;
  }
  if (p.os === 'macos') {
    if (arch === 'aarch64' || arch === 'arm64') return 'arm64';
    if (arch === 'amd64' || arch === 'x64') return 'x86_64';
    return arch;
  }
  if (arch === 'amd64' || arch === 'x64') return 'x86_64';
  if (arch === 'arm64') return 'aarch64';
  return arch;
}

const FULL_VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?((?:a|b|rc)\d+)?\+?$/;

/**
 * The 11 PEP 508 marker variables for the target. platform_release and platform_version are
 * '' unless given (only a probe of the real host knows them), as is a non-CPython
 * implementation_version unless the interpreter states it.
 */
export function markerEnvironmentFor(
  interpreter: Interpreter & { fullVersion: string; implementationVersion?: string },
  platform: Platform,
  release: PlatformRelease = {},
): MarkerEnvironment {
  const [major, minor] = interpreter.version;
  const m = FULL_VERSION.exec(interpreter.fullVersion);
  if (m === null || Number(m[1]) !== major || Number(m[2]) !== minor) {
    throw new FerryError(
      'ERR_FERRY_INVALID_TARGET',
      `The Python version "${interpreter.fullVersion}" does not match the target's Python ${major}.${minor}`,
      {
        hint: 'Give the full version as platform.python_version() prints it on the target, e.g. 3.11.4.',
      },
    );
  }
  const impl = interpreter.implementation.toLowerCase();
  const known = IMPLEMENTATIONS[impl];
  const os = OS_FACTS[platform.os];
  return {
    implementation_name: known?.name ?? impl,
    implementation_version:
      impl === 'cp' ? interpreter.fullVersion : (interpreter.implementationVersion ?? ''),
    os_name: os.osName,
    platform_machine: platformMachine(platform),
    platform_python_implementation: known?.platform ?? interpreter.implementation,
    platform_release: release.release ?? '',
    platform_system: os.system,
    platform_version: release.version ?? '',
    python_full_version: interpreter.fullVersion,
    python_version: `${major}.${minor}`,
    sys_platform: os.sysPlatform,
  };
}

/** A Target whose markers are derived from its interpreter and platform. */
export function makeTarget(
  name: string,
  interpreter: Interpreter & { fullVersion: string; implementationVersion?: string },
  platform: Platform,
  release: PlatformRelease = {},
): Target {
  return {
    name,
    interpreter,
    platform,
    markers: markerEnvironmentFor(interpreter, platform, release),
  };
}

/** Every tag the target supports, best first. */
export function targetTags(t: Target): string[] {
  return compatibleTags(t.interpreter, t.platform);
}

/** One line a person reads: 'kylin-v10: CPython 3.7.9 (cp37m), Linux aarch64, glibc 2.28'. */
export function describeTarget(t: Target): string {
  const i = t.interpreter;
  const impl = IMPLEMENTATIONS[i.implementation.toLowerCase()]?.platform ?? i.implementation;
  const abis = (i.abis ?? defaultAbis(i)).join(', ');
  const p = t.platform;
  const parts = [
    `${impl} ${i.fullVersion}${abis === '' ? '' : ` (${abis})`}`,
    `${OS_FACTS[p.os].system} ${platformMachine(p)}`,
  ];
  if (p.libc !== undefined) parts.push(`${p.libc.kind} ${p.libc.version.join('.')}`);
  if (p.os === 'macos' && p.macosVersion !== undefined)
    parts.push(`macOS ${p.macosVersion.join('.')}+`);
  const what = parts.join(', ');
  return t.name === '' ? what : `${t.name}: ${what}`;
}
