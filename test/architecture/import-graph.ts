// The import graph of src/, read from the module specifiers themselves (no compiler run), so
// the layering test and scripts/import-graph.ts see exactly what Node and tsc resolve:
// relative specifiers ending in '.js' name the '.ts' file beside them (NodeNext resolution).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface ImportEdge {
  /** Importing file, relative to the repository root with '/' separators (src/x/y.ts). */
  readonly from: string;
  /** Imported file, same form. */
  readonly to: string;
  /** The specifier as written. */
  readonly specifier: string;
  /** 1-based line of the import statement. */
  readonly line: number;
  /** Erased by the compiler (`import type`, or every named binding marked `type`). */
  readonly typeOnly: boolean;
}

export interface ImportGraph {
  readonly files: readonly string[];
  readonly edges: readonly ImportEdge[];
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listTs(path));
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const toPosix = (p: string): string => p.split(sep).join('/');

// Static `import … from '…'` / `export … from '…'` at the start of a line (multi-line
// specifier lists included), bare `import '…'`, and dynamic `import('…')`.
const STATIC = /^[ \t]*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*(['"])([^'"]+)\4/gm;
const BARE = /^[ \t]*import\s*(['"])([^'"]+)\1/gm;
const DYNAMIC = /\bimport\(\s*(['"])([^'"]+)\1\s*\)/g;

function allBindingsAreTypes(clause: string): boolean {
  const braces = /^\{([\s\S]*)\}$/.exec(clause.trim());
  if (!braces) return false; // a default or namespace import is a value
  const names = braces[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return names.length > 0 && names.every((n) => n.startsWith('type '));
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Reads every .ts file under `srcDir` and returns the graph of its relative imports within it. */
export function buildImportGraph(root: string, srcDir = 'src'): ImportGraph {
  const base = resolve(root, srcDir);
  const files = listTs(base).map((f) => toPosix(relative(root, f)));
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const text = readFileSync(join(root, from), 'utf8');
    const found: { specifier: string; index: number; typeOnly: boolean }[] = [];
    for (const m of text.matchAll(STATIC)) {
      found.push({
        specifier: m[5]!,
        index: m.index,
        typeOnly: m[2] !== undefined || allBindingsAreTypes(m[3]!),
      });
    }
    for (const m of text.matchAll(BARE))
      found.push({ specifier: m[2]!, index: m.index, typeOnly: false });
    for (const m of text.matchAll(DYNAMIC))
      found.push({ specifier: m[2]!, index: m.index, typeOnly: false });
    for (const { specifier, index, typeOnly } of found) {
      if (!specifier.startsWith('.')) continue; // node: built-ins and packages
      const target = toPosix(join(dirname(from), specifier));
      const ts = target.replace(/\.js$/, '.ts');
      const to = known.has(ts) ? ts : known.has(target) ? target : undefined;
      if (to === undefined) {
        // Outside src/ (data/*.json) is fine; a missing file inside it would be a broken import.
        if (target.startsWith(`${toPosix(srcDir)}/`) && !existsSync(join(root, target))) {
          throw new Error(
            `${from}:${lineOf(text, index)} imports '${specifier}', which does not exist`,
          );
        }
        continue;
      }
      edges.push({ from, to, specifier, line: lineOf(text, index), typeOnly });
    }
  }
  return { files, edges };
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function importCycles(graph: ImportGraph): string[][] {
  const next = new Map<string, string[]>();
  for (const f of graph.files) next.set(f, []);
  for (const e of graph.edges) next.get(e.from)!.push(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next.get(v)!.includes(v)) out.push(scc.sort());
    }
  };
  for (const f of graph.files) if (!index.has(f)) visit(f);
  return out;
}

/** The edges that run between files of one cycle, to name them in a report. */
export function cycleEdges(graph: ImportGraph, cycle: readonly string[]): ImportEdge[] {
  const members = new Set(cycle);
  return graph.edges.filter((e) => members.has(e.from) && members.has(e.to));
}
