/** The target flags shared by `ferry lock` and `ferry bundle`. */
import { type SettledTarget, settleTargetsWithProfiles } from '../host/target-spec.js';
import { list, type ParsedArgs, str } from './command.js';

export const TARGET_OPTIONS = {
  target: { type: 'string', short: 't', multiple: true },
  python: { type: 'string' },
  implementation: { type: 'string' },
  os: { type: 'string' },
  arch: { type: 'string' },
  glibc: { type: 'string' },
  musl: { type: 'string' },
  macos: { type: 'string' },
} as const;

export const TARGET_HELP = `The target (default: this host's python3; tags and markers are derived for the target):
  -t, --target NAME|FILE   a preset (see ferry targets) or a profile written by ferry probe;
                           repeat it for one lock that installs on every target
      --python VERSION|PATH  the target's Python (3.9, 3.10.4), or an interpreter on this host
      --os linux|macos|windows  --arch ARCH  --glibc X.Y | --musl X.Y  --macos X.Y
      --implementation cp|pp    (flags without --target describe one target; a Linux target
                                 with no libc given gets glibc 2.17, the manylinux2014 floor)`;

export function settleCliTargets(args: ParsedArgs): Promise<SettledTarget[]> {
  const v = args.values;
  const flags = {
    targets: list(v.target),
    python: str(v.python),
    implementation: str(v.implementation),
    os: str(v.os),
    arch: str(v.arch),
    glibc: str(v.glibc),
    musl: str(v.musl),
    macos: str(v.macos),
  };
  return settleTargetsWithProfiles(
    Object.fromEntries(
      Object.entries(flags).filter(([, value]) => value !== undefined),
    ) as Parameters<typeof settleTargetsWithProfiles>[0],
  );
}
