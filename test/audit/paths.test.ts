/** Dependency paths from the top-level requirements: every simple path, cycles, roots. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGraph, pathsTo, shortestPath } from '../../src/audit/paths.js';

const pkgs = (edges: Record<string, string[]>) =>
  Object.entries(edges).map(([name, dependencies]) => ({ name, dependencies }));

describe('dependency paths', () => {
  // app → web → http → idna;  app → cli → http;  app → idna
  const graph = buildGraph(
    pkgs({ app: ['Web', 'cli', 'IDNA'], web: ['http'], cli: ['http'], http: ['idna'], idna: [] }),
    ['App>=1'],
  );

  it('every path, shortest first, names normalized', () => {
    assert.deepEqual(graph.roots, ['app']);
    assert.deepEqual(pathsTo(graph, 'IDNA').paths, [
      ['app', 'idna'],
      ['app', 'cli', 'http', 'idna'],
      ['app', 'web', 'http', 'idna'],
    ]);
    assert.deepEqual(shortestPath(graph, 'http'), ['app', 'cli', 'http']);
  });

  it('a cycle does not loop, and a limit truncates', () => {
    const g = buildGraph(pkgs({ a: ['b'], b: ['c', 'a'], c: ['b'] }), ['a']);
    assert.deepEqual(pathsTo(g, 'c').paths, [['a', 'b', 'c']]);
    const many = pathsTo(graph, 'idna', 2);
    assert.equal(many.paths.length, 2);
    assert.equal(many.truncated, true);
  });

  it('without recorded requirements the roots are the packages nothing depends on', () => {
    const g = buildGraph(pkgs({ x: ['y'], y: [], z: [] }), []);
    assert.deepEqual(g.roots, ['x', 'z']);
    assert.deepEqual(pathsTo(g, 'y').paths, [['x', 'y']]);
    assert.equal(shortestPath(g, 'missing'), undefined);
  });
});
