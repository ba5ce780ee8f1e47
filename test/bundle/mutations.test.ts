/**
 * Tamper-evidence: a signed bundle, then 1,000 seeded random mutations (flipped byte in any
 * file, truncated / deleted / added / renamed file, a link instead of a file, replaced
 * signature, signature by an untrusted key, a wheel swapped and the bundle re-signed by an
 * untrusted key). Every one must be refused by verifyBundle (library), by install.py (the
 * machine's python3 in a network namespace with no network, `unshare -n`), and a sample by the
 * real CLI; the unmutated bundle passes all three.
 *
 * Not a mutation: the text of a .minisig's first line ("untrusted comment: ..."). minisign's
 * format leaves it unsigned by design, so flips there are not generated.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmod,
  cp,
  lstat,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatManifest, parseManifest } from '../../src/bundle/manifest.js';
import { computeSha256Sums, formatSha256Sums } from '../../src/bundle/sha256sums.js';
import { signBundle } from '../../src/bundle/sign.js';
import { checkBundle, type VerifyReport } from '../../src/bundle/verify.js';
import {
  generateKeyPair,
  parsePublicKey,
  parseSecretKey,
  type SecretKey,
  type TrustedKey,
} from '../../src/trust/keys.js';
import { createSignature } from '../../src/trust/verify-signatures.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { writeFixtureBundle } from './fixture.js';

const MUTATIONS = 1000;
const CLI_SAMPLE = 25;
/** install.py takes ~0.3 s a run: every mutation of install.py, SHA256SUMS or signatures/, and a sample of the rest. */
const PY_SAMPLE = 300;
const SEED = 0x5eed_f3;

const rng = seededRandom;

async function listAll(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    if ((await lstat(join(dir, rel))).isDirectory()) out.push(...(await listAll(dir, rel)));
    else out.push(rel);
  }
  return out;
}

interface Keys {
  alice: SecretKey;
  bob: SecretKey;
  malloryEd: SecretKey;
  mallorySm2: SecretKey;
  trusted: TrustedKey[];
}

function makeKeys(): { keys: Keys; pubs: Record<string, string> } {
  const a = generateKeyPair('ed25519');
  const b = generateKeyPair('sm2');
  const m1 = generateKeyPair('ed25519');
  const m2 = generateKeyPair('sm2');
  return {
    keys: {
      alice: parseSecretKey(a.secretKeyText),
      bob: parseSecretKey(b.secretKeyText),
      malloryEd: parseSecretKey(m1.secretKeyText),
      mallorySm2: parseSecretKey(m2.secretKeyText),
      trusted: [
        { ...parsePublicKey(a.publicKeyText), name: 'alice', source: 'test' },
        { ...parsePublicKey(b.publicKeyText), name: 'bob', source: 'test' },
      ],
    },
    pubs: { alice: a.publicKeyText, bob: b.publicKeyText, mallory: m1.publicKeyText },
  };
}

type Mutation = { kind: string; target: string; apply: (dir: string) => Promise<void> };

/** One random mutation of the bundle whose file list is `files`. */
function pickMutation(
  random: () => number,
  files: readonly string[],
  sizes: ReadonlyMap<string, number>,
  keys: Keys,
  untrustedComment: ReadonlyMap<string, [number, number]>,
): Mutation {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const target = pick(files);
  const sigs = files.filter((f) => f.startsWith('signatures/'));
  const r = random();
  if (r < 0.35) {
    const size = sizes.get(target)!;
    const skip = untrustedComment.get(target);
    let offset = Math.floor(random() * size);
    if (skip !== undefined && offset >= skip[0] && offset < skip[1])
      offset = skip[1] + Math.floor(random() * (size - skip[1]));
    const xor = 1 + Math.floor(random() * 255);
    return {
      kind: 'flip',
      target,
      apply: async (dir) => {
        const data = await readFile(join(dir, target));
        data[offset] = data[offset]! ^ xor;
        await writeFile(join(dir, target), data);
      },
    };
  }
  if (r < 0.47) {
    const size = sizes.get(target)!;
    const length = Math.floor(random() * size);
    return { kind: 'truncate', target, apply: (dir) => truncate(join(dir, target), length) };
  }
  if (r < 0.57) return { kind: 'delete', target, apply: (dir) => rm(join(dir, target)) };
  if (r < 0.67) {
    const where = pick(['', 'wheels/', 'signatures/', 'signatures/', 'wheels/sub/']);
    const name = pick([
      'extra.txt',
      'demo_evil-1.0-py3-none-any.whl',
      '0123456789ABCDEF.minisig',
      'FEDCBA9876543210.sm2.sig',
      '.hidden',
      'sitecustomize.py',
    ]);
    const bytes = Buffer.from(
      Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)),
    );
    const path = `${where}${name}`;
    return {
      kind: 'add',
      target: path,
      apply: (dir) =>
        writeFile(join(dir, path), bytes).catch(async () => {
          const { mkdir } = await import('node:fs/promises');
          await mkdir(dirname(join(dir, path)), { recursive: true });
          await writeFile(join(dir, path), bytes);
        }),
    };
  }
  if (r < 0.76) {
    const to = pick(
      [
        `${target}.bak`,
        `${dirname(target) === '.' ? '' : `${dirname(target)}/`}x${target.split('/').at(-1)!}`,
        target.toUpperCase() === target ? target.toLowerCase() : target.toUpperCase(),
        `wheels/${target.split('/').at(-1)!}`,
        `signatures/${target.split('/').at(-1)!}`,
      ].filter((t) => t !== target),
    );
    return {
      kind: 'rename',
      target: `${target} -> ${to}`,
      apply: async (dir) => {
        const { mkdir } = await import('node:fs/promises');
        await mkdir(dirname(join(dir, to)), { recursive: true });
        await rename(join(dir, target), join(dir, to));
      },
    };
  }
  if (r < 0.8) {
    return {
      kind: 'symlink',
      target,
      apply: async (dir) => {
        const copy = `${join(dir, '..')}/${target.replace(/\//g, '_')}.outside`;
        await cp(join(dir, target), copy);
        await rm(join(dir, target));
        await symlink(copy, join(dir, target));
      },
    };
  }
  if (r < 0.9 && sigs.length > 0) {
    const sig = pick(sigs);
    const variant = Math.floor(random() * 3);
    return {
      kind: `replace-signature-${variant}`,
      target: sig,
      apply: async (dir) => {
        const sums = await readFile(join(dir, 'SHA256SUMS'));
        const ed = sig.endsWith('.minisig');
        if (variant === 0) {
          // signed by an untrusted key, under its own name
          const s = createSignature(sums, ed ? keys.malloryEd : keys.mallorySm2);
          await rm(join(dir, sig));
          await writeFile(join(dir, 'signatures', s.name), s.bytes);
        } else if (variant === 1) {
          // signed by an untrusted key, under the trusted key's file name
          await writeFile(
            join(dir, sig),
            createSignature(sums, ed ? keys.malloryEd : keys.mallorySm2).bytes,
          );
        } else {
          // the trusted key's signature over other data
          await writeFile(
            join(dir, sig),
            createSignature(Buffer.concat([sums, Buffer.from('\n')]), ed ? keys.alice : keys.bob)
              .bytes,
          );
        }
      },
    };
  }
  // An attacker swaps a wheel, fixes manifest.json and SHA256SUMS, and signs with their keys.
  return {
    kind: 'resign-untrusted',
    target: 'wheels/demo_util-0.3-py3-none-any.whl',
    apply: async (dir) => {
      const wheel = join(dir, 'wheels/demo_util-0.3-py3-none-any.whl');
      const data = Buffer.concat([await readFile(wheel), Buffer.from('evil')]);
      await rm(wheel);
      await writeFile(wheel, data);
      const manifest = parseManifest(
        await readFile(join(dir, 'manifest.json'), 'utf8'),
        'manifest.json',
      );
      const { createHash } = await import('node:crypto');
      const files = manifest.files.map((f) =>
        f.path.endsWith('demo_util-0.3-py3-none-any.whl')
          ? {
              ...f,
              size: data.length,
              sha256: createHash('sha256').update(data).digest('hex'),
              sm3: createHash('sm3').update(data).digest('hex'),
            }
          : f,
      );
      await writeFile(join(dir, 'manifest.json'), formatManifest({ ...manifest, files }));
      await writeFile(join(dir, 'SHA256SUMS'), formatSha256Sums(await computeSha256Sums(dir)));
      await rm(join(dir, 'signatures'), { recursive: true });
      await signBundle(dir, keys.malloryEd);
      await signBundle(dir, keys.mallorySm2);
    },
  };
}

const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;
const hasPython = spawnSync('python3', ['--version']).status === 0;
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

function runPy(args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  const [cmd, ...rest] = canUnshare ? ['unshare', '-n', 'python3', ...args] : ['python3', ...args];
  return new Promise((resolve) => {
    const child = spawn(cmd!, rest, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe('1,000 random mutations of a signed bundle are all refused', { timeout: 900_000 }, () => {
  let work = '';
  let base = '';
  let keys: Keys;
  const mutations: { m: Mutation; dir: string; report?: VerifyReport }[] = [];
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ferry-mutations-'));
    base = join(work, 'base');
    await writeFixtureBundle(base, join(work, 'cache'), { sm3: true });
    const made = makeKeys();
    keys = made.keys;
    for (const [name, text] of Object.entries(made.pubs))
      await writeFile(join(work, `${name}.pub`), text);
    await signBundle(base, keys.alice);
    await signBundle(base, keys.bob);
    // The wheels are hard links into the read-only cache: make the bundle's own copies writable.
    const files = await listAll(base);
    const sizes = new Map<string, number>();
    const comments = new Map<string, [number, number]>();
    for (const f of files) {
      sizes.set(f, (await lstat(join(base, f))).size);
      if (f.endsWith('.minisig')) {
        const text = await readFile(join(base, f), 'utf8');
        comments.set(f, ['untrusted comment: '.length, text.indexOf('\n')]);
      }
    }
    const random = rng(SEED);
    for (let i = 0; i < MUTATIONS; i++) {
      const m = pickMutation(random, files, sizes, keys, comments);
      const dir = join(work, `m${i}`, 'bundle');
      await cp(base, dir, { recursive: true });
      for (const f of await listAll(dir)) await chmod(join(dir, f), 0o644);
      await m.apply(dir);
      mutations.push({ m, dir });
    }
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('the unmutated bundle verifies (library)', async () => {
    const report = await checkBundle(base, { trustedKeys: keys.trusted, requireSigners: 2 });
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.signatures.signers, ['alice', 'bob']);
  });

  it('verifyBundle refuses every mutation and names what is wrong', async () => {
    const kinds = new Map<string, number>();
    for (const entry of mutations) {
      const report = await checkBundle(entry.dir, { trustedKeys: keys.trusted, requireSigners: 2 });
      entry.report = report;
      assert.equal(report.ok, false, `mutation not refused: ${entry.m.kind} ${entry.m.target}`);
      const named = entry.m.target.split(' -> ')[0]!;
      if (
        !named.startsWith('signatures/') &&
        named !== 'SHA256SUMS' &&
        entry.m.kind !== 'resign-untrusted'
      ) {
        assert.ok(
          report.problems.some(
            (p) =>
              p.path === named || p.path.startsWith(`${named}/`) || entry.m.target.includes(p.path),
          ),
          `${entry.m.kind} ${entry.m.target}: no problem names it: ${JSON.stringify(report.problems)}`,
        );
      }
      kinds.set(entry.m.kind, (kinds.get(entry.m.kind) ?? 0) + 1);
    }
    assert.equal(mutations.length, MUTATIONS);
    process.stderr.write(
      `library: ${MUTATIONS}/${MUTATIONS} refused; by kind ${JSON.stringify(Object.fromEntries(kinds))}\n`,
    );
  });

  it('install.py refuses every mutation (python3, no network) and accepts the original', {
    skip: !hasPython || !hasOpenssl ? 'python3 and openssl are needed' : false,
  }, async () => {
    // A changed install.py cannot be trusted to check itself: those mutations are checked by
    // a pristine copy with --bundle (what README.txt tells a careful operator to do).
    const pristine = join(work, 'install.py');
    await cp(join(base, 'install.py'), pristine);
    const args = (dir: string, self = true) => [
      self ? join(dir, 'install.py') : pristine,
      ...(self ? [] : ['--bundle', dir]),
      '--check-only',
      '--trusted-key',
      join(work, 'alice.pub'),
      '--trusted-key',
      join(work, 'bob.pub'),
      '--require-signers',
      '2',
    ];
    const ok = await runPy(args(base), work);
    assert.equal(ok.code, 0, ok.stderr);
    const codes = new Map<number, number>();
    let next = 0;
    const failures: string[] = [];
    const random = rng(SEED + 2);
    const important = (e: (typeof mutations)[number]) =>
      /^(install\.py|SHA256SUMS|signatures\/)/.test(e.m.target) ||
      e.m.kind.startsWith('replace') ||
      e.m.kind === 'resign-untrusted';
    const chosen = mutations.filter(important);
    const rest = mutations.filter((e) => !important(e));
    while (chosen.length < PY_SAMPLE && rest.length > 0)
      chosen.push(rest.splice(Math.floor(random() * rest.length), 1)[0]!);
    let selfMutated = 0;
    const ownAccepted: string[] = [];
    const worker = async (): Promise<void> => {
      while (next < chosen.length) {
        const entry = chosen[next++]!;
        const self = !entry.m.target.startsWith('install.py');
        if (!self) {
          selfMutated++;
          const own = await runPy(args(entry.dir, true), work);
          if (own.code === 0) ownAccepted.push(`${entry.m.kind} ${entry.m.target}`);
        }
        const result = await runPy(args(entry.dir, self), work);
        codes.set(result.code, (codes.get(result.code) ?? 0) + 1);
        if (result.code === 0) failures.push(`${entry.m.kind} ${entry.m.target}`);
        else if (![5, 6, 7].includes(result.code))
          failures.push(
            `${entry.m.kind} ${entry.m.target}: exit ${result.code}: ${result.stderr.slice(-400)}`,
          );
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    assert.deepEqual(failures, []);
    process.stderr.write(
      `install.py${canUnshare ? ' (unshare -n)' : ''}: ${chosen.length}/${chosen.length} refused; exit codes ${JSON.stringify(Object.fromEntries(codes))}; ` +
        `${selfMutated} mutations of install.py itself checked by a pristine copy (the mutated script itself accepted ${ownAccepted.length}: ${ownAccepted.join(', ')})\n`,
    );
  });

  it('install.py installs the unmutated bundle into a venv with no network', {
    skip: !hasPython || !hasOpenssl ? 'python3 and openssl are needed' : false,
  }, async () => {
    const venv = join(work, 'venv');
    const result = await runPy(
      [
        join(base, 'install.py'),
        '--trusted-key',
        join(work, 'alice.pub'),
        '--trusted-key',
        join(work, 'bob.pub'),
        '--require-signers',
        '2',
        '--venv',
        venv,
      ],
      work,
    );
    assert.equal(result.code, 0, result.stderr);
    const imported = spawnSync(
      join(venv, 'bin', 'python'),
      ['-c', 'import demo_app, demo_lib, demo_util; print(demo_app.__version__)'],
      { encoding: 'utf8' },
    );
    assert.equal(imported.stdout.trim(), '1.0', imported.stderr);
  });

  it('the real CLI refuses a sample with exit 5, 6 or 7 matching the library', async () => {
    const random = rng(SEED + 1);
    const trustArgs = [
      '--trusted-key',
      join(work, 'alice.pub'),
      '--trusted-key',
      join(work, 'bob.pub'),
      '--require-signers',
      '2',
    ];
    const cli = (dir: string) =>
      spawnSync(process.execPath, ['bin/ferry.js', 'verify', dir, ...trustArgs], {
        encoding: 'utf8',
      });
    const ok = cli(base);
    assert.equal(ok.status, 0, ok.stderr);
    for (let i = 0; i < CLI_SAMPLE; i++) {
      const entry = mutations[Math.floor(random() * mutations.length)]!;
      const result = cli(entry.dir);
      const first = (['tampered', 'incomplete', 'untrusted'] as const).find((k) =>
        entry.report!.problems.some((p) => p.kind === k),
      );
      const expected = { tampered: 5, incomplete: 6, untrusted: 7 }[first!];
      assert.equal(result.status, expected, `${entry.m.kind} ${entry.m.target}: ${result.stderr}`);
    }
  });
});
