import { FerryError } from '../core/errors.js';

/** A project name normalized per PEP 503; the brand lets the type checker prove it. */
export type NormalizedName = string & { readonly __brand: 'NormalizedName' };

// PEP 508 / core metadata: ASCII letters, digits, '.', '-', '_'; must start and end alphanumeric.
const VALID_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

export function isValidProjectName(name: string): boolean {
  return VALID_NAME.test(name);
}

/** PEP 503: lowercase, and runs of '-', '_', '.' become a single '-'. */
export function normalizeName(name: string): NormalizedName {
  if (!isValidProjectName(name)) {
    throw new FerryError('ERR_FERRY_INVALID_NAME', `"${name}" is not a valid project name`, {
      hint: 'Project names use letters, digits, ".", "-" and "_", and start and end with a letter or digit (PEP 508).',
    });
  }
  return name.toLowerCase().replace(/[-_.]+/g, '-') as NormalizedName;
}

/** Normalizes an extra name the same way (PEP 685). */
export function normalizeExtra(extra: string): NormalizedName {
  return normalizeName(extra);
}
