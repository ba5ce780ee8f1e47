/**
 * Builds source distributions into wheels on this host, the PEP 517 way pip does with build
 * isolation (pip/_internal/build_env.py): a fresh virtual environment per sdist, its build
 * requirements installed as wheels only (`--only-binary :all:`) from the indexes ferry resolved
 * against, then the backend's hooks run with the network cut off (`unshare -n`) and
 * SOURCE_DATE_EPOCH set, so that the same sdist gives the same wheel.
 *
 * Installing build requirements is the only step that reaches the network; the backend itself
 * (code from the package) never does, where the host allows a network namespace.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { redactUrl } from '../core/redact.js';
import { defaultPython, isolatedPipEnv } from '../host/python-env.js';
import { PEP517_RUNNER } from './pep517-runner.js';

/** The host a wheel was built on, recorded with it (manifest, SBOM). */
export interface BuilderFacts {
  readonly os: string;
  readonly arch: string;
  /** glibc version ("2.36"); undefined on musl or another libc. */
  readonly glibc?: string;
  /** The interpreter's full version ("3.11.7"). */
  readonly python: string;
  /** sys.implementation.name ("cpython"). */
  readonly implementation: string;
}

/** Where build requirements come from: the same indexes and find-links ferry resolves against. */
export interface BuildSources {
  /** Index URLs (PEP 503 simple), credentials included; the first one is pip's --index-url. */
  readonly indexUrls: readonly string[];
  readonly findLinks: readonly string[];
}

export interface SdistBuilderOptions {
  /** The build interpreter (FERRY_PYTHON, else python3). */
  readonly python?: string;
  readonly sources: BuildSources;
  /** SOURCE_DATE_EPOCH for the backend (seconds); default 315532800 (1980-01-01, the zip epoch). */
  readonly sourceDateEpoch?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly events?: EventSink;
  /** Cut the network off around the hooks (default true); false is for tests of the fallback. */
  readonly isolateNetwork?: boolean;
}

/** What one hook run gave back. */
export interface HookAnswer {
  readonly backend: string;
  /** The build requirements asked for: `[build-system].requires` plus the backend's own. */
  readonly requested: readonly string[];
  /**
   * What was installed for them, `NAME==VERSION` sorted by name: every distribution in the build
   * environment that the installs added or that a requirement names (the venv's own pip left
   * out), read from the environment after the installs.
   */
  readonly requires: readonly string[];
}

/** The distributions in an environment as {normalized name: "Name==version"} (JSON). */
const INSTALLED_CODE = `
import json, re
from importlib import metadata
out = {}
for d in metadata.distributions():
    name = d.metadata["Name"]
    if name:
        out[re.sub(r"[-_.]+", "-", name).lower()] = name + "==" + d.version
print(json.dumps(out))
`;

const FACTS_CODE = `
import json, platform, sys
libc, ver = platform.libc_ver()
print(json.dumps({"os": platform.system().lower(), "arch": platform.machine(),
  "glibc": ver if libc == "glibc" else None,
  "python": platform.python_version(), "implementation": sys.implementation.name}))
`;

/** Runs a command with no stdin (a backend must not wait for input), collecting its output. */
function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export class SdistBuilder {
  readonly #python: string;
  #facts: Promise<BuilderFacts> | undefined;
  #isolation: Promise<readonly string[] | undefined> | undefined;

  constructor(private readonly options: SdistBuilderOptions) {
    this.#python = options.python ?? defaultPython(options.env);
  }

  /** The build host's OS, arch, glibc and Python. */
  facts(): Promise<BuilderFacts> {
    this.#facts ??= (async () => {
      const r = await run(this.#python, ['-c', FACTS_CODE], { env: this.#env() });
      if (r.code !== 0) throw this.#failed('this host', 'could not run the build Python', r.stderr);
      const raw = JSON.parse(r.stdout) as BuilderFacts & { glibc: string | null };
      return {
        os: raw.os,
        arch: raw.arch,
        ...(raw.glibc === null ? {} : { glibc: raw.glibc }),
        python: raw.python,
        implementation: raw.implementation,
      };
    })();
    return this.#facts;
  }

  /**
   * The command prefix that runs a process without network: `unshare -n` (root), else
   * `unshare -rn` (an unprivileged user namespace); undefined when neither works here.
   */
  networkIsolation(): Promise<readonly string[] | undefined> {
    this.#isolation ??= (async () => {
      if (this.options.isolateNetwork === false) return undefined;
      for (const prefix of [
        ['unshare', '-n'],
        ['unshare', '-rn'],
      ]) {
        const r = await run(prefix[0]!, [...prefix.slice(1), 'true']).catch(() => undefined);
        if (r?.code === 0) return prefix;
      }
      return undefined;
    })();
    return this.#isolation;
  }

  /** The wheel's core metadata, from prepare_metadata_for_build_wheel (PEP 517). */
  async metadata(
    sdistPath: string,
    filename: string,
    buildRequires: readonly string[],
  ): Promise<HookAnswer & { metadata: string }> {
    return this.#withEnv(sdistPath, filename, buildRequires, async (env, out, installed) => {
      const answer = await this.#hook(env, 'metadata', sdistPath, out, filename);
      return { backend: String(answer.backend), ...installed, metadata: String(answer.metadata) };
    });
  }

  /** Builds the wheel into `outDir`; returns its file name and how long the build took. */
  async wheel(
    sdistPath: string,
    filename: string,
    buildRequires: readonly string[],
    outDir: string,
    sourceDateEpoch?: number,
  ): Promise<HookAnswer & { wheel: string; seconds: number }> {
    const started = Date.now();
    return this.#withEnv(sdistPath, filename, buildRequires, async (env, _out, installed) => {
      const answer = await this.#hook(env, 'wheel', sdistPath, outDir, filename, sourceDateEpoch);
      return {
        backend: String(answer.backend),
        ...installed,
        wheel: String(answer.wheel),
        seconds: (Date.now() - started) / 1000,
      };
    });
  }

  /** A fresh venv with the build requirements (and those the backend asks for) installed. */
  async #withEnv<T>(
    sdistPath: string,
    filename: string,
    buildRequires: readonly string[],
    body: (
      venvPython: string,
      out: string,
      installed: Pick<HookAnswer, 'requested' | 'requires'>,
    ) => Promise<T>,
  ): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-build-'));
    try {
      const venv = join(dir, 'env');
      const made = await run(this.#python, ['-m', 'venv', venv], { env: this.#env() });
      if (made.code !== 0)
        throw this.#failed(filename, 'could not create the build environment', made.stderr);
      const python = join(venv, 'bin', 'python');
      // What the venv has before any install (pip; setuptools from ensurepip on Python < 3.12).
      const before = await this.#installed(python, filename);
      await this.#install(python, buildRequires, filename);
      // PEP 517: the backend may ask for more (setuptools' legacy backend asks for wheel).
      const asked = await this.#hook(
        python,
        'requires',
        sdistPath,
        join(dir, 'requires'),
        filename,
      );
      const extra = ((asked.requires as string[] | undefined) ?? []).filter(
        (r) => !buildRequires.includes(r),
      );
      await this.#install(python, extra, filename);
      const requested = [...buildRequires, ...extra];
      const after = await this.#installed(python, filename);
      const named = new Set(
        requested.map((r) =>
          (/^[A-Za-z0-9._-]+/.exec(r.trim())?.[0] ?? r).replace(/[-_.]+/g, '-').toLowerCase(),
        ),
      );
      // A requirement already met by the venv's own copy (setuptools from ensurepip) is
      // recorded with that copy's version; pip itself only when a requirement names it.
      const requires = Object.entries(after)
        .filter(([key, pin]) => named.has(key) || (before[key] !== pin && key !== 'pip'))
        .map(([, pin]) => pin)
        .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
      return await body(python, join(dir, 'out'), { requested, requires });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #installed(python: string, filename: string): Promise<Record<string, string>> {
    const r = await run(python, ['-c', INSTALLED_CODE], { env: this.#env() });
    if (r.code !== 0)
      throw this.#failed(filename, 'could not list the build environment', r.stderr);
    return JSON.parse(r.stdout) as Record<string, string>;
  }

  async #install(python: string, requires: readonly string[], filename: string): Promise<void> {
    if (requires.length === 0) return;
    const { indexUrls, findLinks } = this.options.sources;
    const args = [
      '-m',
      'pip',
      'install',
      '--isolated',
      '--no-input',
      '--disable-pip-version-check',
      '--only-binary',
      ':all:',
      ...(indexUrls.length === 0
        ? ['--no-index']
        : [
            '--index-url',
            indexUrls[0]!,
            ...indexUrls.slice(1).flatMap((u) => ['--extra-index-url', u]),
          ]),
      ...findLinks.flatMap((l) => ['--find-links', l]),
      ...requires,
    ];
    const r = await run(python, args, { env: this.#env() });
    if (r.code !== 0) {
      throw this.#failed(
        filename,
        `its build requirements (${requires.join(', ')}) could not be installed as wheels from ${[...indexUrls, ...findLinks].map(redactUrl).join(', ') || 'no index'}`,
        r.stderr,
      );
    }
  }

  /** Runs one PEP 517 hook in the build environment, without network where the host allows. */
  async #hook(
    python: string,
    mode: 'requires' | 'metadata' | 'wheel',
    sdistPath: string,
    out: string,
    filename: string,
    sourceDateEpoch = this.options.sourceDateEpoch ?? 315532800,
  ): Promise<Record<string, unknown>> {
    const isolation = await this.networkIsolation();
    const argv = [python, '-c', PEP517_RUNNER, mode, sdistPath, out];
    const [command, ...args] = [...(isolation ?? []), ...argv];
    const r = await run(command!, args, {
      env: {
        ...this.#env(),
        SOURCE_DATE_EPOCH: String(sourceDateEpoch),
        PYTHONHASHSEED: '0',
      },
    });
    if (r.code !== 0)
      throw this.#failed(filename, `its build backend failed (${mode})`, r.stderr || r.stdout);
    return JSON.parse(await readFile(join(out, 'ferry-hook.json'), 'utf8')) as Record<
      string,
      unknown
    >;
  }

  #env(): NodeJS.ProcessEnv {
    return isolatedPipEnv(this.options.env ?? process.env);
  }

  #failed(filename: string, reason: string, output: string): FerryError {
    const tail = output.trim().split('\n').slice(-15).join('\n');
    return new FerryError(
      'ERR_FERRY_SDIST_BUILD_FAILED',
      `${filename} could not be built into a wheel on this host: ${reason}.${tail === '' ? '' : `\n${tail}`}`,
      {
        hint: 'Build it on a host like the target and pass the folder with --find-links, or carry the sdist to be built on the target with --allow-sdist NAME.',
        details: { filename, reason },
      },
    );
  }
}
