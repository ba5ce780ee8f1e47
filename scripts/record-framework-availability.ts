/**
 * Records, for data/framework-availability.json, which files each framework project has on
 * the indexes named in data/frameworks.json and on the configured index ('default', pip's).
 * ferry uses the recording only when an index cannot be reached at lock time, and says so.
 *
 *   node --import tsx scripts/record-framework-availability.ts [--merge]
 *
 * Entries for indexes that cannot be reached from this host are kept as they were.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  parseRecordedAvailability,
  type RecordedAvailability,
} from '../src/frameworks/availability.js';
import { loadFrameworkTable } from '../src/frameworks/table.js';
import { IndexClient } from '../src/index/client.js';
import { indexConfigFromPip } from '../src/index/index-config.js';
import { loadIndexSettings } from '../src/index/pip-config.js';

const OUT = new URL('../data/framework-availability.json', import.meta.url);
const today = new Date().toISOString().slice(0, 10);
const table = loadFrameworkTable();
const wanted = new Map<string, Set<string>>();
for (const s of table.series)
  for (const v of s.variants) {
    const url = v.index === 'default' ? 'default' : (table.indexes[v.index] as string);
    if (!wanted.has(url)) wanted.set(url, new Set());
    wanted.get(url)?.add(v.project);
  }

let previous: RecordedAvailability | undefined;
try {
  previous = parseRecordedAvailability(
    readFileSync(OUT, 'utf8'),
    'data/framework-availability.json',
  );
} catch {
  previous = undefined;
}
const pip = await loadIndexSettings();
const entries: RecordedAvailability['entries'] = [];
for (const [url, projects] of [...wanted].sort()) {
  const settings =
    url === 'default'
      ? { ...indexConfigFromPip({ ...pip, extraIndexUrls: [], findLinks: [] }) }
      : {
          indexes: [{ name: 'vendor', url, fallbacks: [], explicit: false, origin: 'table' }],
          findLinks: [],
          pins: {},
          strategy: 'first-index' as const,
          sources: [],
        };
  const client = new IndexClient({ settings, http: { retries: 1, timeoutMs: 20_000 } });
  for (const project of [...projects].sort()) {
    try {
      const page = await client.getProject(project);
      const files = (page?.files ?? [])
        // Linux wheels only: ferry's targets are Linux hosts.
        .filter(
          (f) => f.filename.endsWith('.whl') && /linux/.test(f.filename) && f.yanked === false,
        )
        .map((f) => f.filename)
        .sort();
      entries.push({ index: url, project, recorded: today, files, from: 'read from the index' });
      process.stderr.write(`${url} ${project}: ${files.length} wheels\n`);
    } catch (error) {
      const kept = previous?.entries.find((e) => e.index === url && e.project === project);
      if (kept) entries.push(kept);
      process.stderr.write(
        `${url} ${project}: unreachable (${(error as Error).message}); kept ${kept ? kept.recorded : 'nothing'}\n`,
      );
    }
  }
}
const out: RecordedAvailability = {
  formatVersion: 1,
  comment: previous?.comment ?? '',
  entries: entries.sort((a, b) =>
    `${a.index} ${a.project}`.localeCompare(`${b.index} ${b.project}`),
  ),
};
writeFileSync(OUT, `${JSON.stringify(out, null, 1)}\n`);
