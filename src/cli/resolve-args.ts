/**
 * What `ferry lock` and `ferry bundle` share: their options, and settling requirements
 * (arguments, -r, -c), --framework, index and network settings and targets from flags and
 * pip's configuration before calling the lock use case (src/ops/lock.ts).
 */

import { defaultCacheDir } from '../fetch/cache.js';
import type { TrimSettings } from '../index/index-config.js';
import { useNetSettings } from '../net/settings.js';
import { type LockOutcome, lock } from '../ops/lock.js';
import { parseExcludeFlag, parseOverrideFlag } from '../ops/trim.js';
import { list, type ParsedArgs, str, usageError } from './command.js';
import { collectRequirements } from './commands/bundle-requirements.js';
import type { Output } from './render.js';
import {
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
  refresh: { type: 'boolean' },
  'allow-sdist': { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  override: { type: 'string', multiple: true },
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
      --refresh              ask the index about every page again, even one its Cache-Control
                             still calls fresh (a page it has not changed costs a 304, no body)
      --allow-sdist NAME     carry NAME's source distribution when a version has no wheel for the
                             target, with its build requirements, to be built on the target
                             (repeatable; :all: for every project; wheels are still preferred)

Trimming the closure (docs/trimming.md; also ferry.toml's [trim] table):
      --exclude NAME[=REASON]     leave NAME out wherever something requires it, with what only
                                  it needed; the reason is recorded (repeatable)
      --override "REQ[; reason=TEXT]"
                                  put REQ in place of every requirement on its project, as uv's
                                  override-dependencies (repeatable), e.g.
                                  --override "protobuf==3.20.2; reason=paddle 2.x needs 3.20"

pip's configuration counts here too (pip.conf and PIP_*): constraint, pre, no-binary,
only-binary and prefer-binary, with the flags above over them (docs/indexes.md).

${TARGET_HELP}

${INDEX_HELP}`;

export type ResolvedArgs = LockOutcome;

/** Parse → settle → the lock use case (src/ops/lock.ts), for `ferry lock` and `ferry bundle`. */
export async function resolveFromArgs(
  command: string,
  args: ParsedArgs,
  out: Output,
): Promise<ResolvedArgs> {
  // Probing the host and asking pip for its defaults each start a Python: side by side.
  const settlingTargets = settleCliTargets(args);
  settlingTargets.catch(() => {}); // awaited below; a pip configuration error comes first
  const pip = await settlePipConfiguration(args);
  const resolution = settleResolution(args, pip);
  const framework = str(args.values.framework);
  const base = await collectRequirements(
    command,
    args,
    framework !== undefined,
    resolution.constraintFiles,
  );
  for (const source of resolution.sources)
    out.events({ type: 'info', message: `pip's configuration: ${source}` });
  const net = settleNetwork(args, pip);
  // Requests made below the CLI without settings of their own (sdist reads, downloads) use it.
  useNetSettings(net);
  const targets = await settlingTargets;
  const version = str(args.values['framework-version']);
  const cuda = str(args.values.cuda);
  const driver = str(args.values.driver);
  if (framework === undefined) {
    if (cuda !== undefined || version !== undefined)
      throw usageError(command, '--cuda and --framework-version only apply with --framework.');
    if (base.requirements.length === 0)
      throw usageError(command, 'give at least one REQUIREMENT, -r FILE or --framework.');
  }
  const allowSdist = allowSdistNames(command, args);
  const trim = trimFlags(args);
  const maxPageBytes = settleMaxPageBytes(args);
  return lock({
    requirements: base,
    ...(framework === undefined
      ? {}
      : {
          framework: {
            framework,
            cuda: cuda ?? 'cpu',
            ...(version === undefined ? {} : { version }),
            ...(driver === undefined ? {} : { driver }),
          },
        }),
    targets,
    prereleases: resolution.pre,
    allowSdist,
    cacheDir: str(args.values['cache-dir']) ?? defaultCacheDir(),
    ...(args.values.refresh === true ? { refresh: true } : {}),
    formats: resolution.formats,
    net,
    ...(maxPageBytes === undefined ? {} : { maxPageBytes }),
    indexFor: list(args.values['index-for']),
    ...(trim === undefined ? {} : { trim }),
    indexSettings: (requirements, pins) => settleIndexSettings(args, requirements, pins, pip),
    events: out.events,
  });
}

/** --exclude and --override, as the lock use case takes them (over ferry.toml's [trim]). */
function trimFlags(args: ParsedArgs): TrimSettings | undefined {
  const exclude = list(args.values.exclude).map((text) => ({
    ...parseExcludeFlag(text),
    origin: '--exclude',
  }));
  const override = list(args.values.override).map((text) => ({
    ...parseOverrideFlag(text),
    origin: '--override',
  }));
  return exclude.length === 0 && override.length === 0 ? undefined : { exclude, override };
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
