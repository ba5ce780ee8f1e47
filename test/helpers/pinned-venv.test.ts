import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  PIN_FILE,
  pinDigest,
  pinnedRequirements,
  pinnedVenvNames,
  pinnedVenvPath,
  pinnedVersions,
} from './pinned-venv.js';

const SAMPLE = `# header
# venv: one
# a comment inside the section
alpha==1.0 \\
    --hash=sha256:${'a'.repeat(64)}

# venv: two
beta==2.0 --hash=sha256:${'b'.repeat(64)}
gamma==3.0 \\
    --hash=sha256:${'c'.repeat(64)} \\
    --hash=sha256:${'d'.repeat(64)}
`;

describe('test/oracles.txt', () => {
  const text = readFileSync(PIN_FILE, 'utf8');

  it('has a section for each venv the tests and the benchmark make, and no other', () => {
    const asked = new Set<string>();
    const scan = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) scan(path);
        else if (/\.(?:ts|mjs)$/.test(entry))
          for (const m of readFileSync(path, 'utf8').matchAll(/ensurePinnedVenv\('([a-z0-9-]+)'/g))
            asked.add(m[1]!);
      }
    };
    scan('test');
    scan('scripts');
    assert.ok(asked.has('oracle-venv') && asked.has('bench-venv'), 'the scan sees the callers');
    assert.deepEqual([...pinnedVenvNames(text)].sort(), [...asked].sort());
  });

  it('pins every requirement exactly, each with SHA-256 hashes pip can require', () => {
    for (const venv of pinnedVenvNames(text)) {
      const requirements = pinnedRequirements(venv, text).replace(/\\\n/g, ' ').trim().split('\n');
      for (const line of requirements) {
        const [pin, ...options] = line.trim().split(/\s+/);
        assert.match(pin!, /^[A-Za-z0-9._-]+==[A-Za-z0-9.!+]+$/, `${venv}: ${line}`);
        assert.ok(options.length > 0, `${venv}: ${pin} has no hash`);
        for (const option of options) {
          assert.match(option, /^--hash=sha256:[0-9a-f]{64}$/, `${venv}: ${pin}`);
        }
      }
    }
  });

  it('pins the packaging the differential tests are written against', () => {
    assert.deepEqual(pinnedVersions('oracle-venv', text), ['packaging==26.4']);
    assert.deepEqual(pinnedVersions('oracle-venv-legacy', text), ['packaging==21.3']);
    assert.match(pinnedVersions('bench-venv', text)[0]!, /^uv==/);
  });

  it('says that upgrading a pin is deliberate, and what watches for new releases', () => {
    assert.match(text, /^# Upgrading a pin is a deliberate change/m);
    assert.match(text, /`npm run oracle-drift`/);
  });
});

describe('pinnedRequirements', () => {
  it('takes the lines of one section only, continuations kept, comments left out', () => {
    assert.equal(
      pinnedRequirements('one', SAMPLE),
      `alpha==1.0 \\\n    --hash=sha256:${'a'.repeat(64)}\n`,
    );
    assert.deepEqual(pinnedVersions('two', SAMPLE), ['beta==2.0', 'gamma==3.0']);
  });

  it('refuses a section that is not there or is empty', () => {
    assert.throws(
      () => pinnedRequirements('three', SAMPLE),
      /no requirements under "# venv: three"/,
    );
    assert.throws(() => pinnedRequirements('one', '# venv: one\n# nothing\n'), /no requirements/);
  });

  it('names the venv by a digest of its lines: a changed pin gets a new venv', () => {
    const changed = SAMPLE.replace('alpha==1.0', 'alpha==1.1');
    assert.notEqual(pinnedVenvPath('one', SAMPLE), pinnedVenvPath('one', changed));
    assert.equal(pinnedVenvPath('two', SAMPLE), pinnedVenvPath('two', changed));
    assert.match(pinnedVenvPath('one', SAMPLE), /[/\\]\.ferry-work[/\\]one-[0-9a-f]{12}$/);
    assert.equal(pinDigest('x'), pinDigest('x'));
    assert.notEqual(pinDigest('x'), pinDigest('y'));
  });
});

describe('Python packages are installed from an index only through the pins', () => {
  /** `pip install` calls must be offline, a dry run, or hash-checked (pinned-venv.ts). */
  // Safe: offline, a dry run, hash-checked, or from the test's own index on 127.0.0.1 (an
  // --index-url given by a variable; the machine's configured index is never named in code).
  const SAFE = /--no-index|--dry-run|--require-hashes|'--index-url',\s*(?:`\$\{|[A-Za-z_])/;
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return entry === 'fixtures' ? [] : files(path);
      return /\.(?:ts|mjs|sh)$/.test(entry) ? [path] : [];
    });

  it('in test/ and scripts/', () => {
    const offenders: string[] = [];
    let calls = 0;
    for (const file of [...files('test'), ...files('scripts')]) {
      // oracle-drift installs the newest packaging on purpose: it is the watcher for new releases.
      if (file.endsWith('pinned-venv.test.ts') || file.endsWith('oracle-drift.ts')) continue;
      const text = readFileSync(file, 'utf8');
      // In code: 'pip', 'install' or .../pip'), ['install'; in shell scripts: pip install.
      const call = file.endsWith('.sh')
        ? /^[^#\n]*\bpip3? install\b/gm
        : /['"]pip['"]\)?,\s*\[?\s*['"]install['"]/g;
      for (const match of text.matchAll(call)) {
        calls++;
        const window = text.slice(match.index, match.index + 800);
        if (!SAFE.test(window)) {
          offenders.push(`${file}:${text.slice(0, match.index).split('\n').length}`);
        }
      }
    }
    assert.ok(calls >= 2, `found only ${calls} pip install calls; the scan no longer sees them`);
    assert.deepEqual(offenders, [], 'unpinned pip install: add the package to test/oracles.txt');
  });
});
