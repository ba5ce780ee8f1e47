/**
 * Why is a package in the lock? The dependency graph of a lock or bundle (manifest.json's
 * `packages[].dependencies`, pylock.toml's `packages[].dependencies`, the SBOM's
 * `dependencies`: all the resolver's edges) walked from the top-level requirements. Names are
 * PEP 503-normalized on the way in.
 */
import { normalizeName } from '../standards/name.js';

export interface DependencyGraph {
  /** Normalized names of the top-level requirements. */
  readonly roots: readonly string[];
  /** Normalized name → the normalized names it depends on. */
  readonly edges: ReadonlyMap<string, readonly string[]>;
}

export const normalizeLoose = (name: string): string => {
  try {
    return normalizeName(name.trim());
  } catch {
    return name.trim().toLowerCase();
  }
};

/**
 * A graph from packages with their dependencies. `requirements` are the top-level
 * requirement names; when none of them is a package (a lock written by another tool records
 * none), the roots are the packages nothing depends on, and failing that (a cycle through
 * everything) every package.
 */
export function buildGraph(
  packages: readonly { readonly name: string; readonly dependencies: readonly string[] }[],
  requirements: readonly string[],
): DependencyGraph {
  const edges = new Map<string, string[]>();
  for (const p of packages) {
    const deps = [...new Set(p.dependencies.map(normalizeLoose))].sort();
    edges.set(normalizeLoose(p.name), deps);
  }
  const named = [
    ...new Set(
      requirements
        .map((r) => /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(r)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(normalizeLoose)
        .filter((n) => edges.has(n)),
    ),
  ].sort();
  if (named.length > 0) return { roots: named, edges };
  const depended = new Set([...edges.values()].flat());
  const roots = [...edges.keys()].filter((n) => !depended.has(n)).sort();
  return { roots: roots.length > 0 ? roots : [...edges.keys()].sort(), edges };
}

export interface PathsResult {
  /** Each path from a top-level requirement to the package, the requirement first. */
  readonly paths: readonly (readonly string[])[];
  /** More paths exist than `limit`. */
  readonly truncated: boolean;
}

/**
 * Every simple path (no package twice) from a root to `name`, shortest first then by text.
 * `limit` bounds the enumeration: a wide graph can have exponentially many.
 */
export function pathsTo(graph: DependencyGraph, name: string, limit = 1000): PathsResult {
  const target = normalizeLoose(name);
  const paths: string[][] = [];
  let truncated = false;
  // Only nodes that can reach the target are worth walking into.
  const reaches = new Set<string>([target]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [from, deps] of graph.edges)
      if (!reaches.has(from) && deps.some((d) => reaches.has(d))) {
        reaches.add(from);
        changed = true;
      }
  }
  const walk = (node: string, path: string[]): void => {
    if (truncated) return;
    if (node === target) {
      if (paths.length >= limit) truncated = true;
      else paths.push(path);
      return;
    }
    for (const dep of graph.edges.get(node) ?? [])
      if (reaches.has(dep) && !path.includes(dep)) walk(dep, [...path, dep]);
  };
  for (const root of graph.roots) if (reaches.has(root)) walk(root, [root]);
  paths.sort((a, b) => a.length - b.length || a.join(' ').localeCompare(b.join(' ')));
  return { paths, truncated };
}

/** The shortest path from a top-level requirement to `name`, or undefined when none. */
export function shortestPath(graph: DependencyGraph, name: string): readonly string[] | undefined {
  const target = normalizeLoose(name);
  const seen = new Set<string>(graph.roots);
  let frontier: string[][] = graph.roots.map((r) => [r]);
  while (frontier.length > 0) {
    for (const p of frontier) if (p.at(-1) === target) return p;
    const next: string[][] = [];
    for (const p of frontier)
      for (const dep of graph.edges.get(p.at(-1)!) ?? [])
        if (!seen.has(dep)) {
          seen.add(dep);
          next.push([...p, dep]);
        }
    frontier = next;
  }
  return undefined;
}
