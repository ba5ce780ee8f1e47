import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { buildImportGraph } from '../architecture/import-graph.js';

describe('ferry lock loads only what it needs at start-up', () => {
  it('src/cli/commands/lock.ts does not reach ops/report.ts (the HTML report) by static imports', () => {
    const graph = buildImportGraph(resolve('.'));
    const reached = new Set<string>(['src/cli/commands/lock.ts']);
    const queue = ['src/cli/commands/lock.ts'];
    while (queue.length > 0) {
      const from = queue.pop()!;
      for (const edge of graph.edges)
        if (edge.from === from && !edge.typeOnly && !reached.has(edge.to)) {
          reached.add(edge.to);
          queue.push(edge.to);
        }
    }
    assert.ok(reached.has('src/core/format-bytes.ts'), 'the byte formatter is reached');
    assert.equal(reached.has('src/ops/report.ts'), false);
  });
});
