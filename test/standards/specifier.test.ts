import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import {
  filterVersions,
  formatSpecifierSet,
  parseSpecifier,
  parseSpecifierSet,
  specifierAllowsPrereleases,
  specifierContains,
  specifierSetAllowsPrereleases,
  specifierSetContains,
} from '../../src/standards/specifier.js';
import { parseVersion, type Version } from '../../src/standards/version.js';

const contains = (set: string, version: string, prereleases?: boolean): boolean =>
  specifierSetContains(parseSpecifierSet(set), version, { prereleases });

const filter = (set: string, versions: string[], prereleases?: boolean): string[] =>
  filterVersions(parseSpecifierSet(set), versions, parseVersion, { prereleases });

describe('parseSpecifier / parseSpecifierSet / formatSpecifierSet', () => {
  it('splits operator and version, keeping the version as written', () => {
    assert.deepEqual(parseSpecifier(' >= 2.6 '), { operator: '>=', version: '2.6' });
    assert.deepEqual(parseSpecifier('===Foo-Bar'), { operator: '===', version: 'Foo-Bar' });
    assert.deepEqual(parseSpecifier('==2.1.*'), { operator: '==', version: '2.1.*' });
    assert.deepEqual(parseSpecifier('~=V2.6.POST1'), { operator: '~=', version: 'V2.6.POST1' });
  });

  const formatted: [string, string][] = [
    ['', ''],
    [' , ,', ''],
    ['>=2.6,<3', '<3,>=2.6'],
    ['>= 1.0 , !=1.5, >=1.0.0,,', '!=1.5,>=1.0'],
    ['~=1.0,~=1.0.0', '~=1.0,~=1.0.0'],
    ['==2.6.2.post112', '==2.6.2.post112'],
    ['===abc,===ABC', '===ABC,===abc'],
  ];
  for (const [input, expected] of formatted) {
    it(`formats ${JSON.stringify(input)} as ${JSON.stringify(expected)}`, () => {
      assert.equal(formatSpecifierSet(parseSpecifierSet(input)), expected);
    });
  }

  const invalid: [string, RegExp][] = [
    ['2.6', /operator/],
    ['=>2.6', /operator/],
    ['>=2.6.*', /wildcard/],
    ['<2.1.2+cu118', /local label/],
    ['~=2', /two release components/],
    ['==2.6a1.*', /wildcard may follow only a release/],
    ['>=', /must be followed by a version/],
    ['>=1.0-foo', /not a PEP 440 version/],
    ['==1.0 .post1', /not a PEP 440 version/],
    // packaging 26.4: `===` needs an arbitrary string of one character at least.
    ['===', /must be followed by a version/],
    [' === ', /must be followed by a version/],
  ];
  for (const [input, hint] of invalid) {
    it(`rejects ${JSON.stringify(input)} with a hint`, () => {
      assert.throws(
        () => parseSpecifier(input),
        (e: unknown) =>
          e instanceof FerryError &&
          e.code === 'ERR_FERRY_INVALID_SPECIFIER' &&
          e.message.includes(input.trim()) &&
          hint.test(e.hint ?? ''),
      );
    });
  }

  it('=== with an empty string is not a member of a set (packaging 26.4)', () => {
    assert.throws(() => parseSpecifierSet('=== ,>=1'), { code: 'ERR_FERRY_INVALID_SPECIFIER' });
    assert.equal(formatSpecifierSet(parseSpecifierSet('===foo,>=1')), '===foo,>=1');
    assert.equal(formatSpecifierSet(parseSpecifierSet('===a(b')), '===a(b');
  });

  it('points at the bad member of a set', () => {
    assert.throws(
      () => parseSpecifierSet('>=2.6, ~=2, <3'),
      (e: unknown) => e instanceof FerryError && e.message.endsWith('>=2.6, ~=2, <3\n         ^'),
    );
  });
});

describe('specifier matching', () => {
  // [specifier set, version, expected] with prereleases left to the default.
  const table: [string, string, boolean][] = [
    // Paddle: .postNNN is a post-release, a different version (brief, "Facts").
    ['==2.6.2', '2.6.2.post118', false],
    ['==2.6.2.post118', '2.6.2.post118', true],
    ['>=2.6.2', '2.6.2.post118', true],
    ['>2.6.2', '2.6.2.post120', false],
    ['>2.6.2.post112', '2.6.2.post120', true],
    ['<=2.6.2', '2.6.2.post112', false],
    ['~=2.6.2', '2.6.2.post120', true],
    // PyTorch: +cu118 is a local label, ignored unless the specifier names one.
    ['==2.1.2', '2.1.2+cu118', true],
    ['==2.1.2+cu118', '2.1.2+cu118', true],
    ['==2.1.2+cu118', '2.1.2+cu121', false],
    ['==2.1.2+cu118', '2.1.2', false],
    ['!=2.1.2', '2.1.2+cu118', false],
    ['<=2.1.2', '2.1.2+cu118', true],
    ['>2.1.2', '2.1.2+cu118', false],
    ['<2.1.2', '2.1.2+cu118', false],
    ['>=2.1.2', '2.1.2+cu118', true],
    // Wildcards.
    ['==2.1.*', '2.1.2+cu118', true],
    ['==2.1.*', '2.1', true],
    ['==2.1.*', '2.1.0rc1', true],
    ['==2.1.*', '2.10', false],
    ['==2.*', '2', true],
    ['==2.1.0.*', '2.1', true],
    ['!=2.1.*', '2.1.5', false],
    ['!=2.1.*', '2.2.dev0', true],
    // Compatible release.
    ['~=2.6', '2.9', true],
    ['~=2.6', '3.0', false],
    ['~=2.6.0', '2.7', false],
    ['~=2.6.0', '2.6.9', true],
    ['~=1!2.6', '2.7', false],
    // Exclusive comparisons exclude the bound's own pre-releases and post-releases.
    ['<3', '3.0rc1', false],
    ['<3', '3.0.dev0', false],
    ['<3rc1', '3.0b1', true],
    ['>1.0a1', '1.0a1.post1', false],
    ['>1.0a1', '1.0a2', true],
    ['>1.0.dev1', '1.0.dev1+x', false],
    ['>1.0.dev1', '1.0.dev2', true],
    // Epochs.
    ['>=2.0', '1!1.0', true],
    ['<2.0', '1!1.0', false],
    // Arbitrary equality is a case-insensitive string comparison.
    ['===1.0', '1.0', true],
    ['===1.0', '1.0.0', false],
    ['===Foo-Bar', 'foo-bar', true],
    ['===1.0-foo', '1.0-foo', true],
    // Invalid versions only ever match === and the empty set.
    ['>=1.0', '1.0-foo', false],
    ['', '1.0-foo', true],
    ['', '2.0rc1', true],
  ];
  for (const [set, version, expected] of table) {
    it(`${JSON.stringify(set)} ${expected ? 'contains' : 'excludes'} ${version}`, () => {
      assert.equal(contains(set, version), expected);
    });
  }

  it('contains() admits a lone pre-release unless prereleases is false', () => {
    assert.equal(contains('>=2.0', '3.0rc1'), true);
    assert.equal(contains('>=2.0', '3.0rc1', true), true);
    assert.equal(contains('>=2.0', '3.0rc1', false), false);
    assert.equal(contains('>=2.0', '3.0', false), true);
  });

  it('specifierContains works on one specifier and on Version objects', () => {
    const spec = parseSpecifier('==2.1.2');
    assert.equal(specifierContains(spec, parseVersion('2.1.2+cu118')), true);
    assert.equal(specifierContains(parseSpecifier('===2.1.2'), parseVersion('2.1.2.0')), false);
    // A Version compares by its normal form under ===.
    assert.equal(specifierContains(parseSpecifier('===1.0.post1'), parseVersion('1.0-1')), true);
    assert.equal(specifierContains(parseSpecifier('===1.0-1'), '1.0-1'), true);
  });
});

describe('pre-release policy', () => {
  it('autodetects like packaging', () => {
    assert.equal(specifierAllowsPrereleases(parseSpecifier('>=2.0rc1')), true);
    assert.equal(specifierAllowsPrereleases(parseSpecifier('>=2.0')), false);
    assert.equal(specifierAllowsPrereleases(parseSpecifier('!=2.0rc1')), false);
    assert.equal(specifierAllowsPrereleases(parseSpecifier('==2.*')), false);
    assert.equal(specifierAllowsPrereleases(parseSpecifier('===foo')), undefined);
    assert.equal(specifierSetAllowsPrereleases(parseSpecifierSet('')), undefined);
    assert.equal(specifierSetAllowsPrereleases(parseSpecifierSet('>=2.0')), undefined);
    assert.equal(specifierSetAllowsPrereleases(parseSpecifierSet('>=2.0,<3.0rc2')), true);
  });

  const listing = ['2.5.0', '2.6.0rc1', '2.6.0', '2.6.1', '3.0.0b1', '3.0.0rc1'];
  it('filter() drops pre-releases when a final release matches', () => {
    assert.deepEqual(filter('>=2.6', listing), ['2.6.0', '2.6.1']);
    assert.deepEqual(filter('', listing), ['2.5.0', '2.6.0', '2.6.1']);
  });
  it('filter() falls back to pre-releases when nothing final matches', () => {
    assert.deepEqual(filter('>2.6.1', listing), ['3.0.0b1', '3.0.0rc1']);
    assert.deepEqual(filter('>2.6.1', listing, false), []);
  });
  it('filter() keeps pre-releases when a specifier names one or when asked', () => {
    assert.deepEqual(filter('>=2.6.0rc1', listing), [
      '2.6.0rc1',
      '2.6.0',
      '2.6.1',
      '3.0.0b1',
      '3.0.0rc1',
    ]);
    assert.deepEqual(filter('>=2.6', listing, true), ['2.6.0', '2.6.1', '3.0.0b1', '3.0.0rc1']);
  });
  it('filter() keeps items and order, through the key', () => {
    const files = [
      { name: 'b', version: parseVersion('2.6.2.post120') },
      { name: 'a', version: parseVersion('2.6.2') },
      { name: 'c', version: parseVersion('2.6.2.post112') },
    ];
    const picked = filterVersions(
      parseSpecifierSet('==2.6.2.post112'),
      files,
      (f): Version => f.version,
    );
    assert.deepEqual(picked, [files[2]]);
    // An unpinned >= silently admits every CUDA build; ferry's users are warned in the brief.
    assert.deepEqual(
      filterVersions(parseSpecifierSet('>=2.6.2'), files, (f) => f.version).map((f) => f.name),
      ['b', 'a', 'c'],
    );
  });
});
