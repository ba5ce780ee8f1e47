/**
 * `ferry why NAME`: every path from the top-level requirements to a package, over the lock's
 * (or bundle's) dependency graph, as pnpm why and uv tree --invert answer it.
 */
import { normalizeLoose, pathsTo } from '../audit/paths.js';
import { FerryError } from '../core/errors.js';
import { loadSubject } from './audit-subject.js';
import type { OpenBundle } from './open.js';

export interface WhyStep {
  readonly name: string;
  readonly version: string;
}

export interface WhyReport {
  readonly subject: string;
  readonly name: string;
  readonly version: string;
  /** The top-level requirements of the lock (their names). */
  readonly roots: readonly string[];
  /** Each path, the top-level requirement first and the package last. */
  readonly paths: readonly (readonly WhyStep[])[];
  readonly truncated: boolean;
}

export interface WhyRequest {
  readonly name: string;
  /** A pylock.toml or a bundle (folder, archive, volumes). */
  readonly subject: string;
  readonly limit?: number;
  readonly open?: OpenBundle;
}

export async function why(request: WhyRequest): Promise<WhyReport> {
  const subject = await loadSubject(request.subject, {
    licences: false,
    ...(request.open === undefined ? {} : { open: request.open }),
  });
  try {
    const versions = new Map(subject.packages.map((p) => [normalizeLoose(p.name), p]));
    const wanted = normalizeLoose(request.name);
    const pkg = versions.get(wanted);
    if (pkg === undefined) {
      const close = [...versions.keys()].filter((n) => n.includes(wanted) || wanted.includes(n));
      throw new FerryError(
        'ERR_FERRY_NOT_IN_LOCK',
        `"${request.name}" is not in ${subject.label} (${subject.packages.length} packages)`,
        {
          hint:
            close.length > 0
              ? `Did you mean ${close.map((c) => `"${c}"`).join(' or ')}?`
              : "Check the name; `ferry audit` or the bundle's manifest.json lists every package.",
        },
      );
    }
    const found = pathsTo(subject.graph, wanted, request.limit);
    const step = (n: string): WhyStep => ({
      name: versions.get(n)?.name ?? n,
      version: versions.get(n)?.version ?? '',
    });
    return {
      subject: subject.label,
      name: pkg.name,
      version: pkg.version,
      roots: subject.graph.roots,
      paths: found.paths.map((p) => p.map(step)),
      truncated: found.truncated,
    };
  } finally {
    await subject.cleanup();
  }
}
