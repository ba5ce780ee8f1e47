/**
 * pip's `--no-binary` / `--only-binary` / `--prefer-binary`: which kinds of file a project may be
 * installed from. Followed from pip/_internal/models/format_control.py (pip 23.2): each value is
 * applied in turn to two sets, so a later value overrides an earlier one the way pip's does.
 *
 * How ferry maps pip's answer (docs/indexes.md, "Wheels and sdists"):
 * - binary and source allowed (pip's default): wheels; an sdist only for `--allow-sdist NAME`,
 *   when a version has no wheel for a target (ferry's own, stricter default: the target has no
 *   network and often no compiler);
 * - binary only (`only-binary`): wheels only, even for a project named by `--allow-sdist`;
 * - source only (`no-binary`): the project needs its sdist: carried with `--allow-sdist NAME`,
 *   refused otherwise.
 */
import { FerryError } from '../core/errors.js';

export type DistFormat = 'binary' | 'source';

export interface FormatControl {
  /** Normalized names, or ':all:'. */
  readonly noBinary: ReadonlySet<string>;
  readonly onlyBinary: ReadonlySet<string>;
}

/** What pip.conf / PIP_* / the command line asked for, with where each value came from. */
export interface FormatPolicy {
  readonly control: FormatControl;
  /** `prefer-binary`: a version with wheels beats a newer one that would need an sdist. */
  readonly preferBinary: boolean;
  /** The settings that shaped `control`, for messages ("no-binary from /etc/pip.conf [global]"). */
  readonly sources: readonly string[];
}

export const DEFAULT_FORMAT_POLICY: FormatPolicy = {
  control: { noBinary: new Set(), onlyBinary: new Set() },
  preferBinary: false,
  sources: [],
};

/**
 * Applies one `no-binary` or `only-binary` value (pip's FormatControl.handle_mutual_excludes):
 * `:all:` clears both sets and puts `:all:` in this one, `:none:` empties this one, a name
 * moves from the other set to this one.
 */
export function applyFormatValue(
  control: FormatControl,
  option: 'no-binary' | 'only-binary',
  value: string,
  source: string,
): FormatControl {
  if (value.startsWith('-')) {
    throw new FerryError(
      'ERR_FERRY_PIP_CONFIG',
      `${option} needs a value, got "${value}" (${source})`,
      { hint: 'Give :all:, :none: or project names separated by commas, as pip requires.' },
    );
  }
  let target = new Set(option === 'no-binary' ? control.noBinary : control.onlyBinary);
  let other = new Set(option === 'no-binary' ? control.onlyBinary : control.noBinary);
  let names = value.split(',');
  const done = () =>
    option === 'no-binary'
      ? { noBinary: target, onlyBinary: other }
      : { noBinary: other, onlyBinary: target };
  while (names.includes(':all:')) {
    other = new Set();
    target = new Set([':all:']);
    names = names.slice(names.indexOf(':all:') + 1);
    // pip: without a :none: after it, :all: covers every name that follows.
    if (!names.includes(':none:')) return done();
  }
  for (const raw of names) {
    if (raw === ':none:') {
      target.clear();
      continue;
    }
    // packaging's canonicalize_name: no validation, so " numpy" (after a comma and a space)
    // names no project, in pip as here.
    const name = raw.toLowerCase().replace(/[-_.]+/g, '-');
    other.delete(name);
    target.add(name);
  }
  return done();
}

/** pip's FormatControl.get_allowed_formats: a project's own entry first, then `:all:`. */
export function allowedFormats(control: FormatControl, name: string): ReadonlySet<DistFormat> {
  if (control.onlyBinary.has(name)) return new Set(['binary']);
  if (control.noBinary.has(name)) return new Set(['source']);
  if (control.onlyBinary.has(':all:')) return new Set(['binary']);
  if (control.noBinary.has(':all:')) return new Set(['source']);
  return new Set(['binary', 'source']);
}
