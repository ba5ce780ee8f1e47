/**
 * The same file on the other mirrors of an index (`--mirror tuna,ustc`): PyPI mirrors made by
 * bandersnatch (and the PyPI layout itself) keep files under `<base>/packages/<hash path>/<name>`
 * beside `<base>/simple/`, so a file's path after `/packages/` is the same on each of them.
 * A guess that is wrong costs one failed request; every download is hash-checked anyway.
 */
export function mirrorFileUrls(fileUrl: string, indexUrls: readonly string[]): string[] {
  const at = fileUrl.indexOf('/packages/');
  if (at === -1) return [];
  const rest = fileUrl.slice(at + '/packages/'.length);
  const urls: string[] = [];
  for (const index of indexUrls) {
    const base = index.replace(/\/+$/, '').replace(/\/simple$/, '');
    if (base === index.replace(/\/+$/, '')) continue; // not a .../simple index: no known layout
    const candidate = `${base}/packages/${rest}`;
    if (candidate !== fileUrl && !urls.includes(candidate)) urls.push(candidate);
  }
  return urls;
}
