import { readFile } from 'node:fs/promises';
import type { EventSink } from '../../core/events.js';
import { defaultCacheDir } from '../../fetch/cache.js';
import { FRAMEWORK_DISPLAY, loadFrameworkTable } from '../../frameworks/table.js';
import type { VariantChoice } from '../../frameworks/variants.js';
import { useNetSettings } from '../../net/settings.js';
import { availabilityDiscovery } from '../../ops/framework-availability.js';
import { chooseDiscovered } from '../../ops/framework-fallback.js';
import { frameworkBuildRows, frameworksText } from '../../ops/frameworks-table.js';
import { emptyRequirementsResult, readRequirementsFile } from '../../resolver/requirements-file.js';
import { describeTarget } from '../../standards/target.js';
import { type Command, type ParsedArgs, str, usageError } from '../command.js';
import {
  INDEX_HELP,
  INDEX_OPTIONS,
  settleIndexSettings,
  settleMaxPageBytes,
  settleNetwork,
  settlePipConfiguration,
  settleResolution,
} from '../settings.js';
import { settleCliTargets, TARGET_HELP, TARGET_OPTIONS } from '../target-options.js';

/** Flags that only `frameworks choose` reads. */
const CHOOSE_OPTIONS = {
  ...TARGET_OPTIONS,
  ...INDEX_OPTIONS,
  'framework-version': { type: 'string' },
  cuda: { type: 'string' },
  driver: { type: 'string' },
  constraint: { type: 'string', short: 'c', multiple: true },
  'cache-dir': { type: 'string' },
  offline: { type: 'boolean' },
} as const;

export const frameworksCommand: Command = {
  name: 'frameworks',
  options: {
    ...CHOOSE_OPTIONS,
    framework: { type: 'string' },
  },
  help: `Usage: ferry frameworks [--framework F] [--json]
       ferry frameworks choose --framework F [--framework-version V] [--cuda C] [--driver D]
                               [--target NAME|FILE ... | --python V --os OS --arch A --glibc X.Y]

Without a subcommand: ferry's framework table (data/frameworks.json, or $FERRY_FRAMEWORKS),
one entry per build: the pin, its index (name and URL), the releases that have it, and what it
asks of the target (Python range, arches, glibc and libstdc++ floors, the NVIDIA driver for
full support and through minor-version compatibility, the GPU compute capabilities it has
kernels for) with the source of each row (docs/frameworks.md).

choose: the build \`ferry lock --framework\` and \`ferry bundle --framework\` would take for the
target(s), by the same chooser and the same discovery of which releases each build's index
holds (pip's configuration and constraints honoured), without resolving the closure: the pin,
its index, why this build, and the notes; or every reason it is refused, each with its fix,
and the builds that do run there. An index that cannot be reached is answered by what ferry
last read from it, else by the recorded availability, with its date; --offline asks no index. Exit 0 when a build is chosen, else the refusal's
status (3 for a target the build cannot run on, 2 for an unknown framework, release or CUDA).

Options:
      --framework F          paddle | torch | tensorflow (list: only that framework)
      --framework-version V  a release or series (default: the newest that fits)
      --cuda auto|cpu|X.Y    the build (default cpu, as ferry lock; auto = the newest CUDA build
                             the target's driver runs fully)
      --driver VERSION       the target's NVIDIA driver, when no probed profile says it
  -c, --constraint FILE      pip constraints, as ferry lock takes them (pip.conf's are read too)
      --offline              read no index: the cached or recorded availability decides
      --cache-dir DIR        where read availability is kept (default: ferry's cache)
      --json                 print the result as JSON

${TARGET_HELP}

${INDEX_HELP}

Examples:
  ferry frameworks --framework torch
  ferry frameworks choose --framework paddle --cuda auto --driver 535.54.03 --target centos-7`,
  async run(args, out) {
    const [sub, ...rest] = args.positionals;
    if (rest.length > 0 || (sub !== undefined && sub !== 'choose'))
      throw usageError(
        'frameworks',
        `unknown subcommand "${args.positionals.join(' ')}" (only "choose").`,
      );
    const framework = str(args.values.framework);
    if (sub === undefined) {
      for (const flag of Object.keys(CHOOSE_OPTIONS))
        if (args.values[flag] !== undefined)
          throw usageError('frameworks', `--${flag} only applies to "ferry frameworks choose".`);
      const table = loadFrameworkTable();
      const rows = frameworkBuildRows(table, framework);
      out.result({ builds: rows }, frameworksText(rows));
      return 0;
    }
    if (framework === undefined)
      throw usageError('frameworks', 'choose needs --framework paddle|torch|tensorflow.');
    const version = str(args.values['framework-version']);
    const cuda = str(args.values.cuda) ?? 'cpu';
    const driver = str(args.values.driver);
    const targets = await settleCliTargets(args);
    const { discovery, constraints } = await settleDiscovery(args, out.events);
    const choice = await chooseDiscovered(
      {
        framework,
        cuda,
        ...(version === undefined ? {} : { version }),
        ...(driver === undefined ? {} : { driver }),
      },
      targets,
      discovery,
      constraints,
    );
    const indexName = tableIndexName(choice);
    const why = whyThisBuild(choice, cuda);
    out.result(
      {
        framework: choice.framework,
        version: choice.version,
        requirement: choice.requirement,
        project: choice.project,
        cuda: choice.cuda,
        python: choice.python,
        index: { name: indexName, url: choice.index === 'default' ? null : choice.index },
        constraints: choice.constraints,
        why,
        notes: choice.notes,
        source: choice.from,
        targets: targets.map((t) => describeTarget(t.target)),
      },
      [
        `${FRAMEWORK_DISPLAY[choice.framework]}: ${choice.requirement}`,
        `  index:       ${choice.index === 'default' ? "default (pip's configured index)" : `${indexName} ${choice.index}`}`,
        `  python:      ${choice.python}`,
        ...(choice.constraints.length === 0
          ? []
          : [`  constraints: ${choice.constraints.join(', ')}`]),
        `  why:         ${why}`,
        ...choice.notes.map((n) => `  note:        ${n}`),
        `  source:      ${choice.from}`,
        ...targets.map((t) => `  for ${describeTarget(t.target)}`),
      ].join('\n'),
    );
    return 0;
  },
};

/**
 * What lock reads to choose (src/ops/lock.ts): pip's configuration and constraint files, and
 * the discovery of published releases over the same indexes, network settings and cache.
 */
async function settleDiscovery(args: ParsedArgs, events: EventSink) {
  const pip = await settlePipConfiguration(args);
  const resolution = settleResolution(args, pip);
  const files = emptyRequirementsResult();
  const io = { readFile: (p: string) => readFile(p, 'utf8') };
  for (const file of resolution.constraintFiles)
    await readRequirementsFile(file, io, 'constraint', files);
  if (args.values.offline === true) return { discovery: undefined, constraints: files.constraints };
  const net = settleNetwork(args, pip);
  useNetSettings(net);
  const cacheDir = str(args.values['cache-dir']) ?? defaultCacheDir();
  const maxPageBytes = settleMaxPageBytes(args);
  const discovery = availabilityDiscovery(
    {
      configured: () => settleIndexSettings(args, undefined, [], pip),
      cacheDir,
      net,
      ...(maxPageBytes === undefined ? {} : { maxPageBytes }),
    },
    events,
  );
  return { discovery, constraints: files.constraints };
}

/** The table's name for the chosen build's index ('default' for the configured index). */
function tableIndexName(choice: VariantChoice): string {
  if (choice.index === 'default') return 'default';
  const trim = (u: string) => u.replace(/\/+$/, '');
  const found = Object.entries(loadFrameworkTable().indexes).find(
    ([, url]) => trim(url) === trim(choice.index),
  );
  return found?.[0] ?? choice.index;
}

/** One line on why the chooser took this build, from what was asked. */
function whyThisBuild(choice: VariantChoice, asked: string): string {
  const build = choice.cuda === 'cpu' ? 'the CPU build' : `the CUDA ${choice.cuda} build`;
  const wanted = asked.trim().toLowerCase();
  if (wanted === 'auto')
    return choice.cuda === 'cpu'
      ? `${build}: --cuda auto found no CUDA build the target can run (see the notes)`
      : `${build}: the newest CUDA build the target's driver runs (--cuda auto)`;
  return `${build}, as asked (--cuda ${asked}), and it fits the target's Python, arch and libc`;
}
