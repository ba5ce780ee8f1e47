/**
 * Differential test of version.ts and specifier.ts against Python's own `packaging` (the
 * release pinned in test/oracles.txt, through test/helpers/python-oracle.ts). Inputs come from a seeded generator,
 * so a failure is reproducible; every disagreement is collected and the first 20 printed.
 */

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  filterVersions,
  formatSpecifierSet,
  parseSpecifierSet,
  type SpecifierSet,
  specifierSetAllowsPrereleases,
  specifierSetContains,
} from '../../src/standards/specifier.js';
import {
  compareVersions,
  formatVersion,
  isPrerelease,
  parseVersion,
  tryParseVersion,
} from '../../src/standards/version.js';
import { ensureLegacyOracle, ensureOracle, runPython } from '../helpers/python-oracle.js';
import { seededRandom } from '../helpers/seeded-random.js';

const SEED = Number(process.env.FERRY_PEP440_SEED ?? 440);
const VERSION_COUNT = 6000;
const PAIR_COUNT = 4000;
const SET_COUNT = 2000;
const CANDIDATES_PER_SET = 8;

const prng = seededRandom;

class Gen {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(max: number): number {
    return Math.floor(this.next() * (max + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  num(): string {
    const r = this.next();
    const n = r < 0.4 ? 0 : r < 0.8 ? this.int(12) : r < 0.95 ? this.int(999) : this.int(4e9);
    return this.chance(0.05) ? `0${n}` : String(n);
  }
  sep(): string {
    return this.pick(['', '', '', '.', '-', '_']);
  }
  randomCase(s: string): string {
    if (!this.chance(0.15)) return s;
    return [...s].map((c) => (this.chance(0.5) ? c.toUpperCase() : c)).join('');
  }
  release(max = 5): string {
    const n = 1 + this.int(max - 1);
    return Array.from({ length: n }, () => this.num()).join('.');
  }
  pre(): string {
    const letter = this.randomCase(
      this.pick(['a', 'alpha', 'b', 'beta', 'c', 'rc', 'pre', 'preview']),
    );
    return `${this.sep()}${letter}${this.sep()}${this.chance(0.8) ? this.num() : ''}`;
  }
  post(): string {
    if (this.chance(0.25)) return `-${this.num()}`;
    const letter = this.randomCase(this.pick(['post', 'rev', 'r']));
    return `${this.sep()}${letter}${this.sep()}${this.chance(0.8) ? this.num() : ''}`;
  }
  dev(): string {
    return `${this.sep()}${this.randomCase('dev')}${this.sep()}${this.chance(0.8) ? this.num() : ''}`;
  }
  local(): string {
    const parts = Array.from({ length: 1 + this.int(2) }, () =>
      this.randomCase(
        this.pick(['cu118', 'cu121', 'cpu', 'rocm5', 'ubuntu', '1', '007', 'abc', 'post1', 'x']),
      ),
    );
    return `+${parts.map((p, i) => (i === 0 ? p : `${this.pick(['.', '-', '_'])}${p}`)).join('')}`;
  }
  /** A version string, mostly well-formed, sometimes mangled. */
  version(): string {
    let s = '';
    if (this.chance(0.05)) s += this.pick(['v', 'V']);
    if (this.chance(0.1)) s += `${this.num()}!`;
    s += this.release();
    if (this.chance(0.3)) s += this.pre();
    if (this.chance(0.25)) s += this.post();
    if (this.chance(0.2)) s += this.dev();
    if (this.chance(0.15)) s += this.local();
    if (this.chance(0.04)) {
      s = `${this.pick([' ', '\t', '\n', '\x85', '\u3000', '\ufeff', '\x1c'])}${s}`;
    }
    if (this.chance(0.04)) s += this.pick([' ', '\r\n', '\u2003', '\ufeff']);
    if (this.chance(0.15)) s = this.mangle(s);
    if (this.chance(0.02)) {
      s = this.pick([
        '',
        ' ',
        'foo',
        '1.0-foo',
        '1.0.x',
        'dev',
        '1.0+',
        '+local',
        '!1.0',
        '1!',
        '1..0',
      ]);
    }
    return s;
  }
  mangle(s: string): string {
    const chars = ['.', '-', '_', '+', '!', '*', 'x', ' ', 'a', '0', 'é', 'ſ', '١', 'K', 'İ'];
    const at = this.int(s.length);
    const r = this.next();
    if (r < 0.4) return s.slice(0, at) + this.pick(chars) + s.slice(at);
    if (r < 0.7) return s.slice(0, at) + s.slice(at + 1);
    return s.slice(0, at) + this.pick(chars) + s.slice(at + 1);
  }
  /** A version close to `base`: same release with other pre/post/dev/local, or a neighbour. */
  near(base: string): string {
    const v = tryParseVersion(base);
    if (v === undefined || this.chance(0.15)) return this.version();
    let release = [...v.release];
    const r = this.next();
    if (r < 0.15) release = release.slice(0, 1 + this.int(release.length - 1));
    else if (r < 0.3) release.push(0);
    else if (r < 0.45) {
      const i = this.int(release.length - 1);
      release[i] = Math.max(0, release[i]! + this.pick([-1, 1]));
    }
    let s = `${v.epoch !== 0 || this.chance(0.05) ? `${this.chance(0.9) ? v.epoch : this.int(2)}!` : ''}${release.join('.')}`;
    const keep = (p: number) => this.chance(p);
    if (v.pre !== undefined && keep(0.6))
      s += `${v.pre[0]}${keep(0.7) ? v.pre[1] : v.pre[1] + this.pick([-1, 1])}`;
    else if (keep(0.2)) s += this.pre();
    if (v.post !== undefined && keep(0.6)) s += `.post${keep(0.7) ? v.post : v.post + 1}`;
    else if (keep(0.2)) s += this.post();
    if (v.dev !== undefined && keep(0.6)) s += `.dev${keep(0.7) ? v.dev : v.dev + 1}`;
    else if (keep(0.2)) s += this.dev();
    if (v.local !== undefined && keep(0.5)) s += `+${v.local.join('.')}`;
    else if (keep(0.2)) s += this.local();
    return s;
  }
  /** A version that is valid in a specifier (no whitespace or mangling). */
  specVersion(op: string): string {
    let s = '';
    if (this.chance(0.1)) s += `${this.int(2)}!`;
    s += this.release(4);
    if (op === '~=' && !s.includes('.')) s += `.${this.num()}`;
    if ((op === '==' || op === '!=') && this.chance(0.25)) return `${s}.*`;
    if (this.chance(0.25)) s += this.pre();
    if (this.chance(0.2)) s += this.post();
    if (this.chance(0.15)) s += this.dev();
    if ((op === '==' || op === '!=') && this.chance(0.15)) s += this.local();
    return s;
  }
  specifier(): string {
    const op = this.pick([
      '==',
      '==',
      '!=',
      '>=',
      '>=',
      '<=',
      '<',
      '<',
      '>',
      '>',
      '~=',
      '~=',
      '===',
    ]);
    const ws = () => this.pick(['', '', '', ' ', '  ', '\t']);
    let version: string;
    if (op === '===') {
      version = this.chance(0.7)
        ? this.version().trim()
        : this.pick(['foo', 'Foo-Bar', '1.0-foo', '']);
      version = version.replace(/[\s;)]/g, '');
    } else {
      version = this.specVersion(op);
    }
    let s = `${ws()}${op}${ws()}${version}${ws()}`;
    if (this.chance(0.05)) {
      s = this.pick([
        `>=${this.release()}.*`,
        `<${this.release()}+cu118`,
        `~=${this.int(9)}`,
        `=>${this.release()}`,
        `${this.release()}`,
        `==${this.release()}a1.*`,
        '>= ',
        '!',
      ]);
    }
    if (this.chance(0.03)) s = this.mangle(s);
    return s;
  }
  specifierSet(): string {
    if (this.chance(0.05)) return this.pick(['', ' ', ',', ' , ']);
    const n = 1 + this.int(2);
    const specs = Array.from({ length: n }, () => this.specifier());
    let s = specs.join(this.pick([',', ', ', ' ,']));
    if (this.chance(0.05)) s += ',';
    return s;
  }
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

interface Disagreement {
  kind: string;
  input: unknown;
  ours: unknown;
  python: unknown;
}

function report(all: Disagreement[]): string {
  return all
    .slice(0, 20)
    .map(
      (d) =>
        `${d.kind} ${JSON.stringify(d.input)}: ours=${JSON.stringify(d.ours)} python=${JSON.stringify(d.python)}`,
    )
    .join('\n');
}

const VERSION_SCRIPT = `
import json, sys
from packaging.version import Version, InvalidVersion
out = []
for s in json.load(sys.stdin):
    try:
        v = Version(s)
    except InvalidVersion:
        out.append(None)
        continue
    out.append([str(v), v.is_prerelease, v.public, v.base_version])
print(json.dumps(out))
`;

const PAIR_SCRIPT = `
import json, sys
from packaging.version import Version
out = []
for a, b in json.load(sys.stdin):
    x, y = Version(a), Version(b)
    out.append(-1 if x < y else (1 if x > y else 0))
print(json.dumps(out))
`;

const SET_SCRIPT = `
import json, sys
from packaging.specifiers import SpecifierSet, InvalidSpecifier
from packaging.version import Version
out = []
for case in json.load(sys.stdin):
    try:
        s = SpecifierSet(case["set"])
    except InvalidSpecifier:
        out.append(None)
        continue
    try:
        contains = [[s.contains(c, prereleases=p) for p in (None, True, False)] for c in case["candidates"]]
        versions = [Version(v) for v in case["filter"]]
        idx = {id(v): i for i, v in enumerate(versions)}
        filtered = [[idx[id(v)] for v in s.filter(versions, prereleases=p)] for p in (None, True, False)]
        out.append([str(s), s.prereleases, contains, filtered])
    except Exception as e:
        out.append(["error", repr(e)])
print(json.dumps(out))
`;

/**
 * pip 22.0 to 24.0 vendor packaging 21.3, which still reads any string as a LegacyVersion and,
 * matching case-insensitively in Unicode, folds letters such as "ſ" and "İ" into PEP 440
 * spellings. A target host with such a pip may take a version that ferry refuses (ferry follows
 * current packaging: PEP 440 versions only, ASCII letters only). These are the differences,
 * exactly, on a fixed table: `same` rows agree, `legacy` rows are LegacyVersions to 21.3 and
 * refused by ferry, `unicode` rows are PEP 440 to 21.3 and refused by ferry.
 */
const LEGACY_SCRIPT = `
import json, sys
from packaging.version import parse, Version
out = []
for s in json.load(sys.stdin):
    v = parse(s)
    out.append([isinstance(v, Version), str(v)])
print(json.dumps(out))
`;

type LegacyKind = 'same' | 'legacy' | 'unicode';
/** input, how it differs, packaging 21.3's str() of it. ferry's normal form is that str for `same`. */
const LEGACY_TABLE: readonly (readonly [string, LegacyKind, string])[] = [
  ['1.0', 'same', '1.0'],
  ['2.6.2.post112', 'same', '2.6.2.post112'],
  ['1!2.0rc1.dev3+cu118', 'same', '1!2.0rc1.dev3+cu118'],
  ['1.0-1', 'same', '1.0.post1'],
  ['v1.0', 'same', '1.0'],
  [' 1.0 ', 'same', '1.0'],
  ['1.0\u00a0', 'same', '1.0'],
  ['1.0.x', 'legacy', '1.0.x'],
  ['foo', 'legacy', 'foo'],
  ['latest', 'legacy', 'latest'],
  ['', 'legacy', ''],
  ['2.6.2-cu118', 'legacy', '2.6.2-cu118'],
  ['1.0.0-SNAPSHOT', 'legacy', '1.0.0-SNAPSHOT'],
  ['1.0+', 'legacy', '1.0+'],
  ['1.0 2', 'legacy', '1.0 2'],
  ['V0-214-dev-5!3', 'legacy', 'V0-214-dev-5!3'],
  ['1.0\u017f', 'legacy', '1.0\u017f'],
  ['\uff12.0', 'legacy', '\uff12.0'],
  ['7.0-5+ubuntu_cu\u017f121', 'unicode', '7.0.post5+ubuntu.cu\u017f121'],
  ['1.0+\u212a', 'unicode', '1.0+k'],
  ['10.3-alpha0.dev.0+\u0130.abc', 'unicode', '10.3a0.dev0+i\u0307.abc'],
  ['0.104_pre_27+CPu_1.\u0130007', 'unicode', '0.104rc27+cpu.1.i\u0307007'],
];

describe('PEP 440 differential against Python packaging', () => {
  let python = '';
  const gen = new Gen(SEED);
  const versions = Array.from({ length: VERSION_COUNT }, () => gen.version());

  before(async () => {
    python = await ensureOracle();
  });

  it(`parses, normalises and classifies ${VERSION_COUNT} version strings like packaging`, () => {
    const answers = runPython<[string, boolean, string, string] | null>(
      python,
      VERSION_SCRIPT,
      versions,
    );
    const bad: Disagreement[] = [];
    let valid = 0;
    versions.forEach((text, i) => {
      const expected = answers[i] ?? null;
      const v = tryParseVersion(text);
      if (expected !== null) valid++;
      if (expected === null || v === undefined) {
        if ((expected === null) !== (v === undefined)) {
          bad.push({
            kind: 'validity',
            input: text,
            ours: v && formatVersion(v),
            python: expected,
          });
        }
        return;
      }
      const ours = [
        formatVersion(v),
        isPrerelease(v),
        formatVersion({ ...v, local: undefined }),
        formatVersion({ epoch: v.epoch, release: v.release }),
      ];
      if (JSON.stringify(ours) !== JSON.stringify(expected)) {
        bad.push({ kind: 'version', input: text, ours, python: expected });
      }
      // Round trip: the normal form parses to an equal version.
      if (compareVersions(parseVersion(formatVersion(v)), v) !== 0) {
        bad.push({ kind: 'roundtrip', input: text, ours: formatVersion(v), python: expected[0] });
      }
    });
    // The generator must exercise both sides of validity.
    assert.ok(valid > VERSION_COUNT * 0.5 && valid < VERSION_COUNT * 0.95, `valid=${valid}`);
    assert.equal(bad.length, 0, `${bad.length} disagreements:\n${report(bad)}`);
  });

  it(`orders ${PAIR_COUNT} version pairs like packaging`, () => {
    const g = new Gen(SEED + 1);
    const valid = versions.filter((s) => tryParseVersion(s) !== undefined);
    const pairs: [string, string][] = [];
    while (pairs.length < PAIR_COUNT) {
      const a = g.pick(valid);
      const b = g.chance(0.7) ? g.near(a) : g.pick(valid);
      if (tryParseVersion(b) !== undefined) pairs.push([a, b]);
    }
    const answers = runPython<number>(python, PAIR_SCRIPT, pairs);
    const bad: Disagreement[] = [];
    const signs = new Set<number>();
    pairs.forEach(([a, b], i) => {
      const ours = sign(compareVersions(parseVersion(a), parseVersion(b)));
      signs.add(ours);
      if (ours !== answers[i])
        bad.push({ kind: 'compare', input: [a, b], ours, python: answers[i] });
    });
    assert.deepEqual([...signs].sort(), [-1, 0, 1]);
    assert.equal(bad.length, 0, `${bad.length} disagreements:\n${report(bad)}`);
  });

  it(`parses ${SET_COUNT} specifier sets and matches/filters versions like packaging`, (t) => {
    const g = new Gen(SEED + 2);
    const cases = Array.from({ length: SET_COUNT }, () => {
      const set = g.specifierSet();
      // Candidates near the versions the specifiers name, so boundaries get exercised.
      const named = [...set.matchAll(/(?:[<>=!~]=?|===)\s*([^,\s]+)/g)].map((m) =>
        m[1]!.replace(/\.\*$/, ''),
      );
      const around = (): string => {
        const base = named.length > 0 && g.chance(0.85) ? g.pick(named) : g.version();
        if (g.chance(0.05)) return g.randomCase(base);
        return g.near(base);
      };
      const candidates = Array.from({ length: CANDIDATES_PER_SET }, around);
      const filter = Array.from({ length: CANDIDATES_PER_SET }, around).filter(
        (s) => tryParseVersion(s) !== undefined,
      );
      return { set, candidates, filter };
    });
    const answers = runPython<
      [string, boolean | null, boolean[][], number[][]] | ['error', string] | null
    >(python, SET_SCRIPT, cases);
    const bad: Disagreement[] = [];
    let validSets = 0;
    let containsChecks = 0;
    let filterChecks = 0;
    const outcomes = new Set<string>();
    cases.forEach((c, i) => {
      const expected = answers[i] ?? null;
      let set: SpecifierSet | undefined;
      try {
        set = parseSpecifierSet(c.set);
      } catch {
        set = undefined;
      }
      if (expected === null || set === undefined) {
        if ((expected === null) !== (set === undefined)) {
          bad.push({
            kind: 'set validity',
            input: c.set,
            ours: set && formatSpecifierSet(set),
            python: expected,
          });
        }
        return;
      }
      if (expected[0] === 'error') {
        bad.push({ kind: 'python error', input: c, ours: null, python: expected[1] });
        return;
      }
      validSets++;
      const [str, pre, contains, filtered] = expected as [
        string,
        boolean | null,
        boolean[][],
        number[][],
      ];
      if (formatSpecifierSet(set) !== str) {
        bad.push({ kind: 'set str', input: c.set, ours: formatSpecifierSet(set), python: str });
      }
      if ((specifierSetAllowsPrereleases(set) ?? null) !== pre) {
        bad.push({
          kind: 'set prereleases',
          input: c.set,
          ours: specifierSetAllowsPrereleases(set),
          python: pre,
        });
      }
      const modes = [undefined, true, false] as const;
      c.candidates.forEach((candidate, j) => {
        const ours = modes.map((p) => specifierSetContains(set, candidate, { prereleases: p }));
        containsChecks += 3;
        for (const o of ours) outcomes.add(`contains:${o}`);
        if (JSON.stringify(ours) !== JSON.stringify(contains[j])) {
          bad.push({ kind: 'contains', input: [c.set, candidate], ours, python: contains[j] });
        }
      });
      const parsed = c.filter.map((s, k) => ({ k, v: parseVersion(s) }));
      modes.forEach((p, m) => {
        const ours = filterVersions(set, parsed, (x) => x.v, { prereleases: p }).map((x) => x.k);
        filterChecks++;
        if (JSON.stringify(ours) !== JSON.stringify(filtered[m])) {
          bad.push({
            kind: `filter(prereleases=${p})`,
            input: [c.set, c.filter],
            ours,
            python: filtered[m],
          });
        }
      });
    });
    assert.ok(validSets > SET_COUNT * 0.6, `validSets=${validSets}`);
    assert.ok(outcomes.has('contains:true') && outcomes.has('contains:false'));
    const total = SET_COUNT + containsChecks + filterChecks;
    assert.ok(total >= 10_000, `only ${total} specifier checks`);
    t.diagnostic(
      `${SET_COUNT} sets (${validSets} valid), ${containsChecks} contains() and ${filterChecks} filter() checks`,
    );
    assert.equal(bad.length, 0, `${bad.length} disagreements:\n${report(bad)}`);
  });

  it('differs from packaging 21.3 (vendored by pip 22.0 to 24.0) exactly on the known table', async () => {
    const legacyPython = await ensureLegacyOracle();
    const inputs = LEGACY_TABLE.map(([input]) => input);
    const answers = runPython<[boolean, string]>(legacyPython, LEGACY_SCRIPT, inputs);
    LEGACY_TABLE.forEach(([input, kind, str], i) => {
      const v = tryParseVersion(input);
      const ours = v === undefined ? null : formatVersion(v);
      assert.equal(ours, kind === 'same' ? str : null, `ferry on ${JSON.stringify(input)}`);
      assert.deepEqual(
        answers[i],
        [kind !== 'legacy', str],
        `packaging 21.3 on ${JSON.stringify(input)}`,
      );
    });
    // Current packaging (the pinned oracle) agrees with ferry on every row.
    const current = runPython<[boolean, string] | null>(python, VERSION_SCRIPT, inputs);
    LEGACY_TABLE.forEach(([input, kind, str], i) => {
      assert.equal(current[i]?.[0] ?? null, kind === 'same' ? str : null, JSON.stringify(input));
    });
  });
});
