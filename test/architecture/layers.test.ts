// Keeps src/ layered and acyclic: the table in layers.ts is the rule, the import specifiers in
// src/ are the facts. Biome's noImportCycles checks cycles too, while editing.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { buildImportGraph, cycleEdges, type ImportGraph, importCycles } from './import-graph.js';
import { describeEdge, LAYERS, layerViolations } from './layers.js';

function describeCycles(graph: ImportGraph): string[] {
  return importCycles(graph).map(
    (cycle) =>
      `cycle through ${cycle.join(', ')}:\n    ${cycleEdges(graph, cycle).map(describeEdge).join('\n    ')}`,
  );
}

/** A throwaway tree of files, so the checks themselves are shown to catch what they look for. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ferry-layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('architecture', () => {
  const graph = buildImportGraph(process.cwd());

  it('reads the imports of src/ (the graph is not empty)', () => {
    assert.ok(graph.files.length > 50, `only ${graph.files.length} files found under src/`);
    assert.ok(graph.edges.length > graph.files.length, `only ${graph.edges.length} imports found`);
  });

  it('every folder of src/ has a place in the layer table', () => {
    const folders = new Set(
      graph.files.map((f) => f.split('/')[1]!).filter((f) => !f.endsWith('.ts')),
    );
    const named = new Set(LAYERS.flat());
    assert.deepEqual([...folders].filter((f) => !named.has(f)).sort(), []);
  });

  it('no folder imports a folder in a higher or the same layer', () => {
    const problems = layerViolations(graph).map((v) => `${describeEdge(v.edge)}: ${v.reason}`);
    assert.deepEqual(problems, [], `layering broken:\n  ${problems.join('\n  ')}`);
  });

  it('no file-level import cycle, type-only imports included', () => {
    const problems = describeCycles(graph);
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  it('the checks name an upward import and a cycle when there is one', () => {
    const root = tree({
      'src/core/a.ts': "import { b } from '../cli/b.js';\nexport const a = b;\n",
      'src/cli/b.ts': 'export const b = 1;\n',
      'src/bundle/x.ts':
        "import type { Y } from './y.js';\nexport const x = 1;\nexport type X = Y;\n",
      'src/bundle/y.ts': "import {\n  x,\n} from './x.js';\nexport type Y = typeof x;\n",
    });
    try {
      const fake = buildImportGraph(root);
      const violations = layerViolations(fake).map((v) => `${describeEdge(v.edge)}: ${v.reason}`);
      assert.deepEqual(violations, [
        "src/core/a.ts:1 imports '../cli/b.js' (src/cli/b.ts): core/ is below cli/",
      ]);
      assert.deepEqual(importCycles(fake), [['src/bundle/x.ts', 'src/bundle/y.ts']]);
      assert.deepEqual(
        cycleEdges(fake, ['src/bundle/x.ts', 'src/bundle/y.ts']).map((e) => [e.from, e.typeOnly]),
        [
          ['src/bundle/x.ts', true],
          ['src/bundle/y.ts', false],
        ],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a sibling import within one layer is named', () => {
    const root = tree({
      'src/net/a.ts': "import { b } from '../archive/b.js';\nexport const a = b;\n",
      'src/archive/b.ts': 'export const b = 1;\n',
    });
    try {
      const reasons = layerViolations(buildImportGraph(root)).map((v) => v.reason);
      assert.deepEqual(reasons, ['net/ and archive/ share a layer and must not import each other']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
