/**
 * Writes the generated table of docs/frameworks.md from data/frameworks.json (between its
 * marker comments), or with --check exits 1 when the doc differs from what the JSON gives.
 *
 *   npm run docs:frameworks            # rewrite the section
 *   npm run docs:frameworks -- --check # fail on drift
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { generatedFrameworksDoc } from '../src/ops/frameworks-table.js';

const DOC = 'docs/frameworks.md';
const check = process.argv.includes('--check');
const doc = readFileSync(DOC, 'utf8');
const next = generatedFrameworksDoc(doc, readFileSync('data/frameworks.json', 'utf8'));
if (next === doc) {
  process.stdout.write(`${DOC} matches data/frameworks.json\n`);
} else if (check) {
  process.stderr.write(`${DOC} differs from data/frameworks.json: run npm run docs:frameworks\n`);
  process.exit(1);
} else {
  writeFileSync(DOC, next);
  process.stdout.write(`${DOC}: table regenerated from data/frameworks.json\n`);
}
