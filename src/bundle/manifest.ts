/**
 * manifest.json: what a bundle holds and where each file came from. Every file's size and
 * SHA-256 are recorded so the far side can prove that what arrived is what was downloaded.
 * See docs/bundle-format.md.
 */
import { z } from 'zod';
import { FerryError } from '../core/errors.js';

export const BUNDLE_FORMAT_VERSION = 1;

/**
 * A wheel ferry built on the bundling host from an sdist (src/build/): the sdist it came from,
 * the PEP 517 backend and build requirements, and the builder. Absent for downloaded files, so
 * bundles without built wheels keep their bytes.
 */
const builtSchema = z.object({
  sdist: z.object({
    filename: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    url: z.string(),
  }),
  backend: z.string(),
  /** The build requirements as installed in the build environment (`NAME==VERSION`). */
  buildRequires: z.array(z.string()),
  /** As asked for (`[build-system].requires` and the backend's own): `setuptools>=40.8.0`. */
  buildRequested: z.array(z.string()).optional(),
  builder: z.object({
    os: z.string(),
    arch: z.string(),
    glibc: z.string().optional(),
    python: z.string(),
    implementation: z.string(),
  }),
  /** Whether the backend ran without network (`unshare -n`). */
  networkIsolated: z.boolean(),
  sourceDateEpoch: z.number().int(),
});

const fileSchema = z.object({
  path: z.string(),
  name: z.string(),
  version: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sm3: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  url: z.string(),
  index: z.string().optional(),
  built: builtSchema.optional(),
});

/**
 * A tool the bundle carries besides its packages (tools/ferry.mjs, `ferry pack --with-ferry`):
 * listed here and in SHA256SUMS, so it is verified and signed like everything else.
 */
const toolSchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** What the file is, e.g. "ferry 0.2.0", or "uv 0.13.9" for the installer's wheel. */
  tool: z.string(),
  /** Where a downloaded tool came from (uv's wheel, src/bundle/installer-tool.ts), redacted. */
  url: z.string().optional(),
  index: z.string().optional(),
});

const targetSchema = z.object({
  name: z.string(),
  python: z.string(),
  implementation: z.string(),
  platform: z.string(),
  tags: z.array(z.string()),
  markers: z.record(z.string(), z.string()),
});

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * What a delta bundle (`ferry bundle --since`, docs/deltas.md) builds on: the inventory it was
 * made against (the SHA-256 of that file's bytes) and/or the bundles whose files it relies on
 * (name and the SHA-256 of their SHA256SUMS, as `ferry import` and the ledger name them).
 */
const baseSchema = z.object({
  inventory: sha256Schema.optional(),
  bundles: z.array(z.object({ name: z.string(), digest: sha256Schema })),
});

/**
 * A file of the closure the delta does not carry: the other side has it already. Completeness
 * is carried files + these; `ferry import` and `ferry install --base` find each by its SHA-256.
 */
const baseFileSchema = z.object({
  filename: z.string(),
  name: z.string(),
  version: z.string(),
  size: z.number().int().nonnegative(),
  sha256: sha256Schema,
  /** The bundle that carried it, when the base says (ledger, bundle, store inventory). */
  bundle: z.string().optional(),
});

/**
 * What was left out of the closure on purpose (`--exclude`, ferry.toml [trim]; docs/trimming.md)
 * and why; `requiredBy` names the packages that asked for it.
 */
const exclusionSchema = z.object({
  name: z.string(),
  reason: z.string(),
  requiredBy: z.array(z.string()),
});

/** A requirement put in place of every requirement on its project (`--override`), and why. */
const overrideSchema = z.object({
  requirement: z.string(),
  reason: z.string(),
  replaced: z.array(z.string()),
});

export const manifestSchema = z.object({
  formatVersion: z.literal(BUNDLE_FORMAT_VERSION),
  tool: z.string(),
  createdAt: z.string(),
  targets: z.array(targetSchema),
  indexes: z.array(z.string()),
  requirements: z.array(z.string()),
  constraints: z.array(z.string()),
  packages: z.array(
    z.object({
      name: z.string(),
      version: z.string(),
      requiredBy: z.array(z.string()),
      extras: z.array(z.string()),
      dependencies: z.array(z.string()),
      targets: z.array(z.string()),
      /** A yanked release the user pinned (PEP 592), as PEP 691 writes it: the reason, or true. */
      yanked: z.union([z.literal(true), z.string().min(1)]).optional(),
    }),
  ),
  files: z.array(fileSchema),
  /** Only when the bundle carries tools (absent in bundles without, so their bytes are unchanged). */
  tools: z.array(toolSchema).optional(),
  /** Only in a delta bundle: what it builds on, and the files it relies on but does not carry. */
  base: baseSchema.optional(),
  baseFiles: z.array(baseFileSchema).optional(),
  /** Only when the lock was trimmed (absent otherwise, so untrimmed bundles are unchanged). */
  exclusions: z.array(exclusionSchema).optional(),
  overrides: z.array(overrideSchema).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;
export type ManifestBuilt = z.infer<typeof builtSchema>;
export type ManifestTarget = z.infer<typeof targetSchema>;
export type ManifestTool = z.infer<typeof toolSchema>;
export type ManifestBase = z.infer<typeof baseSchema>;
export type ManifestBaseFile = z.infer<typeof baseFileSchema>;
export type ManifestExclusion = z.infer<typeof exclusionSchema>;
export type ManifestOverride = z.infer<typeof overrideSchema>;

/** A lock's exclusions and overrides as manifest fields; nothing when it was not trimmed. */
export function manifestTrim(locked: {
  readonly exclusions?: readonly {
    readonly name: string;
    readonly reason: string;
    readonly requiredBy: readonly string[];
  }[];
  readonly overrides?: readonly {
    readonly requirement: string;
    readonly reason: string;
    readonly replaced: readonly string[];
  }[];
}): Pick<Manifest, 'exclusions' | 'overrides'> {
  return {
    ...(locked.exclusions === undefined || locked.exclusions.length === 0
      ? {}
      : {
          exclusions: locked.exclusions.map((e) => ({
            name: e.name,
            reason: e.reason,
            requiredBy: [...e.requiredBy],
          })),
        }),
    ...(locked.overrides === undefined || locked.overrides.length === 0
      ? {}
      : {
          overrides: locked.overrides.map((o) => ({
            requirement: o.requirement,
            reason: o.reason,
            replaced: [...o.replaced],
          })),
        }),
  };
}

/** A delta bundle relies on files it does not carry. */
export const isDelta = (manifest: Manifest): boolean => (manifest.baseFiles ?? []).length > 0;

/** A base file for messages: "NAME.whl (sha256 HEX, from BUNDLE)". */
export const describeBaseFile = (f: ManifestBaseFile): string =>
  `${f.filename} (sha256 ${f.sha256}${f.bundle === undefined ? '' : `, from ${f.bundle}`})`;

export function parseManifest(text: string, source: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_BAD_MANIFEST',
      `${source} is not valid JSON: ${(error as Error).message}`,
      {
        hint: 'The bundle is damaged; carry it again or rebuild it.',
      },
    );
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FerryError(
      'ERR_FERRY_BAD_MANIFEST',
      `${source} is not a ferry manifest: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
      {
        hint: `This ferry reads bundle format ${BUNDLE_FORMAT_VERSION}; rebuild the bundle with a matching ferry.`,
      },
    );
  }
  return parsed.data;
}

/** Stable JSON: two-space indent, trailing newline; key order fixed by construction. */
export function formatManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
