/**
 * A bounded memo for pure parsers: index pages repeat the same file names, versions and
 * Requires-Python strings thousands of times in one run, and the results are immutable.
 */
export function memoize<A extends string, R>(fn: (key: A) => R, limit = 100_000): (key: A) => R {
  const cache = new Map<string, R>();
  return (key: A): R => {
    const hit = cache.get(key);
    if (hit !== undefined || cache.has(key)) return hit as R;
    const value = fn(key);
    if (cache.size >= limit) cache.clear();
    cache.set(key, value);
    return value;
  };
}
