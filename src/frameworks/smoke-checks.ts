/**
 * Which smoke checks exist and which ones a bundle gets. Each check is one Python function in
 * a `*_checks.py` file in src/onhost/smoke/, run by harness.py in a fresh interpreter of the
 * venv under test, with its own timeout. `ferry install` (src/onhost/smoke/run-smoke.ts) and a
 * bundle's install.py (which carries this table and the scripts) run the same checks. The `imports` suite imports the framework as users do, then
 * every other top-level module of every installed distribution (import-check.py), and runs for
 * every bundle unless smoke is `none`.
 */
import { FerryError } from '../core/errors.js';
import { normalizeName } from '../standards/name.js';

export const SMOKE_MODES = ['auto', 'paddle', 'torch', 'tensorflow', 'imports', 'none'] as const;
export type SmokeMode = (typeof SMOKE_MODES)[number];

export type SmokeSuite = 'imports' | 'paddle' | 'torch' | 'tensorflow';

export interface SmokeCheckSpec {
  /** Stable id, e.g. 'paddle.resnet18'; receipts and --json name checks by it. */
  readonly id: string;
  readonly suite: SmokeSuite;
  readonly title: string;
  /** The checks file beside this module, and the function (check_NAME) in it. */
  readonly file: string;
  readonly name: string;
  readonly timeoutSeconds: number;
}

const check = (
  suite: SmokeSuite,
  name: string,
  title: string,
  timeoutSeconds: number,
): SmokeCheckSpec => ({
  id: `${suite}.${name}`,
  suite,
  title,
  file: `${suite}_checks.py`,
  name,
  timeoutSeconds,
});

/** The import check; it is not a harness check (import-check.py streams one line per module). */
export const IMPORTS_CHECK: SmokeCheckSpec = {
  id: 'imports',
  suite: 'imports',
  title:
    'import the framework first, then every other top-level module of every installed distribution',
  file: 'import-check.py',
  name: 'imports',
  timeoutSeconds: 600,
};

export const FRAMEWORK_CHECKS: Readonly<
  Record<Exclude<SmokeSuite, 'imports'>, readonly SmokeCheckSpec[]>
> = {
  paddle: [
    check('paddle', 'version', 'import paddle and read its version', 300),
    check(
      'paddle',
      'cuda',
      'paddle.is_compiled_with_cuda() and paddle.device.cuda.device_count()',
      300,
    ),
    check(
      'paddle',
      'resnet18',
      'paddle.vision.models.resnet18() forward on [1, 3, 224, 224] gives [1, 1000]',
      600,
    ),
    check(
      'paddle',
      'run_check',
      'paddle.utils.run_check() says "PaddlePaddle is installed successfully!"',
      600,
    ),
  ],
  torch: [
    check('torch', 'version', 'import torch and read its version', 300),
    check('torch', 'cuda', 'torch.cuda.is_available() and torch.cuda.device_count()', 300),
    check(
      'torch',
      'forward',
      'a small conv net (torch alone) forward on [2, 3, 32, 32] gives [2, 10]',
      300,
    ),
  ],
  tensorflow: [
    check('tensorflow', 'version', 'import tensorflow and read its version', 300),
    check('tensorflow', 'gpus', 'tf.test.is_built_with_cuda() and the visible GPUs', 300),
    check(
      'tensorflow',
      'keras_forward',
      'a small Keras conv model forward on [2, 16, 16, 3] gives [2, 10]',
      300,
    ),
  ],
};

/** Distribution names (normalized) that mean "this bundle carries framework X". */
export const FRAMEWORK_PROJECTS: Readonly<Record<string, Exclude<SmokeSuite, 'imports'>>> = {
  paddlepaddle: 'paddle',
  'paddlepaddle-gpu': 'paddle',
  torch: 'torch',
  tensorflow: 'tensorflow',
  'tensorflow-cpu': 'tensorflow',
  'tensorflow-gpu': 'tensorflow',
  'tensorflow-intel': 'tensorflow',
};

/** The frameworks a bundle carries, by its package names. */
export function frameworksIn(packageNames: readonly string[]): Exclude<SmokeSuite, 'imports'>[] {
  const found = new Set<Exclude<SmokeSuite, 'imports'>>();
  for (const name of packageNames) {
    const suite = FRAMEWORK_PROJECTS[normalizeName(name)];
    if (suite !== undefined) found.add(suite);
  }
  return (['paddle', 'torch', 'tensorflow'] as const).filter((s) => found.has(s));
}

export function parseSmokeMode(text: string): SmokeMode {
  if ((SMOKE_MODES as readonly string[]).includes(text)) return text as SmokeMode;
  throw new FerryError(
    'ERR_FERRY_USAGE',
    `--smoke "${text}" is not one of ${SMOKE_MODES.join(', ')}`,
    {
      hint: 'auto picks the framework checks by the packages in the bundle.',
    },
  );
}

/**
 * The checks to run, in order: the import check first (unless `none`), then the framework
 * checks — those of the frameworks in the bundle for `auto`, or the named one.
 */
export function selectSmokeChecks(
  mode: SmokeMode,
  packageNames: readonly string[],
): SmokeCheckSpec[] {
  if (mode === 'none') return [];
  const suites = mode === 'auto' ? frameworksIn(packageNames) : mode === 'imports' ? [] : [mode];
  return [IMPORTS_CHECK, ...suites.flatMap((s) => FRAMEWORK_CHECKS[s])];
}

/** The Python scripts the checks run, in src/onhost/smoke/ (install.py embeds them). */
export const SMOKE_SCRIPTS: readonly string[] = [
  'harness.py',
  IMPORTS_CHECK.file,
  ...new Set(Object.values(FRAMEWORK_CHECKS).flatMap((checks) => checks.map((c) => c.file))),
];
