/**
 * Where targets come from: named presets (data/targets.json), target profiles captured on the
 * real host by `ferry probe` (docs/target-profile.md), or explicit flags
 * (`--python 3.9 --os linux --arch aarch64 --glibc 2.28`); the host itself when none is given.
 * Tags and markers are always derived for the target, never read from the jump host.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { embeddedAsset } from '../core/assets.js';
import { FerryError } from '../core/errors.js';
import type { Platform } from '../standards/tags.js';
import { makeTarget, type Target } from '../standards/target.js';
import { hostTarget } from './host-target.js';
import { parseTargetProfile, profileToTargets, type TargetProfile } from './profile.js';

const presetSchema = z.object({
  name: z.string(),
  title: z.string(),
  os: z.enum(['linux', 'macos', 'windows']),
  arch: z.string(),
  libc: z.string().optional(),
  python: z.string(),
  source: z.string(),
});
const presetFileSchema = z.object({ formatVersion: z.literal(1), targets: z.array(presetSchema) });
export type TargetPreset = z.infer<typeof presetSchema>;

const PRESETS_FILE = new URL('../../data/targets.json', import.meta.url);

export function loadTargetPresets(): TargetPreset[] {
  const embedded = embeddedAsset('data/targets.json');
  if (embedded !== undefined) return presetFileSchema.parse(JSON.parse(embedded)).targets;
  // Compiled code runs from dist/host/: data/ sits two levels up either way.
  const url = existsSync(PRESETS_FILE)
    ? PRESETS_FILE
    : new URL('../../../data/targets.json', import.meta.url);
  return presetFileSchema.parse(JSON.parse(readFileSync(url, 'utf8'))).targets;
}

export interface TargetFlags {
  /** --target: preset names or profile files (repeatable). */
  readonly targets?: readonly string[];
  /** --python: a version (3.9, 3.10.4) or the path of an interpreter on this host. */
  readonly python?: string;
  readonly implementation?: string;
  readonly os?: string;
  readonly arch?: string;
  readonly glibc?: string;
  readonly musl?: string;
  readonly macos?: string;
}

const VERSION_LIKE = /^\d+\.\d+(\.\d+)?$/;

export function isPythonVersion(text: string | undefined): text is string {
  return text !== undefined && VERSION_LIKE.test(text);
}

/** A target and, when it came from a real host (probe or profile file), that host's profile. */
export interface SettledTarget {
  readonly target: Target;
  readonly profile?: TargetProfile;
}

export async function settleTargets(flags: TargetFlags): Promise<Target[]> {
  return (await settleTargetsWithProfiles(flags)).map((s) => s.target);
}

export async function settleTargetsWithProfiles(flags: TargetFlags): Promise<SettledTarget[]> {
  const pythonVersion = isPythonVersion(flags.python) ? flags.python : undefined;
  const platformFlags = [
    flags.os,
    flags.arch,
    flags.glibc,
    flags.musl,
    flags.macos,
    flags.implementation,
  ].some((f) => f !== undefined);
  const names = flags.targets ?? [];
  if (names.length === 0) {
    if (!platformFlags && pythonVersion === undefined) return [await hostTarget(flags.python)];
    return [{ target: targetFromFlags(flags, pythonVersion ?? '3.11') }];
  }
  if (platformFlags) {
    throw new FerryError(
      'ERR_FERRY_USAGE',
      'Give either --target or platform flags (--os, --arch, --glibc, --musl, --macos), not both.',
      {
        hint: 'A preset or profile already fixes the platform; --python may still choose its Python version.',
      },
    );
  }
  const presets = loadTargetPresets();
  const targets: SettledTarget[] = [];
  for (const name of names) {
    const preset = presets.find((p) => p.name === name);
    if (preset !== undefined) {
      targets.push({ target: targetFromPreset(preset, pythonVersion) });
      continue;
    }
    if (existsSync(name)) {
      targets.push(await targetFromProfileFile(name, pythonVersion));
      continue;
    }
    throw new FerryError(
      'ERR_FERRY_UNKNOWN_TARGET',
      `"${name}" is neither a target preset nor a profile file.`,
      {
        hint: `Presets: ${presets.map((p) => p.name).join(', ')} (ferry targets lists them). A profile file is what \`ferry probe -o FILE\` writes on the target host.`,
      },
    );
  }
  const seen = new Set<string>();
  return targets.map((s) => {
    let name = s.target.name;
    for (let i = 2; seen.has(name); i++) name = `${s.target.name}-${i}`;
    seen.add(name);
    return name === s.target.name ? s : { ...s, target: { ...s.target, name } };
  });
}

export function targetFromPreset(preset: TargetPreset, python?: string): Target {
  const platform = platformOf(preset.os, preset.arch, preset.libc, undefined);
  const fullVersion = fullPythonVersion(python ?? preset.python);
  const name =
    python === undefined
      ? preset.name
      : `${preset.name}-py${fullVersion.split('.').slice(0, 2).join('.')}`;
  return makeTarget(name, interpreterOf('cp', fullVersion), platform);
}

function targetFromFlags(flags: TargetFlags, python: string): Target {
  const os = flags.os ?? 'linux';
  if (os !== 'linux' && os !== 'macos' && os !== 'windows') {
    throw new FerryError(
      'ERR_FERRY_INVALID_TARGET',
      `--os "${os}" is not one of linux, macos, windows.`,
      { hint: 'Use --os linux, --os macos or --os windows.' },
    );
  }
  if (flags.glibc !== undefined && flags.musl !== undefined) {
    throw new FerryError(
      'ERR_FERRY_INVALID_TARGET',
      'A target has either --glibc or --musl, not both.',
      { hint: 'Drop one of them.' },
    );
  }
  // A Linux target with no libc named gets glibc 2.17, the manylinux2014 floor: what runs there runs on newer hosts too.
  const libc =
    flags.musl !== undefined
      ? `musl ${flags.musl}`
      : os === 'linux'
        ? `glibc ${flags.glibc ?? '2.17'}`
        : undefined;
  const arch = flags.arch ?? (os === 'windows' ? 'AMD64' : 'x86_64');
  const platform = platformOf(os, arch, libc, flags.macos);
  const fullVersion = fullPythonVersion(python);
  const implementation = flags.implementation ?? 'cp';
  const libcPart = libc === undefined ? '' : `-${libc.replace(' ', '')}`;
  return makeTarget(
    `${os}-${arch}${libcPart}-${implementation}${fullVersion.split('.').slice(0, 2).join('')}`,
    interpreterOf(implementation, fullVersion),
    platform,
  );
}

async function targetFromProfileFile(path: string, python?: string): Promise<SettledTarget> {
  const profile = parseTargetProfile(await readFile(path, 'utf8'), path);
  const all = profileToTargets(profile);
  const chosen =
    python === undefined ? all[0] : all.find((t) => t.interpreter.fullVersion.startsWith(python));
  if (chosen === undefined) {
    throw new FerryError(
      'ERR_FERRY_UNKNOWN_TARGET',
      `The profile ${path} has no Python ${python ?? ''} interpreter.`,
      {
        hint: `It lists: ${all.map((t) => t.interpreter.fullVersion).join(', ') || 'none'}.`,
      },
    );
  }
  return { target: chosen, profile };
}

function interpreterOf(implementation: string, fullVersion: string) {
  const [major, minor] = fullVersion.split('.').map(Number) as [number, number];
  return { implementation, version: [major, minor] as const, fullVersion };
}

/** "3.9" → "3.9.0": markers need a full version; .0 is the conservative reading of "3.9". */
function fullPythonVersion(text: string): string {
  if (!VERSION_LIKE.test(text)) {
    throw new FerryError('ERR_FERRY_INVALID_TARGET', `"${text}" is not a Python version.`, {
      hint: 'Write it as 3.9 or 3.9.18.',
    });
  }
  return text.split('.').length === 2 ? `${text}.0` : text;
}

function platformOf(
  os: 'linux' | 'macos' | 'windows',
  arch: string,
  libc: string | undefined,
  macos: string | undefined,
): Platform {
  const base = { os, arch };
  if (os === 'macos') {
    const [major, minor] = (macos ?? '11.0').split('.').map(Number);
    return { ...base, macosVersion: [major ?? 11, minor ?? 0] };
  }
  if (libc === undefined) return base;
  const match = /^(glibc|musl) (\d+)\.(\d+)$/.exec(libc);
  if (match === null) {
    throw new FerryError('ERR_FERRY_INVALID_TARGET', `"${libc}" is not a libc version.`, {
      hint: 'Write --glibc 2.28 or --musl 1.2.',
    });
  }
  return {
    ...base,
    libc: { kind: match[1] as 'glibc' | 'musl', version: [Number(match[2]), Number(match[3])] },
  };
}
