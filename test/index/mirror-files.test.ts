import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mirrorFileUrls } from '../../src/index/mirror-files.js';

test('a file on one mirror maps to the same path on the other mirrors of its index', () => {
  const file =
    'https://a.example/pypi/web/packages/ab/cd/ef0123/numpy-2.0-cp311-cp311-manylinux_2_17_x86_64.whl';
  assert.deepEqual(
    mirrorFileUrls(file, [
      'https://a.example/pypi/web/simple',
      'https://b.example/simple/',
      'https://c.example/pypi/simple',
    ]),
    [
      'https://b.example/packages/ab/cd/ef0123/numpy-2.0-cp311-cp311-manylinux_2_17_x86_64.whl',
      'https://c.example/pypi/packages/ab/cd/ef0123/numpy-2.0-cp311-cp311-manylinux_2_17_x86_64.whl',
    ],
  );
});

test('files outside a /packages/ layout, and indexes not ending in /simple, give no guesses', () => {
  assert.deepEqual(
    mirrorFileUrls('https://a.example/files/x-1.0-py3-none-any.whl', ['https://b.example/simple']),
    [],
  );
  assert.deepEqual(
    mirrorFileUrls('https://a.example/packages/x-1.0-py3-none-any.whl', [
      'https://b.example/index',
    ]),
    [],
  );
});
