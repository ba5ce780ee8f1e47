/**
 * Licences from core metadata (PEP 639 first, then classifiers, then the License field only
 * when it is exactly an SPDX id or name; never guessed), SPDX expressions against an
 * allowlist, and what the SBOM records.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLASSIFIER_SPDX,
  licenceAllowed,
  licenceFromMetadata,
  normalizeSpdxExpression,
} from '../../src/audit/licences.js';
import { formatSbom } from '../../src/bundle/sbom.js';
import { type CoreMetadata, parseCoreMetadata } from '../../src/standards/metadata.js';

const meta = (lines: string[]): CoreMetadata =>
  parseCoreMetadata(
    ['Metadata-Version: 2.4', 'Name: x', 'Version: 1.0', ...lines, '', ''].join('\n'),
  );

describe('licences from METADATA', () => {
  const table: [string, string[], string | undefined, string][] = [
    [
      'License-Expression',
      ['License-Expression: MIT OR Apache-2.0'],
      'MIT OR Apache-2.0',
      'License-Expression',
    ],
    [
      'License-Expression, case fixed',
      ['License-Expression: mit and bsd-3-clause'],
      'MIT AND BSD-3-Clause',
      'License-Expression',
    ],
    [
      'License-Expression wins over the rest',
      ['License-Expression: MIT', 'License: GPL-3.0-only'],
      'MIT',
      'License-Expression',
    ],
    [
      'an expression with an unknown id stays unknown',
      ['License-Expression: MIT OR Foo-1.0'],
      undefined,
      'License-Expression',
    ],
    [
      'LicenseRef is kept',
      ['License-Expression: LicenseRef-Proprietary'],
      'LicenseRef-Proprietary',
      'License-Expression',
    ],
    [
      'WITH an exception',
      ['License-Expression: GPL-2.0-or-later WITH Classpath-exception-2.0'],
      'GPL-2.0-or-later WITH Classpath-exception-2.0',
      'License-Expression',
    ],
    [
      'one classifier naming one licence',
      ['Classifier: License :: OSI Approved :: MIT License'],
      'MIT',
      'classifier',
    ],
    [
      'a classifier with no version is not guessed',
      ['Classifier: License :: OSI Approved :: BSD License'],
      undefined,
      'classifier',
    ],
    [
      'Apache Software License is not guessed either',
      ['Classifier: License :: OSI Approved :: Apache Software License'],
      undefined,
      'classifier',
    ],
    [
      'two known classifiers: both apply',
      [
        'Classifier: License :: OSI Approved :: MIT License',
        'Classifier: License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)',
      ],
      'MIT AND GPL-3.0-or-later',
      'classifier',
    ],
    ['License field: an exact SPDX id', ['License: apache-2.0'], 'Apache-2.0', 'License'],
    ['License field: an SPDX full name', ['License: MIT License'], 'MIT', 'License'],
    ['License field: free text is unknown', ['License: BSD'], undefined, 'License'],
    ['License field: "Apache 2" is unknown', ['License: Apache 2'], undefined, 'License'],
    ['License field: UNKNOWN is nothing', ['License: UNKNOWN'], undefined, 'none'],
    ['nothing declared', [], undefined, 'none'],
  ];
  for (const [title, lines, spdx, source] of table)
    it(title, () => {
      const l = licenceFromMetadata(meta(lines));
      assert.equal(l.spdx, spdx);
      assert.equal(l.source, source);
    });

  it('a pasted licence text in License is not guessed from its first line', () => {
    const l = licenceFromMetadata(
      meta(['License: MIT License', '        ', '        Copyright (c) 2020 someone']),
    );
    assert.equal(l.spdx, undefined);
    assert.match(l.declared ?? '', /^MIT License …$/);
  });

  it('every classifier in the table maps to an SPDX id ferry accepts', () => {
    for (const [classifier, id] of Object.entries(CLASSIFIER_SPDX))
      assert.equal(normalizeSpdxExpression(id), id, classifier);
  });
});

describe('licence allowlists (SPDX expressions)', () => {
  const allowed = new Set(['MIT', 'Apache-2.0', 'BSD-3-Clause']);
  const table: [string, boolean][] = [
    ['MIT', true],
    ['GPL-3.0-only', false],
    ['MIT OR GPL-3.0-only', true],
    ['MIT AND GPL-3.0-only', false],
    ['(MIT OR GPL-3.0-only) AND Apache-2.0', true],
    ['GPL-3.0-only OR (MIT AND LGPL-3.0-only)', false],
    ['Apache-2.0 WITH LLVM-exception', true],
    ['mit', true],
    ['MIT OR', false],
  ];
  for (const [expression, expected] of table)
    it(`${expression} → ${expected}`, () =>
      assert.equal(licenceAllowed(expression, allowed), expected));
});

describe('SBOM licences', () => {
  it('a classifier that names one licence becomes an SPDX id, not a name', () => {
    const sbom = JSON.parse(
      formatSbom({
        manifest: {
          formatVersion: 1,
          tool: 'ferry 0.1.0',
          createdAt: '2026-01-01T00:00:00.000Z',
          targets: [],
          indexes: [],
          requirements: ['x'],
          constraints: [],
          packages: [
            {
              name: 'x',
              version: '1.0',
              requiredBy: [],
              extras: [],
              dependencies: [],
              targets: [],
            },
          ],
          files: [
            {
              path: 'wheels/x-1.0-py3-none-any.whl',
              name: 'x',
              version: '1.0',
              size: 1,
              sha256: '0'.repeat(64),
              url: 'http://127.0.0.1:1/x',
            },
          ],
        },
        licenses: new Map([
          [
            'wheels/x-1.0-py3-none-any.whl',
            licenceFromMetadata(meta(['Classifier: License :: OSI Approved :: MIT License'])),
          ],
        ]),
      }),
    ) as { components: { licenses: unknown }[] };
    assert.deepEqual(sbom.components[0]!.licenses, [{ license: { id: 'MIT' } }]);
  });
});
