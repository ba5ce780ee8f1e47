/**
 * Differential tests against Python's own `packaging` (the release pinned in test/oracles.txt):
 * - compatibleTags vs packaging.tags.cpython_tags/generic_tags + compatible_tags, with the
 *   platform list built on the Python side by packaging's own _manylinux/_musllinux/mac code,
 *   the host facts monkeypatched to the target's;
 * - parseWheelFilename / parseSdistFilename vs packaging.utils on generated filenames;
 * - parseMetadataHeaders vs packaging.metadata.parse_email on generated METADATA.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { parseSdistFilename, parseWheelFilename } from '../../src/standards/filename.js';
import { parseMetadataHeaders } from '../../src/standards/metadata.js';
import {
  compatibleTags,
  type Interpreter,
  type Platform,
  platformTags,
} from '../../src/standards/tags.js';
import { ensureOracle, runPython } from '../helpers/python-oracle.js';

let python = '';
before(async () => {
  python = await ensureOracle();
});

// Builds the platform list the way pip's packaging does on a host with the given facts:
// packaging._manylinux.platform_tags with _get_glibc_version patched, _musllinux with
// _get_musl_version patched, mac_platforms with explicit arguments. Linux order is pip's
// (packaging <= 26.2: manylinux, musllinux, then linux_<arch>).
const TAGS_ORACLE = `
import json, sys
from packaging import tags, _manylinux, _musllinux
_manylinux._have_compatible_abi = lambda executable, archs: (
    True if ("armv7l" in archs or "i686" in archs) else any(a in _manylinux._ALLOWED_ARCHS for a in archs))
_manylinux._get_manylinux_module = lambda: None

def linux(arch, libc):
    archs = {"armv8l": ["armv8l", "armv7l"]}.get(arch, [arch])
    out = []
    if libc and libc["kind"] == "glibc":
        _manylinux._get_glibc_version = lambda: _manylinux._GLibCVersion(*libc["version"])
        out += list(_manylinux.platform_tags(archs))
    if libc and libc["kind"] == "musl":
        _musllinux._get_musl_version = lambda executable: _musllinux._MuslVersion(*libc["version"])
        out += list(_musllinux.platform_tags(archs))
    out += [f"linux_{a}" for a in archs]
    return out

def platforms(p):
    if p["os"] == "windows":
        return [{"AMD64": "win_amd64", "x86": "win32", "ARM64": "win_arm64"}[p["arch"]]]
    if p["os"] == "macos":
        return list(tags.mac_platforms(tuple(p["macosVersion"]), p["arch"]))
    return linux(p["arch"], p.get("libc"))

out = []
for case in json.load(sys.stdin):
    i, p = case["interpreter"], case["platform"]
    plats = platforms(p)
    version = tuple(i["version"])
    if i["implementation"] == "cp":
        abis = i.get("abis") or [f"cp{version[0]}{version[1]}" + ("m" if version < (3, 8) else "")]
        first = list(tags.cpython_tags(version, abis, plats))
        interp = f"cp{version[0]}{version[1]}"
    else:
        abis = i.get("abis") or [f"pypy{version[0]}{version[1]}_pp73"]
        first = list(tags.generic_tags(f"pp{version[0]}{version[1]}", abis, plats))
        interp = "pp3"
    rest = list(tags.compatible_tags(version, interp, plats))
    out.append({"platforms": plats, "tags": [str(t) for t in first + rest]})
print(json.dumps(out))
`;

function tagCases(): Array<{ interpreter: Interpreter; platform: Platform }> {
  const interpreters: Interpreter[] = [];
  for (let minor = 7; minor <= 13; minor++)
    interpreters.push({ implementation: 'cp', version: [3, minor] });
  interpreters.push({ implementation: 'cp', version: [3, 13], abis: ['cp313t'] });
  interpreters.push({ implementation: 'cp', version: [3, 12], abis: ['cp312', 'abi3', 'none'] });
  interpreters.push({ implementation: 'pp', version: [3, 10] });
  interpreters.push({ implementation: 'pp', version: [3, 9], abis: ['pypy39_pp73'] });

  const platforms: Platform[] = [];
  for (const arch of [
    'x86_64',
    'aarch64',
    'i686',
    'ppc64le',
    's390x',
    'armv7l',
    'armv8l',
    'loongarch64',
    'riscv64',
  ]) {
    for (const minor of [5, 12, 16, 17, 18, 24, 27, 28, 31, 34, 35, 38, 39]) {
      platforms.push({ os: 'linux', arch, libc: { kind: 'glibc', version: [2, minor] } });
    }
    for (const minor of [1, 2])
      platforms.push({ os: 'linux', arch, libc: { kind: 'musl', version: [1, minor] } });
    platforms.push({ os: 'linux', arch });
  }
  platforms.push({ os: 'linux', arch: 'sparc64', libc: { kind: 'glibc', version: [2, 28] } });
  platforms.push({ os: 'linux', arch: 'x86_64', libc: { kind: 'glibc', version: [3, 2] } });
  for (const arch of ['x86_64', 'arm64']) {
    for (const v of [
      [10, 9],
      [10, 13],
      [10, 15],
      [10, 16],
      [11, 0],
      [11, 3],
      [12, 0],
      [13, 0],
      [14, 0],
    ] as const) {
      platforms.push({ os: 'macos', arch, macosVersion: v });
    }
  }
  for (const arch of ['AMD64', 'x86', 'ARM64']) platforms.push({ os: 'windows', arch });

  const cases: Array<{ interpreter: Interpreter; platform: Platform }> = [];
  for (const interpreter of interpreters)
    for (const platform of platforms) cases.push({ interpreter, platform });
  return cases;
}

describe('compatibleTags vs packaging.tags', () => {
  test('same platform list and full priority order for every interpreter x platform', (t) => {
    const cases = tagCases();
    const expected = runPython<{ platforms: string[]; tags: string[] }>(python, TAGS_ORACLE, cases);
    let compared = 0;
    cases.forEach((c, index) => {
      const want = expected[index];
      assert.ok(want);
      const label = JSON.stringify(c);
      assert.deepEqual(platformTags(c.platform), want.platforms, `platforms for ${label}`);
      assert.deepEqual(compatibleTags(c.interpreter, c.platform), want.tags, `tags for ${label}`);
      compared++;
    });
    assert.ok(compared > 1000, `compared ${compared} combinations`);
    t.diagnostic(`${compared} interpreter x platform combinations compared`);
  });
});

// --- filenames ---------------------------------------------------------------------------

const FILENAME_ORACLE = `
import json, sys
from packaging.utils import parse_wheel_filename, parse_sdist_filename
out = []
for name in json.load(sys.stdin):
    try:
        if name.endswith(".whl"):
            n, v, b, t = parse_wheel_filename(name)
            out.append({"ok": True, "name": n, "version": str(v), "build": list(b) if b else None,
                        "tags": sorted(str(x) for x in t)})
        else:
            n, v = parse_sdist_filename(name)
            out.append({"ok": True, "name": n, "version": str(v)})
    except Exception as e:
        out.append({"ok": False, "error": type(e).__name__})
print(json.dumps(out))
`;

const namePiece = fc.constantFrom(
  'foo',
  'Foo',
  'paddlepaddle_gpu',
  'zope.interface',
  'a',
  'A1',
  'typing_extensions',
  'x__y',
  '_lead',
  'trail_',
  'nvidia_cudnn_cu12',
  'foo.bar_Baz',
  '',
  'ü',
  'a.b',
  '1a',
  'a b',
);
const versionPiece = fc.constantFrom(
  '1.0',
  '2.6.2.post112',
  '2.1.2+cu118',
  '1.0rc1',
  '1.0-rc1',
  '1!2.0',
  'v1.0',
  '01.002',
  '1.0.dev3',
  '1.0a',
  '1.0beta2',
  '1.0.post',
  '1.0-1',
  '1.0+abc.5',
  '1.0+ABC-01',
  'latest',
  '',
  '1..0',
  '1.0+',
  '2024.1.1',
  '1.0_rc_2',
  '1.0c1',
  '1.0.preview3',
);
const buildPiece = fc.constantFrom('1', '01', '2abc', 'abc', '', '3_x', '10.1');
const tagPiece = fc.constantFrom(
  'py3-none-any',
  'py2.py3-none-any',
  'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64',
  'cp310-abi3-macosx_10_9_universal2',
  'PY3-NONE-ANY',
  'py3-none-',
  'py3..py2-none-any',
  '3py-none-any',
  'cp313-cp313t-win_amd64',
  'pp310-pypy310_pp73-linux_x86_64',
  'py3-none',
  'py-3-none-any',
);

const wheelName = fc
  .tuple(namePiece, versionPiece, fc.option(buildPiece, { nil: undefined }), tagPiece)
  .map(([n, v, b, t]) => `${n}-${v}${b === undefined ? '' : `-${b}`}-${t}.whl`);
const sdistName = fc
  .tuple(
    namePiece,
    fc.constantFrom('', '-python', '-1.0'),
    versionPiece,
    fc.constantFrom('.tar.gz', '.zip', '.tar.bz2', '.tgz'),
  )
  .map(([n, extra, v, ext]) => `${n}${extra}-${v}${ext}`);

describe('filenames vs packaging.utils', () => {
  test('wheel and sdist filenames agree on validity, name, version, build and tags', (t) => {
    const names = [
      ...new Set([
        ...fc.sample(wheelName, { numRuns: 2500, seed: 427 }),
        ...fc.sample(sdistName, { numRuns: 1500, seed: 625 }),
      ]),
    ];
    type Answer = {
      ok: boolean;
      name?: string;
      version?: string;
      build?: [number, string] | null;
      tags?: string[];
    };
    const expected = runPython<Answer>(python, FILENAME_ORACLE, names);
    let agreed = 0;
    let stricter = 0;
    names.forEach((filename, index) => {
      const want = expected[index];
      assert.ok(want);
      let got: Answer;
      try {
        if (filename.endsWith('.whl')) {
          const w = parseWheelFilename(filename);
          got = {
            ok: true,
            name: w.name,
            version: w.version,
            build: w.build ? [w.build.number, w.build.tag] : null,
            tags: [...w.tags].sort(),
          };
        } else {
          const s = parseSdistFilename(filename);
          got = { ok: true, name: s.name, version: s.version };
        }
      } catch (error) {
        assert.ok(
          error instanceof Error && 'code' in error,
          `unexpected exception for ${filename}: ${String(error)}`,
        );
        got = { ok: false };
      }
      if (want.ok && !got.ok) {
        // Known, deliberate difference: packaging accepts any [\\w._]+ (wheels) or any text
        // (sdists) as the project name; ferry requires a valid core-metadata name.
        const namePart = filename.endsWith('.whl')
          ? (filename.split('-')[0] ?? '')
          : filename.slice(0, filename.lastIndexOf('-'));
        assert.ok(
          !/^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i.test(namePart),
          `ferry rejected ${filename}, packaging accepted it`,
        );
        stricter++;
        return;
      }
      if (!want.ok) {
        assert.equal(got.ok, false, `ferry accepted ${filename}, packaging rejected it`);
      } else {
        assert.deepEqual(
          got,
          { ...(filename.endsWith('.whl') ? { build: null } : {}), ...want },
          filename,
        );
      }
      agreed++;
    });
    assert.ok(agreed > 2000, `agreed on ${agreed} of ${names.length} (stricter on ${stricter})`);
    const valid = expected.filter((answer) => answer.ok).length;
    t.diagnostic(
      `${names.length} filenames (${valid} valid for packaging); ${agreed} agreed, ${stricter} rejected only by ferry's stricter name rule`,
    );
  });
});

// --- metadata headers ---------------------------------------------------------------------

const METADATA_ORACLE = `
import json, sys, email.parser, email.policy
out = []
for text in json.load(sys.stdin):
    msg = email.parser.Parser(policy=email.policy.compat32).parsestr(text)
    fields = {}
    for key in msg.keys():
        fields.setdefault(key.lower(), None)
    result = {k: [str(v) for v in msg.get_all(k)] for k in fields}
    body = msg.get_payload()
    out.append({"fields": result, "body": body if isinstance(body, str) else None})
print(json.dumps(out))
`;

const PARSE_EMAIL_ORACLE = `
import json, sys
from packaging.metadata import parse_email
out = []
for text in json.load(sys.stdin):
    raw, unparsed = parse_email(text)
    out.append({"name": raw.get("name"), "version": raw.get("version"), "requires_dist": raw.get("requires_dist", []),
                "classifiers": raw.get("classifiers", []), "license_files": raw.get("license_files", []),
                "description": raw.get("description")})
print(json.dumps(out))
`;

const headerLine = fc.oneof(
  fc.constantFrom(
    'Metadata-Version: 2.1',
    'Name: foo',
    'Version: 1.0',
    'Requires-Dist: numpy>=1.21',
    'Requires-Dist: protobuf<=3.20.3,>=3.1.0',
    'Classifier: License :: OSI Approved :: MIT License',
    'License-File: LICENSE',
    'Summary:   spaced summary  ',
    'License: Apache 2.0',
    'NAME: upper',
    'x-weird-Header: yes',
    'Empty:',
    'Requires-Dist: a ; extra == "b"',
  ),
  fc.constantFrom('        continued line', '\tcontinued with tab', ' |pipe continuation'),
  fc.constantFrom('not a header line', ':bad', 'From somebody', 'Name : spaced'),
);
const metadataText = fc
  .tuple(
    fc.array(headerLine, { minLength: 0, maxLength: 12 }),
    fc.option(fc.constantFrom('', 'Body text\n\nwith blank lines\n', 'Short'), { nil: undefined }),
  )
  .map(([lines, body]) => lines.join('\n') + (body === undefined ? '\n' : `\n\n${body}`));

describe('metadata headers vs email.parser (compat32) and packaging.metadata.parse_email', () => {
  test('same fields, values and body on generated METADATA', (t) => {
    const texts = [...new Set(fc.sample(metadataText, { numRuns: 1500, seed: 822 }))];
    const expected = runPython<{ fields: Record<string, string[]>; body: string | null }>(
      python,
      METADATA_ORACLE,
      texts,
    );
    texts.forEach((text, index) => {
      const want = expected[index];
      assert.ok(want);
      const got = parseMetadataHeaders(text);
      assert.deepEqual(Object.fromEntries(got.fields), want.fields, JSON.stringify(text));
      assert.equal(got.body, want.body, JSON.stringify(text));
    });
    const raw = runPython<{
      name: string | null;
      requires_dist: string[];
      classifiers: string[];
      license_files: string[];
      description: string | null;
    }>(python, PARSE_EMAIL_ORACLE, texts);
    texts.forEach((text, index) => {
      const want = raw[index];
      assert.ok(want);
      const got = parseMetadataHeaders(text);
      assert.deepEqual(
        got.fields.get('requires-dist') ?? [],
        want.requires_dist,
        JSON.stringify(text),
      );
      assert.deepEqual(got.fields.get('classifier') ?? [], want.classifiers, JSON.stringify(text));
      assert.deepEqual(
        got.fields.get('license-file') ?? [],
        want.license_files,
        JSON.stringify(text),
      );
      const names = got.fields.get('name') ?? [];
      assert.equal(names.length === 1 ? names[0] : null, want.name ?? null, JSON.stringify(text));
    });
    t.diagnostic(`${texts.length} generated METADATA texts compared`);
  });
});
