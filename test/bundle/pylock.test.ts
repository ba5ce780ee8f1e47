import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  environmentMarker,
  formatPylock,
  type LockInput,
  lockInputFromResolution,
  lockToRequirementsTxt,
  normalizeUploadTime,
  parsePylock,
  type ResolvedForLock,
  relocatePylock,
  selectFromLock,
} from '../../src/bundle/pylock.js';
import { FerryError } from '../../src/core/errors.js';
import { makeTarget, targetTags } from '../../src/standards/target.js';

const H = (c: string) => c.repeat(64);
const code = (c: string) => (e: unknown) => e instanceof FerryError && e.code === c;

const x86 = makeTarget(
  'openeuler-x86',
  { implementation: 'cp', version: [3, 10], fullVersion: '3.10.12' },
  { os: 'linux', arch: 'x86_64', libc: { kind: 'glibc', version: [2, 34] } },
);
const arm = makeTarget(
  'kylin-arm',
  { implementation: 'cp', version: [3, 7], fullVersion: '3.7.9' },
  { os: 'linux', arch: 'aarch64', libc: { kind: 'glibc', version: [2, 28] } },
);

const sample: LockInput = {
  environments: [environmentMarker(x86.markers), environmentMarker(arm.markers)],
  requiresPython: '>=3.7',
  packages: [
    {
      name: 'numpy',
      version: '1.21.6',
      marker: environmentMarker(arm.markers),
      index: 'https://index.invalid/simple/',
      wheels: [
        {
          name: 'numpy-1.21.6-cp37-cp37m-manylinux_2_17_aarch64.manylinux2014_aarch64.whl',
          url: 'https://index.invalid/files/numpy-1.21.6-cp37-cp37m-manylinux_2_17_aarch64.manylinux2014_aarch64.whl',
          size: 100,
          uploadTime: '2022-04-12T15:00:00.123456Z',
          hashes: { sha256: H('a') },
        },
      ],
    },
    {
      name: 'Numpy',
      version: '1.26.4',
      marker: environmentMarker(x86.markers),
      index: 'https://index.invalid/simple/',
      wheels: [
        {
          name: 'numpy-1.26.4-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
          url: 'https://index.invalid/files/numpy-1.26.4-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
          size: 200,
          hashes: { sha256: H('b') },
        },
        {
          name: 'numpy-1.26.4-cp310-cp310-linux_x86_64.whl',
          url: 'https://index.invalid/files/numpy-1.26.4-cp310-cp310-linux_x86_64.whl',
          hashes: { sha256: H('c') },
        },
      ],
    },
    {
      name: 'six',
      version: '1.16.0',
      dependencies: [],
      sdist: { url: 'https://index.invalid/files/six-1.16.0.tar.gz', hashes: { sha256: H('d') } },
      wheels: [
        {
          url: 'https://index.invalid/files/six-1.16.0-py2.py3-none-any.whl',
          hashes: { sha256: H('e'), md5: 'x' },
        },
      ],
    },
  ],
  tool: { ferry: { targets: ['openeuler-x86', 'kylin-arm'] } },
};

describe('formatPylock', () => {
  test('writes the expected layout', () => {
    const text = formatPylock(sample);
    assert.match(text, /^lock-version = "1\.0"\n/);
    assert.match(text, /\ncreated-by = "ferry"\n/);
    assert.match(
      text,
      /\[\[packages\]\]\nname = "numpy"\nversion = "1\.21\.6"\nmarker = "implementation_name == 'cpython'/,
    );
    assert.match(text, /upload-time = 2022-04-12T15:00:00\.123Z\n/);
    assert.match(text, /hashes = \{ sha256 = "a{64}" \}/);
    assert.match(text, /\[packages\.sdist\]\nname = "six-1\.16\.0\.tar\.gz"/);
    assert.match(
      text,
      /\[tool\.ferry\]\ntargets = \[\n {4}"openeuler-x86",\n {4}"kylin-arm",\n\]\n$/,
    );
    // packages by name then version; wheels by name
    assert.ok(text.indexOf('version = "1.21.6"') < text.indexOf('version = "1.26.4"'));
    assert.ok(
      text.indexOf('cp310-cp310-linux_x86_64') < text.indexOf('cp310-cp310-manylinux_2_17'),
    );
    // hash keys sorted
    assert.match(text, /hashes = \{ md5 = "x", sha256 = "e{64}" \}/);
  });

  test('is deterministic: same input (in any order) gives identical bytes', () => {
    const a = formatPylock(sample);
    const shuffled: LockInput = {
      ...sample,
      packages: [...sample.packages]
        .reverse()
        .map((p) => ({ ...p, ...(p.wheels ? { wheels: [...p.wheels].reverse() } : {}) })),
    };
    assert.equal(formatPylock(shuffled), a);
    assert.equal(formatPylock(sample), a);
  });

  test('round trip: parse(format(x)) formats to the same text', () => {
    const text = formatPylock(sample);
    const lock = parsePylock(text, 'pylock.toml');
    assert.equal(formatPylock(lock), text);
    assert.equal(lock.packages.length, 3);
    assert.equal(lock.packages[0]!.wheels![0]!.uploadTime, '2022-04-12T15:00:00.123Z');
    assert.deepEqual(lock.tool, { ferry: { targets: ['openeuler-x86', 'kylin-arm'] } });
    assert.deepEqual(lock.warnings, []);
  });

  test('refuses input that would make an invalid lock', () => {
    assert.throws(
      () =>
        formatPylock({
          packages: [
            {
              name: 'a',
              version: '1.0',
              wheels: [{ name: 'a-1.0-py3-none-any.whl', url: 'u', hashes: {} }],
            },
          ],
        }),
      (e: unknown) =>
        code('ERR_FERRY_BAD_LOCK')(e) &&
        /packages\[0\]\.wheels\[0\]\.hashes/.test((e as Error).message),
    );
    assert.throws(
      () =>
        formatPylock({
          packages: [
            {
              name: 'a',
              version: '1.0',
              wheels: [
                {
                  name: 'a-1.0-py3-none-any.whl',
                  url: 'u',
                  uploadTime: 'yesterday',
                  hashes: { sha256: H('a') },
                },
              ],
            },
          ],
        }),
      code('ERR_FERRY_BAD_LOCK'),
    );
  });

  test('strings with quotes, backslashes and control characters survive', () => {
    const text = formatPylock({
      packages: [
        {
          name: 'a',
          version: '1.0',
          wheels: [
            {
              name: 'a-1.0-py3-none-any.whl',
              url: 'https://index.invalid/a"\\\u0001b/a-1.0-py3-none-any.whl',
              hashes: { sha256: H('a') },
            },
          ],
        },
      ],
      tool: { ferry: { note: 'line1\nline2 "q"', 'odd key': 1, nested: { deep: [1, 'x'] } } },
    });
    const lock = parsePylock(text, 'x.toml');
    assert.equal(
      lock.packages[0]!.wheels![0]!.url,
      'https://index.invalid/a"\\\u0001b/a-1.0-py3-none-any.whl',
    );
    assert.deepEqual(lock.tool, {
      ferry: { note: 'line1\nline2 "q"', 'odd key': 1, nested: { deep: [1, 'x'] } },
    });
    assert.equal(formatPylock(lock), text);
  });
});

describe('formatPylock: environments', () => {
  test('an empty list is left out, not written as environments = []', () => {
    const text = formatPylock({ ...sample, environments: [] });
    assert.doesNotMatch(text, /environments/);
    const lock = parsePylock(text, 'p');
    assert.equal(lock.environments, undefined);
    assert.deepEqual(
      selectFromLock(lock, x86.markers, targetTags(x86)).map((s) => `${s.name}==${s.version}`),
      ['numpy==1.26.4', 'six==1.16.0'],
    );
  });
  test('a non-empty list is written', () => {
    assert.match(formatPylock(sample), /^environments = \[/m);
  });
});

describe('normalizeUploadTime', () => {
  test('UTC with milliseconds', () => {
    assert.equal(normalizeUploadTime('2025-01-25T11:30:10.164985Z'), '2025-01-25T11:30:10.164Z');
    assert.equal(normalizeUploadTime('2025-01-25T11:30:10+00:00'), '2025-01-25T11:30:10.000Z');
    assert.equal(normalizeUploadTime('2025-01-25T13:30:10.5+02:00'), '2025-01-25T11:30:10.500Z');
    assert.equal(normalizeUploadTime('2025-01-25T11:30:10'), undefined);
    assert.equal(normalizeUploadTime('2025-02-30T11:30:10Z'), undefined);
    assert.equal(normalizeUploadTime(new Date(0)), '1970-01-01T00:00:00.000Z');
  });
});

const WHEEL = `name = "a-1.0-py3-none-any.whl"\nurl = "https://index.invalid/a-1.0-py3-none-any.whl"\nhashes = { sha256 = "${H('a')}" }`;
const GOOD = `lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "a"\nversion = "1.0"\n[[packages.wheels]]\n${WHEEL}\n`;

function rejects(text: string, path: string, message: RegExp, source = 'bad/pylock.toml'): void {
  assert.throws(
    () => parsePylock(text, source),
    (e: unknown) => {
      assert.ok(e instanceof FerryError, String(e));
      assert.equal(e.code, 'ERR_FERRY_BAD_LOCK');
      assert.ok(e.message.includes(source), e.message);
      const problems = (e.details?.problems ?? []) as { path: string; message: string }[];
      assert.ok(
        problems.some((p) => p.path === path && message.test(p.message)),
        `expected ${path}: ${message} in ${JSON.stringify(problems)}`,
      );
      assert.ok(e.message.includes(path), e.message);
      return true;
    },
  );
}

describe('parsePylock: each rule', () => {
  test('the good lock parses', () => {
    const lock = parsePylock(GOOD, 'pylock.toml');
    assert.equal(lock.packages[0]!.name, 'a');
    assert.equal(lock.createdBy, 't');
  });
  test('TOML syntax errors name the line', () => {
    rejects('lock-version = \n', '', /not valid TOML \(line 1/);
  });
  test('lock-version: required, a string, major 1', () => {
    rejects(GOOD.replace('lock-version = "1.0"\n', ''), 'lock-version', /missing/);
    rejects(GOOD.replace('"1.0"', '1.0'), 'lock-version', /expected a string/);
    rejects(GOOD.replace('"1.0"', '"2.0"'), 'lock-version', /not supported/);
    rejects(GOOD.replace('"1.0"', '"0.9"'), 'lock-version', /not supported/);
    rejects(GOOD.replace('"1.0"', '"one"'), 'lock-version', /invalid version/);
    const newer = parsePylock(
      GOOD.replace('"1.0"', '"1.1"').replace('[[packages]]\n', '[[packages]]\nfuture = 1\n'),
      'p',
    );
    assert.match(newer.warnings.join('\n'), /1\.1 is newer/);
    assert.match(newer.warnings.join('\n'), /unknown key packages\[0\]\.future/);
  });
  test('environments = [] is refused: it matches no environment (PEP 751)', () => {
    rejects(
      GOOD.replace('created-by', 'environments = []\ncreated-by'),
      'environments',
      /matches no environment/,
    );
  });
  test('a lock without environments is read, and is for any environment', () => {
    const lock = parsePylock(GOOD, 'p');
    assert.equal(lock.environments, undefined);
    assert.deepEqual(
      selectFromLock(lock, arm.markers, ['py3-none-any']).map((s) => s.name),
      ['a'],
    );
  });
  test('created-by and packages are required', () => {
    rejects(GOOD.replace('created-by = "t"\n', ''), 'created-by', /missing/);
    rejects('lock-version = "1.0"\ncreated-by = "t"\n', 'packages', /missing/);
    rejects(
      'lock-version = "1.0"\ncreated-by = "t"\npackages = ["a"]\n',
      'packages[0]',
      /expected a table/,
    );
  });
  test('top-level markers, specifiers, extras', () => {
    rejects(
      GOOD.replace('created-by', 'environments = ["python_version >"]\ncreated-by'),
      'environments[0]',
      /invalid marker/,
    );
    rejects(
      GOOD.replace('created-by', 'environments = "linux"\ncreated-by'),
      'environments',
      /expected an array/,
    );
    rejects(
      GOOD.replace('created-by', 'requires-python = ">=3.x"\ncreated-by'),
      'requires-python',
      /invalid version specifier/,
    );
    rejects(
      GOOD.replace('created-by', 'extras = ["Foo_Bar"]\ncreated-by'),
      'extras[0]',
      /not normalized/,
    );
    rejects(
      GOOD.replace('created-by', 'dependency-groups = [1]\ncreated-by'),
      'dependency-groups[0]',
      /expected a string/,
    );
  });
  test('package name normalized, version valid, marker valid', () => {
    rejects(GOOD.replace('name = "a"', 'name = "A"'), 'packages[0].name', /not normalized/);
    rejects(GOOD.replace('name = "a"\n', ''), 'packages[0].name', /missing/);
    rejects(
      GOOD.replace('\nversion = "1.0"', '\nversion = "1.0-bogus!"'),
      'packages[0].version',
      /invalid version/,
    );
    rejects(
      GOOD.replace('\nversion = "1.0"', '\nversion = "1.0"\nmarker = "os_name = 1"'),
      'packages[0].marker',
      /invalid marker/,
    );
    rejects(
      GOOD.replace('\nversion = "1.0"', '\nversion = "1.0"\nrequires-python = "~=3"'),
      'packages[0].requires-python',
      /invalid version specifier/,
    );
    rejects(
      GOOD.replace('\nversion = "1.0"', '\nversion = "1.0"\ndependencies = ["b"]'),
      'packages[0].dependencies[0]',
      /expected a table/,
    );
  });
  test('exactly one kind of source', () => {
    rejects(
      GOOD.replace('[[packages.wheels]]', `[packages.directory]\npath = "."\n[[packages.wheels]]`),
      'packages[0]',
      /none of vcs, directory, archive/,
    );
    rejects(
      'lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "a"\n',
      'packages[0]',
      /exactly one of vcs, directory, archive/,
    );
    rejects(
      `lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "a"\n[packages.directory]\npath = "."\n[packages.vcs]\ntype = "git"\nurl = "u"\ncommit-id = "c"\n`,
      'packages[0]',
      /exactly one/,
    );
    const direct = parsePylock(
      `lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "a"\n[packages.vcs]\ntype = "git"\nurl = "https://index.invalid/a.git"\ncommit-id = "abc"\n`,
      'p',
    );
    assert.equal(direct.packages[0]!.vcs?.commitId, 'abc');
    rejects(
      `lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "a"\n[packages.vcs]\ntype = "git"\nurl = "u"\n`,
      'packages[0].vcs.commit-id',
      /missing/,
    );
    rejects(
      `lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "a"\n[packages.archive]\nurl = "u"\n`,
      'packages[0].archive.hashes',
      /missing/,
    );
  });
  test('hashes present, non-empty, strings, well-formed SHA-2', () => {
    rejects(GOOD.replace(/hashes = .*/, ''), 'packages[0].wheels[0].hashes', /missing/);
    rejects(
      GOOD.replace(/hashes = .*/, 'hashes = {}'),
      'packages[0].wheels[0].hashes',
      /at least one hash/,
    );
    rejects(
      GOOD.replace(/hashes = .*/, 'hashes = { sha256 = 1 }'),
      'packages[0].wheels[0].hashes.sha256',
      /must be strings/,
    );
    rejects(
      GOOD.replace(/hashes = .*/, 'hashes = { sha256 = "abc" }'),
      'packages[0].wheels[0].hashes.sha256',
      /64 hex/,
    );
  });
  test('wheel: url or path, file name consistent with the package', () => {
    rejects(
      GOOD.replace(/url = .*\n/, ''),
      'packages[0].wheels[0]',
      /path or url must be provided/,
    );
    rejects(
      GOOD.replace('name = "a-1.0', 'name = "b-1.0'),
      'packages[0].wheels[0]',
      /not consistent with package name/,
    );
    rejects(
      GOOD.replace('name = "a-1.0', 'name = "a-2.0'),
      'packages[0].wheels[0]',
      /not consistent with package version/,
    );
    rejects(
      GOOD.replace('name = "a-1.0-py3-none-any.whl"', 'name = "a-1.0.whl"'),
      'packages[0].wheels[0]',
      /invalid wheel filename/,
    );
    rejects(
      GOOD.replace('size', 'x').replace(/url = (.*)\n/, 'url = $1\nsize = -1\n'),
      'packages[0].wheels[0].size',
      /negative/,
    );
    rejects(
      GOOD.replace(/url = (.*)\n/, 'url = $1\nsize = "1"\n'),
      'packages[0].wheels[0].size',
      /expected an integer/,
    );
    // 1.0 == 1.0.0 as versions, like packaging
    parsePylock(GOOD.replace('\nversion = "1.0"', '\nversion = "1.0.0"'), 'p');
  });
  test('sdist name and version', () => {
    const sd = (n: string) =>
      `lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "a"\nversion = "1.0"\n[packages.sdist]\nurl = "https://index.invalid/${n}"\nhashes = { sha256 = "${H('a')}" }\n`;
    assert.equal(parsePylock(sd('a-1.0.tar.gz'), 'p').packages[0]!.sdist?.name, 'a-1.0.tar.gz');
    rejects(sd('b-1.0.tar.gz'), 'packages[0].sdist', /not consistent with package name/);
    rejects(sd('a-1.1.tar.gz'), 'packages[0].sdist', /not consistent with package version/);
    rejects(sd('a-1.0.tar.bz2'), 'packages[0].sdist', /invalid sdist filename/);
  });
  test('upload-time: a date-time in UTC', () => {
    const ut = (v: string) => GOOD.replace(/url = (.*)\n/, `url = $1\nupload-time = ${v}\n`);
    assert.equal(
      parsePylock(ut('2025-01-25T11:30:10.164985Z'), 'p').packages[0]!.wheels![0]!.uploadTime,
      '2025-01-25T11:30:10.164Z',
    );
    assert.equal(
      parsePylock(ut('2025-01-25T11:30:10+00:00'), 'p').packages[0]!.wheels![0]!.uploadTime,
      '2025-01-25T11:30:10.000Z',
    );
    rejects(
      ut('"2025-01-25T11:30:10Z"'),
      'packages[0].wheels[0].upload-time',
      /expected a date-time, found a string/,
    );
    rejects(ut('2025-01-25'), 'packages[0].wheels[0].upload-time', /found a date/);
    rejects(ut('2025-01-25T11:30:10'), 'packages[0].wheels[0].upload-time', /UTC/);
    rejects(ut('2025-01-25T11:30:10+08:00'), 'packages[0].wheels[0].upload-time', /UTC/);
  });
  test('attestation identities need a kind; tool must be a table', () => {
    rejects(
      GOOD + '[[packages.attestation-identities]]\nrepository = "x"\n',
      'packages[0].attestation-identities[0].kind',
      /missing/,
    );
    rejects(
      GOOD.replace('\nversion = "1.0"', '\nversion = "1.0"\ntool = 1'),
      'packages[0].tool',
      /expected a table/,
    );
    const ok = parsePylock(
      `${GOOD}[[packages.attestation-identities]]\nkind = "GitHub"\n[tool.other]\nx = 1\n`,
      'p',
    );
    assert.deepEqual(ok.packages[0]!.attestationIdentities, [{ kind: 'GitHub' }]);
    assert.deepEqual(ok.tool, { other: { x: 1 } });
  });
  test('collects every problem, not just the first', () => {
    try {
      parsePylock(
        GOOD.replace('name = "a"', 'name = "A"').replace(/hashes = .*/, 'hashes = {}'),
        'many.toml',
      );
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof FerryError);
      const problems = e.details?.problems as unknown[];
      // name not normalized, wheel name inconsistent with it, empty hashes
      assert.equal(problems.length, 3);
      assert.match(e.message, /many\.toml is not valid \(3 problems\)/);
    }
  });
});

describe('relocatePylock', () => {
  test('wheels and sdists point into the bundle, URLs dropped, output still valid', () => {
    const lock = parsePylock(formatPylock(sample), 'pylock.toml');
    const moved = relocatePylock(lock, 'wheels/');
    const six = moved.packages.find((p) => p.name === 'six')!;
    assert.deepEqual(six.wheels![0], {
      name: 'six-1.16.0-py2.py3-none-any.whl',
      path: 'wheels/six-1.16.0-py2.py3-none-any.whl',
      hashes: { md5: 'x', sha256: H('e') },
    });
    assert.equal(six.sdist?.path, 'wheels/six-1.16.0.tar.gz');
    assert.equal(six.sdist?.url, undefined);
    assert.equal(moved.packages[0]!.index, 'https://index.invalid/simple/');
    const text = formatPylock(moved);
    assert.doesNotMatch(text, /\nurl = /);
    assert.deepEqual(parsePylock(text, 'bundle/pylock.toml').packages, moved.packages);
    assert.equal(
      relocatePylock(lock, '.').packages[2]!.wheels![0]!.path,
      'six-1.16.0-py2.py3-none-any.whl',
    );
  });
  test('refuses folders outside the bundle', () => {
    const lock = parsePylock(formatPylock(sample), 'pylock.toml');
    for (const bad of ['../wheels', '/abs', 'C:\\x', 'a/../../b']) {
      assert.throws(() => relocatePylock(lock, bad), code('ERR_FERRY_BAD_LOCK'), bad);
    }
  });
});

describe('selectFromLock', () => {
  const lock = parsePylock(formatPylock(sample), 'pylock.toml');
  test('x86 target: its numpy, the best-ranked wheel', () => {
    const chosen = selectFromLock(lock, x86.markers, targetTags(x86), { target: x86.name });
    assert.deepEqual(
      chosen.map((c) => [c.name, c.version, c.wheel.name]),
      [
        [
          'numpy',
          '1.26.4',
          'numpy-1.26.4-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
        ],
        ['six', '1.16.0', 'six-1.16.0-py2.py3-none-any.whl'],
      ],
    );
  });
  test('arm target: the other numpy', () => {
    const chosen = selectFromLock(lock, arm.markers, targetTags(arm), { target: arm.name });
    assert.deepEqual(
      chosen.map((c) => `${c.name}==${c.version}`),
      ['numpy==1.21.6', 'six==1.16.0'],
    );
  });
  test('a target with no fitting wheel: ERR_FERRY_LOCK_NO_WHEEL names package and target', () => {
    const old = makeTarget(
      'centos7',
      { implementation: 'cp', version: [3, 10], fullVersion: '3.10.1' },
      { os: 'linux', arch: 'x86_64', libc: { kind: 'glibc', version: [2, 12] } },
    );
    assert.throws(
      () =>
        selectFromLock(lock, old.markers, ['cp310-cp310-manylinux_2_12_x86_64', 'py3-none-any'], {
          target: 'centos7',
        }),
      (e: unknown) =>
        code('ERR_FERRY_LOCK_NO_WHEEL')(e) &&
        /numpy 1\.26\.4/.test((e as Error).message) &&
        /centos7/.test((e as Error).message),
    );
  });
  test('environments, requires-python and ambiguity are checked', () => {
    const win = makeTarget(
      'win',
      { implementation: 'cp', version: [3, 10], fullVersion: '3.10.1' },
      { os: 'windows', arch: 'amd64' },
    );
    assert.throws(
      () => selectFromLock(lock, win.markers, targetTags(win)),
      code('ERR_FERRY_LOCK_ENVIRONMENT'),
    );
    // PEP 751: a list given but empty is satisfied by no environment.
    assert.throws(
      () => selectFromLock({ ...lock, environments: [] }, x86.markers, targetTags(x86)),
      code('ERR_FERRY_LOCK_ENVIRONMENT'),
    );
    const py36 = { ...arm.markers, python_full_version: '3.6.15', python_version: '3.6' };
    assert.throws(() => selectFromLock(lock, py36, targetTags(arm)), code('ERR_FERRY_LOCK_PYTHON'));
    const both = parsePylock(
      formatPylock({
        ...sample,
        environments: undefined,
        packages: sample.packages.map(({ marker: _m, ...p }) => p),
      }),
      'p',
    );
    assert.throws(
      () => selectFromLock(both, x86.markers, targetTags(x86)),
      code('ERR_FERRY_LOCK_AMBIGUOUS'),
    );
  });
});

describe('lockToRequirementsTxt', () => {
  const lock = parsePylock(formatPylock(sample), 'pylock.toml');
  test('every hash, markers appended', () => {
    const text = lockToRequirementsTxt(lock, { header: ['generated by ferry'] });
    const lines = text.split('\n');
    assert.equal(lines[0], '# generated by ferry');
    assert.match(
      text,
      /^numpy==1\.21\.6 ; implementation_name == 'cpython' and python_version == '3\.7' and sys_platform == 'linux' and platform_machine == 'aarch64' \\\n {4}--hash=sha256:a{64}$/m,
    );
    assert.match(
      text,
      /^numpy==1\.26\.4 ; .* \\\n {4}--hash=sha256:b{64} \\\n {4}--hash=sha256:c{64}$/m,
    );
    assert.match(
      text,
      /^six==1\.16\.0 \\\n {4}--hash=sha256:d{64} \\\n {4}--hash=sha256:e{64}\n$/m,
    );
    assert.doesNotMatch(text, /md5/);
  });
  test('for one environment: markers evaluated and dropped', () => {
    const text = lockToRequirementsTxt(lock, { environment: arm.markers });
    assert.equal(
      text,
      `numpy==1.21.6 \\\n    --hash=sha256:${H('a')}\nsix==1.16.0 \\\n    --hash=sha256:${H('d')} \\\n    --hash=sha256:${H('e')}\n`,
    );
  });
  test('for one environment and tags: only the chosen wheel', () => {
    const text = lockToRequirementsTxt(lock, { environment: x86.markers, tags: targetTags(x86) });
    assert.equal(
      text,
      `numpy==1.26.4 \\\n    --hash=sha256:${H('b')}\nsix==1.16.0 \\\n    --hash=sha256:${H('e')}\n`,
    );
  });
  test('entries that pip cannot hash-check are refused', () => {
    const vcs = parsePylock(
      `lock-version = "1.0"\ncreated-by = "t"\n[[packages]]\nname = "a"\n[packages.vcs]\ntype = "git"\nurl = "u"\ncommit-id = "c"\n`,
      'p',
    );
    assert.throws(() => lockToRequirementsTxt(vcs), code('ERR_FERRY_LOCK_UNSUPPORTED_SOURCE'));
    const md5 = parsePylock(GOOD.replace(/hashes = .*/, 'hashes = { md5 = "x" }'), 'p');
    assert.throws(() => lockToRequirementsTxt(md5), code('ERR_FERRY_NO_HASH'));
  });
});

describe('lockInputFromResolution', () => {
  const file = (filename: string, c: string) => ({
    filename,
    url: `https://index.invalid/files/${filename}`,
    index: 'https://index.invalid/simple/',
    sha256: H(c),
    size: 10,
    uploadTime: '2024-01-01T00:00:00.000001Z',
    requiresPython: '>=3.7',
  });
  const resolved: ResolvedForLock = {
    targets: [x86, arm],
    requirements: ['numpy'],
    packages: [
      {
        name: 'numpy',
        version: '1.26.4',
        dependencies: [],
        targets: ['openeuler-x86'],
        files: [file('numpy-1.26.4-cp310-cp310-manylinux_2_17_x86_64.whl', 'b')],
      },
      {
        name: 'numpy',
        version: '1.21.6',
        dependencies: [],
        targets: ['kylin-arm'],
        files: [file('numpy-1.21.6-cp37-cp37m-manylinux_2_17_aarch64.whl', 'a')],
      },
      {
        name: 'pandas',
        version: '1.0',
        dependencies: ['numpy', 'six'],
        targets: ['openeuler-x86', 'kylin-arm'],
        files: [file('pandas-1.0-py3-none-any.whl', 'c')],
      },
      {
        name: 'six',
        version: '1.16.0',
        dependencies: [],
        targets: ['openeuler-x86', 'kylin-arm'],
        files: [file('six-1.16.0.tar.gz', 'd'), file('six-1.16.0-py2.py3-none-any.whl', 'e')],
      },
    ],
  };
  test('markers per target, dependencies disambiguated, tool.ferry facts', () => {
    const input = lockInputFromResolution(resolved);
    const lock = parsePylock(formatPylock(input), 'pylock.toml');
    assert.equal(lock.requiresPython, '>=3.7');
    assert.equal(lock.environments?.length, 2);
    const pandas = lock.packages.find((p) => p.name === 'pandas')!;
    assert.equal(pandas.marker, undefined);
    assert.deepEqual(pandas.dependencies, [
      { name: 'numpy', version: '1.21.6' },
      { name: 'numpy', version: '1.26.4' },
      { name: 'six' },
    ]);
    assert.equal(pandas.index, 'https://index.invalid/simple/');
    assert.equal(pandas.requiresPython, '>=3.7');
    const six = lock.packages.find((p) => p.name === 'six')!;
    assert.equal(six.sdist?.name, 'six-1.16.0.tar.gz');
    assert.deepEqual(six.tool, { ferry: { targets: ['kylin-arm', 'openeuler-x86'] } });
    assert.deepEqual(
      selectFromLock(lock, arm.markers, targetTags(arm)).map((s) => `${s.name}==${s.version}`),
      ['numpy==1.21.6', 'pandas==1.0', 'six==1.16.0'],
    );
    assert.deepEqual(
      selectFromLock(lock, x86.markers, targetTags(x86)).map((s) => `${s.name}==${s.version}`),
      ['numpy==1.26.4', 'pandas==1.0', 'six==1.16.0'],
    );
  });
  test('no targets: no environments key', () => {
    const input = lockInputFromResolution({ ...resolved, targets: [] });
    assert.equal(input.environments, undefined);
    assert.doesNotMatch(formatPylock(input), /environments/);
  });
  test('targets that markers cannot tell apart but need different versions: ambiguous', () => {
    const x86b = makeTarget(
      'openeuler-x86-cu118',
      { implementation: 'cp', version: [3, 10], fullVersion: '3.10.12' },
      { os: 'linux', arch: 'x86_64', libc: { kind: 'glibc', version: [2, 28] } },
    );
    const twin: ResolvedForLock = {
      targets: [x86, x86b],
      packages: [
        {
          name: 'torch',
          version: '2.1.2+cu121',
          dependencies: [],
          targets: ['openeuler-x86'],
          files: [file('torch-2.1.2+cu121-cp310-cp310-linux_x86_64.whl', 'a')],
        },
        {
          name: 'torch',
          version: '2.1.2+cu118',
          dependencies: [],
          targets: ['openeuler-x86-cu118'],
          files: [file('torch-2.1.2+cu118-cp310-cp310-linux_x86_64.whl', 'b')],
        },
      ],
    };
    assert.throws(() => lockInputFromResolution(twin), code('ERR_FERRY_LOCK_AMBIGUOUS'));
  });
});
