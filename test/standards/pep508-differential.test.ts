/**
 * Differential test: seeded random requirement and marker strings (valid and broken) are
 * parsed, formatted and evaluated here and by Python's own `packaging`; any disagreement fails.
 */

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isFerryError } from '../../src/core/errors.js';
import {
  evaluateMarker,
  formatMarker,
  type MarkerEnvironment,
  parseMarker,
} from '../../src/standards/marker.js';
import { formatRequirement, parseRequirement } from '../../src/standards/requirement.js';
import { formatSpecifierSet } from '../../src/standards/specifier.js';
import { ensureOracle, runPython } from '../helpers/python-oracle.js';
import { seededRandom } from '../helpers/seeded-random.js';

const SEED = Number(process.env.FERRY_DIFF_SEED ?? 20240508);
const MARKER_CASES = 4000;
const REQUIREMENT_CASES = 4000;

const rng = seededRandom;

const random = rng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const chance = (p: number) => random() < p;
const int = (n: number) => Math.floor(random() * n);

const WS = ['', '', '', ' ', ' ', '  ', '\t', ' \t '];
// A newline is never PEP 508 whitespace; now and then one checks the error position.
const ws = () => (chance(0.003) ? '\n' : pick(WS));

const VARIABLES = [
  'python_version',
  'python_full_version',
  'implementation_version',
  'platform_release',
  'os_name',
  'sys_platform',
  'platform_machine',
  'platform_system',
  'platform_version',
  'implementation_name',
  'platform_python_implementation',
  'extra',
  'extra',
  'extras',
  'os.name',
  'sys.platform',
  'platform.version',
  'platform.machine',
  'platform.python_implementation',
  'python_implementation',
  'platform.release', // not an alias: packaging refuses it
  'dependency_groups',
  'python_versions',
  'Python_version',
];
const OPS = [
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '~=',
  '===',
  'in',
  'not in',
  'not  in',
  '=',
  '<>',
  'is',
];
const VALUES = [
  '2.7',
  '3',
  '3.8',
  '3.9',
  '3.10',
  '3.11',
  '3.12',
  '3.13',
  '3.14',
  '3.11.4',
  '3.13.0rc1',
  '3.12.*',
  '3.*',
  '3.8.0+local',
  'v3.9',
  '1!3.9',
  '3.9.post1',
  '3.9.dev0',
  '3.9a1',
  'linux',
  'win32',
  'darwin',
  'cygwin',
  'win',
  'lin',
  'x86_64',
  'aarch64',
  'AMD64',
  'arm64',
  'cpython',
  'pypy',
  'CPython',
  'PyPy',
  'posix',
  'nt',
  'Linux',
  'Windows',
  'Darwin',
  'gpu',
  'GPU_Tools',
  'test.all',
  'cu118',
  '',
  ' 3.9 ',
  'x86_64 AMD64',
  '5.15.0-91-generic',
  '6.1.0',
  '10',
  'foo bar',
  '\\x41',
  '\\t',
  '\\d',
  '\\777',
  '\\u00e9',
  'é',
  "it's",
  'say "hi"',
  'a\\\nb', // backslash-newline: a line continuation inside a Python string
  'a\nb', // a raw newline: an unterminated Python string
  '😀',
];

function quote(value: string): string {
  if (value.includes('"')) return `'${value}'`;
  if (value.includes("'")) return `"${value}"`;
  return chance(0.6) ? `"${value}"` : `'${value}'`;
}

function comparison(): string {
  const variable = pick(VARIABLES);
  const value = quote(pick(VALUES));
  const op = pick(chance(0.85) ? OPS.slice(0, 10) : OPS);
  const [left, right] = chance(0.75) ? [variable, value] : [value, variable];
  const sep =
    op.startsWith('not') || op === 'in' || op === 'is' ? () => pick([' ', ' ', '  ', '\t']) : ws;
  return `${ws()}${left}${sep()}${op}${sep()}${right}${ws()}`;
}

function markerText(depth = 0): string {
  const terms = 1 + int(depth > 2 ? 1 : 3);
  let out = '';
  for (let i = 0; i < terms; i++) {
    if (i > 0) out += pick([' and ', ' or ', ' and ', ' or ', 'and ', ' or', '\tand\t']);
    out += chance(0.25) && depth < 3 ? `${ws()}(${markerText(depth + 1)})${ws()}` : comparison();
  }
  return out;
}

const NAMES = [
  'paddlepaddle',
  'paddlepaddle-gpu',
  'torch',
  'Django',
  'zope.interface',
  'oslo_config',
  'A',
  'x1',
  'foo_',
  'foo-',
  '_foo',
  'é',
  '1abc',
  'a..b',
];
const EXTRAS = ['gpu', 'GPU', 'cuda_12', 'Cuda-12', 'test', 'test.all', 'a_', 'x'];
const SPEC_VERSIONS = [
  '1',
  '1.0',
  '2.6.2',
  '2.6.2.post112',
  '2.1.2+cu118',
  '1.0a1',
  '1.0.dev3',
  '1!2.0',
  '1.*',
  '2.6.*',
  'V1.0',
  '1.0-1',
  '1.0_rc2',
  'abc',
  '',
  '1.0.*.*',
];
const SPEC_OPS = ['==', '!=', '<', '<=', '>', '>=', '~=', '==='];

function specifierText(): string {
  const n = int(4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`${pick(SPEC_OPS)}${ws()}${pick(SPEC_VERSIONS)}`);
  const body = parts.join(pick([',', ', ', ' ,', ',,']));
  return chance(0.2) ? `${ws()}(${ws()}${body}${ws()})` : `${ws()}${body}`;
}

function requirementText(): string {
  let out = `${ws()}${pick(NAMES)}${ws()}`;
  if (chance(0.3)) {
    const extras = Array.from({ length: int(4) }, () => pick(EXTRAS));
    out += `[${ws()}${extras.join(pick([',', ', ', ' , ']))}${ws()}]`;
  }
  if (chance(0.15)) {
    out += `${ws()}@${pick([' ', '', '  '])}${pick(['https://example.invalid/p-1.0-py3-none-any.whl', 'file:///tmp/x.whl', 'git+https://example.invalid/r.git@v1#egg=x', ''])}`;
    if (chance(0.5)) out += `${pick([' ', '', '\t'])};${markerText()}`;
    return out;
  }
  if (chance(0.75)) out += specifierText();
  if (chance(0.4)) out += `${ws()};${markerText()}`;
  return out;
}

/** Breaks a valid string: drop, duplicate or insert a character. */
function mutate(text: string): string {
  const at = int(text.length + 1);
  switch (int(3)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + text.slice(at, at + 1) + text.slice(at);
    default:
      return (
        text.slice(0, at) +
        pick([
          '(',
          ')',
          '"',
          "'",
          ',',
          ';',
          '[',
          ']',
          '@',
          '*',
          '+',
          '.',
          'and',
          ' ',
          '!',
          '~',
          '=',
          '<',
          '\\',
        ]) +
        text.slice(at)
      );
  }
}

interface EnvCase {
  env: MarkerEnvironment;
  extras: string[];
}

function environment(): EnvCase {
  const minor = pick([7, 8, 9, 10, 11, 12, 13, 14]);
  const major = minor === 7 && chance(0.5) ? 2 : 3;
  const micro = int(12);
  const full = `${major}.${minor}.${micro}${pick(['', '', '', 'rc1', 'a2', '+', 'b1'])}`;
  const system = pick(['linux', 'win32', 'darwin']);
  const impl = pick(['cpython', 'pypy']);
  return {
    env: {
      implementation_name: impl,
      implementation_version: impl === 'pypy' ? pick(['7.3.13', '7.3.17']) : full.replace('+', ''),
      os_name: system === 'win32' ? 'nt' : 'posix',
      platform_machine: pick(['x86_64', 'aarch64', 'AMD64', 'arm64']),
      platform_python_implementation: impl === 'pypy' ? 'PyPy' : 'CPython',
      platform_release: pick(['5.15.0-91-generic', '6.1.0', '10', '23.1.0', '']),
      platform_system: system === 'win32' ? 'Windows' : system === 'darwin' ? 'Darwin' : 'Linux',
      platform_version: pick(['#1 SMP', '10.0.19045', '']),
      python_full_version: full,
      python_version: `${major}.${minor}`,
      sys_platform: system,
    },
    extras: pick([[], [], ['gpu'], ['GPU_Tools'], ['test.all', 'gpu'], ['Cuda-12']]),
  };
}

const ENVS = Array.from({ length: 16 }, environment);

type Outcome = Record<string, unknown>;

function ours<T>(fn: () => T): T | string {
  try {
    return fn();
  } catch (error) {
    if (!isFerryError(error)) throw error;
    return `error:${error.code}`;
  }
}

function errorOutcome(error: unknown): Outcome {
  if (!isFerryError(error)) throw error;
  const details = error.details as { reason?: string; span?: number[] } | undefined;
  return { ok: false, reason: details?.reason ?? null, span: details?.span ?? null };
}

function markerOutcome(text: string, envs: number[]): Outcome {
  let marker: ReturnType<typeof parseMarker>;
  try {
    marker = parseMarker(text);
  } catch (error) {
    return errorOutcome(error);
  }
  const evals = envs.map((i) => {
    const { env, extras } = ENVS[i]!;
    return asPython(ours(() => evaluateMarker(marker, env, extras)));
  });
  return { ok: true, str: asPython(ours(() => formatMarker(marker))), evals };
}

const ERROR_NAMES: Record<string, string> = {
  'error:ERR_FERRY_MARKER_UNDEFINED_COMPARISON': 'error:UndefinedComparison',
  'error:ERR_FERRY_MARKER_UNDEFINED_VARIABLE': 'error:UndefinedEnvironmentName',
  'error:ERR_FERRY_INVALID_MARKER': 'error:ValueError',
};

/** Our error codes under the names of the exceptions packaging raises for the same case. */
function asPython<T>(result: T | string): T | string {
  return typeof result === 'string' ? (ERROR_NAMES[result] ?? result) : result;
}

function requirementOutcome(text: string): Outcome {
  let req: ReturnType<typeof parseRequirement>;
  try {
    req = parseRequirement(text);
  } catch (error) {
    return errorOutcome(error);
  }
  const str = ours(() => formatRequirement(req));
  return {
    ok: true,
    name: req.normalizedName,
    extras: req.extras,
    specifier: formatSpecifierSet(req.specifier),
    url: req.url ?? null,
    marker: req.marker === undefined ? null : asPython(ours(() => formatMarker(req.marker!))),
    str: asPython(str),
  };
}

const ORACLE = `
import json, sys
from packaging.markers import Marker, InvalidMarker
from packaging.requirements import Requirement, InvalidRequirement
from packaging.utils import canonicalize_name

def failure(e):
    c = e.__cause__
    if c is not None and hasattr(c, 'span'):
        return {'ok': False, 'reason': c.message, 'span': list(c.span)}
    return {'ok': False, 'reason': None, 'span': None}

def text(fn):
    try:
        return fn()
    except ValueError:
        return 'error:ValueError'

def evaluate(m, env, extras):
    base = dict(env)
    base['extras'] = frozenset(extras)
    base['dependency_groups'] = frozenset()
    try:
        return any(m.evaluate({**base, 'extra': e}) for e in (extras or ['']))
    except Exception as e:
        return 'error:' + type(e).__name__

items = json.load(sys.stdin)
envs = items[0]
out = [None]
for item in items[1:]:
    if item['kind'] == 'marker':
        try:
            m = Marker(item['text'])
        except InvalidMarker as e:
            out.append(failure(e))
            continue
        out.append({'ok': True, 'str': text(lambda: str(m)),
                    'evals': [evaluate(m, envs[i]['env'], envs[i]['extras']) for i in item['envs']]})
    else:
        try:
            r = Requirement(item['text'])
        except InvalidRequirement as e:
            out.append(failure(e))
            continue
        extras = sorted({canonicalize_name(x) for x in r.extras})
        def full():
            s = r.name + ('[' + ','.join(extras) + ']' if extras else '') + str(r.specifier)
            if r.url:
                s += ' @ ' + r.url + (' ' if r.marker else '')
            if r.marker:
                s += '; ' + str(r.marker)
            return s
        out.append({'ok': True, 'name': canonicalize_name(r.name), 'extras': extras,
                    'specifier': str(r.specifier), 'url': r.url,
                    'marker': text(lambda: str(r.marker)) if r.marker else None, 'str': text(full)})
print(json.dumps(out))
`;

interface Case {
  kind: 'marker' | 'requirement';
  text: string;
  envs: number[];
}

function cases(): Case[] {
  const out: Case[] = [];
  const envPick = () => Array.from({ length: 4 }, () => int(ENVS.length));
  for (let i = 0; i < MARKER_CASES; i++) {
    const text = chance(0.8) ? markerText() : mutate(markerText());
    out.push({ kind: 'marker', text, envs: envPick() });
  }
  for (let i = 0; i < REQUIREMENT_CASES; i++) {
    const text = chance(0.8) ? requirementText() : mutate(requirementText());
    out.push({ kind: 'requirement', text, envs: [] });
  }
  return out;
}

describe('PEP 508 against packaging', () => {
  let python: string;
  before(async () => {
    python = await ensureOracle();
  });

  it(`agrees on ${MARKER_CASES + REQUIREMENT_CASES} generated markers and requirements (seed ${SEED})`, () => {
    const all = cases();
    const expected: Outcome[] = [];
    // A few batches keep each python process short and its stdin moderate.
    for (let start = 0; start < all.length; start += 4000) {
      const batch = all.slice(start, start + 4000);
      expected.push(...runPython<Outcome>(python, ORACLE, [ENVS, ...batch]).slice(1));
    }
    const disagreements: string[] = [];
    let valid = 0;
    const results = new Map<unknown, number>();
    all.forEach((c, i) => {
      const theirs = expected[i]!;
      if (theirs.ok) valid++;
      for (const e of (theirs.evals as unknown[] | undefined) ?? []) {
        results.set(e, (results.get(e) ?? 0) + 1);
      }
      const mine = c.kind === 'marker' ? markerOutcome(c.text, c.envs) : requirementOutcome(c.text);
      try {
        assert.deepEqual(mine, theirs);
      } catch {
        disagreements.push(
          `${c.kind} ${JSON.stringify(c.text)}\n  ours:      ${JSON.stringify(mine)}\n  packaging: ${JSON.stringify(theirs)}` +
            (c.envs.length ? `\n  envs: ${JSON.stringify(c.envs.map((e) => ENVS[e]))}` : ''),
        );
      }
    });
    // The generators must exercise both sides of validity to mean anything.
    assert.ok(
      valid > all.length * 0.3 && valid < all.length * 0.9,
      `valid ${valid} of ${all.length}`,
    );
    for (const outcome of [true, false, 'error:UndefinedComparison']) {
      assert.ok((results.get(outcome) ?? 0) > 200, `too few evaluations gave ${outcome}`);
    }
    assert.equal(
      disagreements.length,
      0,
      `${disagreements.length} disagreements; first 20:\n${disagreements.slice(0, 20).join('\n')}`,
    );
  });
});
