/**
 * Differential tests of pylock.ts against Python's own `packaging.pylock` (the release pinned
 * in test/oracles.txt, >= 26.1; tomllib from Python >= 3.11):
 * - every lock formatPylock writes for a few hundred generated inputs is accepted by
 *   `Pylock.from_dict(tomllib.loads(text))`, and both read the same names, versions, files,
 *   sizes, upload times and hashes;
 * - selectFromLock picks what `Pylock.select` picks for three targets;
 * - locks broken one rule at a time are refused by both parsers (for the rules packaging
 *   checks), and ferry's own extra rules are shown to be ferry's alone.
 */

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  environmentMarker,
  formatPylock,
  type LockFileInput,
  type LockInput,
  type LockPackageInput,
  parsePylock,
  selectFromLock,
} from '../../src/bundle/pylock.js';
import { FerryError } from '../../src/core/errors.js';
import { makeTarget, type Target, targetTags } from '../../src/standards/target.js';
import { ensureOracle, runPython } from '../helpers/python-oracle.js';
import { seededRandom } from '../helpers/seeded-random.js';

let python = '';
let oracleUsable = true;
before(async () => {
  python = await ensureOracle();
  const [version] = runPython<string>(
    python,
    'import json,sys,packaging;json.load(sys.stdin);print(json.dumps([packaging.__version__]))',
    [0],
  );
  // Pylock.select appeared in packaging 26.1.
  const [major = 0, minor = 0] = String(version).split('.').map(Number);
  oracleUsable = major > 26 || (major === 26 && minor >= 1);
});

const rng = seededRandom;

const TARGETS: Target[] = [
  makeTarget(
    'x86',
    { implementation: 'cp', version: [3, 10], fullVersion: '3.10.12' },
    { os: 'linux', arch: 'x86_64', libc: { kind: 'glibc', version: [2, 34] } },
  ),
  makeTarget(
    'arm',
    { implementation: 'cp', version: [3, 7], fullVersion: '3.7.9' },
    { os: 'linux', arch: 'aarch64', libc: { kind: 'glibc', version: [2, 28] } },
  ),
  makeTarget(
    'win',
    { implementation: 'cp', version: [3, 12], fullVersion: '3.12.4' },
    { os: 'windows', arch: 'amd64' },
  ),
];

const NAMES = [
  'numpy',
  'Paddle_Paddle',
  'zope.interface',
  'ruamel-yaml',
  'a',
  'x1',
  'Torch',
  'nvidia-cublas-cu11',
];
const TAGS = [
  'py3-none-any',
  'py2.py3-none-any',
  'cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64',
  'cp310-abi3-manylinux_2_28_x86_64',
  'cp37-cp37m-manylinux_2_17_aarch64',
  'cp37-cp37m-manylinux_2_31_aarch64',
  'cp38-abi3-linux_aarch64',
  'cp312-cp312-win_amd64',
  'cp311-cp311-musllinux_1_2_x86_64',
];
const MARKERS = [
  ...TARGETS.map((t) => environmentMarker(t.markers)),
  "python_version >= '3.8'",
  "sys_platform == 'win32'",
  "platform_machine == 'aarch64' or python_version < '3.8'",
  "'gpu' in extras",
  "'dev' not in dependency_groups",
];
const SPECIFIERS = ['>=3.7', '>=3.8,<4', '!=3.9.*', '>=3.10', '>=3'];
const ODD = [
  '摆渡',
  'quote " here',
  "single ' here",
  'back\\slash',
  'line\nbreak',
  'tab\there',
  'del\u007f',
  'ctl\u0001',
];

function makeLock(seed: number): LockInput {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const hex = (n: number) =>
    Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  const version = () => {
    let v = `${r() < 0.1 ? '1!' : ''}${Math.floor(r() * 30)}.${Math.floor(r() * 20)}`;
    if (r() < 0.5) v += `.${Math.floor(r() * 10)}`;
    if (r() < 0.15) v += pick(['a1', 'b2', 'rc1']);
    if (r() < 0.15) v += `.post${Math.floor(r() * 200)}`;
    if (r() < 0.1) v += '.dev0';
    if (r() < 0.15) v += pick(['+cu118', '+cpu', '+local.7']);
    return v;
  };
  const time = () => {
    const ms = 946684800000 + Math.floor(r() * 800000000000);
    const iso = new Date(ms).toISOString();
    return r() < 0.5 ? iso.replace('Z', `${Math.floor(r() * 1000)}Z`) : iso;
  };
  const file = (filename: string): LockFileInput => {
    const hashes: Record<string, string> = { sha256: hex(64) };
    if (r() < 0.2) hashes.sha512 = hex(128);
    if (r() < 0.1) hashes.blake2b = hex(32);
    const where =
      r() < 0.7
        ? { url: `https://index.invalid/files/${hex(4)}/${encodeURIComponent(filename)}` }
        : { path: `wheels/${filename}` };
    return {
      ...(r() < 0.8 ? { name: filename } : {}),
      ...where,
      ...(r() < 0.7 ? { size: Math.floor(r() * 1e9) } : {}),
      ...(r() < 0.6 ? { uploadTime: time() } : {}),
      hashes,
    };
  };
  const packages: LockPackageInput[] = [];
  const count = 1 + Math.floor(r() * 6);
  const unused = [...NAMES];
  for (let i = 0; i < count; i++) {
    // Mostly distinct names; sometimes a second entry of one name (per-target versions).
    const name =
      r() < 0.85 && unused.length > 0
        ? unused.splice(Math.floor(r() * unused.length), 1)[0]!
        : pick(NAMES);
    const v = version();
    const stem = name.toLowerCase().replace(/[-_.]+/g, '_');
    const wheelCount = Math.floor(r() * 4);
    const tags = Array.from({ length: wheelCount }, () => pick(TAGS));
    if (r() < 0.6) tags.push('py3-none-any'); // most projects ship a pure wheel
    const wheels = Array.from(new Set(tags)).map((tag) => file(`${stem}-${v}-${tag}.whl`));
    const sdist = wheels.length === 0 || r() < 0.3 ? file(`${stem}-${v}.tar.gz`) : undefined;
    packages.push({
      name,
      version: v,
      ...(r() < 0.5 ? { marker: pick(MARKERS) } : {}),
      ...(r() < 0.3 ? { requiresPython: pick(SPECIFIERS) } : {}),
      ...(r() < 0.7 ? { index: 'https://index.invalid/simple/' } : {}),
      ...(r() < 0.5
        ? { dependencies: [{ name: pick(NAMES).toLowerCase() }, { name: 'a', version: '1.0' }] }
        : {}),
      ...(sdist === undefined ? {} : { sdist }),
      ...(wheels.length === 0 ? {} : { wheels }),
      ...(r() < 0.2 ? { attestationIdentities: [{ kind: 'GitHub', repository: pick(ODD) }] } : {}),
      ...(r() < 0.3 ? { tool: { ferry: { targets: ['x86', pick(ODD)] } } } : {}),
    });
  }
  return {
    ...(r() < 0.7
      ? { environments: TARGETS.filter(() => r() < 0.8).map((t) => environmentMarker(t.markers)) }
      : {}),
    ...(r() < 0.3 ? { requiresPython: pick(SPECIFIERS) } : {}),
    ...(r() < 0.2
      ? { extras: ['gpu'], dependencyGroups: ['dev'], defaultGroups: ['default'] }
      : {}),
    packages,
    ...(r() < 0.5
      ? {
          tool: {
            ferry: {
              note: pick(ODD),
              n: Math.floor(r() * 100),
              ok: r() < 0.5,
              list: [pick(ODD), 1],
            },
          },
        }
      : {}),
  };
}

const ACCEPT_ORACLE = `
import json, sys, tomllib
from datetime import timezone
from packaging.pylock import Pylock, PylockValidationError, PylockSelectError
from packaging.tags import parse_tag

def when(dt):
    if dt is None:
        return None
    dt = dt.astimezone(timezone.utc)
    return dt.strftime('%Y-%m-%dT%H:%M:%S.') + f'{dt.microsecond // 1000:03d}Z'

def dist(d):
    return {"name": d.filename, "size": d.size, "uploadTime": when(d.upload_time), "hashes": dict(d.hashes)}

out = []
for case in json.load(sys.stdin):
    try:
        lock = Pylock.from_dict(tomllib.loads(case["text"]))
    except (PylockValidationError, tomllib.TOMLDecodeError) as e:
        out.append({"ok": False, "error": str(e)})
        continue
    summary = [
        {"name": p.name, "version": str(p.version) if p.version else None,
         "wheels": [dist(w) for w in p.wheels or []],
         "sdist": dist(p.sdist) if p.sdist else None}
        for p in lock.packages
    ]
    selections = []
    for sel in case.get("select", []):
        tags = [t for s in sel["tags"] for t in parse_tag(s)]
        try:
            chosen = []
            for pkg, what in lock.select(environment=sel["env"], tags=tags):
                kind = "wheel" if what in (pkg.wheels or []) else "sdist"
                chosen.append([pkg.name, str(pkg.version), kind, what.filename])
            selections.append({"ok": True, "chosen": chosen})
        except PylockSelectError as e:
            selections.append({"ok": False, "error": str(e)})
    out.append({"ok": True, "summary": summary, "selections": selections})
print(json.dumps(out))
`;

interface OracleAnswer {
  ok: boolean;
  error?: string;
  summary?: { name: string; version: string | null; wheels: unknown[]; sdist: unknown }[];
  selections?: { ok: boolean; chosen?: [string, string, string, string][]; error?: string }[];
}

describe('pylock.toml against packaging.pylock', () => {
  test('packaging accepts every lock ferry writes, reads the same files, and selects the same wheels', (t) => {
    if (!oracleUsable) return t.skip('packaging < 26.1 has no Pylock.select');
    const N = 300;
    const texts = Array.from({ length: N }, (_, i) => formatPylock(makeLock(1000 + i)));
    const cases = texts.map((text) => ({
      text,
      select: TARGETS.map((target) => ({ env: target.markers, tags: targetTags(target) })),
    }));
    const answers = runPython<OracleAnswer>(python, ACCEPT_ORACLE, cases);
    let selectionsCompared = 0;
    let wheelsChosen = 0;
    let errorsAgreed = 0;
    answers.forEach((answer, i) => {
      const text = texts[i]!;
      assert.ok(answer.ok, `packaging refused lock #${i}: ${answer.error}\n${text}`);
      const lock = parsePylock(text, `lock-${i}.toml`);
      const ours = lock.packages.map((p) => ({
        name: p.name,
        version: p.version ?? null,
        wheels: (p.wheels ?? []).map((w) => ({
          name: w.name,
          size: w.size ?? null,
          uploadTime: w.uploadTime ?? null,
          hashes: w.hashes,
        })),
        sdist:
          p.sdist === undefined
            ? null
            : {
                name: p.sdist.name,
                size: p.sdist.size ?? null,
                uploadTime: p.sdist.uploadTime ?? null,
                hashes: p.sdist.hashes,
              },
      }));
      // packaging normalizes versions when it prints them; compare through it.
      assert.deepEqual(
        ours.map((p) => ({ ...p, version: null })),
        answer.summary!.map((p) => ({ ...p, version: null })),
        `lock #${i}`,
      );
      TARGETS.forEach((target, j) => {
        const theirs = answer.selections![j]!;
        let mine: { ok: true; chosen: string[][] } | { ok: false; code: string };
        try {
          mine = {
            ok: true,
            chosen: selectFromLock(lock, target.markers, targetTags(target)).map((s) => [
              s.name,
              s.wheel.name,
            ]),
          };
        } catch (error) {
          assert.ok(error instanceof FerryError, String(error));
          mine = { ok: false, code: error.code };
        }
        selectionsCompared++;
        const where = `lock #${i}, target ${target.name}\n${text}`;
        if (mine.ok) {
          assert.ok(theirs.ok, `ferry selected, packaging said ${theirs.error}: ${where}`);
          assert.deepEqual(
            mine.chosen,
            theirs.chosen!.map((c) => [c[0], c[3]]),
            where,
          );
          wheelsChosen += mine.chosen.length;
        } else if (mine.code === 'ERR_FERRY_LOCK_NO_WHEEL') {
          // ferry never falls back to an sdist; packaging does, or fails too.
          assert.ok(
            !theirs.ok || theirs.chosen!.some((c) => c[2] === 'sdist'),
            `${mine.code} but packaging chose wheels: ${where}`,
          );
          errorsAgreed++;
        } else {
          assert.ok(
            !theirs.ok,
            `ferry said ${mine.code}, packaging selected ${JSON.stringify(theirs.chosen)}: ${where}`,
          );
          errorsAgreed++;
        }
      });
    });
    // The generator must exercise both outcomes, or the comparison proves little.
    t.diagnostic(
      `${selectionsCompared} selections compared: ${wheelsChosen} wheels chosen, ${errorsAgreed} refusals agreed`,
    );
    assert.ok(wheelsChosen > 200, `only ${wheelsChosen} wheels chosen`);
    assert.ok(errorsAgreed > 50, `only ${errorsAgreed} refusals`);
    assert.equal(selectionsCompared, N * TARGETS.length);
  });

  // Each mutation breaks one rule of the spec on the text of a valid lock.
  const SHARED_RULES: { rule: string; mutate: (text: string) => string | undefined }[] = [
    { rule: 'empty hashes', mutate: (s) => sub(s, /hashes = \{[^}]*\}/, 'hashes = {}') },
    { rule: 'missing hashes', mutate: (s) => sub(s, /\nhashes = \{[^}]*\}/, '') },
    { rule: 'hash not a string', mutate: (s) => sub(s, /sha256 = "[0-9a-f]+"/, 'sha256 = 1') },
    {
      rule: 'name not normalized',
      mutate: (s) =>
        sub(s, /\[\[packages\]\]\nname = "([a-z0-9-]+)"/, (m, n: string) =>
          m.replace(n, n.toUpperCase()),
        ),
    },
    {
      rule: 'lock-version 2.0',
      mutate: (s) => sub(s, /lock-version = "1\.0"/, 'lock-version = "2.0"'),
    },
    {
      rule: 'lock-version 0.5',
      mutate: (s) => sub(s, /lock-version = "1\.0"/, 'lock-version = "0.5"'),
    },
    { rule: 'missing created-by', mutate: (s) => sub(s, /created-by = "ferry"\n/, '') },
    {
      rule: 'wheel of another project',
      mutate: (s) =>
        sub(s, /\[\[packages\.wheels\]\]\nname = "/, '[[packages.wheels]]\nname = "zz'),
    },
    {
      rule: 'wheel of another version',
      mutate: (s) =>
        sub(s, /(\[\[packages\]\]\nname = "[^"]+"\nversion = ")([^"]+)"/, '$1$2.post999"'),
    },
    {
      rule: 'invalid marker',
      mutate: (s) => sub(s, /(\[\[packages\]\]\nname = "[^"]+")/, '$1\nmarker = "os_name =="'),
    },
    {
      rule: 'invalid requires-python',
      mutate: (s) => sub(s, /(\[\[packages\]\]\nname = "[^"]+")/, '$1\nrequires-python = ">=3.x"'),
    },
    {
      rule: 'invalid version',
      mutate: (s) =>
        sub(s, /(\[\[packages\]\]\nname = "[^"]+"\nversion = ")[^"]+"/, '$1not a version"'),
    },
    {
      rule: 'upload-time as a string',
      mutate: (s) => sub(s, /upload-time = (\S+)/, 'upload-time = "$1"'),
    },
    { rule: 'size as a string', mutate: (s) => sub(s, /size = (\d+)/, 'size = "$1"') },
    {
      rule: 'no url and no path',
      mutate: (s) => sub(s, /\n(?:url|path) = "[^"]*"(?=\nsize|\nupload|\nhashes)/, ''),
    },
    {
      rule: 'wheels beside a directory',
      mutate: (s) =>
        sub(
          s,
          /\n\n\[\[packages\.wheels\]\]/,
          '\n\n[packages.directory]\npath = "."\n\n[[packages.wheels]]',
        ),
    },
    {
      rule: 'environments not an array',
      mutate: (s) => sub(s, /environments = \[[^\]]*\]/, 'environments = "linux"'),
    },
    {
      rule: 'invalid environment marker',
      mutate: (s) => sub(s, /environments = \[/, 'environments = [\n    "python_version",'),
    },
    {
      rule: 'packages not an array',
      mutate: (s) => `${s.replace(/\n\[\[packages[\s\S]*$/, '\n')}packages = 1\n`,
    },
  ];
  const FERRY_ONLY_RULES: { rule: string; mutate: (text: string) => string | undefined }[] = [
    { rule: 'upload time not in UTC', mutate: (s) => sub(s, /(upload-time = \S+)Z/, '$1+08:00') },
    {
      rule: 'sha256 of the wrong length',
      mutate: (s) => sub(s, /sha256 = "[0-9a-f]{64}"/, 'sha256 = "abc"'),
    },
    { rule: 'negative size', mutate: (s) => sub(s, /size = \d+/, 'size = -1') },
    {
      // packaging reads it, then selects for no environment (next test); ferry refuses it early.
      rule: 'environments = []',
      mutate: (s) => sub(s, /environments = \[[^\]]*\]/, 'environments = []'),
    },
  ];

  function sub(
    text: string,
    pattern: RegExp,
    replacement: string | ((m: string, ...g: string[]) => string),
  ): string | undefined {
    if (!pattern.test(text)) return undefined;
    return text.replace(pattern, replacement as string);
  }

  function refusalCases(rules: typeof SHARED_RULES) {
    const cases: { rule: string; text: string }[] = [];
    for (const { rule, mutate } of rules) {
      let made = 0;
      for (let seed = 5000; made < 15 && seed < 5400; seed++) {
        const text = mutate(formatPylock(makeLock(seed)));
        if (text !== undefined) {
          cases.push({ rule, text });
          made++;
        }
      }
      assert.ok(made > 0, `no lock could be mutated for "${rule}"`);
    }
    return cases;
  }

  const REFUSE_ORACLE = `
import json, sys, tomllib
from packaging.pylock import Pylock, PylockValidationError
out = []
for case in json.load(sys.stdin):
    try:
        Pylock.from_dict(tomllib.loads(case["text"]))
        out.append(None)
    except (PylockValidationError, tomllib.TOMLDecodeError) as e:
        out.append(str(e))
print(json.dumps(out))
`;

  test('locks broken one rule at a time: both refuse', () => {
    const cases = refusalCases(SHARED_RULES);
    const answers = runPython<string | null>(python, REFUSE_ORACLE, cases);
    cases.forEach(({ rule, text }, i) => {
      assert.throws(
        () => parsePylock(text, 'mutated.toml'),
        (e: unknown) =>
          e instanceof FerryError &&
          e.code === 'ERR_FERRY_BAD_LOCK' &&
          e.message.includes('mutated.toml'),
        `ferry accepted a lock with ${rule}:\n${text}`,
      );
      assert.notEqual(answers[i], null, `packaging accepted a lock with ${rule}:\n${text}`);
    });
    assert.ok(cases.length >= SHARED_RULES.length * 5, `only ${cases.length} cases`);
  });

  test('environments = []: packaging selects for no environment, as ferry reads PEP 751', () => {
    const cases = refusalCases([
      {
        rule: 'environments = []',
        // Without the lock's own requires-python, which both check first.
        mutate: (s) => {
          const packagesAt = s.indexOf('\n[[packages]]');
          const head = s.slice(0, packagesAt).replace(/^requires-python = .*\n/m, '');
          return sub(head + s.slice(packagesAt), /environments = \[[^\]]*\]/, 'environments = []');
        },
      },
    ]).map(({ text }) => ({
      text,
      select: TARGETS.map((target) => ({ env: target.markers, tags: targetTags(target) })),
    }));
    const answers = runPython<OracleAnswer>(python, ACCEPT_ORACLE, cases);
    answers.forEach((answer, i) => {
      assert.ok(answer.ok, `packaging refused to read it: ${answer.error}`);
      answer.selections!.forEach((selection, j) => {
        assert.equal(selection.ok, false, `lock ${i}, target ${TARGETS[j]!.name}`);
        assert.match(selection.error!, /does not satisfy any of the environments/);
      });
      const lock = { ...parsePylock(cases[i]!.text.replace(/environments = \[\]\n/, ''), 'p') };
      for (const target of TARGETS) {
        assert.throws(
          () => selectFromLock({ ...lock, environments: [] }, target.markers, targetTags(target)),
          (e: unknown) => e instanceof FerryError && e.code === 'ERR_FERRY_LOCK_ENVIRONMENT',
        );
      }
    });
  });

  test("ferry's own rules: ferry refuses, packaging does not check them", () => {
    const cases = refusalCases(FERRY_ONLY_RULES);
    const answers = runPython<string | null>(python, REFUSE_ORACLE, cases);
    cases.forEach(({ rule, text }, i) => {
      assert.throws(
        () => parsePylock(text, 'mutated.toml'),
        (e: unknown) => e instanceof FerryError && e.code === 'ERR_FERRY_BAD_LOCK',
        rule,
      );
      assert.equal(answers[i], null, `packaging now checks "${rule}" too: ${answers[i]}`);
    });
  });
});
