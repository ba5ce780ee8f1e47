/**
 * settleIndexes with ferry's framework-table indexes: a user index of a table index's name
 * replaces its URL and stays explicit (it serves only the project pinned to it); table
 * indexes the run does not pin are only names; a true duplicate is still refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import {
  effectiveTableIndexUrl,
  type SettleIo,
  settleIndexes,
  type TableIndex,
} from '../../src/index/index-config.js';
import type { IndexSettings } from '../../src/index/pip-config.js';

const pip: IndexSettings = {
  indexUrl: 'https://main.example/simple',
  extraIndexUrls: [],
  findLinks: [],
  noIndex: false,
  sources: [],
};
const io = (files: Record<string, string> = {}): SettleIo => ({
  cwd: '/work',
  home: '/home/u',
  readFile: async (path) => files[path],
});
const table: TableIndex[] = [
  {
    name: 'pytorch-cu118',
    url: 'https://vendor.example/whl/cu118',
    aliases: ['torch-cu118'],
    pinned: true,
  },
  { name: 'pytorch-cu126', url: 'https://vendor.example/whl/cu126', pinned: false },
];
const pins = ['torch=pytorch-cu118'];
const rows = (c: Awaited<ReturnType<typeof settleIndexes>>) =>
  c.indexes.map((i) => [i.name, i.url, i.explicit]);

describe('framework-table indexes in settleIndexes', () => {
  it('without a user index, the pinned table index is added (explicit); the unpinned one is not', async () => {
    const c = await settleIndexes({ pip, io: io(), tableIndexes: table, cliPins: pins });
    assert.deepEqual(rows(c), [
      ['pytorch-cu118', 'https://vendor.example/whl/cu118', true],
      ['default', 'https://main.example/simple', false],
    ]);
    assert.deepEqual(c.pins, { torch: 'pytorch-cu118' });
  });

  it('--index NAME=URL of a table name replaces its URL and stays explicit', async () => {
    const c = await settleIndexes({
      pip,
      io: io(),
      tableIndexes: table,
      cliPins: pins,
      cliIndexes: ['pytorch-cu118=https://mirror.example/pytorch/whl/cu118'],
    });
    assert.deepEqual(rows(c), [
      ['pytorch-cu118', 'https://mirror.example/pytorch/whl/cu118', true],
      ['default', 'https://main.example/simple', false],
    ]);
    assert.ok(c.sources.some((s) => /replaces ferry's framework index "pytorch-cu118"/.test(s)));
    // What reads the vendor index for --framework reads the mirror instead.
    assert.equal(
      effectiveTableIndexUrl(c, 'https://vendor.example/whl/cu118/'),
      'https://mirror.example/pytorch/whl/cu118',
    );
    assert.equal(
      effectiveTableIndexUrl(c, 'https://vendor.example/whl/cu126'),
      'https://vendor.example/whl/cu126',
    );
  });

  it("the pin's older name (torch-cu118) is the same index", async () => {
    const c = await settleIndexes({
      pip,
      io: io(),
      tableIndexes: table,
      cliPins: ['torch=torch-cu118'],
      cliIndexes: ['torch-cu118=https://mirror.example/cu118'],
    });
    assert.deepEqual(rows(c)[0], ['pytorch-cu118', 'https://mirror.example/cu118', true]);
    assert.deepEqual(c.pins, { torch: 'pytorch-cu118' });
  });

  it('a table index this run does not pin, named by the user, is only for pinned projects', async () => {
    const c = await settleIndexes({
      pip,
      io: io(),
      tableIndexes: table,
      cliPins: pins,
      cliIndexes: ['pytorch-cu126=https://mirror.example/cu126'],
    });
    assert.deepEqual(rows(c), [
      ['pytorch-cu126', 'https://mirror.example/cu126', true],
      ['pytorch-cu118', 'https://vendor.example/whl/cu118', true],
      ['default', 'https://main.example/simple', false],
    ]);
  });

  it("ferry.toml's [[index]] of a table name replaces it too", async () => {
    const toml = '[[index]]\nname = "pytorch-cu118"\nurl = "https://mirror.example/toml/cu118"\n';
    const c = await settleIndexes({
      pip,
      io: io({ '/work/ferry.toml': toml }),
      tableIndexes: table,
      cliPins: pins,
    });
    assert.deepEqual(rows(c)[0], ['pytorch-cu118', 'https://mirror.example/toml/cu118', true]);
  });

  it('two user indexes of one name are refused, table name or not', async () => {
    for (const cliIndexes of [
      ['a=https://one.example/simple', 'a=https://two.example/simple'],
      ['pytorch-cu118=https://one.example/simple', 'torch-cu118=https://two.example/simple'],
    ]) {
      await assert.rejects(
        settleIndexes({ pip, io: io(), tableIndexes: table, cliPins: pins, cliIndexes }),
        (e: unknown) =>
          e instanceof FerryError &&
          e.code === 'ERR_FERRY_INDEX_CONFIG' &&
          /given twice on the command line/.test(e.message),
      );
    }
  });
});
