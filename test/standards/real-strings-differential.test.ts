/**
 * Differential test on real inputs: every version found in the file names on the index pages,
 * every Requires-Python, and every Requires-Dist (with its specifiers and markers) from the
 * metadata of real projects on the index pip is configured to use, compared with Python's own
 * `packaging`. Any disagreement fails and prints the input.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { IndexClient } from '../../src/index/client.js';
import { loadIndexSettings } from '../../src/index/pip-config.js';
import { parseDistFilename } from '../../src/standards/filename.js';
import {
  evaluateMarker,
  formatMarker,
  type MarkerEnvironment,
} from '../../src/standards/marker.js';
import { parseCoreMetadata } from '../../src/standards/metadata.js';
import { parseRequirement } from '../../src/standards/requirement.js';
import { formatSpecifierSet, parseSpecifierSet } from '../../src/standards/specifier.js';
import { compareVersions, formatVersion, tryParseVersion } from '../../src/standards/version.js';
import { ensureOracle, runPython } from '../helpers/python-oracle.js';

// The PaddlePaddle closure, the other frameworks' usual neighbours, and long-lived projects
// with odd historical versions.
const PROJECTS = [
  'paddlepaddle',
  'numpy',
  'protobuf',
  'pillow',
  'httpx',
  'networkx',
  'opt-einsum',
  'safetensors',
  'typing-extensions',
  'anyio',
  'certifi',
  'httpcore',
  'idna',
  'h11',
  'decorator',
  'astor',
  'requests',
  'urllib3',
  'charset-normalizer',
  'torch',
  'tensorflow',
  'keras',
  'scipy',
  'pandas',
  'setuptools',
  'pip',
  'six',
  'packaging',
  'jinja2',
  'markupsafe',
  'pyyaml',
  'tqdm',
  'opencv-python',
  'scikit-learn',
  'matplotlib',
  'fsspec',
  'filelock',
  'sympy',
  'grpcio',
  'absl-py',
];

const ENVIRONMENTS: MarkerEnvironment[] = [
  ['3.11.7', 'linux', 'x86_64', 'Linux', 'posix', 'cpython', 'CPython'],
  ['3.7.9', 'linux', 'aarch64', 'Linux', 'posix', 'cpython', 'CPython'],
  ['3.12.1', 'win32', 'AMD64', 'Windows', 'nt', 'cpython', 'CPython'],
  ['3.9.18', 'darwin', 'arm64', 'Darwin', 'posix', 'pypy', 'PyPy'],
].map(([full, sys, machine, system, os, impl, pyImpl]) => ({
  implementation_name: impl!,
  implementation_version: full!,
  os_name: os!,
  platform_machine: machine!,
  platform_python_implementation: pyImpl!,
  platform_release: '',
  platform_system: system!,
  platform_version: '',
  python_full_version: full!,
  python_version: full!.split('.').slice(0, 2).join('.'),
  sys_platform: sys!,
}));

const ORACLE = `
import json, sys
from packaging.version import Version, InvalidVersion
from packaging.specifiers import SpecifierSet, InvalidSpecifier
from packaging.requirements import Requirement, InvalidRequirement
from packaging.utils import canonicalize_name
kind, items, envs = json.load(sys.stdin)[0]
out = []
if kind == "version":
    for v in items:
        try: out.append(str(Version(v)))
        except InvalidVersion: out.append(None)
elif kind == "order":
    for a, b in items:
        x, y = Version(a), Version(b)
        out.append((x > y) - (x < y))
elif kind == "specifier":
    for s in items:
        try: out.append(str(SpecifierSet(s)))
        except InvalidSpecifier: out.append(None)
else:
    for r in items:
        try:
            req = Requirement(r)
        except InvalidRequirement:
            out.append(None); continue
        evals = []
        if req.marker is not None:
            for env in envs:
                for extra in ("", "gpu", "test"):
                    try: evals.append(req.marker.evaluate(dict(env, extra=extra)))
                    except Exception: evals.append("error")
        out.append([canonicalize_name(req.name), sorted(canonicalize_name(e) for e in req.extras), str(req.specifier), str(req.marker) if req.marker else None, req.url, evals])
print(json.dumps([out]))
`;

test('real versions, Requires-Python and Requires-Dist strings agree with packaging', {
  timeout: 600_000,
}, async () => {
  const python = await ensureOracle();
  const settings = await loadIndexSettings();
  const client = new IndexClient({
    settings,
    cacheDir: join(tmpdir(), 'ferry-real-strings-cache'),
  });
  const versions = new Set<string>();
  const requiresPython = new Set<string>();
  const requiresDist = new Set<string>();
  await Promise.all(
    PROJECTS.map(async (name) => {
      const page = await client.getProject(name);
      assert.ok(page, `${name} is on the configured index`);
      const wheels: { version: string; file: (typeof page.files)[number] }[] = [];
      for (const file of page.files) {
        if (file.requiresPython) requiresPython.add(file.requiresPython);
        // The version exactly as the file name spells it (before normalisation).
        const raw = /\.whl$/.test(file.filename) ? file.filename.split('-')[1] : undefined;
        if (raw !== undefined) versions.add(raw);
        const parsed = parseDistFilename(file.filename, name);
        if (parsed !== undefined) versions.add(parsed.version);
        if (
          parsed?.kind === 'wheel' &&
          parsed.tags.some((t) => t.endsWith('-any') || t.includes('manylinux'))
        )
          wheels.push({ version: parsed.version, file });
      }
      // Metadata of the newest wheel and of an old one: their Requires-Dist lines are real inputs.
      wheels.sort((a, b) =>
        compareVersions(tryParseVersion(b.version)!, tryParseVersion(a.version)!),
      );
      for (const w of [wheels[0], wheels[Math.floor(wheels.length / 2)]]) {
        if (w === undefined) continue;
        const metadata = parseCoreMetadata(await client.getMetadata(w.file), w.file.url);
        for (const line of metadata.requiresDist) requiresDist.add(line);
        if (metadata.requiresPython) requiresPython.add(metadata.requiresPython);
      }
    }),
  );
  assert.ok(versions.size > 2000, `only ${versions.size} real versions`);
  assert.ok(requiresDist.size > 100, `only ${requiresDist.size} real Requires-Dist lines`);

  const disagreements: string[] = [];
  const versionList = [...versions].sort();
  const expectedVersions = runPython<string | null>(python, ORACLE, [
    ['version', versionList, []],
  ])[0] as unknown as (string | null)[];
  versionList.forEach((v, i) => {
    const ours = tryParseVersion(v);
    const mine = ours === undefined ? null : formatVersion(ours);
    if (mine !== expectedVersions[i])
      disagreements.push(
        `version ${JSON.stringify(v)}: ferry ${mine}, packaging ${expectedVersions[i]}`,
      );
  });

  const valid = versionList.filter((_, i) => expectedVersions[i] !== null);
  const pairs: [string, string][] = valid.slice(1).map((v, i) => [valid[i]!, v]);
  const order = runPython<number>(python, ORACLE, [['order', pairs, []]])[0] as unknown as number[];
  pairs.forEach(([a, b], i) => {
    const mine = Math.sign(compareVersions(tryParseVersion(a)!, tryParseVersion(b)!));
    if (mine !== order[i])
      disagreements.push(`order ${a} vs ${b}: ferry ${mine}, packaging ${order[i]}`);
  });

  const specifiers = [...requiresPython].sort();
  const expectedSpecs = runPython(python, ORACLE, [
    ['specifier', specifiers, []],
  ])[0] as unknown as (string | null)[];
  specifiers.forEach((s, i) => {
    let mine: string | null;
    try {
      mine = formatSpecifierSet(parseSpecifierSet(s));
    } catch {
      mine = null;
    }
    if (mine !== expectedSpecs[i])
      disagreements.push(
        `Requires-Python ${JSON.stringify(s)}: ferry ${mine}, packaging ${expectedSpecs[i]}`,
      );
  });

  const lines = [...requiresDist].sort();
  const expectedReqs = runPython(python, ORACLE, [
    ['requirement', lines, ENVIRONMENTS],
  ])[0] as unknown as unknown[];
  lines.forEach((line, i) => {
    let mine: unknown;
    try {
      const r = parseRequirement(line);
      const evals: unknown[] = [];
      if (r.marker !== undefined) {
        for (const env of ENVIRONMENTS) {
          for (const extra of ['', 'gpu', 'test']) {
            try {
              evals.push(evaluateMarker(r.marker, env, extra === '' ? [] : [extra]));
            } catch {
              evals.push('error');
            }
          }
        }
      }
      mine = [
        r.normalizedName,
        [...r.extras].sort(),
        formatSpecifierSet(r.specifier),
        r.marker === undefined ? null : formatMarker(r.marker),
        r.url ?? null,
        evals,
      ];
    } catch {
      mine = null;
    }
    if (JSON.stringify(mine) !== JSON.stringify(expectedReqs[i])) {
      disagreements.push(
        `Requires-Dist ${JSON.stringify(line)}:\n    ferry     ${JSON.stringify(mine)}\n    packaging ${JSON.stringify(expectedReqs[i])}`,
      );
    }
  });

  const total = versionList.length + pairs.length + specifiers.length + lines.length;
  if (disagreements.length > 0) {
    assert.fail(
      `${disagreements.length} of ${total} real inputs disagree with packaging:\n  ${disagreements.slice(0, 30).join('\n  ')}`,
    );
  }
  // One line for the record: how many real strings were compared.
  console.log(
    `compared ${versionList.length} versions, ${pairs.length} orderings, ${specifiers.length} Requires-Python, ${lines.length} Requires-Dist with packaging: 0 disagreements`,
  );
});
