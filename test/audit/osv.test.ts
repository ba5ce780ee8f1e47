/**
 * OSV matching, as a table written from the schema's rules (ossf/osv-schema docs/schema.md,
 * "affected[].ranges[].events", "Special values" and the "Evaluation" pseudocode), with
 * ferry's PEP 440 ordering; then snapshots read from a zip, a folder and one file.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Advisory, AdvisoryIndex, matchAdvisory, parseAdvisory } from '../../src/audit/osv.js';
import {
  cvss2BaseScore,
  cvss3BaseScore,
  severityOf,
  severityRank,
} from '../../src/audit/severity.js';
import { readAdvisorySnapshot } from '../../src/audit/snapshot.js';
import { buildZip } from '../helpers/local-index.js';

type Events = Record<string, string>[];

function advisory(events: Events | Events[], extra: Record<string, unknown> = {}): Advisory {
  const ranges = (Array.isArray(events[0]) ? (events as Events[]) : [events as Events]).map(
    (e) => ({ type: 'ECOSYSTEM', events: e }),
  );
  const a = parseAdvisory({
    id: 'PYSEC-0000-1',
    affected: [{ package: { ecosystem: 'PyPI', name: 'Demo_Pkg' }, ranges, ...extra }],
    ...(extra.top as object | undefined),
  });
  assert.ok(a);
  return a;
}

const hit = (a: Advisory, version: string, name = 'demo-pkg'): boolean =>
  matchAdvisory(a, name, version) !== undefined;

describe('OSV matching (schema Evaluation, PEP 440 order)', () => {
  const table: [string, Events | Events[], [string, boolean][]][] = [
    [
      'introduced/fixed: [1.0, 1.2)',
      [{ introduced: '1.0' }, { fixed: '1.2' }],
      [
        ['0.9', false],
        ['1.0', true],
        ['1.0.0', true],
        ['1.1.9', true],
        ['1.2', false],
        ['1.2.0', false],
        ['1.3', false],
      ],
    ],
    [
      'introduced "0" sorts before every version',
      [{ introduced: '0' }, { fixed: '2.0' }],
      [
        ['0.0.1', true],
        ['0.dev0', true],
        ['1.9', true],
        ['2.0', false],
      ],
    ],
    [
      'last_affected is inclusive',
      [{ introduced: '0' }, { last_affected: '2.1.214' }],
      [
        ['2.1.214', true],
        ['2.1.214.post1', false],
        ['2.1.215', false],
      ],
    ],
    [
      'limit: only versions below a limit',
      [{ introduced: '1.0' }, { limit: '1.5' }],
      [
        ['1.4', true],
        ['1.5', false],
        ['9.0', false],
      ],
    ],
    [
      'limit "*" is infinity',
      [{ introduced: '1.0' }, { limit: '*' }],
      [
        ['0.5', false],
        ['99', true],
      ],
    ],
    [
      'two intervals in one range',
      [{ introduced: '1.0' }, { fixed: '1.0.2' }, { introduced: '3.0' }, { fixed: '3.2.5' }],
      [
        ['1.0.1', true],
        ['2.0', false],
        ['3.2.4', true],
        ['3.2.5', false],
      ],
    ],
    [
      'unsorted events are sorted before the walk',
      [{ fixed: '3.2.5' }, { introduced: '3.0' }, { fixed: '1.0.2' }, { introduced: '1.0' }],
      [
        ['1.0.1', true],
        ['2.0', false],
        ['3.1', true],
      ],
    ],
    [
      'PEP 440 order, not text: 1.10 > 1.9, pre-releases before the release',
      [{ introduced: '1.9' }, { fixed: '1.10' }],
      [
        ['1.9.5', true],
        ['1.10rc1', true],
        ['1.10', false],
        ['1.10.post1', false],
        ['1.1', false],
      ],
    ],
    [
      'a pre-release fix: the release candidate fixes it, its earlier betas do not',
      [{ introduced: '0' }, { fixed: '2.0rc1' }],
      [
        ['2.0b3', true],
        ['2.0rc1', false],
        ['2.0', false],
      ],
    ],
    [
      'epochs order above everything without one',
      [{ introduced: '1!0' }],
      [
        ['2024.1', false],
        ['1!0.1', true],
      ],
    ],
    [
      'several ranges: any one is enough',
      [
        [{ introduced: '1.0' }, { fixed: '1.1' }],
        [{ introduced: '5.0' }, { fixed: '5.1' }],
      ],
      [
        ['1.0.5', true],
        ['5.0.1', true],
        ['3.0', false],
      ],
    ],
  ];
  for (const [title, events, cases] of table) {
    it(title, () => {
      const a = advisory(events);
      for (const [version, expected] of cases)
        assert.equal(hit(a, version), expected, `${title}: ${version}`);
    });
  }

  it('versions lists match by PEP 440 equality, with no ranges', () => {
    const a = advisory([], { versions: ['0.5', '0.6.0'] });
    assert.equal(hit(a, '0.6'), true);
    assert.equal(hit(a, '0.5.0'), true);
    assert.equal(hit(a, '0.7'), false);
    assert.deepEqual(matchAdvisory(a, 'demo-pkg', '0.6')?.affectedRanges, ['==0.6.0']);
  });

  it('non-normalized names on either side (PEP 503)', () => {
    const a = advisory([{ introduced: '0' }]);
    for (const name of ['demo-pkg', 'Demo.Pkg', 'DEMO__pkg', 'demo_pkg'])
      assert.equal(hit(a, '1.0', name), true, name);
    assert.equal(hit(a, '1.0', 'demo-pkgs'), false);
  });

  it('a withdrawn advisory matches nothing', () => {
    const a = parseAdvisory({
      id: 'GHSA-xxxx',
      withdrawn: '2024-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'demo' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
        },
      ],
    });
    assert.ok(a);
    assert.equal(matchAdvisory(a, 'demo', '1.0'), undefined);
    assert.equal(new AdvisoryIndex([a]).withdrawn, 1);
  });

  it('other ecosystems and GIT ranges are not matched', () => {
    assert.equal(
      parseAdvisory({
        id: 'X',
        affected: [{ package: { ecosystem: 'npm', name: 'demo' }, versions: ['1.0'] }],
      }),
      undefined,
    );
    const git = parseAdvisory({
      id: 'Y',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'demo' },
          ranges: [
            { type: 'GIT', repo: 'https://example.invalid/r', events: [{ introduced: '0' }] },
          ],
        },
      ],
    });
    assert.ok(git);
    assert.equal(matchAdvisory(git, 'demo', '1.0'), undefined);
  });

  it('aliases, fixed versions above the installed one, and the range as text', () => {
    const a = parseAdvisory({
      id: 'PYSEC-2024-1',
      aliases: ['CVE-2024-0001', 'GHSA-abcd-efgh-ijkl'],
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'demo' },
          ranges: [
            {
              type: 'ECOSYSTEM',
              events: [
                { introduced: '1.0' },
                { fixed: '1.4' },
                { introduced: '2.0' },
                { fixed: '2.1' },
              ],
            },
          ],
        },
      ],
    });
    assert.ok(a);
    const m = matchAdvisory(a, 'demo', '1.2');
    assert.deepEqual(a.aliases, ['CVE-2024-0001', 'GHSA-abcd-efgh-ijkl']);
    assert.deepEqual(m?.fixedIn, ['1.4', '2.1']);
    assert.deepEqual(m?.affectedRanges, ['>=1.0, <1.4; >=2.0, <2.1']);
  });

  it('an unreadable bound is read conservatively and says so', () => {
    const a = advisory([{ introduced: '0' }, { fixed: 'not a version' }]);
    const m = matchAdvisory(a, 'demo-pkg', '5.0');
    assert.ok(m);
    assert.match(m.uncertain ?? '', /"not a version" is not PEP 440/);
  });
});

describe('severity', () => {
  it('CVSS v3.1 base scores (FIRST examples) and levels', () => {
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), 9.8);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N'), 6.1);
    assert.equal(cvss3BaseScore('CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N'), 0);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N'), undefined);
  });

  it('CVSS v2 base score', () => {
    assert.equal(cvss2BaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P'), 7.5);
  });

  it('GitHub database_specific severity, and unknown ranks as critical', () => {
    assert.equal(severityOf([], 'MODERATE').level, 'medium');
    assert.equal(severityOf([{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' }], 'HIGH').level, 'high');
    assert.equal(severityOf([], undefined).level, 'unknown');
    assert.equal(severityRank('unknown'), severityRank('critical'));
    const s = severityOf(
      [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      'LOW',
    );
    assert.deepEqual([s.level, s.score], ['critical', 9.8]);
  });
});

describe('OSV snapshots', () => {
  const record = (id: string, name: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      id,
      modified: `2025-0${id.length % 9}-01T00:00:00Z`,
      affected: [
        {
          package: { ecosystem: 'PyPI', name },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }],
        },
      ],
      ...extra,
    });

  it('reads the per-ecosystem zip (one JSON per advisory)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-osv-'));
    const zip = join(dir, 'all.zip');
    writeFileSync(
      zip,
      buildZip([
        { name: 'PYSEC-1.json', data: Buffer.from(record('PYSEC-1', 'Demo')) },
        { name: 'GHSA-2.json', data: Buffer.from(record('GHSA-2', 'other'), 'utf8') },
        { name: 'broken.json', data: Buffer.from('{not json') },
      ]),
    );
    const snap = await readAdvisorySnapshot(zip);
    assert.equal(snap.advisories, 2);
    assert.equal(snap.skipped, 1);
    assert.deepEqual(snap.skippedExamples, ['broken.json']);
    assert.deepEqual(
      snap.index.match('demo', '1.0').map((m) => m.advisory.id),
      ['PYSEC-1'],
    );
  });

  it('reads a folder of JSON files and one JSON file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-osv-'));
    mkdirSync(join(dir, 'PyPI'));
    writeFileSync(join(dir, 'PyPI', 'A.json'), record('A', 'demo'));
    writeFileSync(join(dir, 'B.json'), record('B', 'demo'));
    const snap = await readAdvisorySnapshot(dir);
    assert.deepEqual(
      snap.index.match('demo', '1.5').map((m) => m.advisory.id),
      ['A', 'B'],
    );
    const one = await readAdvisorySnapshot(join(dir, 'B.json'));
    assert.equal(one.advisories, 1);
  });

  it('refuses what is not a snapshot, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-osv-'));
    writeFileSync(join(dir, 'x.zip'), 'hello');
    await assert.rejects(
      readAdvisorySnapshot(join(dir, 'x.zip')),
      (e: Error & { code: string }) => {
        assert.equal(e.code, 'ERR_FERRY_BAD_ADVISORIES');
        assert.match(e.message, /x\.zip/);
        return true;
      },
    );
    await assert.rejects(readAdvisorySnapshot(join(dir, 'missing')), /no such file or folder/);
  });
});
