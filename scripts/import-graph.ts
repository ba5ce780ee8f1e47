// Reports the file-level import cycles of src/ and the folder-level graph, with every edge that
// closes a folder cycle, and imports that break the layer table (test/architecture/layers.ts).
// `node --import tsx scripts/import-graph.ts [ROOT]` (exit 1 when there is a cycle or a break).
import { buildImportGraph, cycleEdges, importCycles } from '../test/architecture/import-graph.js';
import { describeEdge, layerViolations } from '../test/architecture/layers.js';

const graph = buildImportGraph(process.argv[2] ?? process.cwd());
const folder = (f: string): string => f.split('/')[1] ?? f;
const cycles = importCycles(graph);
for (const cycle of cycles) {
  console.log(`file cycle: ${cycle.join(' ')}`);
  for (const e of cycleEdges(graph, cycle)) {
    console.log(`  ${e.from}:${e.line} -> ${e.to}${e.typeOnly ? ' (types only)' : ''}`);
  }
}
const folderGraph = {
  files: [...new Set(graph.files.map(folder))],
  edges: graph.edges
    .filter((e) => folder(e.from) !== folder(e.to))
    .map((e) => ({ ...e, from: folder(e.from), to: folder(e.to) })),
};
const folderCycles = importCycles(folderGraph);
for (const cycle of folderCycles) {
  console.log(`folder cycle: ${cycle.join(' ')}`);
  for (const e of graph.edges) {
    if (
      folder(e.from) !== folder(e.to) &&
      cycle.includes(folder(e.from)) &&
      cycle.includes(folder(e.to))
    ) {
      console.log(`  ${e.from}:${e.line} -> ${e.to}`);
    }
  }
}
const deps = new Map<string, Set<string>>();
for (const e of folderGraph.edges) {
  if (!deps.has(e.from)) deps.set(e.from, new Set());
  deps.get(e.from)!.add(e.to);
}
for (const f of [...folderGraph.files].sort()) {
  console.log(`${f} -> ${[...(deps.get(f) ?? [])].sort().join(' ')}`);
}
const violations = layerViolations(graph);
for (const v of violations) console.log(`layer: ${describeEdge(v.edge)}: ${v.reason}`);
process.exitCode = cycles.length + folderCycles.length + violations.length > 0 ? 1 : 0;
