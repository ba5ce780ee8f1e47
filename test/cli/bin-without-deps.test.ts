/**
 * `node bin/ferry.js` in a checkout before `npm ci` says what to run, not a Node stack trace.
 * The checkout is copied (bin/, src/, data/, package.json) into a temporary folder with no
 * node_modules, so Node can find none of ferry's packages from there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';

function copyCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bare-'));
  for (const part of ['bin', 'src', 'data', 'package.json'])
    cpSync(part, join(dir, part), { recursive: true });
  return dir;
}

/** A node_modules folder above the temporary folder would let Node find the packages anyway. */
function modulesAbove(dir: string): string | undefined {
  for (let d = dirname(dir); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return join(d, 'node_modules');
    if (dirname(d) === d) return undefined;
  }
}

const above = modulesAbove(join(tmpdir(), 'x'));
const skip = above === undefined ? false : `${above} exists, so Node would find packages there`;

describe('bin/ferry.js without its packages installed', { skip }, () => {
  for (const variant of ['no node_modules', 'an empty node_modules'] as const) {
    it(`with ${variant}: names the missing packages and says to run npm ci there`, () => {
      const dir = copyCheckout();
      if (variant === 'an empty node_modules') mkdirSync(join(dir, 'node_modules'));
      for (const args of [['--version'], ['lock', 'numpy']]) {
        const r = spawnSync(process.execPath, [join(dir, 'bin', 'ferry.js'), ...args], {
          encoding: 'utf8',
          env: { ...process.env, NODE_PATH: '', NODE_OPTIONS: '' },
        });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /not installed \(.*tsx.*\)/);
        assert.ok(r.stderr.includes(`Run \`npm ci\` in ${dir}`), r.stderr);
        assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
        assert.equal(r.stdout, '');
      }
    });
  }
});
