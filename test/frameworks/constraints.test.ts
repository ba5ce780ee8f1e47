/**
 * The chooser honours the lock's constraints (-c files, PIP_CONSTRAINT, pip.conf's
 * `constraint`): pip applies them to every requirement, `--framework`'s pin too, so a release
 * they exclude is never chosen, and a constraint that excludes every release is a refusal that
 * names the file it is written in.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Availability,
  availabilityKey,
  type ProjectFiles,
} from '../../src/frameworks/availability.js';
import { explainChoice } from '../../src/frameworks/choose.js';
import { loadFrameworkTable } from '../../src/frameworks/table.js';
import type { SourcedConstraint } from '../../src/frameworks/variants.js';
import { parseRequirement } from '../../src/standards/requirement.js';
import { isolatedEnv, runCli, tempDir } from '../cli/run-cli.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { hostProfile } from './target-profiles.js';

const TAG = 'cp311-cp311-manylinux_2_28_x86_64';
const CPU_INDEX = loadFrameworkTable().indexes['pytorch-cpu'] as string;

/** A mirror of PyTorch's CPU index holding 2.15.0+cpu and 2.14.1+cpu, as discovered. */
const MIRROR: Availability = {
  lists: new Map<string, ProjectFiles>([
    [
      availabilityKey(CPU_INDEX, 'torch'),
      {
        index: CPU_INDEX,
        project: 'torch',
        files: [`torch-2.15.0+cpu-${TAG}.whl`, `torch-2.14.1+cpu-${TAG}.whl`],
        origin: 'index',
      },
    ],
  ]),
  unreachable: new Map(),
  configured: new Map(),
};

const constraint = (text: string, source: string): SourcedConstraint => ({
  requirement: parseRequirement(text),
  source,
});

const choose = (constraints: readonly SourcedConstraint[], version?: string) =>
  explainChoice({
    framework: 'torch',
    cuda: 'cpu',
    profile: hostProfile({ os: 'Ubuntu 22.04', libc: 'glibc 2.35', python: '3.11.9' }),
    availability: MIRROR,
    constraints,
    ...(version === undefined ? {} : { version }),
  });

describe('the chooser honours the lock constraints', () => {
  it('without a constraint: the newest release the mirror holds (2.15.0+cpu)', () => {
    const got = choose([]);
    assert.ok('choice' in got, JSON.stringify(got));
    assert.equal(got.choice.requirement, 'torch==2.15.0+cpu');
  });

  it('torch<=2.14.1: chooses 2.14.1+cpu and says the constraint excluded 2.15.0', () => {
    const got = choose([constraint('torch<=2.14.1', '/etc/pip-constraints.txt:1')]);
    assert.ok('choice' in got, JSON.stringify(got));
    assert.equal(got.choice.requirement, 'torch==2.14.1+cpu');
    const note = got.choice.notes.find((n) => n.includes('constraint'));
    assert.ok(note !== undefined, got.choice.notes.join('\n'));
    assert.match(note, /torch==2\.15\.0\+cpu is excluded by the constraint torch<=2\.14\.1/);
    assert.match(note, /\/etc\/pip-constraints\.txt:1/);
    assert.match(note, /chose PyTorch 2\.14\.1/);
  });

  it('a constraint whose marker is false for the target does not apply', () => {
    const got = choose([
      constraint('torch<=2.14.1; python_version < "3.10"', '/etc/pip-constraints.txt:1'),
    ]);
    assert.ok('choice' in got, JSON.stringify(got));
    assert.equal(got.choice.requirement, 'torch==2.15.0+cpu');
  });

  it('a constraint excluding every release: a refusal naming the constraint file', () => {
    const got = choose([constraint('torch<1', '/srv/constraints/site.txt:4')]);
    assert.ok(!('choice' in got), JSON.stringify(got));
    assert.equal(got.code, 'ERR_FERRY_VARIANT_CONSTRAINED');
    assert.match(
      got.message,
      /excluded by the constraint torch<1 \(\/srv\/constraints\/site\.txt:4\)/,
    );
    assert.match(got.hint, /loosen the constraint in \/srv\/constraints\/site\.txt/);
    assert.deepEqual(got.alternatives, []);
  });

  it('a release named with --framework-version that a constraint excludes is refused', () => {
    const got = choose([constraint('torch<=2.14.1', 'c.txt:2')], '2.15.0');
    assert.ok(!('choice' in got), JSON.stringify(got));
    assert.equal(got.code, 'ERR_FERRY_VARIANT_CONSTRAINED');
    assert.match(
      got.message,
      /torch==2\.15\.0\+cpu is excluded by the constraint torch<=2\.14\.1 \(c\.txt:2\)/,
    );
  });
});

describe('ferry lock --framework with a -c constraint file', () => {
  let mirror: LocalIndex;
  let configured: LocalIndex;
  const work = tempDir('ferry-constraint-');
  before(async () => {
    mirror = await startLocalIndex([
      { name: 'torch', version: '2.15.0+cpu', tag: TAG },
      { name: 'torch', version: '2.14.1+cpu', tag: TAG },
    ]);
    configured = await startLocalIndex([{ name: 'six', version: '1.16.0', tag: 'py3-none-any' }]);
  });
  after(async () => {
    await mirror.close();
    await configured.close();
  });

  const lock = (constraints: string, out: string) => {
    const file = join(work, `${out}.txt`);
    writeFileSync(file, `${constraints}\n`);
    return {
      file,
      result: runCli(
        [
          'lock',
          '--framework',
          'torch',
          '--cuda',
          'cpu',
          '--python',
          '3.11',
          '--glibc',
          '2.35',
          '--index-url',
          configured.url,
          '--index',
          `pytorch-cpu=${mirror.url}`,
          '--isolated',
          '-c',
          file,
          '-o',
          join(work, `${out}.toml`),
        ],
        { env: isolatedEnv(join(work, 'cache')) },
      ),
    };
  };

  it('torch<=2.14.1 locks torch 2.14.1+cpu from the mirror, and says why', async () => {
    const { result: running } = lock('torch<=2.14.1', 'le');
    const result = await running;
    assert.equal(result.code, 0, result.stderr);
    const text = readFileSync(join(work, 'le.toml'), 'utf8');
    assert.match(text, /name = "torch"\s*\nversion = "2\.14\.1\+cpu"/);
    assert.match(result.stderr, /excluded by the constraint torch<=2\.14\.1/);
    assert.match(result.stderr, /chose PyTorch 2\.14\.1/);
  });

  it('a constraint excluding every release: refused (exit 3), naming the file', async () => {
    const { file, result: running } = lock('torch<1', 'none');
    const result = await running;
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /excluded by the constraint torch<1/);
    assert.ok(result.stderr.includes(file), result.stderr);
  });
});
