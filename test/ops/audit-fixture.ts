/**
 * For the audit, why and report tests: the fixture bundle (demo-app 1.0 → demo-lib 2.0 →
 * demo-util 0.3, and demo-app → demo-util), its lock, and an OSV folder with one advisory for
 * demo-util (critical, a CVE alias, fixed in 0.4), one for demo-lib (moderate, no fix) and a
 * withdrawn one for demo-app.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPylock } from '../../src/bundle/pylock.js';
import { writeFixtureBundle } from '../bundle/fixture.js';
import { tempDir } from '../cli/run-cli.js';

export const UPLOAD_TIME = '2025-12-01T00:00:00.000Z';

export function fixtureLockText(): string {
  const deps: Record<string, string[]> = {
    'demo-app': ['demo-lib', 'demo-util'],
    'demo-lib': ['demo-util'],
    'demo-util': [],
  };
  const versions: Record<string, string> = {
    'demo-app': '1.0',
    'demo-lib': '2.0',
    'demo-util': '0.3',
  };
  return formatPylock({
    packages: Object.keys(deps).map((name) => ({
      name,
      version: versions[name]!,
      dependencies: deps[name]!.map((d) => ({ name: d })),
      wheels: [
        {
          name: `${name.replace('-', '_')}-${versions[name]}-py3-none-any.whl`,
          url: `http://127.0.0.1:1/files/${name.replace('-', '_')}-${versions[name]}-py3-none-any.whl`,
          uploadTime: UPLOAD_TIME,
          hashes: { sha256: '0'.repeat(64) },
        },
      ],
    })),
    tool: { ferry: { requirements: ['demo-app==1.0'] } },
  });
}

export function writeAdvisories(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const write = (id: string, record: Record<string, unknown>): void =>
    writeFileSync(
      join(dir, `${id}.json`),
      JSON.stringify({ id, modified: '2026-01-01T00:00:00Z', ...record }),
    );
  write('GHSA-util-0001', {
    aliases: ['CVE-2025-1111'],
    summary: 'demo-util evaluates its input',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    references: [{ type: 'ADVISORY', url: 'https://example.invalid/GHSA-util-0001' }],
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'Demo_Util' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0.4' }] }],
      },
    ],
  });
  write('PYSEC-2025-2', {
    summary: 'demo-lib leaks a path',
    database_specific: { severity: 'MODERATE' },
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'demo-lib' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0' }] }],
      },
    ],
  });
  write('GHSA-app-withdrawn', {
    withdrawn: '2025-06-01T00:00:00Z',
    affected: [{ package: { ecosystem: 'PyPI', name: 'demo-app' }, versions: ['1.0'] }],
  });
  return dir;
}

/** A bundle folder, its lock beside it, and the advisories folder. */
export async function auditFixture(): Promise<{
  bundle: string;
  lock: string;
  advisories: string;
  root: string;
}> {
  const root = tempDir('ferry-audit-');
  const bundle = join(root, 'bundle');
  const lockText = fixtureLockText();
  await writeFixtureBundle(bundle, join(root, 'cache'), { pylockToml: lockText });
  const lock = join(root, 'pylock.toml');
  writeFileSync(lock, lockText);
  return { bundle, lock, advisories: writeAdvisories(join(root, 'osv')), root };
}
