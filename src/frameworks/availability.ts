/**
 * Which releases of a framework build exist: the wheel file names an index lists for a project.
 *
 * The variant table (./table.ts) holds the policy of each build (CUDA, floors, arches, index);
 * which releases were actually published for it is read from the build's index when ferry
 * locks (src/ops/framework-availability.ts), or, when that index cannot be reached, taken from
 * data/framework-availability.json, recorded with its date by
 * scripts/record-framework-availability.ts. This module is pure: it answers "does the index
 * hold a wheel of PROJECT==VERSION for these tags?" from whatever availability it is given.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { embeddedAsset } from '../core/assets.js';
import { FerryError } from '../core/errors.js';
import { parseWheelFilename, type WheelFilename } from '../standards/filename.js';
import { normalizeName } from '../standards/name.js';
import { formatVersion, tryParseVersion } from '../standards/version.js';

const entrySchema = z.object({
  /** The index URL as data/frameworks.json writes it, or 'default' (the configured index). */
  index: z.string(),
  project: z.string(),
  /** YYYY-MM-DD: when the list was read. */
  recorded: z.string(),
  /** Wheel file names, as the index lists them. */
  files: z.array(z.string()),
  /** 'read from the index', or where the names come from when they were not read. */
  from: z.string(),
});

export const recordedAvailabilitySchema = z.object({
  formatVersion: z.literal(1),
  comment: z.string().optional(),
  entries: z.array(entrySchema),
});

export type RecordedAvailability = z.infer<typeof recordedAvailabilitySchema>;
export type AvailabilityEntry = RecordedAvailability['entries'][number];

/** Where an entry's list came from when ferry chose. */
export type AvailabilityOrigin = 'index' | 'cached' | 'recorded';

export interface ProjectFiles {
  readonly index: string;
  readonly project: string;
  readonly files: readonly string[];
  readonly origin: AvailabilityOrigin;
  /** For a recorded or cached list: the date it was read from its index. */
  readonly recorded?: string;
}

/**
 * What the chooser knows about published files. `unreachable` holds the index URLs that could
 * not be read at lock time (their lists, if any, are recorded ones); `configured` holds, per
 * project, the wheels the configured indexes and find-links offer, for builds whose own index
 * is unreachable.
 */
export interface Availability {
  readonly lists: ReadonlyMap<string, ProjectFiles>;
  readonly unreachable: ReadonlyMap<string, string>;
  readonly configured: ReadonlyMap<string, readonly string[]>;
}

export const EMPTY_AVAILABILITY: Availability = {
  lists: new Map(),
  unreachable: new Map(),
  configured: new Map(),
};

export function availabilityKey(index: string, project: string): string {
  return `${index.replace(/\/+$/, '')} ${normalizeName(project)}`;
}

export function parseRecordedAvailability(text: string, source: string): RecordedAvailability {
  const parsed = recordedAvailabilitySchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new FerryError(
      'ERR_FERRY_DATA_INVALID',
      `${source}: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ')}`,
      { hint: 'This ferry installation is damaged: reinstall ferry.' },
    );
  }
  return parsed.data;
}

let cachedRecorded: RecordedAvailability | undefined;

/** data/framework-availability.json (read once). */
export function loadRecordedAvailability(): RecordedAvailability {
  if (cachedRecorded !== undefined) return cachedRecorded;
  let text = embeddedAsset('data/framework-availability.json');
  for (const rel of ['../../data/', '../../../data/']) {
    if (text !== undefined) break;
    try {
      text = readFileSync(
        fileURLToPath(new URL(`${rel}framework-availability.json`, import.meta.url)),
        'utf8',
      );
    } catch {
      // try the next location
    }
  }
  cachedRecorded =
    text === undefined
      ? { formatVersion: 1, entries: [] }
      : parseRecordedAvailability(text, 'data/framework-availability.json');
  return cachedRecorded;
}

/** The recorded lists as an Availability (nothing discovered, nothing known unreachable). */
export function recordedAvailability(
  recorded: RecordedAvailability = loadRecordedAvailability(),
): Availability {
  const lists = new Map<string, ProjectFiles>();
  for (const e of recorded.entries) {
    lists.set(availabilityKey(e.index, e.project), {
      index: e.index,
      project: e.project,
      files: e.files,
      origin: 'recorded',
      recorded: e.recorded,
    });
  }
  return { lists, unreachable: new Map(), configured: new Map() };
}

function wheelOf(filename: string): WheelFilename | undefined {
  try {
    return parseWheelFilename(filename);
  } catch {
    return undefined;
  }
}

const sameVersion = (a: string, b: string): boolean => {
  const x = tryParseVersion(a);
  const y = tryParseVersion(b);
  return x !== undefined && y !== undefined ? formatVersion(x) === formatVersion(y) : a === b;
};

/** The wheels among `files` of `project` at exactly `version` that one of `tags` accepts. */
export function matchingWheels(
  files: readonly string[],
  project: string,
  version: string,
  tags: readonly string[],
): string[] {
  const name = normalizeName(project);
  const supported = new Set(tags.map((t) => t.toLowerCase()));
  return files.filter((f) => {
    const w = wheelOf(f);
    return (
      w !== undefined &&
      w.name === name &&
      sameVersion(w.version, version) &&
      w.tags.some((t) => supported.has(t))
    );
  });
}

/** Versions of `project` that have a wheel for `tags` in `files`, as written in the names. */
export function versionsWithWheels(
  files: readonly string[],
  project: string,
  tags: readonly string[],
): string[] {
  const name = normalizeName(project);
  const supported = new Set(tags.map((t) => t.toLowerCase()));
  const found = new Set<string>();
  for (const f of files) {
    const w = wheelOf(f);
    if (w !== undefined && w.name === name && w.tags.some((t) => supported.has(t)))
      found.add(w.version);
  }
  return [...found];
}

/** The list known for an index and project, if any. */
export function listFor(
  availability: Availability,
  index: string,
  project: string,
): ProjectFiles | undefined {
  return availability.lists.get(availabilityKey(index, project));
}

/** 'the index' or 'availability recorded on 2026-11-30', for notes. */
export function describeOrigin(list: ProjectFiles): string {
  const where = list.index === 'default' ? 'the configured index' : list.index;
  if (list.origin === 'index') return where;
  return list.origin === 'cached'
    ? `availability ferry read from ${where} on ${list.recorded} (cached)`
    : `availability recorded on ${list.recorded} for ${where}`;
}
