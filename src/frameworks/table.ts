/**
 * The framework variant table, data/frameworks.json (or the file FERRY_FRAMEWORKS names): its
 * schema, where it is read from, and the framework names it answers to. docs/frameworks.md
 * describes the format; ./variants.ts chooses a row of it for a target.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { embeddedAsset } from '../core/assets.js';
import { FERRY_ENV, readEnv } from '../core/env.js';
import { FerryError } from '../core/errors.js';

const variantSchema = z.object({
  cuda: z.string(),
  project: z.string(),
  /** '{version}' is replaced by the release, e.g. '{version}.post112' → '2.6.2.post112'. */
  version: z.string().includes('{version}'),
  extras: z.array(z.string()).optional(),
  /** An index name from `indexes`, or 'default' (the configured index). */
  index: z.string(),
  arches: z.array(z.string()).min(1),
  /** Oldest glibc the wheels accept (their manylinux tag), when stricter than manylinux2014. */
  minGlibc: z.string().optional(),
  /** Oldest libstdc++ the binaries load with, as its GLIBCXX symbol version ('3.4.25'). */
  minGlibcxx: z.string().optional(),
  /** Where the libstdc++ floor comes from. */
  libstdcxxFrom: z.string().optional(),
  /** The series' releases that have this build at all (default: every release of the series). */
  releases: z.array(z.string()).optional(),
  /** The build's own Python range, when narrower than the series'. */
  python: z.object({ min: z.string(), max: z.string() }).optional(),
  /**
   * The GPU compute capabilities the wheels carry kernels for (their arch list), passed to
   * gpu-arch.ts missingKernelsReason; absent: the CUDA toolkit's whole range.
   */
  capabilities: z.object({ min: z.string(), max: z.string(), from: z.string() }).optional(),
  /** Requirements the build needs beside its own project ('torch=={version}' for torch-npu). */
  alsoRequires: z.array(z.string().includes('{version}')).optional(),
  /** Said when this build is chosen. */
  notes: z.array(z.string()).optional(),
  from: z.string(),
});

const seriesSchema = z.object({
  framework: z.enum(['paddlepaddle', 'torch', 'tensorflow']),
  series: z.string(),
  versions: z.array(z.string()).min(1),
  defaultVersion: z.string(),
  versionsFrom: z.string().optional(),
  /**
   * What taking this series costs when it is chosen because the target's Python is too old for
   * every newer one (e.g. torch 1.13 for Python 3.7: no torch.compile, no later fixes).
   */
  oldPythonNote: z.string().optional(),
  python: z.object({ min: z.string(), max: z.string(), from: z.string() }),
  requiresAvx: z.object({ value: z.boolean(), from: z.string() }),
  constraints: z.array(z.object({ requirement: z.string(), why: z.string(), from: z.string() })),
  /** Said when one of the series' CUDA builds is chosen (a CPU build gets none of them). */
  cudaNotes: z.array(z.string()),
  variants: z.array(variantSchema).min(1),
});

export const frameworkTableSchema = z.object({
  formatVersion: z.literal(1),
  comment: z.string().optional(),
  indexes: z.record(z.string(), z.string().url()),
  series: z.array(seriesSchema),
});

export type FrameworkTable = z.infer<typeof frameworkTableSchema>;
export type FrameworkSeries = FrameworkTable['series'][number];
export type FrameworkVariant = FrameworkSeries['variants'][number];
export type FrameworkName = FrameworkSeries['framework'];

let cached: { table: FrameworkTable; source: string } | undefined;

/** data/frameworks.json (or the file FERRY_FRAMEWORKS names), validated (read once). */
export function loadFrameworkTable(): FrameworkTable {
  return loadTable().table;
}

/** Where the variant table was read from, for messages that send the user to it. */
export function frameworkTableSource(): string {
  return loadTable().source;
}

function loadTable(): { table: FrameworkTable; source: string } {
  if (cached !== undefined) return cached;
  const { text, source } = tableText();
  cached = { table: parseFrameworkTable(text, source), source };
  return cached;
}

/** Only the part every lock reads: the table's indexes (not its series and variants). */
const indexesOnlySchema = frameworkTableSchema.pick({ formatVersion: true, indexes: true });

/**
 * The table's named indexes, which every lock and bundle hands to its index settings. Only
 * that part is checked here: checking every series and variant cost each lock 5 ms for a table
 * it reads only with --framework, which reads and checks all of it (loadFrameworkTable).
 */
export function loadFrameworkIndexes(): Readonly<Record<string, string>> {
  if (cached !== undefined) return cached.table.indexes;
  const { text, source } = tableText();
  const parsed = indexesOnlySchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw invalidTable(source, parsed.error);
  return parsed.data.indexes;
}

/** The table's text and where it came from: FERRY_FRAMEWORKS, else this installation's. */
function tableText(): { text: string; source: string } {
  const override = readEnv(FERRY_ENV.frameworks);
  if (override !== undefined) {
    try {
      return { text: readFileSync(override, 'utf8'), source: override };
    } catch (error) {
      throw new FerryError(
        'ERR_FERRY_DATA_MISSING',
        `${FERRY_ENV.frameworks} names "${override}", which cannot be read`,
        {
          hint: `Point ${FERRY_ENV.frameworks} at a copy of data/frameworks.json, or unset it.`,
          cause: error,
        },
      );
    }
  }
  const candidates = [
    new URL('../../data/frameworks.json', import.meta.url),
    new URL('../../../data/frameworks.json', import.meta.url),
  ];
  let text: string | undefined = embeddedAsset('data/frameworks.json');
  for (const url of text === undefined ? candidates : []) {
    try {
      text = readFileSync(fileURLToPath(url), 'utf8');
      break;
    } catch {
      // try the next location
    }
  }
  if (text === undefined) {
    throw new FerryError(
      'ERR_FERRY_DATA_MISSING',
      'data/frameworks.json is missing from this ferry installation',
      {
        hint: 'Reinstall ferry.',
      },
    );
  }
  return { text, source: 'data/frameworks.json' };
}

/** The table at `source` does not fit its schema: what is wrong, and where to fix it. */
function invalidTable(source: string, error: z.ZodError): FerryError {
  return new FerryError(
    'ERR_FERRY_DATA_INVALID',
    `${source}: ${z.prettifyError(error).replace(/\s+/g, ' ')}`,
    { hint: frameworkTableHint(source) },
  );
}

/** Where to go when the variant table is wrong: the user's own copy, or this installation. */
function frameworkTableHint(source: string): string {
  return source === 'data/frameworks.json'
    ? 'This ferry installation is damaged: reinstall ferry.'
    : `Fix ${source} (its format: docs/frameworks.md), or unset ${FERRY_ENV.frameworks} to use ferry's own table.`;
}

export function parseFrameworkTable(text: string, source: string): FrameworkTable {
  const parsed = frameworkTableSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw invalidTable(source, parsed.error);
  for (const s of parsed.data.series) {
    for (const v of s.variants) {
      if (v.index !== 'default' && parsed.data.indexes[v.index] === undefined) {
        throw new FerryError(
          'ERR_FERRY_DATA_INVALID',
          `${source}: ${s.framework} ${s.series} names unknown index "${v.index}"`,
          {
            hint: `Add "${v.index}" to the table's "indexes", or name one that is there. ${frameworkTableHint(source)}`,
          },
        );
      }
    }
  }
  return parsed.data;
}

const FRAMEWORK_ALIASES: Readonly<Record<string, FrameworkName>> = {
  paddle: 'paddlepaddle',
  paddlepaddle: 'paddlepaddle',
  'paddlepaddle-gpu': 'paddlepaddle',
  torch: 'torch',
  pytorch: 'torch',
  tensorflow: 'tensorflow',
  tf: 'tensorflow',
  'tensorflow-cpu': 'tensorflow',
};

/** How each framework is named to people. */
export const FRAMEWORK_DISPLAY: Readonly<Record<FrameworkName, string>> = {
  paddlepaddle: 'PaddlePaddle',
  torch: 'PyTorch',
  tensorflow: 'TensorFlow',
};

export function normalizeFramework(name: string): FrameworkName {
  const f = FRAMEWORK_ALIASES[name.trim().toLowerCase().replace(/_/g, '-')];
  if (f === undefined) {
    throw new FerryError('ERR_FERRY_VARIANT_UNKNOWN', `ferry has no variant table for "${name}"`, {
      hint: 'Known frameworks: paddlepaddle, torch, tensorflow.',
    });
  }
  return f;
}
