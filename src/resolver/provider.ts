/**
 * The resolver's only view of the world (uv's `ResolverProvider` idea): it asks for a
 * project's candidates and a candidate's dependencies and gets data back. One adapter
 * (index-provider.ts) answers from package indexes; tests can answer from tables.
 */
import type { DistFile } from '../index/client.js';
import type { NormalizedName } from '../standards/name.js';
import type { Requirement } from '../standards/requirement.js';
import type { Version } from '../standards/version.js';

export interface Candidate {
  readonly name: NormalizedName;
  readonly version: Version;
  /** The version as the index spelled it (in the filename). */
  readonly versionText: string;
  /**
   * The file chosen for the first target that has one: its best-ranked compatible wheel, or
   * (only for a project allowed with --allow-sdist, when no wheel fits) its source
   * distribution. Its metadata stands for the version.
   */
  readonly file: DistFile;
  /**
   * The file chosen for each target, in the order the targets were given (may repeat);
   * undefined where the version has nothing for that target. The resolver uses a candidate only
   * when every target that needs the package has a file.
   */
  readonly files: readonly (DistFile | undefined)[];
  readonly yanked: boolean;
}

/** Why a file on the index cannot serve the target; kept to explain "no compatible file". */
export interface RejectedFile {
  readonly filename: string;
  readonly version: string;
  readonly reason: 'incompatible-tags' | 'requires-python' | 'sdist' | 'invalid';
  readonly detail: string;
}

export type CandidatesAnswer =
  | {
      readonly kind: 'found';
      /** Newest first. Only versions with a usable file for at least one target. */
      readonly candidates: readonly Candidate[];
      readonly rejected: readonly RejectedFile[];
      readonly source: string;
    }
  | {
      readonly kind: 'not-found';
      readonly suggestions: readonly string[];
      readonly searched: readonly string[];
    };

export interface CandidateMetadata {
  readonly requiresDist: readonly Requirement[];
  readonly requiresPython?: string;
  readonly providesExtra: readonly NormalizedName[];
}

export interface Provider {
  candidates(name: NormalizedName): Promise<CandidatesAnswer>;
  metadata(candidate: Candidate): Promise<CandidateMetadata>;
  /**
   * PEP 517/518 build requirements of the candidate's source distributions (the files that
   * are not wheels); [] when every chosen file is a wheel.
   */
  buildRequirements?(candidate: Candidate): Promise<readonly Requirement[]>;
  /** A hint that these will be asked for soon: start fetching (no answer expected). */
  prefetch?(name: NormalizedName): void;
}
