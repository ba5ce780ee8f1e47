/**
 * The default target: the interpreter that will run on this very host (python3, or --python).
 * It goes through the same probe a real target host runs, so "this host" and "a captured
 * profile" are one code path.
 */
import { FerryError } from '../core/errors.js';
import type { Target } from '../standards/target.js';
import { probeHost } from './probe.js';
import { profileToTargets, type TargetProfile } from './profile.js';

export async function hostTarget(
  python?: string,
  runCommands = false,
): Promise<{ target: Target; profile: TargetProfile }> {
  const profile = await probeHost({ ...(python === undefined ? {} : { python }), runCommands });
  const target = profileToTargets(profile)[0];
  if (target === undefined) {
    throw new FerryError(
      'ERR_FERRY_PROBE_FAILED',
      `The probe found no Python interpreter on this host${python ? ` (asked for ${python})` : ''}.`,
      {
        hint: 'Install python3, or name one with --python.',
      },
    );
  }
  // The host's own name, without the interpreter path profileToTargets adds when it finds several.
  return { target: { ...target, name: `host-py${target.interpreter.version.join('.')}` }, profile };
}
