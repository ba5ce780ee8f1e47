/**
 * The doctor use case: what a bundle needs (its manifest) against what a host has (probed
 * here, or a saved profile of the target), as a list of problems each with its fix.
 */
import type { Manifest } from '../bundle/manifest.js';
import { probeHost } from '../host/probe.js';
import { parseTargetProfile, type TargetProfile } from '../host/profile.js';
import { readBundleManifest } from '../onhost/bundle-check.js';
import {
  type BundleFactsFromManifest,
  bundleFactsFromManifest,
  type DoctorProblem,
  diagnose,
} from '../onhost/doctor.js';
import { defaultOpenBundle, type OpenBundle } from './open.js';

export interface DoctorRequest {
  /** A bundle folder, a NAME.ferry.tar, its first volume or its volumes.json. */
  readonly bundle: string;
  /** Judge only this interpreter: a path, or a version ('3.9', 'python3.9') in a profile. */
  readonly python?: string;
  /**
   * A saved profile (`ferry probe -o FILE`) to judge instead of this host; read after the
   * bundle's manifest, so a bundle that is not one is reported first.
   */
  readonly profile?: { readonly source: string; read(): Promise<string> };
  /** Count a driver that needs CUDA minor-version compatibility as a warning only. */
  readonly allowMinorVersionCompat?: boolean;
  readonly open?: OpenBundle;
}

export interface DoctorOutcome {
  readonly manifest: Manifest;
  readonly facts: BundleFactsFromManifest;
  readonly host: TargetProfile;
  readonly problems: readonly DoctorProblem[];
  /** How many problems are errors (a bundle with none will run here). */
  readonly errors: number;
}

export async function doctor(request: DoctorRequest): Promise<DoctorOutcome> {
  const opened = await (request.open ?? defaultOpenBundle)(request.bundle);
  const manifest = await readBundleManifest(opened.dir, opened.label).finally(() =>
    opened.cleanup(),
  );
  const facts = bundleFactsFromManifest(manifest);
  const { python } = request;
  let host: TargetProfile;
  if (request.profile !== undefined) {
    host = parseTargetProfile(await request.profile.read(), request.profile.source);
    if (python !== undefined)
      host = {
        ...host,
        interpreters: host.interpreters.filter((i) => matchesInterpreter(i, python)),
      };
  } else {
    host = await probeHost(python === undefined ? {} : { python, runningOnly: true });
    if (python !== undefined)
      host = { ...host, interpreters: host.interpreters.filter((i) => i.running) };
  }
  const problems = diagnose(facts, host, {
    allowMinorVersionCompat: request.allowMinorVersionCompat === true,
  });
  const errors = problems.filter((p) => p.severity === 'error').length;
  return { manifest, facts, host, problems, errors };
}

function matchesInterpreter(i: TargetProfile['interpreters'][number], python: string): boolean {
  if (i.executable === python || i.paths.includes(python)) return true;
  // '3.9' or 'python3.9'
  const v = /(\d+\.\d+)$/.exec(python)?.[1];
  return v !== undefined && (i.version === v || i.version.startsWith(`${v}.`));
}
