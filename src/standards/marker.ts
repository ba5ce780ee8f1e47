/**
 * PEP 508 environment markers: parse, format, evaluate.
 *
 * This is a port of pypa/packaging's hand-written parser (`packaging/_tokenizer.py`,
 * `packaging/_parser.py`) and evaluator (`packaging/markers.py`, release 26.x), kept close to
 * the original so that a marker means here exactly what it means to pip. ferry evaluates
 * markers for a *target* environment, never the host's, so the environment is always passed in.
 * The same tokenizer also serves requirement.ts (a requirement embeds a marker).
 */
import type { ErrorCode } from '../core/error-codes.js';
import { caretLine, FerryError } from '../core/errors.js';
import { parseSpecifier, specifierContains } from './specifier.js';
import { PY_WHITESPACE_CLASS } from './version.js';

export const MARKER_VARIABLES = [
  'implementation_name',
  'implementation_version',
  'os_name',
  'platform_machine',
  'platform_python_implementation',
  'platform_release',
  'platform_system',
  'platform_version',
  'python_full_version',
  'python_version',
  'sys_platform',
] as const;

export type MarkerEnvironment = { readonly [K in (typeof MARKER_VARIABLES)[number]]: string };

/**
 * Every name a marker may mention: the environment variables, plus `extra` (core metadata),
 * and the set-valued `extras` / `dependency_groups` of PEP 751 lock files.
 */
export type MarkerVariableName =
  | (typeof MARKER_VARIABLES)[number]
  | 'extra'
  | 'extras'
  | 'dependency_groups';

export type MarkerOperator = '<' | '<=' | '==' | '!=' | '>=' | '>' | '~=' | '===' | 'in' | 'not in';

export type MarkerOperand =
  | { readonly kind: 'variable'; readonly name: MarkerVariableName }
  | { readonly kind: 'string'; readonly value: string };

export interface MarkerComparison {
  readonly kind: 'comparison';
  readonly left: MarkerOperand;
  readonly op: MarkerOperator;
  readonly right: MarkerOperand;
}

/**
 * A flat run of terms joined by `and`/`or`, as packaging keeps it: precedence (`and` binds
 * tighter) is applied when evaluating, and formatting keeps the author's grouping.
 * `joiners.length === terms.length - 1`.
 */
export interface MarkerExpression {
  readonly kind: 'expression';
  readonly terms: readonly (MarkerComparison | MarkerExpression)[];
  readonly joiners: readonly ('and' | 'or')[];
}

export type Marker = MarkerExpression;

// ------------------------------------------------------------------------------------------
// Tokenizer (packaging/_tokenizer.py)
// ------------------------------------------------------------------------------------------

// Python's `\s` (str.isspace()) is not JavaScript's `\s`; version.ts spells it out.
const S = `[${PY_WHITESPACE_CLASS}]`;
const NOT_S = `[^${PY_WHITESPACE_CLASS}`;

// Python's `\b` on str patterns is Unicode-aware (word = alphanumeric or '_'); JavaScript's
// is ASCII-only, so spell it out with lookarounds.
const W = '[\\p{L}\\p{N}_]';
const B = `(?:(?<=${W})(?!${W})|(?<!${W})(?=${W}))`;

// packaging's epoch `(?:[0-9]++!)?+` is possessive (26.x): once `1!` is there it is taken, and
// `==1!)` is no specifier at all, where a backtracking `(?:[0-9]+!)?` would settle for `==1`.
// JavaScript has no possessive quantifiers; "the epoch, or no epoch-shaped text here" is the same.
const EPOCH = '(?:[0-9]+!|(?![0-9]+!))';

// packaging's Specifier._specifier_regex_str, used as the SPECIFIER token.
const SPECIFIER_SOURCE = [
  '(?:',
  `(?:===${S}*${NOT_S};)]+)`, // packaging >= 26.4: the arbitrary string is not empty
  '|',
  `(?:(?:==|!=)${S}*v?${EPOCH}[0-9]+(?:\\.[0-9]+)*`,
  '(?:\\.\\*|(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?',
  '(?:(?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?',
  '(?:[-_.]?dev[-_.]?[0-9]*)?(?:\\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?)?)',
  '|',
  `(?:~=${S}*v?${EPOCH}[0-9]+(?:\\.[0-9]+)+`,
  '(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?',
  '(?:(?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?',
  '(?:[-_.]?dev[-_.]?[0-9]*)?)',
  '|',
  `(?:(?:<=|>=|<|>)${S}*v?${EPOCH}[0-9]+(?:\\.[0-9]+)*`,
  '(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?',
  '(?:(?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?',
  '(?:[-_.]?dev[-_.]?[0-9]*)?)',
  ')',
].join('');

const VARIABLE_SOURCE =
  'python_version|python_full_version|os[._]name|sys[._]platform|platform_(?:release|system)' +
  '|platform[._](?:version|machine|python_implementation)|python_implementation' +
  '|implementation_(?:name|version)|extras?|dependency_groups';

/**
 * The token rules, with `b` as the word boundary and `u` as the flag it needs. Sticky
 * regexes: each one only matches at the tokenizer's position, like re.match(src, pos).
 */
function tokenRules(b: string, u: '' | 'u') {
  return {
    LEFT_PARENTHESIS: /\(/y,
    RIGHT_PARENTHESIS: /\)/y,
    LEFT_BRACKET: /\[/y,
    RIGHT_BRACKET: /\]/y,
    SEMICOLON: /;/y,
    COMMA: /,/y,
    QUOTED_STRING: /(?:'[^']*'|"[^"]*")/y,
    OP: /(?:===|==|~=|!=|<=|>=|<|>)/y,
    BOOLOP: new RegExp(`${b}(?:or|and)${b}`, `${u}y`),
    IN: new RegExp(`${b}in${b}`, `${u}y`),
    NOT: new RegExp(`${b}not${b}`, `${u}y`),
    VARIABLE: new RegExp(`${b}(?:${VARIABLE_SOURCE})${b}`, `${u}y`),
    SPECIFIER: new RegExp(SPECIFIER_SOURCE, 'iy'),
    AT: /@/y,
    // packaging >= 26: `\S+`, Python's whitespace (it was `[^ \t]+`), so a URL ends at a newline.
    URL: new RegExp(`${NOT_S}]+`, 'y'),
    IDENTIFIER: new RegExp(`${b}[a-zA-Z0-9][a-zA-Z0-9._-]*${b}`, `${u}y`),
    // A whole specifier list, which packaging >= 26.4 hands to SpecifierSet in one piece:
    // printable ASCII and tabs, up to `;`, `)` or the end.
    SPECIFIER_LIST: /[\t\x20-\x28\x2a-\x3a\x3c-\x7e]*(?=[;)]|$)/y,
    VERSION_PREFIX_TRAIL: /\.\*/y,
    VERSION_LOCAL_LABEL_TRAIL: /\+[a-z0-9]+(?:[-_.][a-z0-9]+)*/y,
    WS: /[ \t]+/y,
    END: /$/y,
  } as const;
}

type Rules = ReturnType<typeof tokenRules>;
/** Python's Unicode-aware rules, built on first use: most runs never meet a non-ASCII marker. */
let unicodeRules: Rules | undefined;
/**
 * For ASCII text, where Python's Unicode word characters are JavaScript's [A-Za-z0-9_] and `\b`
 * is the same boundary: plain `\b` without the `u` flag is much cheaper to compile and run than
 * the \p{L}\p{N} lookarounds, and nearly every requirement and marker is ASCII.
 */
const ASCII_RULES = tokenRules('\\b', '');
/** Any character outside ASCII: its absence lets ASCII_RULES stand in. */
const NON_ASCII = /[\u0080-\uffff]/;

export type TokenName = keyof Rules;

export interface Token {
  readonly name: TokenName;
  readonly text: string;
  readonly position: number;
}

/** A syntax error with packaging's message and span (UTF-16 offsets into `source`). */
export class Pep508SyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly source: string,
    readonly span: readonly [number, number],
  ) {
    super(reason);
  }
}

/**
 * Context-sensitive tokenizer: the parser asks "is the next token an X?" (packaging's
 * Tokenizer.check/expect/read). Exported for requirement.ts; not a public API.
 */
export class Pep508Tokenizer {
  position = 0;
  private next: Token | undefined;
  private readonly rules: Rules;

  constructor(readonly source: string) {
    if (!NON_ASCII.test(source)) this.rules = ASCII_RULES;
    else this.rules = unicodeRules ??= tokenRules(B, 'u');
  }

  consume(name: TokenName): void {
    if (this.check(name)) this.read();
  }

  check(name: TokenName, peek = false): boolean {
    if (this.next !== undefined) {
      throw new Error(`tokenizer: cannot check for ${name}, already have ${this.next.name}`);
    }
    const rule = this.rules[name];
    rule.lastIndex = this.position;
    const match = rule.exec(this.source);
    if (match === null) return false;
    if (!peek) this.next = { name, text: match[0], position: this.position };
    return true;
  }

  /** The token `name` at the current position, without moving (packaging's `Tokenizer.peek`). */
  peek(name: TokenName): Token | undefined {
    if (this.next !== undefined) {
      throw new Error(`tokenizer: cannot peek for ${name}, already have ${this.next.name}`);
    }
    const rule = this.rules[name];
    rule.lastIndex = this.position;
    const match = rule.exec(this.source);
    return match === null ? undefined : { name, text: match[0], position: this.position };
  }

  /** Moves past a token that peek() returned here (packaging's `consume_token`). */
  consumeToken(token: Token): void {
    if (token.position !== this.position) {
      throw new Error('tokenizer: the token is not at the current position');
    }
    this.position += token.text.length;
  }

  expect(name: TokenName, expected: string): Token {
    if (!this.check(name)) this.fail(`Expected ${expected}`);
    return this.read();
  }

  read(): Token {
    const token = this.next;
    if (token === undefined) throw new Error('tokenizer: read() without a checked token');
    this.position += token.text.length;
    this.next = undefined;
    return token;
  }

  fail(reason: string, spanStart?: number, spanEnd?: number): never {
    throw new Pep508SyntaxError(reason, this.source, [
      spanStart ?? this.position,
      spanEnd ?? this.position,
    ]);
  }

  /** packaging's `enclosing_tokens` context manager. */
  enclosing<T>(open: TokenName, close: TokenName, around: string, body: () => T): T {
    let openPosition: number | undefined;
    if (this.check(open)) {
      openPosition = this.position;
      this.read();
    }
    const result = body();
    if (openPosition === undefined) return result;
    if (!this.check(close)) {
      this.fail(`Expected matching ${close} for ${open}, after ${around}`, openPosition);
    }
    this.read();
    return result;
  }
}

/** Renders a syntax error the way packaging's ParserSyntaxError does, with a `~~~^` pointer. */
export function syntaxErrorMessage(what: string, error: Pep508SyntaxError): string {
  const start = codePointOffset(error.source, error.span[0]);
  const end = codePointOffset(error.source, error.span[1]);
  const pointer = caretLine(error.source, start, end - start + 1)
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `${what}: ${error.reason}\n${pointer}`;
}

/** packaging counts positions in code points; JavaScript strings count UTF-16 units. */
export function codePointOffset(text: string, utf16Offset: number): number {
  return Array.from(text.slice(0, utf16Offset)).length;
}

// ------------------------------------------------------------------------------------------
// Parser (packaging/_parser.py, "Recursive descent parser for marker expression")
// ------------------------------------------------------------------------------------------

/**
 * packaging >= 26 refuses groups nested deeper than CPython's own parser allows (200), as a
 * syntax error rather than a blown stack (`_parser._MAX_MARKER_NESTING`).
 */
export const MAX_MARKER_NESTING = 200;

/** marker = marker_atom (BOOLOP marker_atom)* */
export function parseMarkerExpression(tokenizer: Pep508Tokenizer, depth = 0): MarkerExpression {
  const terms: (MarkerComparison | MarkerExpression)[] = [parseMarkerAtom(tokenizer, depth)];
  const joiners: ('and' | 'or')[] = [];
  while (tokenizer.check('BOOLOP')) {
    joiners.push(tokenizer.read().text as 'and' | 'or');
    terms.push(parseMarkerAtom(tokenizer, depth));
  }
  return { kind: 'expression', terms, joiners };
}

/** marker_atom = WS? '(' WS? marker WS? ')' WS? | WS? marker_item WS? */
function parseMarkerAtom(
  tokenizer: Pep508Tokenizer,
  depth: number,
): MarkerComparison | MarkerExpression {
  tokenizer.consume('WS');
  let atom: MarkerComparison | MarkerExpression;
  if (tokenizer.check('LEFT_PARENTHESIS', true)) {
    if (depth >= MAX_MARKER_NESTING) {
      tokenizer.fail(`Marker expression is nested more than ${MAX_MARKER_NESTING} levels deep`);
    }
    atom = tokenizer.enclosing('LEFT_PARENTHESIS', 'RIGHT_PARENTHESIS', 'marker expression', () => {
      tokenizer.consume('WS');
      const inner = parseMarkerExpression(tokenizer, depth + 1);
      tokenizer.consume('WS');
      return inner;
    });
  } else {
    atom = parseMarkerItem(tokenizer);
  }
  tokenizer.consume('WS');
  return atom;
}

/** marker_item = WS? marker_var WS? marker_op WS? marker_var WS? */
function parseMarkerItem(tokenizer: Pep508Tokenizer): MarkerComparison {
  tokenizer.consume('WS');
  const left = parseMarkerVar(tokenizer);
  tokenizer.consume('WS');
  const op = parseMarkerOp(tokenizer);
  tokenizer.consume('WS');
  const right = parseMarkerVar(tokenizer);
  tokenizer.consume('WS');
  return normalizeExtraComparison({ kind: 'comparison', left, op, right });
}

function parseMarkerVar(tokenizer: Pep508Tokenizer): MarkerOperand {
  if (tokenizer.check('VARIABLE')) {
    // The dotted spellings (`os.name`, `sys.platform`, `platform.version`, ...) are the
    // pre-PEP 508 aliases packaging still accepts; `python_implementation` likewise.
    const name = tokenizer.read().text.replace('.', '_');
    return {
      kind: 'variable',
      name: (name === 'python_implementation'
        ? 'platform_python_implementation'
        : name) as MarkerVariableName,
    };
  }
  if (tokenizer.check('QUOTED_STRING')) {
    const token = tokenizer.read();
    const value = pythonStringLiteral(token.text);
    if (value === undefined) {
      tokenizer.fail('Invalid quoted string', token.position, token.position + token.text.length);
    }
    return { kind: 'string', value };
  }
  return tokenizer.fail('Expected a marker variable or quoted string');
}

function parseMarkerOp(tokenizer: Pep508Tokenizer): MarkerOperator {
  if (tokenizer.check('IN')) {
    tokenizer.read();
    return 'in';
  }
  if (tokenizer.check('NOT')) {
    tokenizer.read();
    tokenizer.expect('WS', "whitespace after 'not'");
    tokenizer.expect('IN', "'in' after 'not'");
    return 'not in';
  }
  if (tokenizer.check('OP')) return tokenizer.read().text as MarkerOperator;
  return tokenizer.fail(
    'Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in',
  );
}

/**
 * packaging evaluates the quoted string with `ast.literal_eval`, so Python escapes apply
 * (`"\x41"` is "A"). Returns undefined where Python raises. `\N{name}` needs Python's Unicode
 * name table, which we do not carry: such strings are refused (packaging accepts them).
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function pythonStringLiteral(token: string): string | undefined {
  const body = token.slice(1, -1);
  // Python refuses NUL in source, and a lone surrogate cannot be encoded for the compiler.
  if (body.includes('\0') || LONE_SURROGATE.test(body)) return undefined;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\r' || ch === '\n') return undefined; // unterminated single-quoted string
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[i + 1];
    if (next === undefined) return undefined; // the backslash escapes the closing quote
    i++;
    switch (next) {
      case '\n':
        break;
      case '\r':
        if (body[i + 1] === '\n') i++;
        break;
      case '\\':
      case "'":
      case '"':
        out += next;
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) return undefined;
        const code = Number.parseInt(hex, 16);
        if (code > 0x10ffff) return undefined;
        out += String.fromCodePoint(code);
        i += width;
        break;
      }
      case 'N':
        return undefined;
      default: {
        const octal = /^[0-7]{1,3}/.exec(body.slice(i));
        if (octal !== null) {
          out += String.fromCodePoint(Number.parseInt(octal[0], 8));
          i += octal[0].length - 1;
        } else {
          // Unknown escapes stay as written (Python only warns).
          out += `\\${next}`;
        }
      }
    }
  }
  return out;
}

/** packaging.utils.canonicalize_name without validation: markers may hold any string. */
function canonicalize(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/**
 * PEP 685: extra names are compared normalized, so packaging normalizes the literal beside
 * `extra` (and the membership literal of `extras`/`dependency_groups`) when parsing; str()
 * shows the normalized form (`markers._normalize_extras`).
 */
function normalizeExtraComparison(item: MarkerComparison): MarkerComparison {
  const { left, right } = item;
  if (left.kind === 'variable' && left.name === 'extra' && right.kind === 'string') {
    return { ...item, right: { kind: 'string', value: canonicalize(right.value) } };
  }
  if (
    right.kind === 'variable' &&
    (right.name === 'extra' || right.name === 'extras' || right.name === 'dependency_groups') &&
    left.kind === 'string'
  ) {
    return { ...item, left: { kind: 'string', value: canonicalize(left.value) } };
  }
  return item;
}

function toFerryError(error: unknown, code: ErrorCode, what: string, hint: string): unknown {
  if (!(error instanceof Pep508SyntaxError)) return error;
  return new FerryError(code, syntaxErrorMessage(what, error), {
    hint,
    details: {
      input: error.source,
      reason: error.reason,
      span: [
        codePointOffset(error.source, error.span[0]),
        codePointOffset(error.source, error.span[1]),
      ],
    },
  });
}

const MARKER_HINT =
  'Markers compare a variable with a quoted string, joined by and/or, e.g. ' +
  `python_version >= "3.9" and sys_platform == "linux" (PEP 508).`;

export function parseMarker(text: string): Marker {
  const tokenizer = new Pep508Tokenizer(text);
  try {
    const marker = parseMarkerExpression(tokenizer);
    tokenizer.expect('END', 'end of marker expression');
    return marker;
  } catch (error) {
    throw toFerryError(error, 'ERR_FERRY_INVALID_MARKER', 'Invalid marker', MARKER_HINT);
  }
}

/** @internal Wraps a tokenizer syntax error for requirement.ts. */
export function wrapSyntaxError(
  error: unknown,
  code: ErrorCode,
  what: string,
  hint: string,
): unknown {
  return toFerryError(error, code, what, hint);
}

// ------------------------------------------------------------------------------------------
// Formatting (markers._format_marker); formatMarker(parseMarker(s)) == str(Marker(s))
// ------------------------------------------------------------------------------------------

function formatOperand(operand: MarkerOperand): string {
  if (operand.kind === 'variable') return operand.name;
  const { value } = operand;
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  throw new FerryError(
    'ERR_FERRY_INVALID_MARKER',
    `The marker string ${JSON.stringify(value)} holds both quote characters and cannot be written back`,
    { hint: 'Use a value without both \' and " (packaging refuses it too).' },
  );
}

function formatNode(node: MarkerComparison | MarkerExpression, first: boolean): string {
  if (node.kind === 'comparison') {
    return `${formatOperand(node.left)} ${node.op} ${formatOperand(node.right)}`;
  }
  // A group of one term is unwrapped, keeping the nesting context (packaging does the same).
  if (node.terms.length === 1) return formatNode(node.terms[0]!, first);
  const parts: string[] = [];
  node.terms.forEach((term, i) => {
    if (i > 0) parts.push(node.joiners[i - 1]!);
    parts.push(formatNode(term, false));
  });
  const joined = parts.join(' ');
  return first ? joined : `(${joined})`;
}

export function formatMarker(m: Marker): string {
  return formatNode(m, true);
}

// ------------------------------------------------------------------------------------------
// Evaluation (markers._evaluate_markers / _eval_op)
// ------------------------------------------------------------------------------------------

// Variables whose values are versions: compared with PEP 440 when the literal forms a valid
// specifier (markers.MARKERS_REQUIRING_VERSION).
const VERSION_VARIABLES = new Set([
  'implementation_version',
  'platform_release',
  'python_full_version',
  'python_version',
]);
const SET_VARIABLES = new Set(['extras', 'dependency_groups']);

type EnvValue = string | ReadonlySet<string>;

function undefinedComparison(message: string): FerryError {
  return new FerryError('ERR_FERRY_MARKER_UNDEFINED_COMPARISON', message, {
    hint: 'Compare version variables with version strings, and other variables only with ==, !=, in or not in.',
  });
}

function evalOp(lhs: string, op: MarkerOperator, rhs: EnvValue, key: string): boolean {
  if (VERSION_VARIABLES.has(key) && typeof rhs === 'string') {
    let spec: ReturnType<typeof parseSpecifier> | undefined;
    try {
      spec = parseSpecifier(`${op}${rhs}`);
    } catch {
      spec = undefined; // not a version comparison: fall back to string operators
    }
    if (spec !== undefined) {
      return specifierContains(spec, lhs, { prereleases: true });
    }
  }
  switch (op) {
    case 'in':
      return typeof rhs === 'string' ? rhs.includes(lhs) : rhs.has(lhs);
    case 'not in':
      return typeof rhs === 'string' ? !rhs.includes(lhs) : !rhs.has(lhs);
    // packaging: `<` and `>` on plain strings are always false, `<=`/`>=` mean equality.
    case '<':
    case '>':
      return false;
    case '<=':
    case '==':
    case '>=':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    default:
      throw undefinedComparison(
        `Undefined comparison ${op} on ${JSON.stringify(lhs)} and ${typeof rhs === 'string' ? JSON.stringify(rhs) : 'a set'} in a marker`,
      );
  }
}

function evaluateExpression(node: MarkerExpression, lookup: (key: string) => EnvValue): boolean {
  // `and` binds tighter than `or`: collect and-groups, then any(all(group)).
  const groups: boolean[][] = [[]];
  node.terms.forEach((term, i) => {
    if (i > 0 && node.joiners[i - 1] === 'or') groups.push([]);
    groups[groups.length - 1]!.push(
      term.kind === 'expression'
        ? evaluateExpression(term, lookup)
        : evaluateComparison(term, lookup),
    );
  });
  return groups.some((group) => group.every(Boolean));
}

function evaluateComparison(item: MarkerComparison, lookup: (key: string) => EnvValue): boolean {
  const operandText = (o: MarkerOperand) => (o.kind === 'variable' ? o.name : o.value);
  let key: string;
  let lhs: EnvValue;
  let rhs: EnvValue;
  // Like packaging: a variable on the left is looked up and the right taken literally;
  // otherwise the right side names the variable (even when it is a quoted string).
  if (item.left.kind === 'variable') {
    key = item.left.name;
    lhs = lookup(key);
    rhs = operandText(item.right);
  } else {
    lhs = item.left.value;
    key = operandText(item.right);
    rhs = lookup(key);
  }
  if (typeof lhs !== 'string') {
    throw undefinedComparison(
      `The set-valued marker variable ${key} can only be used as "<name>" in ${key}, not on the left of ${item.op}`,
    );
  }
  if (SET_VARIABLES.has(key)) {
    lhs = canonicalize(lhs);
    rhs = typeof rhs === 'string' ? canonicalize(rhs) : new Set([...rhs].map(canonicalize));
  }
  return evalOp(lhs, item.op, rhs, key);
}

/**
 * Evaluates a marker for a target environment. `extras` are the extras being installed: the
 * marker holds when it holds for any one of them as `extra` (pip's rule), or for `extra == ""`
 * when none are given (packaging's default). They are also the `extras` set of PEP 751, and
 * `dependencyGroups` the `dependency_groups` set.
 */
export function evaluateMarker(
  m: Marker,
  env: MarkerEnvironment,
  extras: readonly string[] = [],
  dependencyGroups: readonly string[] = [],
): boolean {
  const base = new Map<string, EnvValue>(Object.entries(env));
  const fullVersion = env.python_full_version;
  // A Python built from an untagged checkout reports e.g. "3.13.0+", not PEP 440 (packaging's
  // _repair_python_full_version).
  if (fullVersion.endsWith('+')) base.set('python_full_version', `${fullVersion}local`);
  base.set('extras', new Set(extras.map(canonicalize)));
  base.set('dependency_groups', new Set(dependencyGroups.map(canonicalize)));
  const candidates = extras.length === 0 ? [''] : extras.map(canonicalize);
  return candidates.some((extra) =>
    evaluateExpression(m, (key) => {
      if (key === 'extra') return extra;
      const value = base.get(key);
      if (value === undefined) {
        throw new FerryError(
          'ERR_FERRY_MARKER_UNDEFINED_VARIABLE',
          `The marker refers to ${JSON.stringify(key)}, which is not a marker variable`,
          { hint: `Known variables: ${MARKER_VARIABLES.join(', ')}, extra.` },
        );
      }
      return value;
    }),
  );
}

function mentionsExtra(node: MarkerComparison | MarkerExpression): boolean {
  if (node.kind === 'expression') return node.terms.some(mentionsExtra);
  return [node.left, node.right].some((o) => o.kind === 'variable' && o.name === 'extra');
}

/** True when the marker tests `extra` (so the dependency belongs to an optional extra). */
export function markerMentionsExtra(m: Marker): boolean {
  return mentionsExtra(m);
}
