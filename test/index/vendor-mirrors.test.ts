/**
 * data/mirrors.json `vendorMirrors`: presets for the vendor indexes of ferry's framework
 * table, each with the documentation it comes from, and the URL each gives for a table index.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseFrameworkTable } from '../../src/frameworks/table.js';
import {
  loadMirrorPresets,
  loadVendorMirrors,
  type VendorMirror,
  vendorMirrorsOf,
} from '../../src/index/index-config.js';
import { frameworkBuildRows } from '../../src/ops/frameworks-table.js';

const table = parseFrameworkTable(
  readFileSync('data/frameworks.json', 'utf8'),
  'data/frameworks.json',
);

describe('vendor mirror presets', () => {
  it('each has an https URL, a layout, and an https source documenting it', () => {
    const mirrors = loadVendorMirrors();
    assert.ok(mirrors.length > 0);
    for (const m of mirrors) {
      assert.equal(new URL(m.url).protocol, 'https:', m.name);
      assert.equal(new URL(m.source).protocol, 'https:', m.name);
      assert.ok(['index', 'find-links'].includes(m.layout), m.name);
    }
  });

  it("each mirrors some index of ferry's framework table", () => {
    const urls = Object.values(table.indexes);
    for (const m of loadVendorMirrors())
      assert.ok(
        urls.some((u) => vendorMirrorsOf(u, [m]).length > 0),
        `${m.name} mirrors no index in data/frameworks.json`,
      );
  });

  it('the --mirror presets still load beside them', () => {
    assert.ok(loadMirrorPresets().some((p) => p.name === 'pypi'));
  });

  it("maps a vendor index URL to the mirror's, keeping the build's path", () => {
    const m: VendorMirror = {
      name: 'm',
      upstream: 'https://vendor.example/whl',
      url: 'https://mirror.example/vendor-wheels/',
      layout: 'index',
      title: 't',
      source: 'https://mirror.example/docs',
    };
    assert.deepEqual(
      vendorMirrorsOf('https://vendor.example/whl/cu118/', [m]).map((x) => x.url),
      ['https://mirror.example/vendor-wheels/cu118'],
    );
    assert.deepEqual(vendorMirrorsOf('https://vendor.example/whlx/cu118', [m]), []);
    assert.deepEqual(vendorMirrorsOf('https://other.example/whl/cu118', [m]), []);
  });

  it('ferry frameworks lists the mirror URL for each build whose index has one', () => {
    const rows = frameworkBuildRows(table);
    const withMirror = rows.filter((r) => r.mirrors.length > 0);
    assert.ok(withMirror.length > 0);
    for (const r of withMirror) {
      const tail = (r.index.url ?? '').replace(/\/+$/, '').split('/').pop() as string;
      for (const m of r.mirrors) assert.ok(m.url.endsWith(`/${tail}`), `${r.index.name}: ${m.url}`);
    }
  });
});
