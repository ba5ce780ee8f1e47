import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import {
  licenseOf,
  parseCoreMetadata,
  parseMetadataHeaders,
  unescapeMultiline,
} from '../../src/standards/metadata.js';
import { ensureOracle, runPython } from '../helpers/python-oracle.js';

// PKG-INFO as distutils wrote it (Metadata-Version 1.0): description as a header with
// 8-space continuation lines.
const V1_0 = `Metadata-Version: 1.0
Name: simplejson
Version: 2.0.9
Summary: Simple, fast, extensible JSON encoder/decoder for Python
Home-page: http://undefined.invalid/simplejson/
Author: Bob Ippolito
Author-email: bob@example.invalid
License: MIT License
Description: simplejson is a simple, fast, complete, correct and extensible
        JSON <http://json.org> encoder and decoder for Python 2.4+.
        
        It is pure Python code with no dependencies.
Platform: any
Classifier: Intended Audience :: Developers
Classifier: License :: OSI Approved :: MIT License
`;

// setuptools-style 2.1 with extras, markers, multi-line license text and a Markdown body.
const V2_1 = `Metadata-Version: 2.1
Name: paddlepaddle-gpu
Version: 2.6.2.post112
Summary: Parallel Distributed Deep Learning
Home-page: https://paddle.example.invalid/
Author: PaddlePaddle Author
Author-email: paddle@example.invalid
License: Apache Software License
Keywords: paddlepaddle,paddle
Classifier: Development Status :: 5 - Production/Stable
Classifier: Operating System :: OS Independent
Classifier: License :: OSI Approved :: Apache Software License
Classifier: Programming Language :: Python :: 3.10
Requires-Python: >=3.8
Description-Content-Type: text/markdown
Requires-Dist: httpx
Requires-Dist: numpy>=1.13
Requires-Dist: Pillow
Requires-Dist: decorator
Requires-Dist: astor
Requires-Dist: opt-einsum==3.3.0
Requires-Dist: protobuf<=3.20.2,>=3.1.0; platform_system == "Windows"
Requires-Dist: protobuf>=3.20.2; platform_system != "Windows"
Provides-Extra: test
Requires-Dist: pytest; extra == "test"

# PaddlePaddle

Welcome to the PaddlePaddle GitHub.

    indented code block
`;

// Metadata 2.4 (PEP 639): SPDX License-Expression and License-File, Project-URL, Dynamic.
const V2_4 = `Metadata-Version: 2.4
Name: ferry-example
Version: 1.0.0
Summary: An example
Author-email: Jane Doe <jane@example.invalid>
License-Expression: Apache-2.0 OR MIT
License-File: LICENSE-APACHE
License-File: LICENSE-MIT
License-File: licenses/NOTICE
Classifier: Programming Language :: Python :: 3
Project-URL: Homepage, https://example.invalid/ferry
Project-URL: Issues, https://example.invalid/ferry/issues
Requires-Python: >=3.9
Requires-Dist: numpy<2,>=1.21
Requires-Dist: torch==2.1.2+cu118; sys_platform == "linux"
Provides-Extra: cuda
Dynamic: license-file
Description-Content-Type: text/x-rst

Body.
`;

describe('parseCoreMetadata', () => {
  test('Metadata-Version 1.0 with a Description header', () => {
    const m = parseCoreMetadata(V1_0, 'simplejson-2.0.9/PKG-INFO');
    assert.equal(m.metadataVersion, '1.0');
    assert.equal(m.name, 'simplejson');
    assert.equal(m.version, '2.0.9');
    assert.equal(m.homePage, 'http://undefined.invalid/simplejson/');
    assert.equal(m.authorEmail, 'bob@example.invalid');
    assert.deepEqual(m.requiresDist, []);
    assert.equal(
      m.description,
      'simplejson is a simple, fast, complete, correct and extensible\nJSON <http://json.org> encoder and decoder for Python 2.4+.\n\nIt is pure Python code with no dependencies.',
    );
    assert.deepEqual(m.classifiers, [
      'Intended Audience :: Developers',
      'License :: OSI Approved :: MIT License',
    ]);
    assert.equal(licenseOf(m), 'MIT License');
  });

  test('Metadata-Version 2.1 with a body', () => {
    const m = parseCoreMetadata(V2_1);
    assert.equal(m.name, 'paddlepaddle-gpu');
    assert.equal(m.version, '2.6.2.post112');
    assert.equal(m.requiresPython, '>=3.8');
    assert.equal(m.requiresDist.length, 9);
    assert.equal(m.requiresDist[6], 'protobuf<=3.20.2,>=3.1.0; platform_system == "Windows"');
    assert.deepEqual(m.providesExtra, ['test']);
    assert.equal(m.keywords, 'paddlepaddle,paddle');
    assert.equal(m.descriptionContentType, 'text/markdown');
    assert.equal(
      m.description,
      '# PaddlePaddle\n\nWelcome to the PaddlePaddle GitHub.\n\n    indented code block\n',
    );
    assert.equal(licenseOf(m), 'Apache Software License');
  });

  test('Metadata-Version 2.4 with License-Expression and License-File', () => {
    const m = parseCoreMetadata(V2_4);
    assert.equal(m.metadataVersion, '2.4');
    assert.equal(m.licenseExpression, 'Apache-2.0 OR MIT');
    assert.deepEqual(m.licenseFiles, ['LICENSE-APACHE', 'LICENSE-MIT', 'licenses/NOTICE']);
    assert.deepEqual(m.projectUrls, [
      'Homepage, https://example.invalid/ferry',
      'Issues, https://example.invalid/ferry/issues',
    ]);
    assert.deepEqual(m.dynamic, ['license-file']);
    assert.equal(m.author, undefined);
    assert.equal(m.authorEmail, 'Jane Doe <jane@example.invalid>');
    assert.equal(licenseOf(m), 'Apache-2.0 OR MIT');
    assert.equal(m.description, 'Body.\n');
  });

  test('CRLF, a BOM, and field names in any case', () => {
    const m = parseCoreMetadata(
      '\ufeffmetadata-version: 2.1\r\nNAME: Foo\r\nversion: 1.0\r\n\r\nbody\r\n',
    );
    assert.equal(m.name, 'Foo');
    assert.equal(m.version, '1.0');
    assert.equal(m.description, 'body\n');
  });

  test('setuptools multi-line License text', () => {
    const m = parseCoreMetadata(
      'Metadata-Version: 2.1\nName: x\nVersion: 1\nLicense: BSD 3-Clause License\n        \n        Copyright (c) 2020\n        All rights reserved.\n',
    );
    assert.equal(m.license, 'BSD 3-Clause License\n\nCopyright (c) 2020\nAll rights reserved.');
    assert.equal(licenseOf(m), 'BSD 3-Clause License');
  });

  const bad: Array<[string, RegExp]> = [
    ['', /has no header fields/],
    ['<html><body>404</body></html>', /has no header fields/],
    ['Metadata-Version: 2.1\nVersion: 1.0\n', /has no Name field/],
    ['Metadata-Version: 2.1\nName: foo\n', /for "foo" has no Version field/],
  ];
  for (const [text, message] of bad) {
    test(`rejects ${JSON.stringify(text.slice(0, 30))}`, () => {
      assert.throws(
        () => parseCoreMetadata(text, 'foo-1.0.dist-info/METADATA'),
        (e: unknown) =>
          e instanceof FerryError &&
          e.code === 'ERR_FERRY_INVALID_METADATA' &&
          message.test(e.message) &&
          e.message.includes('foo-1.0.dist-info/METADATA'),
      );
    });
  }
});

describe('licenseOf', () => {
  const base = parseCoreMetadata('Metadata-Version: 2.1\nName: x\nVersion: 1\n');
  test('falls back to classifiers, ignores UNKNOWN', () => {
    assert.equal(licenseOf(base), undefined);
    assert.equal(
      licenseOf({
        ...base,
        license: 'UNKNOWN',
        classifiers: ['License :: OSI Approved :: BSD License'],
      }),
      'BSD License',
    );
    assert.equal(
      licenseOf({
        ...base,
        classifiers: [
          'License :: OSI Approved :: MIT License',
          'License :: OSI Approved :: Apache Software License',
        ],
      }),
      'MIT License; Apache Software License',
    );
  });
});

describe('parseMetadataHeaders', () => {
  test('repeated fields and raw continuation values', () => {
    const h = parseMetadataHeaders('A: 1\nB: x\n  y\nA: 2\n\nbody');
    assert.deepEqual(h.fields.get('a'), ['1', '2']);
    assert.deepEqual(h.fields.get('b'), ['x\n  y']);
    assert.equal(h.body, 'body');
    assert.equal(unescapeMultiline('x\n        a\n          b'), 'x\na\n  b');
  });
});

describe('real-world samples vs packaging.metadata.parse_email', () => {
  let python = '';
  before(async () => {
    python = await ensureOracle();
  });
  test('the inline samples parse the same way', () => {
    const script = `
import json, sys
from packaging.metadata import parse_email
out = []
for text in json.load(sys.stdin):
    raw, unparsed = parse_email(text)
    out.append({k: raw.get(k) for k in ("metadata_version", "name", "version", "requires_dist", "provides_extra",
        "license_expression", "license_files", "classifiers", "requires_python", "summary", "description")})
print(json.dumps(out))
`;
    const samples = [V1_0, V2_1, V2_4];
    const expected = runPython<Record<string, unknown>>(python, script, samples);
    samples.forEach((text, index) => {
      const want = expected[index] ?? {};
      const m = parseCoreMetadata(text);
      const headers = parseMetadataHeaders(text);
      assert.equal(m.metadataVersion, want.metadata_version);
      assert.equal(m.name, want.name);
      assert.equal(m.version, want.version);
      assert.deepEqual(m.requiresDist, want.requires_dist ?? []);
      assert.deepEqual(m.providesExtra, want.provides_extra ?? []);
      assert.equal(m.licenseExpression, want.license_expression ?? undefined);
      assert.deepEqual(m.licenseFiles, want.license_files ?? []);
      assert.deepEqual(m.classifiers, want.classifiers ?? []);
      assert.equal(m.requiresPython, want.requires_python ?? undefined);
      assert.equal(m.summary, want.summary ?? undefined);
      // packaging keeps the raw (escaped) Description header; the body verbatim.
      const rawDescription =
        headers.body !== '' ? headers.body : headers.fields.get('description')?.[0];
      assert.equal(rawDescription, want.description ?? undefined);
    });
  });
});
