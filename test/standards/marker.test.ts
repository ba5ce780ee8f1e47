import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFerryError } from '../../src/core/errors.js';
import {
  evaluateMarker,
  formatMarker,
  type MarkerEnvironment,
  markerMentionsExtra,
  parseMarker,
} from '../../src/standards/marker.js';

const linux311: MarkerEnvironment = {
  implementation_name: 'cpython',
  implementation_version: '3.11.7',
  os_name: 'posix',
  platform_machine: 'x86_64',
  platform_python_implementation: 'CPython',
  platform_release: '5.15.0-91-generic',
  platform_system: 'Linux',
  platform_version: '#101-Ubuntu SMP',
  python_full_version: '3.11.7',
  python_version: '3.11',
  sys_platform: 'linux',
};

const win38: MarkerEnvironment = {
  ...linux311,
  os_name: 'nt',
  platform_machine: 'AMD64',
  platform_release: '10',
  platform_system: 'Windows',
  python_full_version: '3.8.10',
  python_version: '3.8',
  implementation_version: '3.8.10',
  sys_platform: 'win32',
};

const evaluate = (text: string, env: MarkerEnvironment = linux311, extras?: string[]) =>
  evaluateMarker(parseMarker(text), env, extras);

describe('parseMarker / formatMarker', () => {
  const cases: [string, string][] = [
    ['python_version>"3.8"', 'python_version > "3.8"'],
    ["python_version >= '3.8'", 'python_version >= "3.8"'],
    ['"linux" in sys_platform', '"linux" in sys_platform'],
    ['sys_platform not   in "win32 cygwin"', 'sys_platform not in "win32 cygwin"'],
    ['(python_version < "3.9")', 'python_version < "3.9"'],
    ['((os_name == "nt"))', 'os_name == "nt"'],
    [
      'os_name=="nt" and (python_version<"3" or python_version>="3.12")',
      'os_name == "nt" and (python_version < "3" or python_version >= "3.12")',
    ],
    ['extra == "GPU_Tools"', 'extra == "gpu-tools"'],
    ['"Foo.Bar" == extra', '"foo-bar" == extra'],
    ['"Foo" in extras', '"foo" in extras'],
    ['os.name == "posix"', 'os_name == "posix"'],
    ['sys.platform == "linux"', 'sys_platform == "linux"'],
    ['platform.machine == "arm64"', 'platform_machine == "arm64"'],
    ['platform.version == "1"', 'platform_version == "1"'],
    ['python_implementation == "PyPy"', 'platform_python_implementation == "PyPy"'],
    ['platform.python_implementation=="PyPy"', 'platform_python_implementation == "PyPy"'],
    [`os_name == 'say "hi"'`, `os_name == 'say "hi"'`],
    ['os_name == "\\x41\\t"', 'os_name == "A\t"'],
    ['\t python_version ~= "3.10"  ', 'python_version ~= "3.10"'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(formatMarker(parseMarker(input)), expected);
    });
  }
});

describe('parseMarker errors', () => {
  const cases: [string, RegExp, string][] = [
    ['python_version >> "3"', /Expected a marker variable or quoted string/, '                ^'],
    ['python_versions == "3"', /Expected a marker variable or quoted string/, '^'],
    ['os_name == "x" and', /Expected a marker variable or quoted string/, '                  ^'],
    [
      '(os_name == "x"',
      /Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS/,
      '~~~~~~~~~~~~~~~^',
    ],
    ['os_name not  "x"', /Expected 'in' after 'not'/, '             ^'],
    ['os_name is "x"', /Expected marker operator/, '        ^'],
    ['os_name == "x" extra', /Expected end of marker expression/, '               ^'],
    ['platform.release == "x"', /Expected a marker variable or quoted string/, '^'],
    ['os_name == "\\x4"', /Invalid quoted string/, '           ~~~~~^'],
    ['os_name == "x', /Expected a marker variable or quoted string/, '           ^'],
  ];
  for (const [input, reason, pointer] of cases) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseMarker(input),
        (error: unknown) => {
          assert.ok(isFerryError(error));
          assert.equal(error.code, 'ERR_FERRY_INVALID_MARKER');
          assert.match(error.message, reason);
          const lines = error.message.split('\n');
          assert.equal(lines[1], `    ${input}`, 'names the input');
          assert.equal(lines[2], `    ${pointer}`, 'points at the bad part');
          assert.ok(error.hint);
          return true;
        },
      );
    });
  }
});

describe('evaluateMarker', () => {
  const cases: [string, MarkerEnvironment, string[] | undefined, boolean][] = [
    ['python_version >= "3.9"', linux311, undefined, true],
    ['python_version >= "3.9"', win38, undefined, false],
    // PEP 440, not string order: "3.11" > "3.9"
    ['python_version > "3.9"', linux311, undefined, true],
    ['python_version == "3.11.*"', linux311, undefined, true],
    ['python_full_version ~= "3.11.0"', linux311, undefined, true],
    [
      'python_full_version < "3.11.8"',
      { ...linux311, python_full_version: '3.11.7+' },
      undefined,
      true,
    ],
    [
      'python_full_version >= "3.13"',
      { ...linux311, python_full_version: '3.13.0rc1' },
      undefined,
      false,
    ],
    [
      'python_full_version >= "3.13.0rc1"',
      { ...linux311, python_full_version: '3.13.0rc2' },
      undefined,
      true,
    ],
    ['"3.12" > python_version', linux311, undefined, true],
    ['sys_platform == "linux" and platform_machine == "x86_64"', linux311, undefined, true],
    ['sys_platform == "win32" or platform_machine == "aarch64"', linux311, undefined, false],
    ['os_name == "nt" or os_name == "posix" and python_version < "3"', linux311, undefined, false],
    ['(os_name == "nt" or os_name == "posix") and python_version > "3"', linux311, undefined, true],
    ['"linux" in sys_platform', linux311, undefined, true],
    ['"win" not in sys_platform', win38, undefined, false],
    ['platform_machine in "x86_64 AMD64"', win38, undefined, true],
    // Plain strings: < and > are never true, <= and >= mean equality (packaging).
    ['sys_platform < "zzz"', linux311, undefined, false],
    ['sys_platform >= "linux"', linux311, undefined, true],
    // platform_release is version-like only when it parses: "5.15.0-91-generic" does not.
    ['platform_release >= "5"', linux311, undefined, false],
    ['platform_release >= "5"', { ...linux311, platform_release: '6.1.0' }, undefined, true],
    ['python_version === "3.11"', linux311, undefined, true],
    ['extra == "gpu"', linux311, undefined, false],
    ['extra == "gpu"', linux311, ['GPU'], true],
    ['extra == "Cuda_12"', linux311, ['docs', 'cuda-12'], true],
    ['extra != "gpu"', linux311, undefined, true],
    ['"gpu" in extras', linux311, ['Gpu'], true],
    [
      'implementation_name == "pypy"',
      { ...linux311, implementation_name: 'pypy' },
      undefined,
      true,
    ],
  ];
  for (const [input, env, extras, expected] of cases) {
    it(`${input} [${env.sys_platform} ${env.python_full_version} ${extras ?? ''}] = ${expected}`, () => {
      assert.equal(evaluate(input, env, extras), expected);
    });
  }

  it('refuses comparisons packaging leaves undefined', () => {
    assert.throws(() => evaluate('os_name ~= "posix"'), {
      code: 'ERR_FERRY_MARKER_UNDEFINED_COMPARISON',
    });
    assert.throws(() => evaluate('extras == "x"'), {
      code: 'ERR_FERRY_MARKER_UNDEFINED_COMPARISON',
    });
    assert.throws(() => evaluate('"a" == "b"'), { code: 'ERR_FERRY_MARKER_UNDEFINED_VARIABLE' });
  });

  // packaging 26.4: `===` with no arbitrary string is no specifier, so a version variable falls
  // back to the string operators, where `===` is undefined.
  const empty = { ...linux311, platform_release: '' };
  const arbitrary: [string, MarkerEnvironment, boolean | 'undefined'][] = [
    ['platform_release === ""', empty, 'undefined'],
    ['"\t" === platform_release', empty, 'undefined'],
    ['platform_release === "6.1.0"', empty, false],
    ['python_version === "3.11"', linux311, true],
    ['"3.11" === python_version', linux311, true],
  ];
  for (const [input, env, expected] of arbitrary) {
    it(`${input} with platform_release ${JSON.stringify(env.platform_release)}: ${expected}`, () => {
      if (expected === 'undefined') {
        assert.throws(() => evaluate(input, env), {
          code: 'ERR_FERRY_MARKER_UNDEFINED_COMPARISON',
        });
      } else {
        assert.equal(evaluate(input, env), expected);
      }
    });
  }
});

describe('marker nesting (packaging 26.4: at most 200 groups deep)', () => {
  const nested = (depth: number) => `${'('.repeat(depth)}os_name == "posix"${')'.repeat(depth)}`;
  it('200 levels parse and evaluate', () => {
    assert.equal(evaluateMarker(parseMarker(nested(200)), linux311), true);
  });
  it('201 levels are refused where the 201st group opens', () => {
    assert.throws(
      () => parseMarker(nested(201)),
      (error: unknown) => {
        assert.ok(isFerryError(error));
        assert.equal(error.code, 'ERR_FERRY_INVALID_MARKER');
        assert.deepEqual(error.details, {
          input: nested(201),
          reason: 'Marker expression is nested more than 200 levels deep',
          span: [200, 200],
        });
        return true;
      },
    );
  });
});

describe('markerMentionsExtra', () => {
  it('finds extra anywhere in the tree', () => {
    assert.equal(
      markerMentionsExtra(
        parseMarker('os_name == "nt" and (python_version > "3" or extra == "x")'),
      ),
      true,
    );
    assert.equal(markerMentionsExtra(parseMarker('"x" == extra')), true);
    assert.equal(markerMentionsExtra(parseMarker('os_name == "extra"')), false);
    assert.equal(markerMentionsExtra(parseMarker('"x" in extras')), false);
  });
});
