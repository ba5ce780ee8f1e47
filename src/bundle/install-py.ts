/**
 * install.py: the stdlib-only checker and installer that travels inside every bundle, for
 * targets that have Python but not ferry. The template (install-template.py) is Python 3.6+;
 * probe.py's source is embedded into it as a string literal at bundle time so that
 * `python3 install.py --probe` needs no other file, and so are the smoke checks (their table
 * and scripts), so that install.py runs the same smoke test as `ferry install`.
 */
import { readFileSync } from 'node:fs';
import { embeddedAsset, shippedFile } from '../core/assets.js';
import { FerryError } from '../core/errors.js';
import {
  FRAMEWORK_CHECKS,
  FRAMEWORK_PROJECTS,
  IMPORTS_CHECK,
  SMOKE_MODES,
  SMOKE_SCRIPTS,
} from '../frameworks/smoke-checks.js';
import { probeScriptSource } from '../host/probe.js';

const PLACEHOLDER = '__FERRY_PROBE_SOURCE__';
const SMOKE_PLACEHOLDER = '__FERRY_SMOKE_PLAN__';

const TEMPLATE_ASSET = 'src/bundle/install-template.py';

/**
 * A Python string literal for `text`: JSON's escapes (\n, \", \\, \uXXXX) mean the same in
 * Python, and every non-ASCII character is escaped so the file is pure ASCII.
 */
export function pythonStringLiteral(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * What install.py needs to run the same smoke test as `ferry install`: the check table
 * (src/frameworks/smoke-checks.ts) and the scripts of src/onhost/smoke/, as one JSON text.
 */
export function smokePlanJson(): string {
  const files: Record<string, string> = {};
  for (const name of SMOKE_SCRIPTS) {
    const asset = `src/onhost/smoke/${name}`;
    files[name] =
      embeddedAsset(asset) ?? readFileSync(shippedFile(asset, 'ERR_FERRY_SMOKE_MISSING'), 'utf8');
  }
  return JSON.stringify({
    modes: SMOKE_MODES,
    imports: IMPORTS_CHECK,
    suites: FRAMEWORK_CHECKS,
    projects: FRAMEWORK_PROJECTS,
    files,
  });
}

/** The install.py text for a bundle (the same bytes for the same ferry). */
function installTemplate(): string {
  return (
    embeddedAsset(TEMPLATE_ASSET) ??
    readFileSync(shippedFile(TEMPLATE_ASSET, 'ERR_FERRY_TEMPLATE_MISSING'), 'utf8')
  );
}

/**
 * install-template.py's ENSUREPIP_WHEELS script (prints the wheels ensurepip would install),
 * one copy for install.py and for `ferry install` (src/onhost/venv.ts).
 */
export function ensurepipWheelsScript(): string {
  const found = /^ENSUREPIP_WHEELS = """\n([\s\S]*?)"""$/m.exec(installTemplate());
  if (found === null)
    throw new FerryError(
      'ERR_FERRY_TEMPLATE_MISSING',
      'install-template.py has no ENSUREPIP_WHEELS script',
      { hint: 'This ferry installation is damaged: reinstall ferry (npm ci in a checkout).' },
    );
  return found[1] as string;
}

export function formatInstallPy(
  probeSource: string = probeScriptSource(),
  smokePlan: string = smokePlanJson(),
): string {
  const template = installTemplate();
  for (const name of [PLACEHOLDER, SMOKE_PLACEHOLDER]) {
    if (template.split(name).length !== 2) {
      throw new FerryError(
        'ERR_FERRY_TEMPLATE_MISSING',
        `install-template.py must name ${name} exactly once`,
        { hint: 'This ferry installation is damaged: reinstall ferry (npm ci in a checkout).' },
      );
    }
  }
  return template
    .replace(PLACEHOLDER, () => pythonStringLiteral(probeSource))
    .replace(SMOKE_PLACEHOLDER, () => pythonStringLiteral(smokePlan));
}
