/**
 * A byte count for people (KiB, MiB: powers of 1024). Its own module so that `ferry lock`,
 * which prints the closure's size, does not load the HTML report (ops/report.ts) to format it.
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
