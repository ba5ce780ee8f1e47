/** An in-memory Provider for resolver logic tests: projects → versions → Requires-Dist. */
import type { DistFile } from '../../src/index/client.js';
import type {
  Candidate,
  CandidateMetadata,
  CandidatesAnswer,
  Provider,
} from '../../src/resolver/provider.js';
import { type NormalizedName, normalizeName } from '../../src/standards/name.js';
import { parseRequirement } from '../../src/standards/requirement.js';
import { compareVersions, parseVersion } from '../../src/standards/version.js';

export interface TableRelease {
  readonly deps?: readonly string[];
  readonly requiresPython?: string;
  readonly yanked?: boolean;
}
export type Table = Record<string, Record<string, TableRelease | readonly string[]>>;

export class TableProvider implements Provider {
  readonly asked: string[] = [];
  /** `targets`: how many targets the resolution serves (every version has a file for each). */
  constructor(
    private readonly table: Table,
    private readonly targets = 1,
  ) {}

  async candidates(name: NormalizedName): Promise<CandidatesAnswer> {
    this.asked.push(name);
    const entry = Object.entries(this.table).find(([k]) => normalizeName(k) === name);
    if (entry === undefined) {
      const suggestions = Object.keys(this.table).filter((k) => k.slice(0, 3) === name.slice(0, 3));
      return { kind: 'not-found', suggestions, searched: ['table'] };
    }
    const candidates: Candidate[] = Object.entries(entry[1])
      .map(([version, release]) => {
        const r: TableRelease = Array.isArray(release)
          ? { deps: release }
          : (release as TableRelease);
        const file: DistFile = {
          filename: `${name}-${version}-py3-none-any.whl`,
          url: `table://${name}/${version}`,
          index: 'table',
          hashes: {},
          yanked: r.yanked ? 'yanked' : false,
          coreMetadata: false,
        };
        return {
          name,
          version: parseVersion(version),
          versionText: version,
          file,
          files: Array.from({ length: this.targets }, () => file),
          yanked: r.yanked === true,
        };
      })
      .sort((a, b) => compareVersions(b.version, a.version));
    return { kind: 'found', candidates, rejected: [], source: 'table' };
  }

  async metadata(candidate: Candidate): Promise<CandidateMetadata> {
    const entry = Object.entries(this.table).find(([k]) => normalizeName(k) === candidate.name)!;
    const release = entry[1][candidate.versionText]!;
    const r: TableRelease = Array.isArray(release) ? { deps: release } : (release as TableRelease);
    return {
      requiresDist: (r.deps ?? []).map((d) => parseRequirement(d)),
      ...(r.requiresPython === undefined ? {} : { requiresPython: r.requiresPython }),
      providesExtra: [],
    };
  }
}
