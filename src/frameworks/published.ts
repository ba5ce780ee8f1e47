/**
 * Is the release the chooser settled on published for the target? The list of the build's
 * index (read when ferry locks, or recorded: ./availability.ts) decides. An unreachable vendor
 * index is replaced by the configured indexes (pip's, find-links included) when they hold the
 * same build, which needs a version that names the build (+cpu, +cu126, .post112): Paddle 3
 * names every CUDA build of a release alike (paddlepaddle-gpu==3.3.1 on each cuNNN index), so
 * a file of it elsewhere does not say which build it is.
 */

import { compareVersions } from '../standards/version.js';
import {
  type Availability,
  describeOrigin,
  listFor,
  matchingWheels,
  versionsWithWheels,
} from './availability.js';
import type { VariantProblem } from './build-checks.js';

export interface PublishedQuery {
  /** The build's index URL, or 'default'. */
  readonly index: string;
  /** The table's name for it ('pytorch-cu126'), for the --index NAME=URL hint. */
  readonly tableIndex: string;
  readonly project: string;
  /** The exact version pinned ('2.13.0+cpu'). */
  readonly version: string;
  /** Whether the version alone names the build. */
  readonly namesBuild: boolean;
  readonly cpu: boolean;
  /** The target interpreter's tags, best first. */
  readonly tags: readonly string[];
  readonly python: string;
  readonly arch: string;
}

export interface Published {
  /** The index to take the pin from: the build's, or 'default' when the configured indexes stand in. */
  readonly index: string;
  /** The wheel for the target the list names, when known. */
  readonly file?: string;
  readonly notes: readonly string[];
  readonly problem?: VariantProblem;
}

/** 'torch 2.13.0+cpu, 2.13.0, …' (newest first, at most eight), or 'no torch wheel for the target'. */
function describeVersions(project: string, versions: readonly string[]): string {
  if (versions.length === 0) return `no ${project} wheel for the target`;
  const sorted = [...versions].sort((a, b) => compareVersions(b, a));
  return `${project} ${sorted.slice(0, 8).join(', ')}${sorted.length > 8 ? ', …' : ''}`;
}

export function checkPublished(avail: Availability, q: PublishedQuery): Published {
  const { index, project, version } = q;
  const list = listFor(avail, index, project);
  const failed = index === 'default' ? undefined : avail.unreachable.get(index);
  const wheels = list === undefined ? [] : matchingWheels(list.files, project, version, q.tags);
  const configuredFiles = avail.configured.get(project) ?? [];
  const configured = q.namesBuild ? matchingWheels(configuredFiles, project, version, q.tags) : [];
  if (failed !== undefined && configured.length > 0) {
    return {
      index: 'default',
      file: configured[0] as string,
      notes: [
        `${index} could not be reached (${failed}); ${project}==${version} is taken from the configured indexes (${configured[0]}), which hold the same build.`,
      ],
    };
  }
  if (wheels.length > 0) {
    return {
      index,
      file: wheels[0] as string,
      notes:
        list !== undefined && list.origin !== 'index' && failed !== undefined
          ? [`using ${describeOrigin(list)}: ${index} unreachable (${failed}).`]
          : [],
    };
  }
  if (list === undefined && failed === undefined) {
    return {
      index,
      notes: [
        `${index === 'default' ? 'The configured index' : index} was not checked for ${project}==${version}: the pin follows ferry's table.`,
      ],
    };
  }
  const elsewhere = q.namesBuild
    ? `the configured indexes have no ${project}==${version} wheel for the target`
    : `${project}==${version} names no build, so a wheel of it elsewhere may be another ${q.cpu ? 'build' : 'CUDA build'}`;
  return {
    index,
    notes: [],
    problem: {
      code: 'ERR_FERRY_VARIANT_UNPUBLISHED',
      problem:
        list === undefined
          ? `${index} could not be reached (${failed}) and nothing is recorded for it; ${elsewhere} (configured indexes have: ${describeVersions(project, versionsWithWheels(configuredFiles, project, q.tags))})`
          : `${describeOrigin(list)} has no ${project}==${version} wheel for the target (Python ${q.python}, linux ${q.arch})`,
      fix:
        failed === undefined
          ? 'Choose another release (--framework-version).'
          : `Name a mirror of that index: --index ${q.tableIndex}=URL (docs/indexes.md), or choose another release (--framework-version).`,
    },
  };
}
