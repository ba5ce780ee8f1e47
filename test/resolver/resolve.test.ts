import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import { resolve, type SourcedRequirement } from '../../src/resolver/resolve.js';
import type { MarkerEnvironment } from '../../src/standards/marker.js';
import { parseRequirement } from '../../src/standards/requirement.js';
import { parseVersion } from '../../src/standards/version.js';
import { type Table, TableProvider } from './table-provider.js';

const markers: MarkerEnvironment = {
  implementation_name: 'cpython',
  implementation_version: '3.11.7',
  os_name: 'posix',
  platform_machine: 'x86_64',
  platform_python_implementation: 'CPython',
  platform_release: '',
  platform_system: 'Linux',
  platform_version: '',
  python_full_version: '3.11.7',
  python_version: '3.11',
  sys_platform: 'linux',
};

const req = (text: string, source = 'the command line'): SourcedRequirement => ({
  requirement: parseRequirement(text),
  source,
});

async function solve(
  table: Table,
  requirements: string[],
  constraints: string[] = [],
  pre = false,
) {
  const provider = new TableProvider(table);
  const resolution = await resolve(
    requirements.map((r) => req(r)),
    {
      provider,
      markers,
      pythonVersion: parseVersion('3.11.7'),
      constraints: constraints.map((c) => req(c, 'constraints.txt:1')),
      prereleases: pre,
    },
  );
  return Object.fromEntries(resolution.packages.map((p) => [p.name, p.version]));
}

async function failure(table: Table, requirements: string[]): Promise<FerryError> {
  try {
    await solve(table, requirements);
  } catch (error) {
    assert.ok(error instanceof FerryError, String(error));
    return error;
  }
  assert.fail('expected the resolution to fail');
}

describe('resolver', () => {
  test('picks the newest versions of a simple closure', async () => {
    assert.deepEqual(
      await solve(
        { a: { '1.0': ['b'], '2.0': ['b>=2'] }, b: { '1.0': [], '2.0': [], '2.1': [] } },
        ['a'],
      ),
      {
        a: '2.0',
        b: '2.1',
      },
    );
  });

  test('backtracks when the newest version of a dependency clashes', async () => {
    const table: Table = {
      a: { '1.0': ['c<2'], '2.0': ['c>=3'] },
      b: { '1.0': ['c<3'] },
      c: { '1.0': [], '2.0': [], '3.0': [] },
    };
    assert.deepEqual(await solve(table, ['a', 'b']), { a: '1.0', b: '1.0', c: '1.0' });
  });

  test('extras add their dependencies, markers are evaluated for the target', async () => {
    const table: Table = {
      a: {
        '1.0': ['b; extra == "gpu"', 'c; sys_platform == "win32"', 'd; python_version >= "3.8"'],
      },
      b: { '1.0': [] },
      c: { '1.0': [] },
      d: { '1.0': [] },
    };
    assert.deepEqual(await solve(table, ['a[gpu]']), { a: '1.0', b: '1.0', d: '1.0' });
    assert.deepEqual(await solve(table, ['a']), { a: '1.0', d: '1.0' });
  });

  test('an extra requested later by a dependency is expanded on the pinned package', async () => {
    const table: Table = { a: { '1.0': ['x'] }, x: { '1.0': ['a[extra]'] }, e: { '1.0': [] } };
    (table.a as Record<string, readonly string[]>)['1.0'] = ['x', 'e; extra == "extra"'];
    assert.deepEqual(await solve(table, ['a']), { a: '1.0', e: '1.0', x: '1.0' });
  });

  test('constraints narrow versions but do not add projects', async () => {
    const table: Table = { a: { '1.0': ['b'] }, b: { '1.0': [], '2.0': [] }, z: { '1.0': [] } };
    assert.deepEqual(await solve(table, ['a'], ['b<2', 'z==1.0']), { a: '1.0', b: '1.0' });
  });

  test('pre-releases only when asked for, named, or nothing else fits', async () => {
    const table: Table = { a: { '1.0': [], '2.0rc1': [] }, b: { '1.0b1': [] } };
    assert.deepEqual(await solve(table, ['a']), { a: '1.0' });
    assert.deepEqual(await solve(table, ['a'], [], true), { a: '2.0rc1' });
    assert.deepEqual(await solve(table, ['a>=2.0rc1']), { a: '2.0rc1' });
    assert.deepEqual(await solve(table, ['b']), { b: '1.0b1' });
  });

  test('post-releases and local labels follow PEP 440 (CUDA variants)', async () => {
    const table: Table = {
      'paddlepaddle-gpu': { '2.6.2': [], '2.6.2.post112': [], '2.6.2.post120': [] },
      torch: { '2.1.2+cu118': [], '2.1.2+cpu': [] },
    };
    assert.deepEqual(await solve(table, ['paddlepaddle-gpu==2.6.2']), {
      'paddlepaddle-gpu': '2.6.2',
    });
    assert.deepEqual(await solve(table, ['paddlepaddle-gpu>=2.6.2']), {
      'paddlepaddle-gpu': '2.6.2.post120',
    });
    assert.deepEqual(await solve(table, ['paddlepaddle-gpu==2.6.2.post112']), {
      'paddlepaddle-gpu': '2.6.2.post112',
    });
    assert.equal((await solve(table, ['torch==2.1.2'])).torch?.startsWith('2.1.2+'), true);
  });

  test('yanked releases are skipped unless pinned exactly (PEP 592)', async () => {
    const table: Table = { a: { '1.0': [], '1.1': { yanked: true } } };
    assert.deepEqual(await solve(table, ['a']), { a: '1.0' });
    assert.deepEqual(await solve(table, ['a==1.1']), { a: '1.1' });
  });

  test('Requires-Python from metadata is respected', async () => {
    const table: Table = { a: { '1.0': [], '2.0': { requiresPython: '>=3.12' } } };
    assert.deepEqual(await solve(table, ['a']), { a: '1.0' });
    const error = await failure(table, ['a>=2']);
    assert.match(error.message, /requires another Python/);
    assert.match(error.message, />=3\.12/);
  });

  test('an unsatisfiable request names the clashing requirements and who asked for them', async () => {
    const table: Table = {
      a: { '1.0': ['c<2'] },
      b: { '1.0': ['c>=2'] },
      c: { '1.0': [], '2.0': [] },
    };
    const error = await failure(table, ['a', 'b']);
    assert.equal(error.code, 'ERR_FERRY_RESOLUTION_IMPOSSIBLE');
    assert.match(error.message, /c<2 +\(required by a 1\.0\)/);
    assert.match(error.message, /c>=2 +\(required by b 1\.0\)/);
    assert.match(error.message, /Versions with wheels for the target: 2\.0, 1\.0/);
    // PubGrub's phrasing of the same clash.
    assert.match(
      error.message,
      /Because a 1\.0 depends on c<2 and b 1\.0 depends on c>=2, a 1\.0 and b 1\.0 are incompatible\./,
    );
    assert.ok(error.hint);
  });

  test('a clash with the command line is explained with its source', async () => {
    const table: Table = { a: { '1.0': ['c<2'] }, c: { '1.0': [], '2.0': [] } };
    const error = await failure(table, ['a', 'c>=2']);
    assert.match(error.message, /c>=2 +\(required by the command line\)/);
    assert.match(error.message, /c<2 +\(required by a 1\.0\)/);
    assert.match(
      error.message,
      /Because you require c>=2 and a 1\.0 depends on c<2, a 1\.0 cannot be used with your requirements\./,
    );
  });

  test('a requirement no available version satisfies says what is available', async () => {
    const error = await failure({ a: { '1.0': ['c>=3'] }, c: { '1.0': [], '2.0': [] } }, ['a']);
    assert.match(
      error.message,
      /Because only c 2\.0, 1\.0 have wheels for the target and a 1\.0 depends on c>=3, a 1\.0 cannot be used\./,
    );
  });

  test('an unknown project suggests close names', async () => {
    const error = await failure({ paddlepaddle: { '1.0': [] } }, ['paddlepadle']);
    assert.equal(error.code, 'ERR_FERRY_UNKNOWN_PROJECT');
    assert.match(error.message, /"paddlepadle"/);
    assert.match(error.hint ?? '', /Did you mean "paddlepaddle"/);
  });

  test('backjumping skips decisions that did not cause a clash', async () => {
    // u is decided early and has nothing to do with the clash between c and d over z;
    // without backjumping all 20 versions of b would be retried under each of u's 10 versions.
    const u: Record<string, readonly string[]> = {};
    for (let i = 0; i < 10; i++) u[`1.${i}`] = [];
    const b: Record<string, readonly string[]> = {};
    for (let i = 0; i < 20; i++) b[`1.${i}`] = ['c'];
    const table: Table = {
      u,
      a: { '1.0': ['b'] },
      b,
      c: { '1.0': ['z<1', 'd'] },
      d: { '1.0': ['z>=1'] },
      z: { '0.5': [], '2.0': [] },
    };
    const provider = new TableProvider(table);
    await assert.rejects(
      resolve([req('u'), req('a')], {
        provider,
        markers,
        pythonVersion: parseVersion('3.11.7'),
        maxDecisions: 300,
      }),
      (error: unknown) =>
        error instanceof FerryError &&
        error.code === 'ERR_FERRY_RESOLUTION_IMPOSSIBLE' &&
        /z>=1/.test(error.message),
    );
  });

  test('a project pinned before a later requirement excluded it is decided again last, not every version above the clash', async () => {
    // d is decided early (fewest candidates) at 2.0; every mid then needs d<2. Retrying each of
    // top's 30 versions × mid's 30 versions (what botocore's python-dateutil<3 against a
    // python-dateutil 4 pinned for pandas did under boto3) ran out of decisions; the search now
    // restarts with d decided after the others, and keeps the newest top and mid.
    const top: Record<string, readonly string[]> = {};
    const mid: Record<string, readonly string[]> = {};
    for (let i = 0; i < 30; i++) {
      top[`1.${i}`] = ['mid'];
      mid[`1.${i}`] = ['d<2'];
    }
    const table: Table = { p: { '1.0': ['d'] }, d: { '1.0': [], '2.0': [] }, top, mid };
    const resolution = await resolve([req('p'), req('top')], {
      provider: new TableProvider(table),
      markers,
      pythonVersion: parseVersion('3.11.7'),
      maxDecisions: 300,
    });
    const versions = Object.fromEntries(resolution.packages.map((p) => [p.name, p.version]));
    assert.deepEqual(versions, { d: '1.0', mid: '1.29', p: '1.0', top: '1.29' });
    assert.ok(resolution.decisions <= 12, `${resolution.decisions} decisions`);
  });

  test('several targets: one set of versions, and each package knows which targets need it', async () => {
    const table: Table = {
      a: {
        '1.0': [
          'lin; sys_platform == "linux"',
          'win; sys_platform == "win32"',
          'old; python_version < "3.10"',
        ],
        '2.0': { deps: [], requiresPython: '>=3.10' },
      },
      lin: { '1.0': [] },
      win: { '1.0': [] },
      old: { '1.0': [] },
    };
    const provider = new TableProvider(table, 2);
    const windows: MarkerEnvironment = {
      ...markers,
      sys_platform: 'win32',
      platform_system: 'Windows',
      os_name: 'nt',
      python_version: '3.9',
      python_full_version: '3.9.13',
    };
    const resolution = await resolve([req('a')], {
      provider,
      environments: [
        { name: 'linux-py311', markers, pythonVersion: parseVersion('3.11.7') },
        { name: 'win-py39', markers: windows, pythonVersion: parseVersion('3.9.13') },
      ],
    });
    const got = Object.fromEntries(
      resolution.packages.map((p) => [p.name, `${p.version} ${p.targets.join('+')}`]),
    );
    // a 2.0 needs Python >= 3.10, which the Windows target lacks: 1.0 serves both.
    assert.deepEqual(got, {
      a: '1.0 linux-py311+win-py39',
      lin: '1.0 linux-py311',
      old: '1.0 win-py39',
      win: '1.0 win-py39',
    });
  });
});

describe('walking ahead of the search', () => {
  test('the pages below a project are asked for while the search waits on another page', async () => {
    // The search chooses among the undecided projects once it has every one's candidates, so
    // a slow page (aaa-slow) holds it up; meanwhile the newest version of mid is walked ahead
    // and leaf, two levels down, is asked for before the slow page arrives.
    let release: () => void = () => {};
    const slowArrived = new Promise<void>((r) => {
      release = r;
    });
    class SlowPage extends TableProvider {
      override async candidates(name: Parameters<TableProvider['candidates']>[0]) {
        if (name === 'aaa-slow') await slowArrived;
        return super.candidates(name);
      }
    }
    const provider = new SlowPage({
      app: { '1.0': ['aaa-slow', 'mid'] },
      'aaa-slow': { '1.0': [] },
      mid: { '1.0': ['leaf>=1'], '2.0': ['leaf>=2'] },
      leaf: { '1.0': [], '2.0': [] },
    });
    const resolving = resolve([req('app')], {
      provider,
      markers,
      pythonVersion: parseVersion('3.11.7'),
    });
    for (let i = 0; i < 200 && !provider.asked.includes('leaf'); i++)
      await new Promise((r) => setTimeout(r, 1));
    const askedBeforeTheSlowPage = provider.asked.includes('leaf');
    release();
    const resolution = await resolving;
    assert.ok(askedBeforeTheSlowPage, `asked: ${provider.asked.join(', ')}`);
    assert.deepEqual(Object.fromEntries(resolution.packages.map((p) => [p.name, p.version])), {
      app: '1.0',
      'aaa-slow': '1.0',
      mid: '2.0',
      leaf: '2.0',
    });
  });
});
