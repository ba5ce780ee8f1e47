/**
 * requirements.txt with --hash lines, for `pip install --require-hashes` (pip's hash-checking
 * mode: every requirement pinned with == and carrying the hash of the file it may install).
 */
export interface PinnedFile {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
}

export function formatRequirementsTxt(
  files: readonly PinnedFile[],
  header: readonly string[] = [],
): string {
  const byPin = new Map<string, Set<string>>();
  for (const f of files) {
    const pin = `${f.name}==${f.version}`;
    const set = byPin.get(pin) ?? new Set<string>();
    set.add(f.sha256);
    byPin.set(pin, set);
  }
  const lines = header.map((h) => `# ${h}`);
  for (const pin of [...byPin.keys()].sort()) {
    const hashes = [...byPin.get(pin)!].sort();
    lines.push([pin, ...hashes.map((h) => `    --hash=sha256:${h}`)].join(' \\\n'));
  }
  return `${lines.join('\n')}\n`;
}
