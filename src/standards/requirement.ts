/**
 * PEP 508 dependency specifiers ("requirements"): `name[extras] specifiers ; marker` or
 * `name[extras] @ url ; marker`.
 *
 * A port of pypa/packaging's `_parser.parse_requirement` (release 26.x) over the shared
 * tokenizer in marker.ts, so that ferry accepts and refuses exactly what pip does, with the
 * same messages and `~~~^` pointers.
 */
import { FerryError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import {
  formatMarker,
  type Marker,
  Pep508SyntaxError,
  Pep508Tokenizer,
  parseMarkerExpression,
  syntaxErrorMessage,
  wrapSyntaxError,
} from './marker.js';
import type { NormalizedName } from './name.js';
import { formatSpecifierSet, parseSpecifierSet, type SpecifierSet } from './specifier.js';

export interface Requirement {
  /** The name as written. */
  readonly name: string;
  readonly normalizedName: NormalizedName;
  /** Sorted, normalized (PEP 685), without duplicates. */
  readonly extras: readonly NormalizedName[];
  readonly specifier: SpecifierSet;
  readonly marker?: Marker;
  /** A direct reference (`name @ url`); ferry's resolver refuses these (see assertNotUrlRequirement). */
  readonly url?: string;
}

const REQUIREMENT_HINT =
  'A requirement looks like: name[extra1,extra2] >=1.0,<2 ; python_version >= "3.9" (PEP 508).';

/**
 * PEP 503 normalization without validation: packaging's IDENTIFIER token admits names such as
 * `foo_` that core metadata would not, and pip still installs them.
 */
function canonicalize(name: string): NormalizedName {
  return name.replace(/[-_.]+/g, '-').toLowerCase() as NormalizedName;
}

interface Parsed {
  name: string;
  extras: string[];
  url: string;
  specifier: string;
  specifierStart: number;
  marker: Marker | undefined;
}

/** requirement = WS? IDENTIFIER WS? extras WS? requirement_details END */
function parse(tokenizer: Pep508Tokenizer): Parsed {
  tokenizer.consume('WS');
  const name = tokenizer.expect(
    'IDENTIFIER',
    'package name at the start of dependency specifier',
  ).text;
  tokenizer.consume('WS');
  const extras = parseExtras(tokenizer);
  tokenizer.consume('WS');
  const details = parseDetails(tokenizer);
  tokenizer.expect('END', 'end of dependency specifier');
  return { name, extras, ...details };
}

/**
 * requirement_details = AT URL (WS requirement_marker?)?
 *                     | specifier WS? (requirement_marker)?
 */
function parseDetails(tokenizer: Pep508Tokenizer): Omit<Parsed, 'name' | 'extras'> {
  if (tokenizer.check('AT')) {
    tokenizer.read();
    tokenizer.consume('WS');
    const urlStart = tokenizer.position;
    const url = tokenizer.expect('URL', 'URL after @').text;
    const result = { url, specifier: '', specifierStart: urlStart, marker: undefined };
    if (tokenizer.check('END', true)) return result;
    tokenizer.expect('WS', 'whitespace after URL');
    if (tokenizer.check('END', true)) return result;
    const marker = parseRequirementMarker(
      tokenizer,
      urlStart,
      'semicolon (after URL and whitespace)',
    );
    return { ...result, marker };
  }
  const specifierStart = tokenizer.position;
  const specifier = tokenizer.enclosing(
    'LEFT_PARENTHESIS',
    'RIGHT_PARENTHESIS',
    'version specifier',
    () => {
      tokenizer.consume('WS');
      const text = parseVersionMany(tokenizer);
      tokenizer.consume('WS');
      return text;
    },
  );
  tokenizer.consume('WS');
  const result = { url: '', specifier, specifierStart, marker: undefined };
  if (tokenizer.check('END', true)) return result;
  const marker = parseRequirementMarker(
    tokenizer,
    specifierStart,
    specifier
      ? 'comma (within version specifier), semicolon (after version specifier)'
      : 'semicolon (after name with no version specifier)',
  );
  return { ...result, marker };
}

/** requirement_marker = SEMICOLON marker WS? */
function parseRequirementMarker(
  tokenizer: Pep508Tokenizer,
  spanStart: number,
  expected: string,
): Marker {
  if (!tokenizer.check('SEMICOLON')) tokenizer.fail(`Expected ${expected} or end`, spanStart);
  tokenizer.read();
  const marker = parseMarkerExpression(tokenizer);
  tokenizer.consume('WS');
  return marker;
}

/** extras = (LEFT_BRACKET wsp* extras_list? wsp* RIGHT_BRACKET)? */
function parseExtras(tokenizer: Pep508Tokenizer): string[] {
  if (!tokenizer.check('LEFT_BRACKET', true)) return [];
  return tokenizer.enclosing('LEFT_BRACKET', 'RIGHT_BRACKET', 'extras', () => {
    tokenizer.consume('WS');
    const extras: string[] = [];
    if (tokenizer.check('IDENTIFIER')) {
      extras.push(tokenizer.read().text);
      for (;;) {
        tokenizer.consume('WS');
        if (tokenizer.check('IDENTIFIER', true))
          tokenizer.fail('Expected comma between extra names');
        if (!tokenizer.check('COMMA')) break;
        tokenizer.read();
        tokenizer.consume('WS');
        extras.push(tokenizer.expect('IDENTIFIER', 'extra name after comma').text);
      }
    }
    tokenizer.consume('WS');
    return extras;
  });
}

/**
 * packaging >= 26.4 (`_parser._try_parse_specifier_set`): the text up to `;`, `)` or the end is
 * first read as a whole SpecifierSet, split at its commas. Only when that fails does the
 * token-by-token loop below run (and say what is wrong). This is what lets `===` carry an
 * arbitrary string next to other specifiers: the SPECIFIER token for `===` takes anything but
 * whitespace, `;` and `)`, commas included, so `===1.0, <2` never tokenized. An empty item is
 * allowed only as one trailing comma (`>=1,`), as the grammar has it.
 */
function parseSpecifierList(tokenizer: Pep508Tokenizer): string | undefined {
  const token = tokenizer.peek('SPECIFIER_LIST');
  if (token === undefined || token.text === '') return undefined;
  let count: number;
  try {
    count = parseSpecifierSet(token.text).specifiers.length;
  } catch {
    return undefined;
  }
  const commas = token.text.split(',').length - 1;
  const trailingComma = count > 0 && count === commas && /,[ \t]*$/.test(token.text);
  if (count !== commas + 1 && !trailingComma) return undefined;
  tokenizer.consumeToken(token);
  return token.text;
}

/** version_many = (SPECIFIER (WS? COMMA WS? SPECIFIER)*)? */
function parseVersionMany(tokenizer: Pep508Tokenizer): string {
  if (tokenizer.position === tokenizer.source.length) return '';
  const list = parseSpecifierList(tokenizer);
  if (list !== undefined) return list;
  let text = '';
  while (tokenizer.check('SPECIFIER')) {
    const spanStart = tokenizer.position;
    const specifier = tokenizer.read().text;
    text += specifier;
    if (tokenizer.check('VERSION_PREFIX_TRAIL', true)) {
      const misplaced =
        specifier.startsWith('!=') || (specifier.startsWith('==') && !specifier.startsWith('==='));
      tokenizer.fail(
        misplaced
          ? '.* suffix cannot be used with pre-release, post-release, dev or local versions'
          : '.* suffix can only be used with `==` or `!=` operators',
        spanStart,
        tokenizer.position + 1,
      );
    }
    if (tokenizer.check('VERSION_LOCAL_LABEL_TRAIL', true)) {
      tokenizer.fail(
        'Local version label can only be used with `==` or `!=` operators',
        spanStart,
        tokenizer.position,
      );
    }
    tokenizer.consume('WS');
    if (!tokenizer.check('COMMA')) break;
    text += tokenizer.read().text;
    tokenizer.consume('WS');
  }
  return text;
}

export function parseRequirement(text: string): Requirement {
  const tokenizer = new Pep508Tokenizer(text);
  let parsed: Parsed;
  try {
    parsed = parse(tokenizer);
  } catch (error) {
    throw wrapSyntaxError(
      error,
      'ERR_FERRY_INVALID_REQUIREMENT',
      'Invalid requirement',
      REQUIREMENT_HINT,
    );
  }
  let specifier: SpecifierSet;
  try {
    specifier = parseSpecifierSet(parsed.specifier);
  } catch (error) {
    // The tokenizer already matched each specifier; what is left is a set-level problem.
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    const spanEnd = parsed.specifierStart + parsed.specifier.length;
    const located = new Pep508SyntaxError(reason, text, [parsed.specifierStart, spanEnd]);
    throw new FerryError(
      'ERR_FERRY_INVALID_REQUIREMENT',
      syntaxErrorMessage('Invalid requirement', located),
      {
        hint: REQUIREMENT_HINT,
        details: { input: text, specifier: parsed.specifier },
        cause: error,
      },
    );
  }
  const extras = [...new Set(parsed.extras.map(canonicalize))].sort() as NormalizedName[];
  return {
    name: parsed.name,
    normalizedName: canonicalize(parsed.name),
    extras,
    specifier,
    ...(parsed.marker === undefined ? {} : { marker: parsed.marker }),
    ...(parsed.url === '' ? {} : { url: parsed.url }),
  };
}

/**
 * Like str(packaging.requirements.Requirement), except that extras are written normalized
 * (packaging keeps their spelling): `name[a,b]>=1,<2 ; marker` becomes `name[a,b]<2,>=1; marker`.
 */
export function formatRequirement(r: Requirement): string {
  let out = r.name;
  if (r.extras.length > 0) out += `[${[...r.extras].sort().join(',')}]`;
  if (r.specifier.specifiers.length > 0) out += formatSpecifierSet(r.specifier);
  if (r.url !== undefined) {
    out += ` @ ${r.url}`;
    if (r.marker !== undefined) out += ' ';
  }
  if (r.marker !== undefined) out += `; ${formatMarker(r.marker)}`;
  return out;
}

/**
 * ferry resolves from indexes only: a direct URL cannot be hash-pinned ahead of time or carried
 * as an index entry, so refuse it with a way forward.
 */
export function assertNotUrlRequirement(req: Requirement, source?: string): void {
  if (req.url === undefined) return;
  const where = source === undefined ? '' : ` (from ${source})`;
  const url = redactUrl(req.url);
  throw new FerryError(
    'ERR_FERRY_URL_REQUIREMENT',
    `The requirement "${req.name} @ ${url}"${where} points at a URL; ferry resolves only from package indexes`,
    {
      hint:
        'Download the file and pass its folder with --find-links, or pin a version from an index ' +
        `instead (e.g. ${req.name}==<version>).`,
      details: { name: req.name, url, ...(source === undefined ? {} : { source }) },
    },
  );
}
