import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseManifest } from '../../src/bundle/manifest.js';
import { openBundle } from '../../src/bundle/open.js';
import { packBundle } from '../../src/bundle/pack.js';
import { signBundle } from '../../src/bundle/sign.js';
import { checkBundle, verifyBundle } from '../../src/bundle/verify.js';
import { generateKeyPair, parsePublicKey, parseSecretKey } from '../../src/trust/keys.js';
import { writeFixtureBundle } from './fixture.js';

async function tree(dir: string, prefix = ''): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of await readdir(join(dir, prefix))) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    if ((await lstat(join(dir, rel))).isDirectory()) {
      out.set(`${rel}/`, Buffer.alloc(0));
      for (const [k, v] of await tree(dir, rel)) out.set(k, v);
    } else out.set(rel, await readFile(join(dir, rel)));
  }
  return out;
}

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

describe('bundle format 1', () => {
  let work = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ferry-format-'));
    await writeFixtureBundle(join(work, 'one', 'bundle'), join(work, 'cache1'), {
      sm3: true,
      pylockToml: 'lock-version = "1.0"\n',
    });
    await writeFixtureBundle(join(work, 'two', 'elsewhere'), join(work, 'cache2'), {
      sm3: true,
      pylockToml: 'lock-version = "1.0"\n',
    });
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('holds the documented files, and sha256sum -c accepts SHA256SUMS', async () => {
    const dir = join(work, 'one', 'bundle');
    assert.deepEqual((await readdir(dir)).sort(), [
      'README.txt',
      'SHA256SUMS',
      'install.py',
      'manifest.json',
      'pylock.toml',
      'requirements.txt',
      'sbom.cdx.json',
      'signatures',
      'wheels',
    ]);
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.equal((await lstat(join(dir, 'install.py'))).mode & 0o777, 0o755);
    const manifest = parseManifest(await readFile(join(dir, 'manifest.json'), 'utf8'), 'manifest');
    assert.ok(manifest.files.every((f) => /^[0-9a-f]{64}$/.test(f.sm3 ?? '')));
  });

  it('two bundles from the same inputs in different folders are byte-identical, and so are their packs', async () => {
    const a = await tree(join(work, 'one', 'bundle'));
    const b = await tree(join(work, 'two', 'elsewhere'));
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [k, v] of a) assert.ok(v.equals(b.get(k)!), `${k} differs`);
    const p1 = await packBundle(join(work, 'one', 'bundle'), join(work, 'one', 'x.ferry.tar'), {
      mtime: 1767323045,
      root: 'x',
    });
    const p2 = await packBundle(join(work, 'two', 'elsewhere'), join(work, 'two', 'x.ferry.tar'), {
      mtime: 1767323045,
      root: 'x',
    });
    assert.equal(p1.sha256, p2.sha256);
    assert.ok(
      (await readFile(join(work, 'one', 'x.ferry.tar'))).equals(
        await readFile(join(work, 'two', 'x.ferry.tar')),
      ),
    );
  });

  it('writes a CycloneDX SBOM with purls, SHA-256, licences from METADATA and the dependency graph', async () => {
    const sbom = JSON.parse(await readFile(join(work, 'one', 'bundle', 'sbom.cdx.json'), 'utf8'));
    assert.equal(sbom.bomFormat, 'CycloneDX');
    assert.ok(Number(sbom.specVersion) >= 1.5);
    assert.match(
      sbom.serialNumber,
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(sbom.metadata.timestamp, '2026-01-02T03:04:05.000Z');
    const byName = new Map(sbom.components.map((c: { name: string }) => [c.name, c]));
    type Comp = { purl: string; hashes: { alg: string }[]; licenses: unknown };
    const app = byName.get('demo-app') as Comp;
    assert.equal(app.purl, 'pkg:pypi/demo-app@1.0?file_name=demo_app-1.0-py3-none-any.whl');
    assert.equal(app.hashes[0]?.alg, 'SHA-256');
    assert.deepEqual(app.licenses, [{ expression: 'MIT OR Apache-2.0' }]);
    assert.deepEqual((byName.get('demo-lib') as Comp).licenses, [
      { license: { id: 'Apache-2.0' } },
    ]);
    assert.deepEqual((byName.get('demo-util') as Comp).licenses, [
      { license: { name: 'BSD License' } },
    ]);
    const deps = new Map(
      sbom.dependencies.map((d: { ref: string; dependsOn?: string[] }) => [
        d.ref,
        d.dependsOn ?? [],
      ]),
    );
    assert.deepEqual(deps.get('pkg:pypi/demo-app@1.0'), [
      'pkg:pypi/demo-lib@2.0',
      'pkg:pypi/demo-util@0.3',
    ]);
    assert.deepEqual(deps.get('pkg:pypi/demo-lib@2.0'), ['pkg:pypi/demo-util@0.3']);
    assert.deepEqual(deps.get('ferry-bundle'), ['pkg:pypi/demo-app@1.0']);
  });

  it('install.py parses as Python 3.6 and embeds the probe; README.txt is in Chinese and English', {
    skip: spawnSync('python3', ['--version']).status !== 0 ? 'no python3' : false,
  }, async () => {
    const dir = join(work, 'one', 'bundle');
    const parse = spawnSync(
      'python3',
      [
        '-c',
        'import ast,sys; ast.parse(open(sys.argv[1]).read(), feature_version=(3, 6))',
        join(dir, 'install.py'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(parse.status, 0, parse.stderr);
    const probe = spawnSync(
      'python3',
      [join(dir, 'install.py'), '--probe', '--no-commands', '--compact'],
      { encoding: 'utf8' },
    );
    assert.equal(probe.status, 0, probe.stderr);
    assert.ok(JSON.parse(probe.stdout).interpreters.length > 0);
    const readme = await readFile(join(dir, 'README.txt'), 'utf8');
    assert.match(readme, /校验/);
    assert.match(readme, /sha256sum -c SHA256SUMS/);
    assert.match(
      readme,
      /minisign -Vm SHA256SUMS -x signatures\/<KEYID>\.minisig -p reviewer\.pub/,
    );
    assert.match(readme, /distid:1234567812345678/);
    assert.match(readme, /python3 install\.py/);
  });

  it('verify: refuses without a key unless --allow-unsigned; reports an incomplete closure; reads archives and volumes', async () => {
    const dir = join(work, 'one', 'bundle');
    await assert.rejects(verifyBundle(dir), code('ERR_FERRY_UNTRUSTED'));
    const unsigned = await verifyBundle(dir, { allowUnsigned: true });
    assert.equal(unsigned.signatures.checked, false);
    const pair = generateKeyPair('ed25519');
    const trusted = [{ ...parsePublicKey(pair.publicKeyText), name: 'rev', source: 't' }];
    await assert.rejects(verifyBundle(dir, { trustedKeys: trusted }), code('ERR_FERRY_UNTRUSTED'));
    const signedDir = join(work, 'two', 'elsewhere');
    await signBundle(signedDir, parseSecretKey(pair.secretKeyText));
    await assert.rejects(
      signBundle(signedDir, parseSecretKey(pair.secretKeyText)),
      code('ERR_FERRY_SIGNATURE_EXISTS'),
    );
    assert.deepEqual((await verifyBundle(signedDir, { trustedKeys: trusted })).signatures.signers, [
      'rev',
    ]);
    await assert.rejects(
      verifyBundle(signedDir, { trustedKeys: trusted, requireSigners: 2 }),
      code('ERR_FERRY_UNTRUSTED'),
    );

    const incomplete = join(work, 'incomplete');
    await writeFixtureBundle(incomplete, join(work, 'cache1'), { omit: 'demo-util' });
    const report = await checkBundle(incomplete, { allowUnsigned: true });
    assert.deepEqual(
      report.problems.map((p) => `${p.kind} ${p.path}: ${p.message}`),
      ['incomplete manifest.json: demo-util 0.3 has no file in the bundle'],
    );
    const broken = join(work, 'broken-edge');
    await writeFixtureBundle(broken, join(work, 'cache1'), { dropPackage: 'demo-util' });
    assert.deepEqual(
      (await checkBundle(broken, { allowUnsigned: true })).problems.map((p) => p.message),
      [
        'demo-app depends on demo-util, which is not in the bundle',
        'demo-lib depends on demo-util, which is not in the bundle',
      ],
    );
    await assert.rejects(
      verifyBundle(incomplete, { allowUnsigned: true }),
      code('ERR_FERRY_INCOMPLETE'),
    );

    const packed = await packBundle(signedDir, join(work, 'vol.ferry.tar'), { splitBytes: 20_000 });
    assert.ok(packed.files.length > 2);
    const opened = await openBundle(packed.files[0]!);
    try {
      assert.deepEqual(
        (await verifyBundle(opened.dir, { trustedKeys: trusted })).signatures.signers,
        ['rev'],
      );
    } finally {
      await opened.cleanup();
    }
    await rm(packed.files[1]!);
    await assert.rejects(
      openBundle(join(work, 'vol.ferry.tar.volumes.json')),
      (e: unknown) =>
        code('ERR_FERRY_VOLUME_MISSING')(e) &&
        /vol\.ferry\.tar\.002 is missing/.test((e as Error).message),
    );
    await writeFile(join(work, 'not-a-bundle.ferry.tar'), 'junk');
    await assert.rejects(
      openBundle(join(work, 'not-a-bundle.ferry.tar')),
      code('ERR_FERRY_ARCHIVE_DAMAGED'),
    );
  });
});
