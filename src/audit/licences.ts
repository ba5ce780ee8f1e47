/**
 * A package's licence as an SPDX expression, from its core metadata, never guessed:
 *   1. `License-Expression` (metadata 2.4, PEP 639): an SPDX expression, taken when every
 *      identifier in it is on the SPDX list (case fixed: "mit" → "MIT");
 *   2. else the `License :: ` classifiers, through CLASSIFIER_SPDX below — only classifiers
 *      that name exactly one SPDX licence; "BSD License" or "Apache Software License" do not
 *      say which version or clause count, so they map to nothing;
 *   3. else the `License` field, only when it is exactly an SPDX id or an SPDX licence's full
 *      name ("MIT", "Apache-2.0", "Apache License 2.0"); pasted licence texts and free text
 *      ("BSD", "Apache 2") stay unknown.
 * Anything else is "unknown", with what the metadata declared kept beside it for a person to
 * read. PEP 639 deprecates both the field and the classifiers in favour of 1.
 */
import { SPDX } from '@cyclonedx/cyclonedx-library';
import type { CoreMetadata } from '../standards/metadata.js';

export type LicenceSource = 'License-Expression' | 'classifier' | 'License' | 'none';

export interface Licence {
  /** An SPDX expression, or undefined when the metadata does not name one unambiguously. */
  readonly spdx?: string;
  readonly source: LicenceSource;
  /** What the metadata declared (the expression, classifiers or field), for people. */
  readonly declared?: string;
}

/** What a report shows: the SPDX expression, or "unknown". */
export const licenceText = (l: Licence | undefined): string => l?.spdx ?? 'unknown';

/**
 * `License :: ` classifiers (the trove-classifiers list, pypa/trove-classifiers) that name
 * exactly one licence, with its SPDX identifier (spdx.org/licenses). A classifier without a
 * version ("GNU General Public License (GPL)") or with several possible texts ("BSD License")
 * is deliberately absent.
 */
export const CLASSIFIER_SPDX: Readonly<Record<string, string>> = {
  'License :: OSI Approved :: MIT License': 'MIT',
  'License :: OSI Approved :: MIT No Attribution License (MIT-0)': 'MIT-0',
  'License :: OSI Approved :: ISC License (ISCL)': 'ISC',
  'License :: OSI Approved :: Apache Software License 2.0': 'Apache-2.0',
  'License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)': 'MPL-2.0',
  'License :: OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)': 'MPL-1.1',
  'License :: OSI Approved :: GNU General Public License v2 (GPLv2)': 'GPL-2.0-only',
  'License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)': 'GPL-2.0-or-later',
  'License :: OSI Approved :: GNU General Public License v3 (GPLv3)': 'GPL-3.0-only',
  'License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)': 'GPL-3.0-or-later',
  'License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)': 'LGPL-2.0-only',
  'License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)':
    'LGPL-2.0-or-later',
  'License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)': 'LGPL-3.0-only',
  'License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)':
    'LGPL-3.0-or-later',
  'License :: OSI Approved :: GNU Affero General Public License v3': 'AGPL-3.0-only',
  'License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)':
    'AGPL-3.0-or-later',
  'License :: OSI Approved :: Python Software Foundation License': 'PSF-2.0',
  'License :: OSI Approved :: The Unlicense (Unlicense)': 'Unlicense',
  'License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)': 'BSL-1.0',
  'License :: OSI Approved :: zlib/libpng License': 'Zlib',
  'License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)': 'EPL-2.0',
  'License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)': 'EUPL-1.2',
  'License :: OSI Approved :: Universal Permissive License (UPL)': 'UPL-1.0',
  'License :: OSI Approved :: Artistic License': 'Artistic-2.0',
  'License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication': 'CC0-1.0',
  'License :: OSI Approved :: Historical Permission Notice and Disclaimer (HPND)': 'HPND',
};

/** SPDX full names (the list's "Full name" column) for the `License` field. */
const FULL_NAMES: Readonly<Record<string, string>> = {
  'mit license': 'MIT',
  'apache license 2.0': 'Apache-2.0',
  'apache license, version 2.0': 'Apache-2.0',
  'bsd 2-clause "simplified" license': 'BSD-2-Clause',
  'bsd 3-clause "new" or "revised" license': 'BSD-3-Clause',
  'mozilla public license 2.0': 'MPL-2.0',
  'isc license': 'ISC',
  'the unlicense': 'Unlicense',
  'python software foundation license 2.0': 'PSF-2.0',
};

const OPERATORS = new Set(['AND', 'OR', 'WITH']);

/**
 * The expression with every identifier's case fixed from the SPDX list, or undefined when a
 * token is not an SPDX id, operator, exception or parenthesis (then it is not an expression
 * ferry can vouch for). `LicenseRef-*` stays as written: it is how PEP 639 names a licence
 * that is not on the list.
 */
export function normalizeSpdxExpression(text: string): string | undefined {
  const tokens = text
    .replace(/([()])/g, ' $1 ')
    .split(/\s+/)
    .filter(Boolean);
  if (tokens.length === 0) return undefined;
  const out: string[] = [];
  let afterWith = false;
  for (const t of tokens) {
    const upper = t.toUpperCase();
    if (t === '(' || t === ')') out.push(t);
    else if (OPERATORS.has(upper)) out.push(upper);
    else if (afterWith && /^[A-Za-z0-9.-]+-exception(-[A-Za-z0-9.-]+)?$/i.test(t)) out.push(t);
    else if (/^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$/.test(t)) out.push(t);
    else {
      const plus = t.endsWith('+');
      const id = SPDX.fixupSpdxId(plus ? t.slice(0, -1) : t);
      if (id === undefined) return undefined;
      out.push(plus ? `${id}+` : id);
    }
    afterWith = upper === 'WITH';
  }
  return parseSpdx(out.join(' ')) === undefined
    ? undefined
    : out.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')');
}

export function licenceFromMetadata(m: CoreMetadata): Licence {
  const expression = m.licenseExpression?.trim();
  if (expression !== undefined && expression !== '') {
    const spdx = normalizeSpdxExpression(expression);
    return {
      ...(spdx === undefined ? {} : { spdx }),
      source: 'License-Expression',
      declared: expression,
    };
  }
  const classifiers = m.classifiers.filter((c) => c.startsWith('License ::'));
  if (classifiers.length > 0) {
    const ids = classifiers.map((c) => CLASSIFIER_SPDX[c.replace(/\s*::\s*/g, ' :: ').trim()]);
    // Several classifiers do not say whether they are alternatives or all apply: every one
    // must be known, and a policy then reads them as all applying (AND), which is the stricter.
    const known = ids.every((id) => id !== undefined);
    const unique = [...new Set(ids)];
    return {
      ...(known ? { spdx: unique.length === 1 ? unique[0]! : unique.join(' AND ') } : {}),
      source: 'classifier',
      declared: classifiers.join('; '),
    };
  }
  const field = m.license?.trim();
  if (field !== undefined && field !== '' && field.toUpperCase() !== 'UNKNOWN') {
    const oneLine = !field.includes('\n');
    const spdx = oneLine ? (SPDX.fixupSpdxId(field) ?? FULL_NAMES[field.toLowerCase()]) : undefined;
    return {
      ...(spdx === undefined ? {} : { spdx }),
      source: 'License',
      declared: oneLine ? field : `${field.split('\n')[0]!.trim()} …`,
    };
  }
  return { source: 'none' };
}

/** An SPDX expression as a tree (SPDX spec annex D: WITH binds tightest, then AND, then OR). */
export type SpdxNode =
  | { readonly op: 'id'; readonly id: string; readonly exception?: string }
  | { readonly op: 'and' | 'or'; readonly args: readonly SpdxNode[] };

export function parseSpdx(text: string): SpdxNode | undefined {
  const tokens = text
    .replace(/([()])/g, ' $1 ')
    .split(/\s+/)
    .filter(Boolean);
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const atom = (): SpdxNode | undefined => {
    const t = tokens[i++];
    if (t === undefined) return undefined;
    if (t === '(') {
      const inner = or();
      if (tokens[i++] !== ')') return undefined;
      return inner;
    }
    if (t === ')' || OPERATORS.has(t.toUpperCase())) return undefined;
    if (peek()?.toUpperCase() === 'WITH') {
      i++;
      const exception = tokens[i++];
      if (exception === undefined) return undefined;
      return { op: 'id', id: t, exception };
    }
    return { op: 'id', id: t };
  };
  const chain =
    (op: 'and' | 'or', next: () => SpdxNode | undefined) => (): SpdxNode | undefined => {
      const first = next();
      if (first === undefined) return undefined;
      const args = [first];
      while (peek()?.toUpperCase() === op.toUpperCase()) {
        i++;
        const n = next();
        if (n === undefined) return undefined;
        args.push(n);
      }
      return args.length === 1 ? first : { op, args };
    };
  const and = chain('and', atom);
  const or = chain('or', and);
  const tree = or();
  return tree !== undefined && i === tokens.length ? tree : undefined;
}

/**
 * Does `expression` allow use under the licences in `allowed` (SPDX ids, compared without
 * case)? OR needs one branch allowed, AND all of them; "X WITH exception" is allowed when X is
 * (an exception only adds permissions) or when the whole "X WITH exception" is listed.
 */
export function licenceAllowed(expression: string, allowed: ReadonlySet<string>): boolean {
  const tree = parseSpdx(expression);
  if (tree === undefined) return false;
  const lower = new Set([...allowed].map((a) => a.toLowerCase()));
  const ok = (n: SpdxNode): boolean => {
    if (n.op === 'id')
      return (
        lower.has(n.id.toLowerCase()) ||
        (n.exception !== undefined && lower.has(`${n.id} WITH ${n.exception}`.toLowerCase()))
      );
    return n.op === 'and' ? n.args.every(ok) : n.args.some(ok);
  };
  return ok(tree);
}
