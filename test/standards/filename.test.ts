import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import {
  assertSafeFilename,
  normalizeVersionText,
  parseDistFilename,
  parseSdistFilename,
  parseWheelFilename,
} from '../../src/standards/filename.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof FerryError ? error.code : `not a FerryError: ${String(error)}`;
  }
  return undefined;
};

describe('parseWheelFilename', () => {
  test('PEP 427 names, normalized', () => {
    const w = parseWheelFilename(
      'paddlepaddle_gpu-2.6.2.post112-cp310-cp310-manylinux1_x86_64.whl',
    );
    assert.equal(w.kind, 'wheel');
    assert.equal(w.name, 'paddlepaddle-gpu');
    assert.equal(w.version, '2.6.2.post112');
    assert.equal(w.build, undefined);
    assert.deepEqual(w.tags, ['cp310-cp310-manylinux1_x86_64']);

    const t = parseWheelFilename('torch-2.1.2+cu118-cp311-cp311-linux_x86_64.whl');
    assert.equal(t.version, '2.1.2+cu118');
    assert.equal(parseWheelFilename('Zope.Interface-5.0-py3-none-any.whl').name, 'zope-interface');
    assert.equal(parseWheelFilename('foo-01.002rc01-py3-none-any.whl').version, '1.2rc1');
  });

  test('compressed tag sets expand to every triple', () => {
    const w = parseWheelFilename('six-1.16.0-py2.py3-none-any.whl');
    assert.deepEqual(w.pythonTags, ['py2', 'py3']);
    assert.deepEqual(w.tags, ['py2-none-any', 'py3-none-any']);
    const n = parseWheelFilename(
      'numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    );
    assert.deepEqual(n.platformTags, ['manylinux_2_17_x86_64', 'manylinux2014_x86_64']);
    assert.equal(n.tags.length, 2);
    assert.deepEqual(parseWheelFilename('foo-1.0-PY3-NONE-ANY.whl').tags, ['py3-none-any']);
  });

  test('build tags start with a digit', () => {
    assert.deepEqual(parseWheelFilename('foo-1.0-1-py3-none-any.whl').build, {
      number: 1,
      tag: '',
    });
    assert.deepEqual(parseWheelFilename('foo-1.0-20abc-py3-none-any.whl').build, {
      number: 20,
      tag: 'abc',
    });
    assert.throws(
      () => parseWheelFilename('foo-1.0-abc-py3-none-any.whl'),
      /The wheel filename "foo-1.0-abc-py3-none-any.whl" has an invalid build tag/,
    );
  });

  const rejected: Array<[string, RegExp]> = [
    ['foo-1.0-py3-none-any.zip', /does not end with ".whl"/],
    ['foo-1.0-none-any.whl', /has 4 dash-separated parts/],
    ['foo-1.0-1-2-py3-none-any.whl', /has 7 dash-separated parts/],
    ['foo-latest-py3-none-any.whl', /has an invalid version/],
    ['_foo-1.0-py3-none-any.whl', /has an invalid package name/],
    ['foo__bar-1.0-py3-none-any.whl', /has an invalid package name/],
    ['foo-1.0-py3.-none-any.whl', /has an empty tag component/],
    ['foo-1.0-py3-none-.whl', /has an empty tag component/],
    ['foo-1.0-3py-none-any.whl', /has an invalid python tag/],
  ];
  for (const [filename, message] of rejected) {
    test(`rejects ${filename}`, () => {
      assert.throws(
        () => parseWheelFilename(filename),
        (error: unknown) => {
          assert.ok(error instanceof FerryError);
          assert.equal(error.code, 'ERR_FERRY_INVALID_FILENAME');
          assert.match(error.message, message);
          assert.ok(error.message.includes(`"${filename}"`));
          assert.equal(error.details?.filename, filename);
          return true;
        },
      );
    });
  }
});

describe('parseSdistFilename', () => {
  test('PEP 625 and legacy names', () => {
    assert.deepEqual(parseSdistFilename('paddlepaddle-2.6.2.tar.gz'), {
      kind: 'sdist',
      filename: 'paddlepaddle-2.6.2.tar.gz',
      name: 'paddlepaddle',
      version: '2.6.2',
      extension: '.tar.gz',
    });
    assert.equal(parseSdistFilename('Django-4.2.zip').name, 'django');
    assert.equal(parseSdistFilename('Django-4.2.zip').extension, '.zip');
    assert.equal(parseSdistFilename('python-dateutil-2.8.2.tar.gz').name, 'python-dateutil');
    assert.equal(parseSdistFilename('zope.interface-6.0.tar.gz').name, 'zope-interface');
  });

  test('the project name disambiguates dashes in legacy versions', () => {
    assert.throws(() => parseSdistFilename('foo-1.0-rc1.tar.gz'), /invalid version/);
    const s = parseSdistFilename('foo-1.0-rc1.tar.gz', 'foo');
    assert.equal(s.name, 'foo');
    assert.equal(s.version, '1.0rc1');
    assert.equal(
      parseSdistFilename('python-dateutil-2.8.2.tar.gz', 'Python_Dateutil').version,
      '2.8.2',
    );
    assert.throws(
      () => parseSdistFilename('foo-bar-1.0.tar.gz', 'foo-baz'),
      /is not a file of project "foo-baz"/,
    );
  });

  test('rejections', () => {
    assert.equal(
      code(() => parseSdistFilename('foo.tar.gz')),
      'ERR_FERRY_INVALID_FILENAME',
    );
    assert.equal(
      code(() => parseSdistFilename('foo-1.0.tar.bz2')),
      'ERR_FERRY_INVALID_FILENAME',
    );
    assert.equal(
      code(() => parseSdistFilename('-1.0.tar.gz')),
      'ERR_FERRY_INVALID_FILENAME',
    );
    assert.equal(
      code(() => parseSdistFilename('foo-bar.tar.gz')),
      'ERR_FERRY_INVALID_FILENAME',
    );
  });
});

describe('parseDistFilename', () => {
  test('wheels and sdists; other files are ignored', () => {
    assert.equal(parseDistFilename('foo-1.0-py3-none-any.whl')?.kind, 'wheel');
    assert.equal(parseDistFilename('foo-1.0.tar.gz')?.kind, 'sdist');
    for (const other of [
      'foo-1.0.win32.exe',
      'foo-1.0-py3.7.egg',
      'foo-1.0.tar.bz2',
      'foo-1.0.tgz',
      'foo-1.0.msi',
      'foo-1.0.rpm',
    ]) {
      assert.equal(parseDistFilename(other), undefined, other);
    }
  });

  test('malformed wheels still throw', () => {
    assert.equal(
      code(() => parseDistFilename('foo-1.0.whl')),
      'ERR_FERRY_INVALID_FILENAME',
    );
  });
});

describe('assertSafeFilename', () => {
  const unsafe = [
    '',
    ' ',
    '.',
    '..',
    '../x.whl',
    'a/b-1.0-py3-none-any.whl',
    'a\\b-1.0-py3-none-any.whl',
    '/etc/passwd',
    'foo\u0000-1.0.tar.gz',
    'foo\n-1.0.tar.gz',
    '..\\..\\x.whl',
  ];
  for (const name of unsafe) {
    test(`rejects ${JSON.stringify(name)}`, () => {
      assert.equal(
        code(() => assertSafeFilename(name)),
        'ERR_FERRY_UNSAFE_FILENAME',
      );
      assert.equal(
        code(() => parseDistFilename(name)),
        'ERR_FERRY_UNSAFE_FILENAME',
      );
      assert.equal(
        code(() => parseWheelFilename(name)),
        'ERR_FERRY_UNSAFE_FILENAME',
      );
      assert.equal(
        code(() => parseSdistFilename(name)),
        'ERR_FERRY_UNSAFE_FILENAME',
      );
    });
  }
  test('accepts ordinary names', () => {
    for (const name of [
      'foo-1.0-py3-none-any.whl',
      'foo-1.0.tar.gz',
      'torch-2.1.2+cu118-cp311-cp311-linux_x86_64.whl',
    ]) {
      assert.doesNotThrow(() => assertSafeFilename(name));
    }
  });
});

describe('normalizeVersionText (PEP 440 normal form)', () => {
  const cases: Array<[string, string | undefined]> = [
    ['1.0', '1.0'],
    ['v1.0', '1.0'],
    ['1!2.0', '1!2.0'],
    ['0!1.0', '1.0'],
    ['1.0alpha1', '1.0a1'],
    ['1.0-beta', '1.0b0'],
    ['1.0c1', '1.0rc1'],
    ['1.0.preview2', '1.0rc2'],
    ['1.0-1', '1.0.post1'],
    ['1.0.rev', '1.0.post0'],
    ['1.0-dev', '1.0.dev0'],
    ['1.0+Ubuntu-01', '1.0+ubuntu.1'],
    ['2.6.2.post112', '2.6.2.post112'],
    ['latest', undefined],
    ['1..0', undefined],
    ['1.0+', undefined],
  ];
  for (const [input, want] of cases) {
    test(`${input} -> ${want}`, () => assert.equal(normalizeVersionText(input), want));
  }
});
