/**
 * Whether a wheel built on this host may go to a target. A pure wheel (every tag `*-none-any`,
 * PEP 425) runs anywhere its Python tag allows. A native one carries the builder's ABI: it fits
 * only a target with the same OS, arch and Python (implementation and minor version), and a glibc
 * at least the builder's (symbols are versioned upwards: a binary linked against glibc 2.36 may
 * need 2.36, PEP 600's reasoning for manylinux_x_y).
 */
import { parseWheelFilename } from '../standards/filename.js';
import type { Target } from '../standards/target.js';
import type { BuilderFacts } from './builder.js';

export type Fit =
  | { readonly fits: true; readonly pure: boolean }
  | { readonly fits: false; readonly reason: string };

const IMPLEMENTATION: Readonly<Record<string, string>> = { cp: 'cpython', pp: 'pypy' };

const compare = (a: readonly number[], b: readonly number[]): number =>
  a[0]! - b[0]! || a[1]! - b[1]!;

export function isPureWheel(filename: string): boolean {
  const w = parseWheelFilename(filename);
  return w.tags.every((t) => t.endsWith('-none-any'));
}

export function builtWheelFits(filename: string, builder: BuilderFacts, target: Target): Fit {
  if (isPureWheel(filename)) return { fits: true, pure: true };
  const problems: string[] = [];
  const p = target.platform;
  if (p.os !== builder.os) problems.push(`the target runs ${p.os}, this host ${builder.os}`);
  if (p.arch !== builder.arch) problems.push(`the target is ${p.arch}, this host ${builder.arch}`);
  const [major, minor] = builder.python.split('.').map(Number);
  const [tMajor, tMinor] = target.interpreter.version;
  const impl =
    IMPLEMENTATION[target.interpreter.implementation] ?? target.interpreter.implementation;
  if (impl !== builder.implementation || major !== tMajor || minor !== tMinor)
    problems.push(
      `the target has ${impl} ${tMajor}.${tMinor}, this host builds with ${builder.implementation} ${major}.${minor}`,
    );
  if (p.os === 'linux') {
    const hostGlibc = builder.glibc?.split('.').map(Number);
    if (p.libc?.kind !== 'glibc' || hostGlibc === undefined)
      problems.push(
        `the target's C library is ${p.libc === undefined ? 'unknown' : `${p.libc.kind} ${p.libc.version.join('.')}`}, this host's ${hostGlibc === undefined ? 'is not glibc' : `glibc ${builder.glibc}`}`,
      );
    else if (compare(hostGlibc, p.libc.version) > 0)
      problems.push(
        `this host's glibc ${builder.glibc} is newer than the target's ${p.libc.version.join('.')}`,
      );
  }
  return problems.length === 0
    ? { fits: true, pure: false }
    : { fits: false, reason: problems.join('; ') };
}
