/**
 * docs/frameworks.md's table is generated from data/frameworks.json: the doc must hold exactly
 * what the JSON gives, so that it cannot drift (fix: npm run docs:frameworks).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  GENERATED_BEGIN,
  GENERATED_END,
  generatedFrameworksDoc,
  replaceGeneratedSection,
} from '../../src/ops/frameworks-table.js';

const doc = readFileSync('docs/frameworks.md', 'utf8');
const json = readFileSync('data/frameworks.json', 'utf8');

test('docs/frameworks.md holds the table data/frameworks.json gives (run npm run docs:frameworks)', () => {
  assert.equal(doc, generatedFrameworksDoc(doc, json));
});

test('the generated table has one row per build of the JSON, with its index name', () => {
  const table = JSON.parse(json) as {
    series: { variants: { index: string }[] }[];
  };
  const section = doc.slice(doc.indexOf(GENERATED_BEGIN), doc.indexOf(GENERATED_END));
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Framework'));
  const variants = table.series.flatMap((s) => s.variants);
  assert.equal(rows.length, variants.length);
  for (const v of variants) {
    const shown = v.index === 'default' ? '| default |' : `| \`${v.index}\` |`;
    assert.ok(section.includes(shown), v.index);
  }
});

test('a changed JSON makes the check fail: the doc is compared, not trusted', () => {
  const table = JSON.parse(json) as { series: { python: { max: string } }[] };
  (table.series[0] as { python: { max: string } }).python.max = '3.99';
  assert.notEqual(doc, generatedFrameworksDoc(doc, JSON.stringify(table)));
});

test('a doc without the markers is refused, not silently left alone', () => {
  assert.equal(replaceGeneratedSection('no markers here', 'x'), undefined);
  assert.throws(() => generatedFrameworksDoc('no markers here', json), /no generated section/);
});

test("Paddle 3 is not described as served from a stable/cpu/ index, and the 3.x releases are the JSON's", () => {
  const table = JSON.parse(json) as {
    series: { framework: string; series: string; versions: string[] }[];
  };
  const paddle3 = table.series.find((s) => s.framework === 'paddlepaddle' && s.series === '3');
  assert.ok(paddle3 !== undefined);
  assert.doesNotMatch(doc, /stable\/cpu/);
  assert.doesNotMatch(doc, /3\.0\.0–3\.2\.0/);
  for (const v of paddle3.versions) assert.ok(doc.includes(v), v);
});
