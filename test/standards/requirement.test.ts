import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFerryError } from '../../src/core/errors.js';
import { formatMarker } from '../../src/standards/marker.js';
import {
  assertNotUrlRequirement,
  formatRequirement,
  parseRequirement,
} from '../../src/standards/requirement.js';
import { formatSpecifierSet } from '../../src/standards/specifier.js';

describe('parseRequirement', () => {
  // input, formatted, normalized name, extras
  const cases: [string, string, string, string[]][] = [
    ['paddlepaddle', 'paddlepaddle', 'paddlepaddle', []],
    [
      '  Paddle_Paddle-GPU==2.6.2.post112 ',
      'Paddle_Paddle-GPU==2.6.2.post112',
      'paddle-paddle-gpu',
      [],
    ],
    ['torch==2.1.2+cu118', 'torch==2.1.2+cu118', 'torch', []],
    [
      'requests[Security,socks]>=2.8.1,==2.8.*',
      'requests[security,socks]==2.8.*,>=2.8.1',
      'requests',
      ['security', 'socks'],
    ],
    [
      'requests [ socks , Security ] ( >=2.8.1 , <3 )',
      'requests[security,socks]<3,>=2.8.1',
      'requests',
      ['security', 'socks'],
    ],
    ['name[Foo_Bar,foo.bar]', 'name[foo-bar]', 'name', ['foo-bar']],
    ['name[]', 'name', 'name', []],
    ['numpy>=1.21; python_version>="3.8"', 'numpy>=1.21; python_version >= "3.8"', 'numpy', []],
    ['numpy ; extra == "Test_All"', 'numpy; extra == "test-all"', 'numpy', []],
    [
      'pip @ https://example.invalid/pip-24.0-py3-none-any.whl',
      'pip @ https://example.invalid/pip-24.0-py3-none-any.whl',
      'pip',
      [],
    ],
    [
      'pip@ https://example.invalid/p.whl ; sys_platform == "linux"',
      'pip @ https://example.invalid/p.whl ; sys_platform == "linux"',
      'pip',
      [],
    ],
    ['foo===  1.0-weird', 'foo===1.0-weird', 'foo', []],
    ['foo_', 'foo_', 'foo-', []],
    ['a (~= 1.4.5)', 'a~=1.4.5', 'a', []],
  ];
  for (const [input, formatted, normalized, extras] of cases) {
    it(JSON.stringify(input), () => {
      const req = parseRequirement(input);
      assert.equal(formatRequirement(req), formatted);
      assert.equal(req.normalizedName, normalized);
      assert.deepEqual(req.extras, extras);
    });
  }

  it('exposes the parts', () => {
    const req = parseRequirement('torch[cuda]>=2.1,<2.2 ; platform_machine=="x86_64"');
    assert.equal(req.name, 'torch');
    assert.equal(formatSpecifierSet(req.specifier), '<2.2,>=2.1');
    assert.ok(req.marker);
    assert.equal(formatMarker(req.marker), 'platform_machine == "x86_64"');
    assert.equal(req.url, undefined);
    const url = parseRequirement('x @ file:///tmp/x.whl');
    assert.equal(url.url, 'file:///tmp/x.whl');
    assert.equal(url.marker, undefined);
  });
});

describe('parseRequirement errors', () => {
  const cases: [string, RegExp, string][] = [
    ['', /Expected package name at the start of dependency specifier/, '^'],
    ['-foo', /Expected package name/, '^'],
    [
      'foo>=1.0 bar',
      /Expected comma \(within version specifier\), semicolon \(after version specifier\) or end/,
      '   ~~~~~~^',
    ],
    ['foo bar', /Expected semicolon \(after name with no version specifier\) or end/, '    ^'],
    ['foo[a b]', /Expected comma between extra names/, '      ^'],
    ['foo[a,]', /Expected extra name after comma/, '      ^'],
    ['foo[a', /Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras/, '   ~~^'],
    [
      'foo (>=1',
      /Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier/,
      '    ~~~~^',
    ],
    ['foo>=1.0.*', /\.\* suffix can only be used with `==` or `!=` operators/, '   ~~~~~~^'],
    ['foo==1.0a1.*', /\.\* suffix cannot be used with pre-release/, '   ~~~~~~~~^'],
    ['foo>=1.0+local', /Local version label can only be used/, '   ~~~~~^'],
    ['foo @ ', /Expected URL after @/, '      ^'],
    [
      'foo @ https://x.invalid/a.whl; os_name=="nt"',
      /Expected semicolon \(after URL and whitespace\) or end/,
      '      ~~~~~~~~~~~~~~~~~~~~~~~~~^',
    ],
    [
      'foo @ https://x.invalid/a.whl os_name=="nt"',
      /Expected semicolon \(after URL and whitespace\) or end/,
      '      ~~~~~~~~~~~~~~~~~~~~~~~~^',
    ],
    [
      'foo; os_name=="nt" or',
      /Expected a marker variable or quoted string/,
      '                     ^',
    ],
  ];
  for (const [input, reason, pointer] of cases) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseRequirement(input),
        (error: unknown) => {
          assert.ok(isFerryError(error));
          assert.equal(error.code, 'ERR_FERRY_INVALID_REQUIREMENT');
          assert.match(error.message, reason);
          const lines = error.message.split('\n');
          assert.equal(lines[1], `    ${input}`, 'names the input');
          assert.equal(lines[2], `    ${pointer}`, 'points at the bad part');
          assert.ok(error.hint?.includes('PEP 508'));
          return true;
        },
      );
    });
  }
});

/**
 * What packaging 26.4 changed, found by the differential test: a specifier list is first read
 * whole, split at commas, so `===` may stand beside other specifiers; `===` needs a string; the
 * epoch is possessive (`==1!)` is no specifier); a URL ends at any Python whitespace.
 */
describe('parseRequirement: packaging 26.4 regressions', () => {
  const accepted: [string, string][] = [
    ['x1 !=1.0_rc2, ===2.6.2, < 2.6.2.post112', 'x1!=1.0_rc2,<2.6.2.post112,===2.6.2'],
    ['torch (===1.0a1,=== 1.0a1,!=2.6.2 )', 'torch!=2.6.2,===1.0a1'],
    [
      'zope.interface  ~=1!2.0, === 1.0.dev3, != 1.0-1',
      'zope.interface!=1.0-1,===1.0.dev3,~=1!2.0',
    ],
    ['Django[gpu](===ab, >=1.0-1)', 'Django[gpu]===ab,>=1.0-1'],
    ['foo===abc,===1.*,<1.0a1', 'foo<1.0a1,===1.*,===abc'],
    ["foo===1.0 ; os_name=='nt'", 'foo===1.0; os_name == "nt"'],
    ['foo===a(b', 'foo===a(b'],
    ['foo>=1,', 'foo>=1'],
    ["foo>=1, ;os_name=='nt'", 'foo>=1; os_name == "nt"'],
  ];
  for (const [input, formatted] of accepted) {
    it(`accepts ${JSON.stringify(input)}`, () => {
      assert.equal(formatRequirement(parseRequirement(input)), formatted);
    });
  }

  const AFTER_NAME = 'Expected semicolon (after name with no version specifier) or end';
  const AFTER_SPECIFIER =
    'Expected comma (within version specifier), semicolon (after version specifier) or end';
  const PAREN = 'Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier';
  const refused: [string, string, [number, number]][] = [
    ['torch===', AFTER_NAME, [5, 5]],
    ["torch===;os_name=='nt'", AFTER_NAME, [5, 5]],
    ['torch (=== )', PAREN, [6, 7]],
    ['foo_[gpu](=== )', PAREN, [9, 10]],
    ['foo>=1,,<2', AFTER_SPECIFIER, [3, 7]],
    ['oslo_config>= 1.0.dev3,==1!)2.0', AFTER_SPECIFIER, [11, 23]],
    ['foo==1!', AFTER_NAME, [3, 3]],
    [
      "foo @ https://x.invalid/a.whl\u00a0; os_name=='nt'",
      'Expected whitespace after URL',
      [29, 29],
    ],
    ['foo @ https://x.invalid/a.whl\n', 'Expected whitespace after URL', [29, 29]],
  ];
  for (const [input, reason, span] of refused) {
    it(`refuses ${JSON.stringify(input)} at ${span.join('-')}`, () => {
      assert.throws(
        () => parseRequirement(input),
        (error: unknown) => {
          assert.ok(isFerryError(error));
          assert.equal(error.code, 'ERR_FERRY_INVALID_REQUIREMENT');
          assert.deepEqual(error.details, { input, reason, span });
          return true;
        },
      );
    });
  }

  it('refuses a bad member the token loop let through, as a whole-set error', () => {
    // `===` takes "1.0,(" as one token (commas and "(" included); the set then fails.
    assert.throws(
      () => parseRequirement('foo ===1.0,('),
      (error: unknown) =>
        isFerryError(error) &&
        error.code === 'ERR_FERRY_INVALID_REQUIREMENT' &&
        /Invalid version specifier "\("/.test(error.message),
    );
  });
});

describe('assertNotUrlRequirement', () => {
  it('passes index requirements through', () => {
    for (const text of [
      'paddlepaddle==2.6.2',
      'paddlepaddle-gpu[cuda]>=2.6; platform_machine == "x86_64"',
      'numpy',
    ]) {
      const req = parseRequirement(text);
      assert.equal(req.url, undefined);
      assert.doesNotThrow(() => assertNotUrlRequirement(req, 'requirements.txt line 1'));
      assert.equal(assertNotUrlRequirement(req), undefined);
    }
  });
  it('refuses URLs with a way forward, without showing credentials', () => {
    const req = parseRequirement('paddle @ https://user:secret@example.invalid/p.whl');
    assert.throws(
      () => assertNotUrlRequirement(req, 'requirements.txt line 3'),
      (error: unknown) => {
        assert.ok(isFerryError(error));
        assert.equal(error.code, 'ERR_FERRY_URL_REQUIREMENT');
        assert.match(error.message, /requirements\.txt line 3/);
        assert.ok(!error.message.includes('secret'));
        assert.match(error.hint ?? '', /--find-links/);
        assert.match(error.hint ?? '', /pin a version/);
        return true;
      },
    );
  });
});
