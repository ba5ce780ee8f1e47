import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import { redactUrl } from '../../src/core/redact.js';
import {
  allowedFormats,
  applyFormatValue,
  type FormatControl,
} from '../../src/index/format-control.js';
import {
  loadIndexSettings,
  type PipConfigIo,
  readPipConfiguration,
  resolutionSettingsFrom,
  toLocationUrl,
} from '../../src/index/pip-config.js';

const DEFAULT = 'https://default.invalid/simple/';

/** An in-memory file system; the real /etc and ~ are never read. */
function fakeIo(files: Record<string, string>, prefix = '/venv'): PipConfigIo {
  return {
    readFile: async (path) => files[path],
    pythonDefaultIndex: async () => DEFAULT,
    pythonPrefix: async () => prefix,
    cwd: '/work/here',
  };
}

const HOME = { HOME: '/home/u' };

describe('loadIndexSettings: pip precedence', () => {
  const cases: {
    name: string;
    files: Record<string, string>;
    env?: NodeJS.ProcessEnv;
    overrides?: Parameters<typeof loadIndexSettings>[0];
    expect: Partial<{
      indexUrl: string;
      extraIndexUrls: string[];
      findLinks: string[];
      noIndex: boolean;
    }>;
  }[] = [
    {
      name: 'nothing configured: pip default',
      files: {},
      expect: { indexUrl: DEFAULT, extraIndexUrls: [], findLinks: [], noIndex: false },
    },
    {
      name: 'global < user < site < PIP_CONFIG_FILE',
      files: {
        '/etc/xdg/pip/pip.conf':
          '[global]\nindex-url = https://a/simple\nextra-index-url = https://x/1\n',
        '/etc/pip.conf': '[global]\nindex-url = https://b/simple\n',
        '/home/u/.pip/pip.conf': '[global]\nindex-url = https://c/simple\n',
        '/home/u/.config/pip/pip.conf': '[global]\nindex-url = https://d/simple\n',
        '/venv/pip.conf': '[global]\nindex-url = https://e/simple\n',
      },
      expect: { indexUrl: 'https://e/simple', extraIndexUrls: ['https://x/1'] },
    },
    {
      name: 'XDG_CONFIG_DIRS entries and XDG_CONFIG_HOME',
      files: {
        '/xdg1/pip/pip.conf': '[global]\nindex-url = https://one/simple\n',
        '/xdg2/pip/pip.conf': '[global]\nextra-index-url = https://two/simple\n',
        '/cfg/pip/pip.conf': '[global]\nfind-links = https://three/links\n',
      },
      env: { XDG_CONFIG_DIRS: '/xdg1:/xdg2', XDG_CONFIG_HOME: '/cfg' },
      expect: {
        indexUrl: 'https://one/simple',
        extraIndexUrls: ['https://two/simple'],
        findLinks: ['https://three/links'],
      },
    },
    {
      name: '[install] beats [global] in any file; env beats both',
      files: {
        '/venv/pip.conf': '[global]\nindex-url = https://site-global/simple\n',
        '/etc/pip.conf':
          '[install]\nindex_url = https://etc-install/simple\n[download]\nindex-url = https://ignored/simple\n',
      },
      expect: { indexUrl: 'https://etc-install/simple' },
    },
    {
      name: 'environment variables over files; lists split on whitespace and replace',
      files: {
        '/etc/pip.conf':
          '[global]\nextra-index-url = https://f/1\nfind-links = /a\nno-index = yes\n',
      },
      env: {
        PIP_EXTRA_INDEX_URL: 'https://e/1  https://e/2',
        PIP_FIND_LINKS: 'rel/dir',
        PIP_NO_INDEX: 'false',
      },
      expect: {
        extraIndexUrls: ['https://e/1', 'https://e/2'],
        findLinks: ['file:///work/here/rel/dir'],
        noIndex: false,
      },
    },
    {
      name: 'multi-line values (indented continuation) in a file',
      files: { '/etc/pip.conf': '[global]\nextra-index-url =\n    https://m/1\n    https://m/2\n' },
      expect: { extraIndexUrls: ['https://m/1', 'https://m/2'] },
    },
    {
      name: 'PIP_CONFIG_FILE that exists skips the user files but not global/site',
      files: {
        '/etc/pip.conf': '[global]\nextra-index-url = https://global/1\n',
        '/home/u/.config/pip/pip.conf': '[global]\nfind-links = https://user/links\n',
        '/custom.conf': '[global]\nindex-url = https://custom/simple\n',
      },
      env: { PIP_CONFIG_FILE: '/custom.conf' },
      expect: {
        indexUrl: 'https://custom/simple',
        extraIndexUrls: ['https://global/1'],
        findLinks: [],
      },
    },
    {
      name: 'PIP_CONFIG_FILE=/dev/null loads no file, env vars still count',
      files: { '/etc/pip.conf': '[global]\nindex-url = https://etc/simple\n' },
      env: { PIP_CONFIG_FILE: '/dev/null', PIP_FIND_LINKS: 'https://env/links' },
      expect: { indexUrl: DEFAULT, findLinks: ['https://env/links'] },
    },
    {
      name: 'isolated ignores user files and env vars',
      files: {
        '/etc/pip.conf': '[global]\nindex-url = https://etc/simple\n',
        '/home/u/.config/pip/pip.conf': '[global]\nindex-url = https://user/simple\n',
      },
      env: { PIP_INDEX_URL: 'https://env/simple' },
      overrides: { isolated: true },
      expect: { indexUrl: 'https://etc/simple' },
    },
    {
      name: 'command line: index-url replaces, list options append (optparse append), no-index',
      files: { '/etc/pip.conf': '[global]\nextra-index-url = https://f/1\n' },
      env: { PIP_INDEX_URL: 'https://env/simple' },
      overrides: {
        indexUrl: 'https://cli/simple',
        extraIndexUrls: ['https://cli/2'],
        findLinks: ['~/wheels'],
        noIndex: true,
      },
      expect: {
        indexUrl: 'https://cli/simple',
        extraIndexUrls: ['https://f/1', 'https://cli/2'],
        findLinks: ['file:///home/u/wheels'],
        noIndex: true,
      },
    },
    {
      // pip merges files first (the empty value wins the merge), then skips empty values.
      name: 'an empty value in a later file hides the earlier one, then is ignored',
      files: {
        '/etc/pip.conf': '[global]\nindex-url = https://etc/simple\n',
        '/venv/pip.conf': '[global]\nindex-url =\n',
      },
      expect: { indexUrl: DEFAULT },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const settings = await loadIndexSettings(c.overrides, { ...HOME, ...c.env }, fakeIo(c.files));
      for (const [key, value] of Object.entries(c.expect)) {
        assert.deepEqual((settings as unknown as Record<string, unknown>)[key], value, key);
      }
    });
  }

  it('says where values came from', async () => {
    const settings = await loadIndexSettings(
      {},
      { ...HOME, PIP_FIND_LINKS: '/x' },
      fakeIo({ '/etc/pip.conf': '[global]\nindex-url = https://e/s\n' }),
    );
    assert.deepEqual(settings.sources, [
      'index-url from /etc/pip.conf [global]',
      'find-links from PIP_FIND_LINKS',
    ]);
  });

  it('no index configured and pip unavailable → ERR_FERRY_NO_INDEX with a hint', async () => {
    const io: PipConfigIo = {
      readFile: async () => undefined,
      pythonDefaultIndex: async () => {
        throw new Error('no python');
      },
    };
    await assert.rejects(
      loadIndexSettings({}, HOME, io),
      (e: unknown) =>
        e instanceof FerryError &&
        e.code === 'ERR_FERRY_NO_INDEX' &&
        /--index-url/.test(e.hint ?? ''),
    );
  });

  it('no-index needs no default index', async () => {
    const io: PipConfigIo = {
      readFile: async () => undefined,
      pythonDefaultIndex: async () => {
        throw new Error('no python');
      },
    };
    const settings = await loadIndexSettings({ noIndex: true, findLinks: ['/w'] }, HOME, io);
    assert.equal(settings.indexUrl, '');
    assert.deepEqual(settings.findLinks, ['file:///w']);
  });

  it('a bad boolean is an error naming the key and file', async () => {
    await assert.rejects(
      loadIndexSettings({}, HOME, fakeIo({ '/etc/pip.conf': '[global]\nno-index = maybe\n' })),
      (e: unknown) =>
        e instanceof FerryError &&
        e.code === 'ERR_FERRY_PIP_CONFIG' &&
        e.message.includes('/etc/pip.conf'),
    );
  });

  it('toLocationUrl keeps URLs and turns paths into file URLs', () => {
    assert.equal(toLocationUrl('https://h/s', '/c', '/h'), 'https://h/s');
    assert.equal(toLocationUrl('file:///x', '/c', '/h'), 'file:///x');
    assert.equal(toLocationUrl('./w', '/c', '/h'), 'file:///c/w');
    assert.equal(toLocationUrl('~/w', '/c', '/h'), 'file:///h/w');
  });
});

describe('loadIndexSettings agrees with the real pip on this machine', () => {
  it('"Looking in indexes/links" of pip download -v equals the loaded settings', async () => {
    const python = process.env.FERRY_PYTHON ?? 'python3';
    const dest = mkdtempSync(join(tmpdir(), 'ferry-pipdl-'));
    try {
      const run = spawnSync(
        python,
        [
          '-m',
          'pip',
          'download',
          '-v',
          '--no-deps',
          '--retries',
          '0',
          '--timeout',
          '2',
          '-d',
          dest,
          'zzz-ferry-no-such-project',
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
      const out = `${run.stdout}\n${run.stderr}`;
      const settings = await loadIndexSettings();
      const indexes = /^Looking in indexes: (.*)$/m.exec(out)?.[1]?.split(', ');
      const links = /^Looking in links: (.*)$/m.exec(out)?.[1]?.split(', ') ?? [];
      const home = process.env.HOME ?? '/';
      const ours = [settings.indexUrl, ...settings.extraIndexUrls].map(redactUrl);
      // pip prints the index line only when it is not just its own default.
      if (indexes !== undefined)
        assert.deepEqual(
          ours,
          indexes.map((u) => toLocationUrl(u, process.cwd(), home)),
        );
      else assert.deepEqual(settings.extraIndexUrls, []);
      assert.deepEqual(
        settings.findLinks.map(redactUrl),
        links.map((u) => toLocationUrl(u, process.cwd(), home)),
      );
      assert.equal(settings.noIndex, false);
    } finally {
      rmSync(dest, { recursive: true, force: true });
    }
  });
});

describe('readPipConfiguration: options pip looks up by their long names only', () => {
  it('short names (i, f) in pip.conf or PIP_I name no option, so pip and ferry ignore them', async () => {
    const settings = await loadIndexSettings(
      {},
      { ...HOME, PIP_F: '/links' },
      fakeIo({ '/etc/pip.conf': '[global]\ni = https://short/simple\n' }),
    );
    assert.equal(settings.indexUrl, DEFAULT);
    assert.deepEqual(settings.findLinks, []);
  });
});

describe('resolutionSettingsFrom: constraint, pre, no-binary, only-binary, prefer-binary', () => {
  const load = async (
    files: Record<string, string>,
    env: NodeJS.ProcessEnv = {},
    overrides: Parameters<typeof resolutionSettingsFrom>[1] = {},
    isolated = false,
  ) =>
    resolutionSettingsFrom(
      await readPipConfiguration(isolated ? { isolated } : {}, { ...HOME, ...env }, fakeIo(files)),
      overrides,
    );

  it('constraint: whitespace-separated files relative to the working directory, -c appended', async () => {
    const settings = await load(
      { '/etc/pip.conf': '[global]\nconstraint = c1.txt\n  /abs/c2.txt file:///u/c3.txt\n' },
      {},
      { constraintFiles: ['cli.txt'] },
    );
    assert.deepEqual(settings.constraintFiles, [
      '/work/here/c1.txt',
      '/abs/c2.txt',
      '/u/c3.txt',
      '/work/here/cli.txt',
    ]);
    assert.deepEqual(settings.sources, ['constraint from /etc/pip.conf [global]']);
  });

  it("PIP_CONSTRAINT replaces the files' list; --isolated ignores it", async () => {
    const files = { '/etc/pip.conf': '[install]\nconstraint = /etc/c.txt\n' };
    const env = { PIP_CONSTRAINT: '/env/a.txt /env/b.txt' };
    assert.deepEqual((await load(files, env)).constraintFiles, ['/env/a.txt', '/env/b.txt']);
    assert.deepEqual((await load(files, env, {}, true)).constraintFiles, ['/etc/c.txt']);
  });

  it('a remote constraint file is refused with a hint', async () => {
    await assert.rejects(
      load({ '/etc/pip.conf': '[global]\nconstraint = https://u:pw@h/c.txt\n' }),
      (e: unknown) =>
        e instanceof FerryError &&
        e.code === 'ERR_FERRY_PIP_CONFIG' &&
        !e.message.includes('pw') &&
        /local path/.test(e.hint ?? ''),
    );
  });

  it('pre: strtobool in a file or PIP_PRE; --pre over a false value', async () => {
    assert.equal((await load({ '/etc/pip.conf': '[install]\npre = yes\n' })).pre, true);
    assert.equal((await load({}, { PIP_PRE: '1' })).pre, true);
    assert.equal((await load({ '/etc/pip.conf': '[global]\npre = off\n' })).pre, false);
    assert.equal((await load({}, { PIP_PRE: 'false' }, { pre: true })).pre, true);
    await assert.rejects(load({}, { PIP_PRE: 'sometimes' }), /not a valid value for pre/);
  });

  it('prefer-binary from a file, PIP_PREFER_BINARY or --prefer-binary', async () => {
    assert.equal(
      (await load({ '/etc/pip.conf': '[global]\nprefer-binary = true\n' })).formats.preferBinary,
      true,
    );
    assert.equal((await load({}, { PIP_PREFER_BINARY: 'yes' })).formats.preferBinary, true);
    assert.equal((await load({}, {}, { preferBinary: true })).formats.preferBinary, true);
    assert.equal((await load({})).formats.preferBinary, false);
  });

  it('no-binary / only-binary: every configured value applied in order, files before PIP_*', async () => {
    const settings = await load(
      {
        '/etc/pip.conf': '[global]\nno-binary = :all:\n[install]\nonly-binary = Numpy,scipy\n',
      },
      { PIP_NO_BINARY: 'scipy' },
    );
    assert.deepEqual([...settings.formats.control.noBinary].sort(), [':all:', 'scipy']);
    assert.deepEqual([...settings.formats.control.onlyBinary], ['numpy']);
    assert.deepEqual(settings.formats.sources, [
      'no-binary from /etc/pip.conf [global]',
      'only-binary from /etc/pip.conf [install]',
      'no-binary from PIP_NO_BINARY',
    ]);
    assert.deepEqual([...allowedFormats(settings.formats.control, 'numpy')], ['binary']);
    assert.deepEqual([...allowedFormats(settings.formats.control, 'scipy')], ['source']);
    assert.deepEqual([...allowedFormats(settings.formats.control, 'other')], ['source']);
  });
});

describe("applyFormatValue agrees with pip's FormatControl", () => {
  const sequences: [option: 'no-binary' | 'only-binary', value: string][][] = [
    [['no-binary', ':all:']],
    [['only-binary', ':all:']],
    [['no-binary', 'A,b_c']],
    [
      ['no-binary', ':all:'],
      ['only-binary', 'numpy'],
    ],
    [
      ['only-binary', 'numpy'],
      ['no-binary', ':all:'],
    ],
    [
      ['only-binary', ':all:'],
      ['no-binary', ':none:'],
    ],
    [['no-binary', ':all:,:none:,x']],
    [['no-binary', 'x,:all:,y']],
    [['no-binary', 'x,:none:,y']],
    [
      ['no-binary', 'x'],
      ['only-binary', 'X'],
      ['no-binary', ':none:'],
    ],
    [
      ['only-binary', ':all:'],
      ['no-binary', 'x'],
      ['only-binary', ':none:'],
    ],
    [['only-binary', 'a, b']],
    [['no-binary', ':all:,:all:,q']],
  ];
  const names = ['a', 'b', 'b-c', 'numpy', 'x', 'y', 'q', 'other', ' b'];

  it('allowed formats of several names after each sequence, against the installed pip', () => {
    const python = process.env.FERRY_PYTHON ?? 'python3';
    const code = [
      'import json, sys',
      'from pip._internal.models.format_control import FormatControl',
      'out = []',
      'for seq in json.loads(sys.argv[1]):',
      '    fc = FormatControl(set(), set())',
      '    for opt, value in seq:',
      '        if opt == "no-binary": fc.handle_mutual_excludes(value, fc.no_binary, fc.only_binary)',
      '        else: fc.handle_mutual_excludes(value, fc.only_binary, fc.no_binary)',
      '    out.append({n: sorted(fc.get_allowed_formats(n)) for n in json.loads(sys.argv[2])})',
      'print(json.dumps(out))',
    ].join('\n');
    const run = spawnSync(python, ['-c', code, JSON.stringify(sequences), JSON.stringify(names)], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const expected = JSON.parse(run.stdout) as Record<string, string[]>[];
    sequences.forEach((seq, i) => {
      let control: FormatControl = { noBinary: new Set(), onlyBinary: new Set() };
      for (const [option, value] of seq) control = applyFormatValue(control, option, value, 'test');
      const ours = Object.fromEntries(
        names.map((n) => [n, [...allowedFormats(control, n)].sort()]),
      );
      assert.deepEqual(ours, expected[i], JSON.stringify(seq));
    });
  });
});
