/**
 * Every command, with the one-line summary `ferry --help` shows. A command's module (and the
 * libraries behind it) is loaded only when that command runs, which keeps start-up short.
 */
import type { Command } from '../command.js';

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'lock',
    summary:
      'resolve for the target(s) and write pylock.toml (PEP 751) or requirements.txt with hashes',
    load: async () => (await import('./lock.js')).lockCommand,
  },
  {
    name: 'bundle',
    summary: 'resolve for the target(s), download everything, and write a bundle folder',
    load: async () => (await import('./bundle.js')).bundleCommand,
  },
  {
    name: 'inventory',
    summary:
      'write what a store, venv or set of bundles already has, for ferry bundle --since (deltas)',
    load: async () => (await import('./inventory.js')).inventoryCommand,
  },
  {
    name: 'sync',
    summary:
      'lock requirement sets for targets and write a dated delta bundle of what is new (scheduled)',
    load: async () => (await import('./sync.js')).syncCommand,
  },
  {
    name: 'install',
    summary:
      'install a bundle with no network into a new or existing venv, smoke-test it, write a receipt',
    load: async () => (await import('./install.js')).installCommand,
  },
  {
    name: 'verify',
    summary: 'check a bundle offline: integrity, completeness and trusted signatures',
    load: async () => (await import('./verify.js')).verifyCommand,
  },
  {
    name: 'sign',
    summary: "sign (or countersign) a bundle folder's SHA256SUMS",
    load: async () => (await import('./sign.js')).signCommand,
  },
  {
    name: 'keygen',
    summary: 'make a signing key pair (Ed25519/minisign, or SM2 with --sm2)',
    load: async () => (await import('./keygen.js')).keygenCommand,
  },
  {
    name: 'pack',
    summary: 'pack a bundle folder into one deterministic NAME.ferry.tar, or volumes',
    load: async () => (await import('./pack.js')).packCommand,
  },
  {
    name: 'publish',
    summary: 'verify a bundle, then upload its files to an index that takes twine uploads',
    load: async () => (await import('./publish.js')).publishCommand,
  },
  {
    name: 'probe',
    summary:
      'describe this host (Python, tags, glibc, CPU, NVIDIA driver, CUDA libraries) as a target profile',
    load: async () => (await import('./probe.js')).probeCommand,
  },
  {
    name: 'doctor',
    summary:
      'will this bundle run here? Python, tags, glibc, AVX, NVIDIA driver vs CUDA; and what to do',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  {
    name: 'receipt',
    summary: 'check an install receipt carried back from a target host (structure and signature)',
    load: async () => (await import('./receipt.js')).receiptCommand,
  },
  {
    name: 'audit',
    summary: 'check a bundle or pylock.toml offline against OSV advisories and ferry-policy.toml',
    load: async () => (await import('./audit.js')).auditCommand,
  },
  {
    name: 'why',
    summary: 'every path from the top-level requirements to a package in a lock or bundle',
    load: async () => (await import('./why.js')).whyCommand,
  },
  {
    name: 'report',
    summary: 'write one self-contained HTML page for the review of a bundle',
    load: async () => (await import('./report.js')).reportCommand,
  },
  {
    name: 'advisories',
    summary: 'download the OSV advisory snapshot for PyPI (online side), for ferry audit',
    load: async () => (await import('./advisories.js')).advisoriesCommand,
  },
  {
    name: 'import',
    summary: 'verify a bundle and publish it into an intranet index store (or its incoming queue)',
    load: async () => (await import('./import.js')).importCommand,
  },
  {
    name: 'approve',
    summary:
      "countersign a bundle waiting in a store's incoming index; promote it when the policy is met",
    load: async () => (await import('./approve.js')).approveCommand,
  },
  {
    name: 'token',
    summary: 'create, list or revoke upload/admin tokens of an intranet index store',
    load: async () => (await import('./token.js')).tokenCommand,
  },
  {
    name: 'export-static',
    summary: "write a store's current generation as a plain PEP 503/691 tree any web server serves",
    load: async () => (await import('./export-static.js')).exportStaticCommand,
  },
  {
    name: 'targets',
    summary:
      'list the named target presets (glibc, default Python, and where each fact comes from)',
    load: async () => (await import('./targets.js')).targetsCommand,
  },
  {
    name: 'frameworks',
    summary:
      'list the framework builds (pin, index, floors, source); "choose" explains the build for a target',
    load: async () => (await import('./frameworks.js')).frameworksCommand,
  },
  {
    name: 'serve',
    summary: 'serve an index store to pip, uv and people (PEP 503/691/658, uploads, web pages)',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    name: 'client-config',
    summary: 'print the pip.conf and uv.toml a node needs to install from a ferry serve index',
    load: async () => (await import('./client-config.js')).clientConfigCommand,
  },
];
