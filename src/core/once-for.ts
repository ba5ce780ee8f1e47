/**
 * One load per key: concurrent and later callers share the same promise. A failed load is
 * forgotten, so the next caller tries again (a retry after a network error, say).
 */
export function onceFor<K, V>(
  cache: Map<K, Promise<V>>,
  key: K,
  load: () => Promise<V>,
): Promise<V> {
  const existing = cache.get(key);
  if (existing !== undefined) return existing;
  const promise = load();
  cache.set(key, promise);
  promise.catch(() => cache.delete(key));
  return promise;
}
