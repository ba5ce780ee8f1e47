/**
 * What `ferry lock` and `ferry bundle` share: requirements (arguments, -r, -c, --framework),
 * index settings and targets settled from flags, then one resolution for all targets.
 */

import type { Locked } from '../bundle/locked.js';
import { FerryError } from '../core/errors.js';
import { ContentCache, defaultCacheDir } from '../fetch/cache.js';
import { chooseFramework } from '../frameworks/framework-request.js';
import { loadFrameworkTable, type VariantChoice } from '../frameworks/variants.js';
import type { SettledTarget } from '../host/target-spec.js';
import { IndexClient } from '../index/client.js';
import type { PipConfiguration, ResolutionSettings } from '../index/pip-config.js';
import { type NetSettings, useNetSettings } from '../net/settings.js';
import { frameworkPinError, userPinsProject, vendorIndexError } from '../ops/framework-messages.js';
import { indexDescriptions, lockRequirements } from '../ops/lock.js';
import type { RequirementsFileResult } from '../resolver/requirements-file.js';
import { parseRequirement } from '../standards/requirement.js';
import { compareVersions, parseVersion } from '../standards/version.js';
import { list, type ParsedArgs, str, usageError } from './command.js';
import { collectRequirements } from './commands/bundle-requirements.js';
import type { Output } from './render.js';
import {
  type ExtraIndexPin,
  INDEX_HELP,
  INDEX_OPTIONS,
  settleIndexSettings,
  settleMaxPageBytes,
  settleNetwork,
  settlePipConfiguration,
  settleResolution,
} from './settings.js';
import { settleCliTargets, TARGET_HELP, TARGET_OPTIONS } from './target-options.js';

export const RESOLVE_OPTIONS = {
  ...INDEX_OPTIONS,
  ...TARGET_OPTIONS,
  requirement: { type: 'string', short: 'r', multiple: true },
  constraint: { type: 'string', short: 'c', multiple: true },
  pre: { type: 'boolean' },
  'prefer-binary': { type: 'boolean' },
  framework: { type: 'string' },
  'framework-version': { type: 'string' },
  cuda: { type: 'string' },
  driver: { type: 'string' },
  'cache-dir': { type: 'string' },
  'allow-sdist': { type: 'string', multiple: true },
} as const;

export const RESOLVE_HELP = `What to resolve:
  REQUIREMENT...             PEP 508 requirements, e.g. "paddlepaddle==3.0.0" "numpy<2"
  -r, --requirement FILE     a pip requirements file (repeatable)
  -c, --constraint FILE      constrain versions without adding projects (repeatable)
      --pre                  allow pre-releases
      --prefer-binary        prefer a version with wheels over a newer one that would carry an
                             sdist (with --allow-sdist)
      --framework NAME       paddle | torch | tensorflow: the right build for the target
                             (exact pin, CUDA variant, index) from ferry's variant table
      --framework-version V  a release or series of the framework (default: newest that fits)
      --cuda auto|cpu|X.Y    CUDA build (default cpu; auto = newest the target's driver runs)
      --driver VERSION       the target's NVIDIA driver, when no probed profile says it
      --cache-dir DIR        download and metadata cache (default $FERRY_CACHE_DIR or ~/.cache/ferry)
      --allow-sdist NAME     carry NAME's source distribution when a version has no wheel for the
                             target, with its build requirements, to be built on the target
                             (repeatable; :all: for every project; wheels are still preferred)

pip's configuration counts here too (pip.conf and PIP_*): constraint, pre, no-binary,
only-binary and prefer-binary, with the flags above over them (docs/indexes.md).

${TARGET_HELP}

${INDEX_HELP}`;

export interface ResolvedArgs {
  readonly locked: Locked;
  readonly client: IndexClient;
  readonly cache: ContentCache;
}

export async function resolveFromArgs(
  command: string,
  args: ParsedArgs,
  out: Output,
): Promise<ResolvedArgs> {
  const pip = await settlePipConfiguration(args);
  const resolution = settleResolution(args, pip);
  const base = await collectRequirements(
    command,
    args,
    str(args.values.framework) !== undefined,
    resolution.constraintFiles,
  );
  for (const source of resolution.sources)
    out.events({ type: 'info', message: `pip's configuration: ${source}` });
  const net = settleNetwork(args, pip);
  // Requests made below the CLI without settings of their own (sdist reads, downloads) use it.
  useNetSettings(net);
  const settled = await settleCliTargets(args);
  const context: LockContext = { command, args, out, settled, pip, resolution, net };
  const framework = str(args.values.framework);
  if (framework === undefined) {
    if (str(args.values.cuda) !== undefined || str(args.values['framework-version']) !== undefined)
      throw usageError(command, '--cuda and --framework-version only apply with --framework.');
    if (base.requirements.length === 0)
      throw usageError(command, 'give at least one REQUIREMENT, -r FILE or --framework.');
    // A hand-pinned framework CUDA build the index lacks: point at --framework.
    return lockWith(context, base, []).catch((error: unknown) => {
      throw frameworkPinError(error, base) ?? error;
    });
  }
  const asked = str(args.values['framework-version']);
  const first = chooseForTargets(framework, args, settled, asked);
  // Without --framework-version the newest release of the series is tried first; when it has no
  // wheel for the target (a new release often lags on aarch64 or old glibc), the next older
  // release of the same series is tried, and the user is told.
  const releases = asked === undefined ? olderReleases(first) : [first.version];
  const said = new Set<string>();
  for (const [i, release] of releases.entries()) {
    const choice = i === 0 ? first : chooseForTargets(framework, args, settled, release);
    const { reqs, pins: vendorPins } = withFramework(base, choice, framework);
    // Each note once, however many releases are tried.
    for (const note of choice.notes.filter((n) => !said.has(n))) {
      said.add(note);
      out.events({ type: 'info', message: note });
    }
    // The user's own --index-for PROJECT=NAME wins over the table's vendor index.
    const pins = userPinsProject(list(args.values['index-for']), choice.project) ? [] : vendorPins;
    try {
      return await lockWith(context, reqs, pins);
    } catch (error) {
      const project = (error as FerryError).details?.project;
      const noWheel =
        error instanceof FerryError &&
        (error.code === 'ERR_FERRY_NO_COMPATIBLE_FILE' ||
          error.code === 'ERR_FERRY_RESOLUTION_IMPOSSIBLE') &&
        project === choice.project;
      const next = releases[i + 1];
      if (!noWheel || next === undefined) throw vendorIndexError(error, choice) ?? error;
      out.events({
        type: 'warning',
        code: 'ERR_FERRY_VARIANT_FALLBACK',
        message: `${choice.requirement} has no wheel for the target; trying ${framework} ${next} (pin one with --framework-version)`,
      });
    }
  }
  throw new Error('unreachable: the loop returns or throws');
}

function chooseForTargets(
  framework: string,
  args: ParsedArgs,
  settled: readonly SettledTarget[],
  version: string | undefined,
): VariantChoice {
  const choices = settled.map((s) =>
    chooseFramework(
      {
        framework,
        cuda: str(args.values.cuda) ?? 'cpu',
        ...(version === undefined ? {} : { version }),
        ...(str(args.values.driver) === undefined ? {} : { driver: str(args.values.driver)! }),
      },
      s.target,
      s.profile,
    ),
  );
  const builds = [...new Set(choices.map((c) => c.requirement))];
  if (builds.length > 1) {
    throw new FerryError(
      'ERR_FERRY_VARIANT_TARGETS_DIFFER',
      `The targets need different builds of ${framework}: ${builds.join(', ')}.`,
      {
        hint: 'Bundle each target separately, or pass --framework-version and --cuda so that one build fits all.',
      },
    );
  }
  return choices[0]!;
}

/** The chosen release and the older ones of its series in ferry's table, newest first. */
function olderReleases(choice: VariantChoice): string[] {
  const series = loadFrameworkTable().series.find(
    (s) => s.framework === choice.framework && s.versions.includes(choice.version),
  );
  const versions = (series?.versions ?? [choice.version]).filter(
    (v) => compareVersions(parseVersion(v), parseVersion(choice.version)) <= 0,
  );
  return versions.sort((a, b) => compareVersions(parseVersion(b), parseVersion(a)));
}

function withFramework(
  base: RequirementsFileResult,
  choice: VariantChoice,
  framework: string,
): { reqs: RequirementsFileResult; pins: ExtraIndexPin[] } {
  const source = `--framework ${framework}`;
  const pins: ExtraIndexPin[] = [];
  // The vendor's own index, pinned for this project only (never searched for anything else).
  if (choice.index !== 'default')
    pins.push({
      project: choice.project,
      name: `${choice.project}-${choice.cuda === 'cpu' ? 'cpu' : `cu${choice.cuda.replace('.', '')}`}`,
      url: choice.index,
    });
  return {
    reqs: {
      ...base,
      requirements: [
        ...base.requirements,
        { requirement: parseRequirement(choice.requirement), source },
      ],
      constraints: [
        ...base.constraints,
        ...choice.constraints.map((c) => ({ requirement: parseRequirement(c), source })),
      ],
    },
    pins,
  };
}

/** What every resolution attempt of one command shares. */
interface LockContext {
  readonly command: string;
  readonly args: ParsedArgs;
  readonly out: Output;
  readonly settled: readonly SettledTarget[];
  readonly pip: PipConfiguration;
  readonly resolution: ResolutionSettings;
  readonly net: NetSettings;
}

async function lockWith(
  { command, args, out, settled, pip, resolution, net }: LockContext,
  reqs: RequirementsFileResult,
  pins: readonly ExtraIndexPin[],
): Promise<ResolvedArgs> {
  const settings = await settleIndexSettings(args, reqs, pins, pip);
  const maxPageBytes = settleMaxPageBytes(args);
  const cache = new ContentCache(str(args.values['cache-dir']) ?? defaultCacheDir());
  const client = new IndexClient({
    settings,
    cacheDir: cache.dir,
    events: out.events,
    formats: resolution.formats,
    net,
    ...(maxPageBytes === undefined ? {} : { maxPageBytes }),
  });
  const locked = await lockRequirements({
    requirements: reqs.requirements,
    constraints: reqs.constraints,
    prereleases: resolution.pre || reqs.pre,
    targets: settled.map((s) => s.target),
    client,
    indexes: indexDescriptions(settings),
    events: out.events,
    allowSdist: allowSdistNames(command, args),
    cacheDir: cache.dir,
  });
  return { locked, client, cache };
}

/** --allow-sdist values: project names (comma-separated lists accepted, as pip's --no-binary) or :all:. */
function allowSdistNames(command: string, args: ParsedArgs): string[] {
  const raw = args.values['allow-sdist'];
  const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String);
  const names = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  for (const name of names) {
    if (name !== ':all:' && !/^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/.test(name)) {
      throw usageError(command, `--allow-sdist "${name}" is not a project name (or :all:).`);
    }
  }
  return names;
}
