/**
 * Compatibility tags (PEP 425, PEP 600 manylinux, PEP 656 musllinux) for an explicit target.
 *
 * This mirrors `packaging.tags` (cpython_tags, generic_tags, compatible_tags, mac_platforms) and
 * `packaging._manylinux` / `packaging._musllinux`, but every input is a parameter: nothing here
 * reads the host. The Linux platform order is pip's (packaging <= 26.2): manylinux, then
 * musllinux, then `linux_<arch>`; packaging 26.3 moved `linux_*` first (pypa/packaging#160), but
 * the pips that run on our targets rank manylinux wheels first, and ferry must pick the wheel
 * that pip on the target would pick.
 */
import { FerryError } from '../core/errors.js';

export interface Interpreter {
  /** PEP 425 short name: 'cp' (CPython), 'pp' (PyPy), or another implementation's name. */
  readonly implementation: 'cp' | 'pp' | string;
  /** Python language version, e.g. [3, 11]. */
  readonly version: readonly [number, number];
  /**
   * ABI tags in priority order. Defaults: CPython `cp311` (`cp37m` before 3.8, as a release
   * build with pymalloc); PyPy `pypy311_pp73` (every current PyPy is 7.3.x). A free-threaded
   * CPython (`cp313t`) must be given explicitly.
   */
  readonly abis?: readonly string[];
}

export interface Platform {
  readonly os: 'linux' | 'macos' | 'windows';
  /** Machine name as `uname -m` / `platform.machine()` spells it; common aliases are accepted. */
  readonly arch: string;
  /** Linux only: the C library; without it only `linux_<arch>` applies. */
  readonly libc?: {
    readonly kind: 'glibc' | 'musl';
    readonly version: readonly [number, number];
  };
  /** macOS only: the oldest macOS the target runs, e.g. [11, 0] or [10, 15]. */
  readonly macosVersion?: readonly [number, number];
}

const invalidTarget = (message: string, hint: string): FerryError =>
  new FerryError('ERR_FERRY_INVALID_TARGET', message, { hint });

// packaging._manylinux._ALLOWED_ARCHS plus the two 32-bit arches it checks through the ELF
// header of the running interpreter (armv7l hard-float, i686). For a target we cannot read
// that header, so they are assumed compatible.
const MANYLINUX_ARCHS = new Set([
  'x86_64',
  'aarch64',
  'ppc64',
  'ppc64le',
  's390x',
  'loongarch64',
  'riscv64',
  'armv7l',
  'i686',
]);

// packaging._manylinux._LEGACY_MANYLINUX_MAP (PEP 513, 571, 599).
const LEGACY_MANYLINUX: ReadonlyMap<string, string> = new Map([
  ['2.17', 'manylinux2014'],
  ['2.12', 'manylinux2010'],
  ['2.5', 'manylinux1'],
]);

// packaging._manylinux._LAST_GLIBC_MINOR: a guess for when glibc ever changes major version.
const LAST_GLIBC_MINOR = 50;

const LINUX_ARCH_ALIASES: Readonly<Record<string, string>> = {
  amd64: 'x86_64',
  x64: 'x86_64',
  arm64: 'aarch64',
  i386: 'i686',
  i586: 'i686',
  x86: 'i686',
};

function normalizeLinuxArch(arch: string): string {
  const lower = arch.toLowerCase();
  return LINUX_ARCH_ALIASES[lower] ?? lower.replace(/[.-]/g, '_');
}

/** PEP 600 manylinux tags for one glibc, as packaging._manylinux.platform_tags yields them. */
function manylinuxTags(archs: readonly string[], glibc: readonly [number, number]): string[] {
  if (!archs.some((arch) => MANYLINUX_ARCHS.has(arch))) return [];
  // Oldest glibc supported regardless of arch is 2.17; x86 goes back to 2.5 (manylinux1).
  const tooOld: [number, number] = archs.some((a) => a === 'x86_64' || a === 'i686')
    ? [2, 4]
    : [2, 16];
  const [major, minor] = glibc;
  const maxList: Array<[number, number]> = [[major, minor]];
  for (let m = major - 1; m > 1; m--) maxList.push([m, LAST_GLIBC_MINOR]);
  const out: string[] = [];
  for (const arch of archs) {
    for (const [maxMajor, maxMinor] of maxList) {
      const minMinor = maxMajor === tooOld[0] ? tooOld[1] : -1;
      for (let y = maxMinor; y > minMinor; y--) {
        out.push(`manylinux_${maxMajor}_${y}_${arch}`);
        const legacy = LEGACY_MANYLINUX.get(`${maxMajor}.${y}`);
        if (legacy !== undefined) out.push(`${legacy}_${arch}`);
      }
    }
  }
  return out;
}

/** PEP 656 musllinux tags, as packaging._musllinux.platform_tags yields them. */
function musllinuxTags(archs: readonly string[], musl: readonly [number, number]): string[] {
  const out: string[] = [];
  for (const arch of archs) {
    for (let minor = musl[1]; minor >= 0; minor--)
      out.push(`musllinux_${musl[0]}_${minor}_${arch}`);
  }
  return out;
}

/** packaging.tags._mac_binary_formats */
function macBinaryFormats(version: readonly [number, number], arch: string): string[] {
  const before = (a: readonly [number, number], b: readonly [number, number]): boolean =>
    a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  const formats = [arch];
  if (arch === 'x86_64') {
    if (before(version, [10, 4])) return [];
    formats.push('intel', 'fat64', 'fat3');
  } else if (arch === 'i386') {
    if (before(version, [10, 4])) return [];
    formats.push('intel', 'fat3', 'fat');
  } else if (arch === 'ppc64') {
    if (before([10, 5], version) || before(version, [10, 4])) return [];
    formats.push('fat64');
  } else if (arch === 'ppc') {
    if (before([10, 6], version)) return [];
    formats.push('fat3', 'fat');
  }
  if (arch === 'arm64' || arch === 'x86_64') formats.push('universal2');
  if (['x86_64', 'i386', 'ppc64', 'ppc', 'intel'].includes(arch)) formats.push('universal');
  return formats;
}

/** packaging.tags.mac_platforms(version, arch) */
export function macPlatforms(version: readonly [number, number], arch: string): string[] {
  const out: string[] = [];
  const [major, minor] = version;
  if (major === 10) {
    // Before macOS 11 every yearly release bumped the minor version.
    for (let m = minor; m >= 0; m--) {
      for (const format of macBinaryFormats([10, m], arch)) out.push(`macosx_10_${m}_${format}`);
    }
  }
  if (major >= 11) {
    // From macOS 11 every yearly release bumps the major version.
    for (let M = major; M > 10; M--) {
      for (const format of macBinaryFormats([M, 0], arch)) out.push(`macosx_${M}_0_${format}`);
    }
    // macOS 11 on x86_64 runs binaries built for older releases; arm64 only runs the
    // universal2 ones (whose x86_64 half may target an older macOS).
    for (let m = 16; m > 3; m--) {
      if (arch === 'x86_64') {
        for (const format of macBinaryFormats([10, m], arch)) out.push(`macosx_10_${m}_${format}`);
      } else {
        out.push(`macosx_10_${m}_universal2`);
      }
    }
  }
  return out;
}

function macArch(arch: string): string {
  const lower = arch.toLowerCase();
  if (lower === 'aarch64' || lower === 'arm64') return 'arm64';
  if (lower === 'amd64' || lower === 'x64') return 'x86_64';
  return lower;
}

/** sysconfig.get_platform() on Windows, normalized: win_amd64, win32, win_arm64. */
function windowsPlatform(arch: string): string {
  switch (arch.toLowerCase()) {
    case 'amd64':
    case 'x86_64':
    case 'x64':
    case 'win_amd64':
      return 'win_amd64';
    case 'x86':
    case 'i386':
    case 'i686':
    case 'win32':
      return 'win32';
    case 'arm64':
    case 'aarch64':
    case 'win_arm64':
      return 'win_arm64';
    default:
      throw invalidTarget(
        `Windows architecture "${arch}" is not known`,
        'Use AMD64 (x86_64), x86 (win32) or ARM64.',
      );
  }
}

/**
 * Platform tags for a target, best first, as pip on that target would compute them
 * (packaging.tags.platform_tags with the host facts replaced by `p`).
 */
export function platformTags(p: Platform): string[] {
  if (p.os === 'windows') return [windowsPlatform(p.arch)];
  if (p.os === 'macos') {
    if (p.macosVersion === undefined) {
      throw invalidTarget(
        'a macOS target needs its macOS version',
        'Give the oldest macOS release the target runs, e.g. 11.0 or 10.15.',
      );
    }
    return macPlatforms(p.macosVersion, macArch(p.arch));
  }
  if (p.os !== 'linux') {
    throw invalidTarget(
      `operating system "${String(p.os)}" is not supported`,
      'Use linux, macos or windows.',
    );
  }
  const arch = normalizeLinuxArch(p.arch);
  // packaging.tags._linux_platforms: a 32-bit userland on a 64-bit ARM kernel reports armv8l
  // and also runs armv7l wheels.
  const archs = arch === 'armv8l' ? ['armv8l', 'armv7l'] : [arch];
  const out: string[] = [];
  if (p.libc?.kind === 'glibc') out.push(...manylinuxTags(archs, p.libc.version));
  if (p.libc?.kind === 'musl') out.push(...musllinuxTags(archs, p.libc.version));
  for (const a of archs) out.push(`linux_${a}`);
  return out;
}

const nodot = (major: number, minor: number): string => `${major}${minor}`;

/** The default ABI list (see Interpreter.abis). */
export function defaultAbis(i: Interpreter): string[] {
  const [major, minor] = i.version;
  if (i.implementation === 'cp') {
    // packaging.tags._cpython_abis for a release build: pymalloc 'm' flag before 3.8.
    return major === 3 && minor < 8 ? [`cp${nodot(major, minor)}m`] : [`cp${nodot(major, minor)}`];
  }
  // packaging.tags._generic_abi from EXT_SUFFIX '.pypy311-pp73-x86_64-linux-gnu.so'.
  if (i.implementation === 'pp') return [`pypy${nodot(major, minor)}_pp73`];
  return [];
}

function pythonRange(major: number, minor: number): string[] {
  // packaging.tags._py_interpreter_range
  const out = [`py${nodot(major, minor)}`, `py${major}`];
  for (let m = minor - 1; m >= 0; m--) out.push(`py${nodot(major, m)}`);
  return out;
}

/** packaging.tags.cpython_tags(python_version, abis, platforms) */
function cpythonTags(
  version: readonly [number, number],
  abiList: readonly string[],
  platforms: readonly string[],
): string[] {
  const [major, minor] = version;
  const interpreter = `cp${nodot(major, minor)}`;
  const threading = /^cp\d+(.*)$/.exec(abiList[0] ?? '')?.[1]?.includes('t') ?? false;
  const explicit = threading ? ['abi3', 'abi3t', 'none'] : ['abi3', 'none'];
  const abis = [...abiList];
  // list.remove drops only the first occurrence.
  for (const e of explicit) {
    const at = abis.indexOf(e);
    if (at >= 0) abis.splice(at, 1);
  }
  const out: string[] = [];
  for (const abi of abis) for (const plat of platforms) out.push(`${interpreter}-${abi}-${plat}`);
  const atLeast32 = major > 3 || (major === 3 && minor >= 2);
  const useAbi3 = atLeast32 && !threading;
  // PEP 803 (abi3t, free-threaded stable ABI), as packaging 26.1+ yields it.
  const useAbi3t = atLeast32 && threading;
  if (useAbi3) for (const plat of platforms) out.push(`${interpreter}-abi3-${plat}`);
  if (useAbi3t) for (const plat of platforms) out.push(`${interpreter}-abi3t-${plat}`);
  for (const plat of platforms) out.push(`${interpreter}-none-${plat}`);
  if (useAbi3 || useAbi3t) {
    for (let m = minor - 1; m > 1; m--) {
      for (const plat of platforms) {
        if (useAbi3) out.push(`cp${nodot(major, m)}-abi3-${plat}`);
        if (useAbi3t) out.push(`cp${nodot(major, m)}-abi3t-${plat}`);
      }
    }
  }
  return out;
}

/** packaging.tags.generic_tags(interpreter, abis, platforms) */
function genericTags(
  interpreter: string,
  abiList: readonly string[],
  platforms: readonly string[],
): string[] {
  const abis = [...abiList];
  if (!abis.includes('none')) abis.push('none');
  const out: string[] = [];
  for (const abi of abis) for (const plat of platforms) out.push(`${interpreter}-${abi}-${plat}`);
  return out;
}

/** packaging.tags.compatible_tags(python_version, interpreter, platforms) */
function pureTags(
  version: readonly [number, number],
  interpreter: string | undefined,
  platforms: readonly string[],
): string[] {
  const out: string[] = [];
  const range = pythonRange(version[0], version[1]);
  for (const py of range) for (const plat of platforms) out.push(`${py}-none-${plat}`);
  if (interpreter !== undefined) out.push(`${interpreter}-none-any`);
  for (const py of range) out.push(`${py}-none-any`);
  return out;
}

/**
 * Every tag the interpreter on the platform supports, best first: what
 * packaging.tags.sys_tags() yields on that target (cpython_tags or generic_tags, then
 * compatible_tags). Duplicates are kept, as packaging keeps them; tagRanking keeps the first.
 */
export function compatibleTags(i: Interpreter, p: Platform): string[] {
  const [major, minor] = i.version;
  if (!Number.isInteger(major) || !Number.isInteger(minor) || major < 0 || minor < 0) {
    throw invalidTarget(
      `Python version ${major}.${minor} is not valid`,
      'Give it as two numbers, e.g. 3.11.',
    );
  }
  const platforms = platformTags(p);
  const impl = i.implementation.toLowerCase();
  const abis = (i.abis ?? defaultAbis(i)).map((a) => a.toLowerCase());
  if (impl === 'cp') {
    return [
      ...cpythonTags(i.version, abis, platforms),
      ...pureTags(i.version, `cp${nodot(major, minor)}`, platforms),
    ];
  }
  // sys_tags: generic_tags with interpreter_name()+interpreter_version(), then compatible_tags
  // with 'pp3' for PyPy and no interpreter-specific '-none-any' tag for others.
  const generic = genericTags(`${impl}${nodot(major, minor)}`, abis, platforms);
  return [...generic, ...pureTags(i.version, impl === 'pp' ? `pp${major}` : undefined, platforms)];
}

/** Tag -> rank (lower is better); the first occurrence of a duplicate wins. */
export function tagRanking(tags: readonly string[]): Map<string, number> {
  const ranking = new Map<string, number>();
  tags.forEach((tag, index) => {
    const key = tag.toLowerCase();
    if (!ranking.has(key)) ranking.set(key, index);
  });
  return ranking;
}

/**
 * The best (lowest) rank of any of the wheel's tags; undefined when none is supported. Takes
 * only the expanded tags (a parsed WheelFilename fits), since filename.ts builds on this module.
 */
export function bestWheelRank(
  wheel: { readonly tags: readonly string[] },
  ranking: Map<string, number>,
): number | undefined {
  let best: number | undefined;
  for (const tag of wheel.tags) {
    const rank = ranking.get(tag.toLowerCase());
    if (rank !== undefined && (best === undefined || rank < best)) best = rank;
  }
  return best;
}

/**
 * Expands a PEP 425 compressed tag set ('py2.py3-none-any') into its triples, lowercased as
 * packaging.tags.Tag does. Returns undefined when it is not three non-empty components.
 */
export function expandTagSet(tag: string): string[] | undefined {
  const parts = tag.split('-').map((component) => component.split('.'));
  if (parts.length !== 3 || parts.some((component) => component.includes(''))) return undefined;
  const [pys = [], abis = [], plats = []] = parts;
  const out: string[] = [];
  for (const py of pys)
    for (const abi of abis)
      for (const plat of plats) out.push(`${py}-${abi}-${plat}`.toLowerCase());
  return out;
}
