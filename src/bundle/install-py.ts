/**
 * install.py: the stdlib-only checker and installer that travels inside every bundle, for
 * targets that have Python but not ferry. The template (install-template.py) is Python 3.6+;
 * probe.py's source is embedded into it as a string literal at bundle time so that
 * `python3 install.py --probe` needs no other file.
 */
import { readFileSync } from 'node:fs';
import { embeddedAsset, shippedFile } from '../core/assets.js';
import { FerryError } from '../core/errors.js';
import { probeScriptSource } from '../host/probe.js';

const PLACEHOLDER = '__FERRY_PROBE_SOURCE__';

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

/** The install.py text for a bundle (the same bytes for the same ferry). */
export function formatInstallPy(probeSource: string = probeScriptSource()): string {
  const template =
    embeddedAsset(TEMPLATE_ASSET) ??
    readFileSync(shippedFile(TEMPLATE_ASSET, 'ERR_FERRY_TEMPLATE_MISSING'), 'utf8');
  if (template.split(PLACEHOLDER).length !== 2) {
    throw new FerryError(
      'ERR_FERRY_TEMPLATE_MISSING',
      `install-template.py must name ${PLACEHOLDER} exactly once`,
      { hint: 'This ferry installation is damaged: reinstall ferry (npm ci in a checkout).' },
    );
  }
  return template.replace(PLACEHOLDER, () => pythonStringLiteral(probeSource));
}
