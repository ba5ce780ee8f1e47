// ferry's layers, lowest first. A folder of src/ may import only folders in earlier layers and
// itself; folders that share a layer are independent of each other. README.md's Layout section
// draws this same order.
import type { ImportEdge, ImportGraph } from './import-graph.js';

export const LAYERS: readonly (readonly string[])[] = [
  ['core'], // errors, events, redaction, env vars
  ['standards'], // pure PEP code
  ['net', 'store', 'archive'], // HTTP; the content-addressed store; tar and volumes
  ['index'], // pip configuration, the PEP 503/691/658 client
  ['resolver'], // the algorithm behind a provider
  ['fetch'], // hash-checked downloads into the store
  ['host'], // describing a target host
  ['build'], // building sdists into wheels on this host (PEP 517, isolated)
  ['frameworks'], // choosing a framework build for a target
  ['trust'], // keys and signatures
  ['audit'], // advisories (OSV), licences, policy, dependency paths
  ['bundle'], // the bundle and lock-file formats
  ['onhost', 'server'], // doctor, install steps, smoke tests, receipts; the intranet index
  ['ops'], // the use cases: lock, bundle, verify, doctor, install, audit, report
  ['cli'], // parse, settle settings, call ops, render
];

/** The layer index of a src/ folder, or undefined for a folder the table does not name. */
export function layerOf(folder: string): number | undefined {
  const index = LAYERS.findIndex((layer) => layer.includes(folder));
  return index < 0 ? undefined : index;
}

/** The folder of a src/ file: src/bundle/pylock/read.ts -> bundle; src/x.ts -> '' (top level). */
export function folderOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? parts[1]! : '';
}

export interface LayerViolation {
  readonly edge: ImportEdge;
  readonly reason: string;
}

/** Every import that goes sideways or upwards in LAYERS, or touches a folder it does not name. */
export function layerViolations(graph: ImportGraph): LayerViolation[] {
  const out: LayerViolation[] = [];
  for (const edge of graph.edges) {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    if (from === to) continue;
    const a = layerOf(from);
    const b = layerOf(to);
    if (a === undefined || b === undefined) {
      const unknown = a === undefined ? from : to;
      out.push({ edge, reason: `src/${unknown}/ is not in the layer table` });
    } else if (b > a) {
      out.push({ edge, reason: `${from}/ is below ${to}/` });
    } else if (b === a) {
      out.push({
        edge,
        reason: `${from}/ and ${to}/ share a layer and must not import each other`,
      });
    }
  }
  return out;
}

export function describeEdge(edge: ImportEdge): string {
  return `${edge.from}:${edge.line} imports '${edge.specifier}' (${edge.to})`;
}
