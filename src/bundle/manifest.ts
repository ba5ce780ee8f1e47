/**
 * manifest.json: what a bundle holds and where each file came from. Every file's size and
 * SHA-256 are recorded so the far side can prove that what arrived is what was downloaded.
 * See docs/bundle-format.md.
 */
import { z } from 'zod';
import { FerryError } from '../core/errors.js';

export const BUNDLE_FORMAT_VERSION = 1;

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
});

/**
 * A tool the bundle carries besides its packages (tools/ferry.mjs, `ferry pack --with-ferry`):
 * listed here and in SHA256SUMS, so it is verified and signed like everything else.
 */
const toolSchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** What the file is, e.g. "ferry 0.2.0". */
  tool: z.string(),
});

const targetSchema = z.object({
  name: z.string(),
  python: z.string(),
  implementation: z.string(),
  platform: z.string(),
  tags: z.array(z.string()),
  markers: z.record(z.string(), z.string()),
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
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;
export type ManifestTarget = z.infer<typeof targetSchema>;
export type ManifestTool = z.infer<typeof toolSchema>;

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
