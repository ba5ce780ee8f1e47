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

describe('assertNotUrlRequirement', () => {
  it('passes index requirements through', () => {
    assertNotUrlRequirement(parseRequirement('paddlepaddle==2.6.2'));
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
