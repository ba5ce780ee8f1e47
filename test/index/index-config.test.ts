import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import {
  loadMirrorPresets,
  parseExcludeNewer,
  parseTimestamp,
  type SettleIo,
  settleIndexes,
} from '../../src/index/index-config.js';
import type { IndexSettings } from '../../src/index/pip-config.js';

const pip = (over: Partial<IndexSettings> = {}): IndexSettings => ({
  indexUrl: 'https://main.example/simple',
  extraIndexUrls: ['https://extra.example/simple'],
  findLinks: ['file:///links/'],
  noIndex: false,
  sources: [],
  ...over,
});

const io = (files: Record<string, string> = {}, extra: Partial<SettleIo> = {}): SettleIo => ({
  cwd: '/work',
  home: '/home/u',
  readFile: async (path) => files[path],
  pipDefaultIndex: async () => 'https://pip-default.example/simple',
  ...extra,
});

const isConfigError = (e: unknown) =>
  e instanceof FerryError && e.code === 'ERR_FERRY_INDEX_CONFIG';

const TOML = `
index-strategy = "unsafe-best-match"

[[index]]
name = "paddle-cu118"
url = "https://paddle.example/packages/stable/cu118/"
explicit = true

[[index]]
name = "torch"
url = "./local-torch"

[sources]
paddlepaddle-gpu = "paddle-cu118"
Torch = { index = "torch" }
`;

describe('settleIndexes', () => {
  it('pip settings alone: default, then extras; first-index; find-links kept', async () => {
    const config = await settleIndexes({ pip: pip(), io: io() });
    assert.deepEqual(
      config.indexes.map((i) => [i.name, i.url, i.explicit]),
      [
        ['default', 'https://main.example/simple', false],
        ['extra-1', 'https://extra.example/simple', false],
      ],
    );
    assert.equal(config.strategy, 'first-index');
    assert.deepEqual(config.findLinks, ['file:///links/']);
    assert.deepEqual(config.pins, {});
  });

  it("ferry.toml in the current directory: named indexes before pip's, pins, strategy", async () => {
    const config = await settleIndexes({
      pip: pip(),
      io: io({ '/work/ferry.toml': TOML }),
      cliIndexes: ['cli=https://cli.example/simple'],
    });
    assert.deepEqual(
      config.indexes.map((i) => [i.name, i.url, i.explicit]),
      [
        ['cli', 'https://cli.example/simple', false],
        ['paddle-cu118', 'https://paddle.example/packages/stable/cu118/', true],
        ['torch', 'file:///work/local-torch', false],
        ['default', 'https://main.example/simple', false],
        ['extra-1', 'https://extra.example/simple', false],
      ],
    );
    assert.deepEqual(config.pins, { 'paddlepaddle-gpu': 'paddle-cu118', torch: 'torch' });
    assert.equal(config.strategy, 'unsafe-best-match');
  });

  it('--config, command-line overrides of indexes, pins and strategy', async () => {
    const config = await settleIndexes({
      pip: pip(),
      config: 'conf/other.toml',
      io: io({ '/work/conf/other.toml': TOML }),
      cliIndexes: ['torch=https://torch.example/whl/cu118'],
      cliExplicitIndexes: ['nv=https://nv.example/simple'],
      cliPins: ['paddlepaddle-gpu=nv', 'numpy=default'],
      strategy: 'unsafe-first-match',
    });
    const byName = Object.fromEntries(config.indexes.map((i) => [i.name, i]));
    assert.equal(byName.torch!.url, 'https://torch.example/whl/cu118');
    assert.equal(byName.nv!.explicit, true);
    assert.equal(config.indexes.filter((i) => i.name === 'torch').length, 1);
    assert.deepEqual(config.pins, { 'paddlepaddle-gpu': 'nv', torch: 'torch', numpy: 'default' });
    assert.equal(config.strategy, 'unsafe-first-match');
  });

  it("a ferry.toml index with default = true replaces pip's index-url", async () => {
    const config = await settleIndexes({
      pip: pip(),
      io: io({
        '/work/ferry.toml':
          '[[index]]\nname = "corp"\nurl = "https://corp.example/simple"\ndefault = true\n',
      }),
    });
    assert.deepEqual(
      config.indexes.map((i) => i.name),
      ['corp', 'extra-1'],
    );
  });

  it('rejects bad input, quoting it', async () => {
    const bad: [string, Parameters<typeof settleIndexes>[0]][] = [
      ['missing --config', { pip: pip(), config: 'nope.toml', io: io() }],
      ['unknown key', { pip: pip(), io: io({ '/work/ferry.toml': 'indexes = 1\n' }) }],
      ['TOML syntax', { pip: pip(), io: io({ '/work/ferry.toml': '[[index]\n' }) }],
      ['pin to an undefined index', { pip: pip(), cliPins: ['torch=nowhere'], io: io() }],
      ['pin without =', { pip: pip(), cliPins: ['torch'], io: io() }],
      ['index without =', { pip: pip(), cliIndexes: ['https://x.example/simple'], io: io() }],
      ['reserved name', { pip: pip(), cliIndexes: ['default=https://x.example/'], io: io() }],
      ['bad name', { pip: pip(), cliIndexes: ['a b=https://x.example/'], io: io() }],
      ['duplicate', { pip: pip(), cliIndexes: ['a=https://x/', 'a=https://y/'], io: io() }],
      ['strategy', { pip: pip(), strategy: 'best', io: io() }],
      ['mirror', { pip: pip(), mirror: 'nowhere', io: io() }],
      ['exclude-newer', { pip: pip(), excludeNewer: 'yesterday', io: io() }],
    ];
    for (const [label, options] of bad) {
      await assert.rejects(settleIndexes(options), isConfigError, label);
    }
    await assert.rejects(
      settleIndexes({ pip: pip(), cliPins: ['torch=nowhere'], io: io() }),
      /torch is pinned to the index "nowhere".*not defined/,
    );
  });

  it("--mirror replaces the default index and lists fallbacks; pypi is pip's default", async () => {
    const config = await settleIndexes({ pip: pip(), mirror: 'tuna,ustc,pypi', io: io() });
    const main = config.indexes.find((i) => i.name === 'default')!;
    const presets = Object.fromEntries(loadMirrorPresets().map((p) => [p.name, p.url]));
    assert.equal(main.url, presets.tuna);
    assert.deepEqual(main.fallbacks, [presets.ustc, 'https://pip-default.example/simple']);
    assert.deepEqual(
      config.indexes.map((i) => i.name),
      ['default', 'extra-1'],
    );
  });

  it('data/mirrors.json has the presets, pypi without a URL', () => {
    const presets = loadMirrorPresets();
    assert.deepEqual(presets.map((p) => p.name).sort(), [
      'aliyun',
      'bfsu',
      'huawei',
      'pypi',
      'tencent',
      'tuna',
      'ustc',
    ]);
    assert.equal(presets.find((p) => p.name === 'pypi')!.url, undefined);
    for (const p of presets.filter((p) => p.name !== 'pypi')) assert.match(p.url!, /^https:\/\//);
  });

  it('--no-index drops every index and pin, keeps find-links', async () => {
    const config = await settleIndexes({
      pip: pip({ noIndex: true }),
      io: io({ '/work/ferry.toml': TOML }),
    });
    assert.deepEqual(config.indexes, []);
    assert.deepEqual(config.pins, {});
    assert.deepEqual(config.findLinks, ['file:///links/']);
  });

  it('exclude-newer from the command line or ferry.toml (quoted or a TOML date)', async () => {
    const a = await settleIndexes({ pip: pip(), excludeNewer: '2024-06-01', io: io() });
    assert.equal(a.excludeNewer!.cutoffMs, Date.UTC(2024, 5, 2));
    const b = await settleIndexes({
      pip: pip(),
      io: io({ '/work/ferry.toml': 'exclude-newer = 2024-06-01\n' }),
    });
    assert.equal(b.excludeNewer!.cutoffMs, Date.UTC(2024, 5, 2));
    const c = await settleIndexes({
      pip: pip(),
      io: io({ '/work/ferry.toml': 'exclude-newer = "2024-06-01T12:00:00Z"\n' }),
    });
    assert.equal(c.excludeNewer!.cutoffMs, Date.UTC(2024, 5, 1, 12) + 1);
  });
});

describe('parseExcludeNewer', () => {
  it('accepts RFC 3339 timestamps and plain dates (the whole day, UTC)', () => {
    assert.equal(parseExcludeNewer('2024-02-29').cutoffMs, Date.UTC(2024, 2, 1));
    assert.equal(
      parseExcludeNewer('2024-06-01T08:00:00+08:00').cutoffMs,
      Date.UTC(2024, 5, 1, 0) + 1,
    );
    assert.equal(parseExcludeNewer('2024-06-01T00:00:00.5Z').cutoffMs, Date.UTC(2024, 5, 1) + 501);
    for (const bad of ['2023-02-29', '2024-13-01', '2024-06-01T00:00:00', 'now', '']) {
      assert.throws(() => parseExcludeNewer(bad), isConfigError, bad);
    }
  });

  it('reads PEP 700 upload times with microseconds', () => {
    assert.equal(parseTimestamp('2024-01-01T00:00:00.123456Z'), Date.UTC(2024, 0, 1) + 123);
    assert.equal(parseTimestamp('garbage'), undefined);
  });
});
