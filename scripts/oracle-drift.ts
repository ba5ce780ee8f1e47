/**
 * Oracle drift: would ferry still agree with Python's `packaging` if its pin were upgraded?
 *
 * The tests hold ferry to the packaging release pinned in test/oracles.txt. This script makes a
 * throwaway venv with the newest packaging on the index pip is configured to use (no pin, no
 * hashes), runs every test file that asks for the oracle against it (FERRY_ORACLE_PYTHON), and
 * prints which suites fail with the first lines of what they report. It also lists, for every
 * pin in test/oracles.txt, the newest release on the index. Not part of `npm test`: what it
 * finds is the work of a deliberate pin upgrade.
 *
 *   npm run oracle-drift                      # exit status 1 when a suite disagrees
 *   npm run oracle-drift -- --packaging 26.5  # try one release instead of the newest
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  hostPython,
  PIN_FILE,
  pinnedVenvNames,
  pinnedVersions,
  venvPython,
} from '../test/helpers/pinned-venv.js';

/** Lines of each failure's message to show. */
const EXAMPLE_LINES = 14;

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return testFiles(path);
    return entry.endsWith('.test.ts') ? [path] : [];
  });
}

/** The suites that compare ferry with the oracle: every test file that calls ensureOracle(). */
function oracleSuites(): string[] {
  return testFiles('test')
    .filter((file) => readFileSync(file, 'utf8').includes('ensureOracle('))
    .sort();
}

interface Failure {
  file: string;
  test: string;
  message: string[];
}

/** The failed tests in Node's TAP output, with their files and messages. */
function failuresFromTap(tap: string): Failure[] {
  const lines = tap.split('\n');
  const failures: Failure[] = [];
  lines.forEach((line, i) => {
    const head = /^(\s*)not ok \d+ - (.*)$/.exec(line);
    if (head === null) return;
    const indent = head[1]!.length + 2;
    const yaml: string[] = [];
    for (let j = i + 2; j < lines.length && lines[j]!.trim() !== '...'; j++) {
      yaml.push(lines[j]!.slice(indent));
    }
    const field = (key: string) =>
      yaml.find((l) => l.startsWith(`${key}: `))?.slice(key.length + 2);
    if (field('failureType') === "'subtestsFailed'") return;
    const location = field('location')
      ?.replace(/^'|'$/g, '')
      .replace(/:\d+:\d+$/, '');
    let message: string[] = [];
    const errorAt = yaml.findIndex((l) => l.startsWith('error: '));
    if (errorAt >= 0) {
      const value = yaml[errorAt]!.slice('error: '.length);
      if (value === '|-' || value === '|') {
        for (let k = errorAt + 1; k < yaml.length && /^(\s{2}|$)/.test(yaml[k]!); k++) {
          message.push(yaml[k]!.slice(2));
        }
      } else {
        message = [value.replace(/^'|'$/g, '').replace(/''/g, "'")];
      }
    }
    failures.push({
      file: location === undefined ? head[2]! : relative(process.cwd(), location),
      test: head[2]!,
      message: message.filter((l, k) => l.trim() !== '' || k < message.length - 1),
    });
  });
  return failures;
}

/** The newest release of `name` on the configured index, from `pip index versions`. */
function newestRelease(python: string, name: string): string {
  const result = spawnSync(python, ['-m', 'pip', 'index', 'versions', name], {
    encoding: 'utf8',
    env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
  });
  const newest = new RegExp(`^${name}\\s+\\(([^)]+)\\)`, 'im').exec(result.stdout)?.[1];
  return newest ?? `unknown (pip index versions: ${result.stderr.trim().split('\n').pop()})`;
}

function main(): number {
  const work = mkdtempSync(join(tmpdir(), 'ferry-oracle-drift-'));
  try {
    const venv = join(work, 'venv');
    const python = venvPython(venv);
    execFileSync(hostPython, ['-m', 'venv', venv], { stdio: 'inherit' });
    // The newest release the configured index offers (or the one asked for): deliberately no
    // pin file and no hashes.
    const asked = process.argv.indexOf('--packaging');
    const requirement = asked > 0 ? `packaging==${process.argv[asked + 1]}` : 'packaging';
    execFileSync(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', requirement],
      { stdio: ['ignore', process.stderr, 'inherit'] },
    );
    const newest = execFileSync(python, ['-c', 'import packaging; print(packaging.__version__)'], {
      encoding: 'utf8',
    }).trim();
    const pinned = pinnedVersions('oracle-venv').find((p) => p.startsWith('packaging=='));

    const suites = oracleSuites();
    console.log(
      `oracle drift: ${suites.length} suites against packaging ${newest} (${asked > 0 ? 'as asked' : 'newest on the index'}; the pin is ${pinned})\n`,
    );
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-concurrency=2', ...suites],
      {
        encoding: 'utf8',
        maxBuffer: 256 << 20,
        env: { ...process.env, FERRY_ORACLE_PYTHON: python },
      },
    );
    const failures = failuresFromTap(run.stdout);
    const failedFiles = new Set(failures.map((f) => f.file));
    for (const suite of suites) {
      console.log(`${failedFiles.has(suite) ? '✖' : '✔'} ${suite}`);
      for (const failure of failures.filter((f) => f.file === suite)) {
        console.log(`    ${failure.test}`);
        for (const line of failure.message.slice(0, EXAMPLE_LINES)) console.log(`      ${line}`);
        if (failure.message.length > EXAMPLE_LINES) {
          console.log(`      ... (${failure.message.length - EXAMPLE_LINES} more lines)`);
        }
      }
    }
    // Failures outside the known files (a crash before any test ran, say).
    for (const failure of failures.filter((f) => !suites.includes(f.file))) {
      console.log(`✖ ${failure.file}: ${failure.test}`);
      for (const line of failure.message.slice(0, EXAMPLE_LINES)) console.log(`      ${line}`);
    }
    const drifted = failures.length > 0 || run.status !== 0;
    console.log(
      drifted
        ? `\n${failedFiles.size} of ${suites.length} suites disagree with packaging ${newest}.`
        : `\nNo drift: every suite agrees with packaging ${newest}.`,
    );

    console.log(`\nNewest releases of the pins in ${relative(process.cwd(), PIN_FILE)}:`);
    for (const section of pinnedVenvNames()) {
      for (const pin of pinnedVersions(section)) {
        const [name, version] = pin.split('==') as [string, string];
        const latest = newestRelease(python, name);
        const note = latest === version ? 'current' : `newest ${latest}`;
        console.log(`  ${pin.padEnd(22)} ${section.padEnd(20)} ${note}`);
      }
    }
    return drifted ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = main();
