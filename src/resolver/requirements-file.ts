/**
 * pip's requirements file format (https://pip.pypa.io/en/stable/reference/requirements-file-format/):
 * comments, backslash continuations, ${VAR} expansion, nested -r/-c files, the global options pip
 * accepts there, and per-requirement --hash options. IO is passed in so tests can use tables.
 */
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { FerryError } from '../core/errors.js';
import { parseRequirement, type Requirement } from '../standards/requirement.js';
import type { SourcedRequirement } from './resolve.js';

export interface RequirementsFileResult {
  readonly requirements: SourcedRequirement[];
  readonly constraints: SourcedRequirement[];
  readonly indexUrl?: string;
  readonly extraIndexUrls: string[];
  readonly findLinks: string[];
  readonly noIndex: boolean;
  readonly pre: boolean;
  /** --hash values per requirement line, keyed by "name==version" text as written. */
  readonly hashes: Map<string, string[]>;
}

export interface RequirementsFileIo {
  readFile(path: string): Promise<string>;
  env?: NodeJS.ProcessEnv;
}

/** Options pip accepts in a requirements file that change nothing for ferry's resolution. */
const IGNORED_OPTIONS = new Set([
  '--prefer-binary',
  '--require-hashes',
  '--trusted-host',
  '--use-feature',
  '--only-binary',
  '--no-binary',
  '--progress-bar',
]);

export function emptyRequirementsResult(): RequirementsFileResult {
  return {
    requirements: [],
    constraints: [],
    extraIndexUrls: [],
    findLinks: [],
    noIndex: false,
    pre: false,
    hashes: new Map(),
  };
}

export async function readRequirementsFile(
  path: string,
  io: RequirementsFileIo,
  kind: 'requirement' | 'constraint' = 'requirement',
  into: RequirementsFileResult = emptyRequirementsResult(),
  seen: Set<string> = new Set(),
): Promise<RequirementsFileResult> {
  const absolute = resolvePath(path);
  if (seen.has(absolute)) {
    throw new FerryError(
      'ERR_FERRY_REQUIREMENTS_CYCLE',
      `The requirements file "${path}" includes itself (through -r or -c).`,
      {
        hint: 'Remove the circular -r/-c line.',
      },
    );
  }
  seen.add(absolute);
  let text: string;
  try {
    text = await io.readFile(absolute);
  } catch (error) {
    throw new FerryError(
      'ERR_FERRY_REQUIREMENTS_FILE',
      `Cannot read the requirements file "${path}": ${(error as Error).message}`,
      {
        hint: 'Check the path given to -r or -c (relative paths inside a file are relative to that file).',
        cause: error,
      },
    );
  }
  const result = into as {
    -readonly [K in keyof RequirementsFileResult]: RequirementsFileResult[K];
  };
  for (const { line, number } of logicalLines(text)) {
    const source = `${path}:${number}`;
    const expanded = expandEnv(line, io.env ?? process.env);
    const tokens = expanded.split(/\s+/).filter((t) => t !== '');
    if (tokens.length === 0) continue;
    const first = tokens[0]!;
    if (first.startsWith('-')) {
      const [option, inlineValue] = splitOption(first);
      const value = inlineValue ?? tokens[1];
      const needValue = (): string => {
        if (value === undefined) {
          throw new FerryError(
            'ERR_FERRY_REQUIREMENTS_FILE',
            `${source}: option ${option} needs a value.`,
            {
              hint: `Write it as "${option} VALUE".`,
            },
          );
        }
        return value;
      };
      const relative = (p: string): string =>
        isAbsolute(p) || /^[a-z]+:\/\//i.test(p) ? p : resolvePath(dirname(absolute), p);
      switch (option) {
        case '-r':
        case '--requirement':
          await readRequirementsFile(relative(needValue()), io, kind, result, seen);
          break;
        case '-c':
        case '--constraint':
          await readRequirementsFile(relative(needValue()), io, 'constraint', result, seen);
          break;
        case '-i':
        case '--index-url':
          result.indexUrl = needValue();
          break;
        case '--extra-index-url':
          result.extraIndexUrls.push(needValue());
          break;
        case '-f':
        case '--find-links':
          result.findLinks.push(relative(needValue()));
          break;
        case '--no-index':
          result.noIndex = true;
          break;
        case '--pre':
          result.pre = true;
          break;
        case '-e':
        case '--editable':
          throw new FerryError(
            'ERR_FERRY_REQUIREMENTS_FILE',
            `${source}: editable requirements (${option}) cannot be bundled.`,
            {
              hint: 'Build a wheel of the project first (pip wheel .) and pass its folder with --find-links.',
            },
          );
        default:
          if (!IGNORED_OPTIONS.has(option)) {
            throw new FerryError(
              'ERR_FERRY_REQUIREMENTS_FILE',
              `${source}: unknown option "${option}".`,
              {
                hint: 'ferry accepts the options pip accepts in requirements files: -r, -c, -i, --extra-index-url, -f, --no-index, --pre, --prefer-binary, --only-binary, --no-binary, --trusted-host, --require-hashes.',
              },
            );
          }
      }
      continue;
    }
    // A requirement, possibly followed by per-requirement options (--hash=sha256:...).
    const optionAt = expanded.search(/\s--?[a-z]/i);
    const requirementText = (optionAt === -1 ? expanded : expanded.slice(0, optionAt)).trim();
    const options = optionAt === -1 ? '' : expanded.slice(optionAt);
    let requirement: Requirement;
    try {
      requirement = parseRequirement(requirementText);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new FerryError('ERR_FERRY_REQUIREMENTS_FILE', `${source}: ${message}`, {
        hint: 'Each line holds one PEP 508 requirement such as "numpy>=1.24,<2".',
        cause: error,
      });
    }
    const hashes = [...options.matchAll(/--hash[=\s]+(\S+)/g)].map((m) => m[1]!);
    if (hashes.length > 0) result.hashes.set(requirementText, hashes);
    (kind === 'constraint' ? result.constraints : result.requirements).push({
      requirement,
      source,
    });
  }
  return result;
}

/** Joins continuation lines and strips comments, keeping the first physical line's number. */
function* logicalLines(text: string): Generator<{ line: string; number: number }> {
  const physical = text.split(/\r?\n/);
  let buffer = '';
  let start = 0;
  for (let i = 0; i < physical.length; i++) {
    let line = physical[i]!;
    if (buffer === '') start = i + 1;
    // pip: a comment starts with '#' at line start or after whitespace.
    line = line.replace(/(^|\s+)#.*$/, '');
    if (line.endsWith('\\')) {
      buffer += line.slice(0, -1);
      continue;
    }
    buffer += line;
    if (buffer.trim() !== '') yield { line: buffer.trim(), number: start };
    buffer = '';
  }
  if (buffer.trim() !== '') yield { line: buffer.trim(), number: start };
}

/** pip expands only ${NAME} with upper-case letters, digits and underscores. */
function expandEnv(line: string, env: NodeJS.ProcessEnv): string {
  return line.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => env[name] ?? whole);
}

function splitOption(token: string): [string, string | undefined] {
  const eq = token.indexOf('=');
  if (token.startsWith('--') && eq !== -1) return [token.slice(0, eq), token.slice(eq + 1)];
  // Short options may be glued to their value: -rfile.txt
  if (/^-[rcif]./.test(token)) return [token.slice(0, 2), token.slice(2)];
  return [token, undefined];
}
