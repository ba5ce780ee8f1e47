/**
 * Resolver scenarios (docs/scenarios.md): each test/scenarios/*.toml names packages, a request and
 * the expected outcome. The real pipeline runs for each: the packages are built as wheels and
 * served on 127.0.0.1, pip-style settings point at that index only, targets are settled as the
 * CLI settles them, and `lockRequirements` resolves. A scenario with `known_bug` documents a
 * resolver bug: it runs as a node:test `todo`, so its failure is reported, never counted as a pass.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { formatLockFile, lockedFromPylock } from '../../src/bundle/lock-file.js';
import type { Locked } from '../../src/bundle/locked.js';
import { parseManifest } from '../../src/bundle/manifest.js';
import { parsePylock } from '../../src/bundle/pylock.js';
import { FerryError } from '../../src/core/errors.js';
import { ContentCache } from '../../src/fetch/cache.js';
import { settleTargets } from '../../src/host/target-spec.js';
import { settleIndexes } from '../../src/index/index-config.js';
import type { IndexSettings } from '../../src/index/pip-config.js';
import { buildBundle } from '../../src/ops/bundle.js';
import { indexClientFor, indexDescriptions, lockRequirements } from '../../src/ops/lock.js';
import type { SourcedRequirement } from '../../src/resolver/resolve.js';
import { normalizeName } from '../../src/standards/name.js';
import { parseRequirement } from '../../src/standards/requirement.js';
import type { Target } from '../../src/standards/target.js';
import { type FakeDist, type LocalIndex, startLocalIndex } from '../helpers/local-index.js';

const SCENARIO_DIR = new URL('../scenarios/', import.meta.url);

const packageSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    requires: z.array(z.string()).optional(),
    /** Requires-Python in the wheel's metadata (and, unless file_requires_python says otherwise, on the index page). */
    requires_python: z.string().optional(),
    /** What the index page says (data-requires-python / requires-python); false: nothing. */
    file_requires_python: z.union([z.string(), z.literal(false)]).optional(),
    extras: z.array(z.string()).optional(),
    tag: z.string().optional(),
    yanked: z.union([z.boolean(), z.string()]).optional(),
    sdist_only: z.boolean().optional(),
  })
  .strict();

const targetSchema = z.union([
  z.string(),
  z
    .object({
      preset: z.string().optional(),
      python: z.string().optional(),
      implementation: z.string().optional(),
      os: z.string().optional(),
      arch: z.string().optional(),
      glibc: z.string().optional(),
      musl: z.string().optional(),
      macos: z.string().optional(),
    })
    .strict(),
]);

const scenarioSchema = z
  .object({
    description: z.string(),
    known_bug: z.string().optional(),
    packages: z.array(packageSchema).default([]),
    request: z
      .object({
        requirements: z.array(z.string()).min(1),
        constraints: z.array(z.string()).default([]),
        pre: z.boolean().default(false),
        targets: z.array(targetSchema).min(1),
      })
      .strict(),
    expect: z
      .object({
        versions: z.record(z.string(), z.string()).optional(),
        error_code: z.string().optional(),
        error_text: z.array(z.string()).default([]),
        per_target: z.record(z.string(), z.array(z.string())).optional(),
        /** Filenames the lock must hold (every file of every package), when the choice of wheel matters. */
        files: z.array(z.string()).optional(),
        /** Text each of which some warning event must contain. */
        warnings: z.array(z.string()).default([]),
        /**
         * Yanked releases the lock takes (PEP 592), as PEP 691 writes them: the reason or true.
         * They must be recorded in pylock.toml and in the bundle manifest; no other package may be.
         */
        yanked: z.record(z.string(), z.union([z.literal(true), z.string()])).optional(),
      })
      .strict()
      .refine(
        (e) => (e.versions === undefined) !== (e.error_code === undefined),
        'give exactly one of versions or error_code',
      ),
  })
  .strict();

type Scenario = z.infer<typeof scenarioSchema>;

async function loadScenarios(): Promise<{ file: string; scenario: Scenario }[]> {
  const files = (await readdir(SCENARIO_DIR)).filter((f) => f.endsWith('.toml')).sort();
  const out: { file: string; scenario: Scenario }[] = [];
  for (const file of files) {
    const text = await readFile(new URL(file, SCENARIO_DIR), 'utf8');
    const parsed = scenarioSchema.safeParse(parseToml(text));
    if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
    out.push({ file, scenario: parsed.data });
  }
  return out;
}

function fakeDist(p: Scenario['packages'][number]): FakeDist {
  return {
    name: p.name,
    version: p.version,
    ...(p.requires === undefined ? {} : { requiresDist: p.requires }),
    ...(p.requires_python === undefined ? {} : { requiresPython: p.requires_python }),
    ...(p.extras === undefined ? {} : { extras: p.extras }),
    ...(p.tag === undefined ? {} : { tag: p.tag }),
    ...(p.yanked === undefined ? {} : { yanked: p.yanked }),
    ...(p.sdist_only === undefined ? {} : { sdistOnly: p.sdist_only }),
  };
}

/**
 * Projects whose JSON page the runner rewrites (the index then serves JSON only):
 * - the local index writes the metadata's Requires-Python onto the page too; `file_requires_python`
 *   makes them differ;
 * - the helper percent-encodes `+` in file URLs (%2B) but decodes request paths with decodeURI, which
 *   leaves %2B alone, so local versions (2.1.2+cu118) would 404: their URLs are written with a bare `+`.
 */
const rewritten = (p: Scenario['packages'][number]) =>
  p.file_requires_python !== undefined || p.version.includes('+');

async function overridePages(index: LocalIndex, packages: Scenario['packages']): Promise<void> {
  const projects = new Set(packages.filter(rewritten).map((p) => normalizeName(p.name)));
  for (const project of projects) {
    const path = `/simple/${project}/`;
    const response = await fetch(`${index.url}/${project}/`, {
      headers: { accept: 'application/vnd.pypi.simple.v1+json' },
    });
    const page = (await response.json()) as {
      files: { filename: string; url: string; 'requires-python'?: string }[];
    };
    for (const file of page.files) {
      file.url = file.url.replace(/%2B/g, '+');
      const dist = index.files.get(file.filename)?.dist;
      const spec = packages.find(
        (p) =>
          normalizeName(p.name) === project &&
          p.version === dist?.version &&
          (p.tag ?? 'py3-none-any') === (dist?.tag ?? 'py3-none-any'),
      );
      if (spec?.file_requires_python === undefined) continue;
      if (spec.file_requires_python === false) delete file['requires-python'];
      else file['requires-python'] = spec.file_requires_python;
    }
    index.fault(path, {
      status: 200,
      contentType: 'application/vnd.pypi.simple.v1+json',
      body: JSON.stringify(page),
    });
  }
}

async function targetsOf(specs: Scenario['request']['targets']): Promise<Target[]> {
  const out: Target[] = [];
  for (const spec of specs) {
    if (typeof spec === 'string') out.push(...(await settleTargets({ targets: [spec] })));
    else {
      const { preset, ...flags } = spec;
      out.push(
        ...(await settleTargets(
          preset === undefined
            ? flags
            : {
                targets: [preset],
                ...(flags.python === undefined ? {} : { python: flags.python }),
              },
        )),
      );
    }
  }
  return out;
}

const sourced = (texts: readonly string[], source: string): SourcedRequirement[] =>
  texts.map((text, i) => ({
    requirement: parseRequirement(text),
    source: source === '' ? 'the command line' : `${source}:${i + 1}`,
  }));

const cacheRoot = await mkdtemp(join(tmpdir(), 'ferry-scenarios-'));
after(() => rm(cacheRoot, { recursive: true, force: true }));

async function runScenario(file: string, scenario: Scenario): Promise<void> {
  const needsOverride = scenario.packages.some(rewritten);
  const index = await startLocalIndex(
    scenario.packages.map(fakeDist),
    needsOverride ? { html: false } : {},
  );
  try {
    await overridePages(index, scenario.packages);
    const pip: IndexSettings = {
      indexUrl: index.url,
      extraIndexUrls: [],
      findLinks: [],
      noIndex: false,
      sources: [],
    };
    // No ferry.toml from the working directory may leak in.
    const settings = await settleIndexes({ pip, io: { readFile: async () => undefined } });
    const client = indexClientFor(settings, join(cacheRoot, file.replace(/\.toml$/, '')));
    const targets = await targetsOf(scenario.request.targets);
    let locked: Locked | undefined;
    let failure: unknown;
    const warnings: string[] = [];
    try {
      locked = await lockRequirements({
        events: (e) => {
          if (e.type === 'warning') warnings.push(e.message);
        },
        requirements: sourced(scenario.request.requirements, ''),
        constraints: sourced(scenario.request.constraints, 'constraints.txt'),
        prereleases: scenario.request.pre,
        targets,
        client,
        indexes: indexDescriptions(settings),
      });
    } catch (error) {
      failure = error;
    }
    const expect = scenario.expect;
    if (expect.error_code !== undefined) {
      const chosen = locked?.packages.map((p) => `${p.name}==${p.version}`).join(', ');
      assert.ok(failure !== undefined, `expected ${expect.error_code}, but it resolved: ${chosen}`);
      assert.ok(failure instanceof FerryError, `expected a FerryError, got ${String(failure)}`);
      const text = `${failure.message}\n${failure.hint ?? ''}`;
      assert.equal(failure.code, expect.error_code, text);
      for (const part of expect.error_text)
        assert.ok(text.includes(part), `the error should mention "${part}":\n${text}`);
      return;
    }
    if (failure !== undefined) {
      const detail =
        failure instanceof FerryError ? `${failure.code}: ${failure.message}` : String(failure);
      assert.fail(`expected a resolution, got ${detail}`);
    }
    const got = Object.fromEntries(locked!.packages.map((p) => [p.name, p.version]));
    const want = Object.fromEntries(
      Object.entries(expect.versions!).map(([name, version]) => [normalizeName(name), version]),
    );
    assert.deepEqual(got, want);
    if (expect.per_target !== undefined) {
      const names = targets.map((t) => t.name);
      for (const [target, packages] of Object.entries(expect.per_target)) {
        assert.ok(
          names.includes(target),
          `no target named "${target}" (targets: ${names.join(', ')})`,
        );
        const needed = locked!.packages
          .filter((p) => p.targets.includes(target))
          .map((p) => p.name)
          .sort();
        assert.deepEqual(
          needed,
          packages.map((p) => normalizeName(p)).sort(),
          `packages for ${target}`,
        );
      }
    }
    if (expect.files !== undefined) {
      const files = locked!.packages.flatMap((p) => p.files.map((f) => f.filename)).sort();
      assert.deepEqual(files, [...expect.files].sort());
    }
    for (const part of expect.warnings)
      assert.ok(
        warnings.some((w) => w.includes(part)),
        `a warning should mention "${part}"; warnings:\n${warnings.join('\n')}`,
      );
    if (expect.yanked !== undefined) await checkYankedRecords(file, locked!, expect.yanked);
    else
      assert.deepEqual(
        locked!.packages.filter((p) => p.yanked !== undefined).map((p) => p.name),
        [],
        'no yanked release was expected',
      );
  } finally {
    await index.close();
  }
}

/**
 * A yanked release the lock takes is on record where people look: the lock's package
 * [packages.tool.ferry] (read back by `bundle --lock`) and the bundle's manifest.json.
 */
async function checkYankedRecords(
  file: string,
  locked: Locked,
  expected: Record<string, true | string>,
): Promise<void> {
  const want = Object.fromEntries(
    Object.entries(expected).map(([name, mark]) => [normalizeName(name), mark]),
  );
  const marks = (packages: readonly { name: string; yanked?: true | string }[]) =>
    Object.fromEntries(
      packages.filter((p) => p.yanked !== undefined).map((p) => [normalizeName(p.name), p.yanked]),
    );
  assert.deepEqual(marks(locked.packages), want, 'yanked releases in the resolution');
  const text = formatLockFile(locked);
  const lock = parsePylock(text, 'pylock.toml');
  const recorded = Object.fromEntries(
    lock.packages
      .map((p) => [p.name, (p.tool?.ferry as Record<string, unknown> | undefined)?.yanked] as const)
      .filter(([, mark]) => mark !== undefined),
  );
  assert.deepEqual(recorded, want, `yanked releases in pylock.toml:\n${text}`);
  const reread = lockedFromPylock(lock, []);
  assert.deepEqual(marks(reread.packages), want, 'yanked releases read back from pylock.toml');
  const out = join(cacheRoot, `${file}-bundle`);
  await buildBundle({
    locked: reread,
    outDir: out,
    cache: new ContentCache(join(cacheRoot, `${file}-content`)),
    toolVersion: 'test',
  });
  const manifest = parseManifest(
    await readFile(join(out, 'manifest.json'), 'utf8'),
    'manifest.json',
  );
  assert.deepEqual(marks(manifest.packages), want, 'yanked releases in manifest.json');
}

const scenarios = await loadScenarios();

describe('resolver scenarios', () => {
  test('there are at least 60 scenarios', () => {
    assert.ok(scenarios.length >= 60, `only ${scenarios.length} scenarios`);
  });
  for (const { file, scenario } of scenarios) {
    const name = `${file.replace(/\.toml$/, '')}: ${scenario.description}`;
    if (scenario.known_bug !== undefined)
      test(name, { todo: `known bug: ${scenario.known_bug}` }, () => runScenario(file, scenario));
    else test(name, () => runScenario(file, scenario));
  }
});
