/**
 * What `--framework` (and a hand-pinned framework build) tells the user when something goes
 * wrong below the chooser: whose index could not be reached, and how to get a CUDA build the
 * configured index does not have. Each hint names flags that work (docs/indexes.md).
 */
import { FerryError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { frameworkForPin } from '../frameworks/framework-request.js';
import { frameworkTableSource } from '../frameworks/table.js';
import type { VariantChoice } from '../frameworks/variants.js';
import type { RequirementsFileResult } from '../resolver/requirements-file.js';
import { normalizeName } from '../standards/name.js';

const VENDOR: Readonly<Record<string, string>> = {
  paddlepaddle: "PaddlePaddle's own index",
  torch: "PyTorch's own index",
  tensorflow: "TensorFlow's index",
};

/** The name `--explicit-index` gets in the hints below. */
export function mirrorName(project: string): string {
  return `${project}-mirror`;
}

/** Whether the user pinned `project` to an index of their own (--index-for), over the table's. */
export function userPinsProject(indexFor: readonly string[], project: string): boolean {
  const wanted = normalizeName(project);
  return indexFor.some((flag) => {
    const eq = flag.indexOf('=');
    return eq > 0 && normalizeName(flag.slice(0, eq).trim()) === wanted;
  });
}

/**
 * An index that could not be reached (or refused) while resolving a --framework choice: when
 * it is the vendor index from ferry's table, say so (not pip.conf), and how to use a mirror
 * of it instead. Undefined when the error is about another location.
 */
export function vendorIndexError(error: unknown, choice: VariantChoice): FerryError | undefined {
  if (!(error instanceof FerryError) || choice.index === 'default') return undefined;
  if (error.code !== 'ERR_FERRY_INDEX_UNREACHABLE' && error.code !== 'ERR_FERRY_HTTP_STATUS')
    return undefined;
  const vendor = redactUrl(choice.index).replace(/\/+$/, '');
  const url = String(error.details?.url ?? '');
  if (!url.startsWith(vendor) && !error.message.includes(vendor)) return undefined;
  const name = mirrorName(choice.project);
  return new FerryError(error.code, error.message, {
    hint:
      `${redactUrl(choice.index)} is ${VENDOR[choice.framework] ?? 'the vendor index'} for ${choice.requirement}, ` +
      `named in ferry's variant table (${frameworkTableSource()}), not in your pip configuration. ` +
      `If this host cannot reach it, take ${choice.project} from a mirror of it: ` +
      `--explicit-index ${name}=URL --index-for ${choice.project}=${name} (docs/indexes.md).`,
    details: {
      ...error.details,
      vendorIndex: redactUrl(choice.index),
      project: choice.project,
      table: frameworkTableSource(),
    },
    cause: error,
  });
}

/**
 * A resolution that failed on a hand-pinned framework CUDA build (`paddlepaddle-gpu==2.6.0.post118`,
 * `torch==2.1.2+cu118`) that the configured index does not have: point at the --framework
 * form, which takes the build from where ferry's table says it is.
 */
export function frameworkPinError(
  error: unknown,
  requirements: RequirementsFileResult,
): FerryError | undefined {
  if (!(error instanceof FerryError)) return undefined;
  if (
    error.code !== 'ERR_FERRY_RESOLUTION_IMPOSSIBLE' &&
    error.code !== 'ERR_FERRY_NO_COMPATIBLE_FILE' &&
    error.code !== 'ERR_FERRY_UNKNOWN_PROJECT'
  )
    return undefined;
  const project = error.details?.project;
  for (const { requirement } of requirements.requirements) {
    if (requirement.normalizedName !== project) continue;
    const advice = frameworkForPin(requirement);
    if (advice === undefined) continue;
    const where =
      advice.index === 'default'
        ? `ferry's variant table has it as ${advice.requirement} on the configured index`
        : `ferry's variant table has it as ${advice.requirement} on ${redactUrl(advice.index)}, not on the indexes searched`;
    const pinned = `${requirement.name}${requirement.specifier.specifiers.map((s) => `${s.operator}${s.version}`).join(',')}`;
    return new FerryError(error.code, error.message, {
      hint:
        `${pinned} names a CUDA ${advice.cuda} build (${where}). ` +
        `Let ferry choose it: replace the requirement with ${advice.flags}` +
        (advice.note === undefined ? '.' : ` (${advice.note}).`) +
        (error.hint === undefined ? '' : ` Otherwise: ${error.hint}`),
      details: { ...error.details, framework: { ...advice } },
      cause: error,
    });
  }
  return undefined;
}
