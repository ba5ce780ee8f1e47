/**
 * "Did you mean" for unknown project names: known names close to the asked one, compared in
 * their PEP 503 normalized form by edit distance, closest first.
 */

function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Levenshtein distance, giving up (returning max + 1) once it must exceed `max`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Up to `limit` names from `known` within a distance that grows with the name's length
 * (1 for short names, up to 3), plus names that contain the asked one or are contained in it
 * (`paddle` → `paddlepaddle`).
 */
export function similarNames(name: string, known: Iterable<string>, limit = 3): string[] {
  const wanted = normalize(name);
  const max = wanted.length <= 4 ? 1 : wanted.length <= 8 ? 2 : 3;
  const scored: { name: string; score: number }[] = [];
  const seen = new Set<string>();
  for (const candidate of known) {
    const n = normalize(candidate);
    if (n === wanted || seen.has(n)) continue;
    seen.add(n);
    const distance = editDistance(wanted, n, max);
    if (distance <= max) scored.push({ name: candidate, score: distance });
    else if (wanted.length >= 4 && (n.includes(wanted) || wanted.includes(n)) && n.length >= 3) {
      scored.push({ name: candidate, score: max + 1 + Math.abs(n.length - wanted.length) / 100 });
    }
  }
  scored.sort((x, y) => x.score - y.score || x.name.localeCompare(y.name));
  return scored.slice(0, limit).map((s) => s.name);
}
