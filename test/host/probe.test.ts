import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { probeHost, probeScriptPath } from '../../src/host/probe.js';
import { profileToTargets } from '../../src/host/profile.js';

const hosts = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/hosts/${name}`, import.meta.url));
const python = process.env.FERRY_PYTHON ?? 'python3';

const pipTags = (): string[] | undefined => {
  const r = spawnSync(python, [
    '-c',
    'import json\nfrom pip._internal.utils.compatibility_tags import get_supported\nfrom pip._vendor.packaging.tags import sys_tags\nprint(json.dumps([[str(t) for t in get_supported()], [str(t) for t in sys_tags()]]))',
  ]);
  return r.status === 0 ? JSON.parse(r.stdout.toString()) : undefined;
};

describe('probe.py', () => {
  it('parses as Python 3.6 syntax', () => {
    const code = `import ast,sys; ast.parse(open(sys.argv[1]).read(), feature_version=(3,6))`;
    const r = spawnSync(python, ['-c', code, probeScriptPath()]);
    assert.equal(r.status, 0, r.stderr.toString());
  });

  // Probing takes seconds; the two tests of this host share one probe.
  const probedHost = probeHost({ python, runCommands: false });
  probedHost.catch(() => {}); // a failure is reported by the tests that await it
  it('describes this host: the running Python and its markers', async () => {
    const profile = await probedHost;
    assert.equal(profile.formatVersion, 1);
    const running = profile.interpreters.find((i) => i.running);
    assert.ok(running, 'the running interpreter is listed');
    const exe = spawnSync(python, ['-c', 'import sys; print(sys.executable)'])
      .stdout.toString()
      .trim();
    assert.equal(running.executable, exe);
    assert.ok(running.tags.length > 0);
    assert.equal(Object.keys(running.markers).length, 11);
  });

  const oracle = pipTags();
  it('lists the tags pip computes for this host, in its order', {
    skip: oracle === undefined ? `${python} has no importable pip to compute the tags` : false,
  }, async () => {
    const profile = await probedHost;
    const running = profile.interpreters.find((i) => i.running);
    assert.ok(running, 'the running interpreter is listed');
    const [supported, sysTags] = oracle as unknown as [string[], string[]];
    // pip installs by get_supported(): exactly the same list, in the same order.
    assert.deepEqual(running.tags, supported);
    // packaging 21.3's sys_tags() (vendored by pip 23.2) lacks only the "cp311-none-any" tag that
    // pip's get_supported() adds; current packaging's sys_tags() has it too.
    const interp = `cp${running.markers.python_version.replace('.', '')}-none-any`;
    assert.deepEqual(
      running.tags.filter((t) => t !== interp),
      sysTags.filter((t) => t !== interp),
    );
  });

  it('turns a probed profile into targets', async () => {
    const profile = await probeHost({ python, runCommands: false });
    const targets = profileToTargets(profile);
    assert.equal(targets.length, profile.interpreters.length);
    const t = targets[0];
    assert.ok(t);
    assert.equal(t.platform.os, 'linux');
    assert.equal(t.interpreter.implementation, 'cp');
    assert.equal(t.markers.python_full_version, t.interpreter.fullVersion);
  });

  it('reads a GPU host tree: driver 470.82.01 from /proc, 2 GPUs, CUDA 11.4 libraries, glibc 2.17', async () => {
    const p = await probeHost({ python, root: hosts('gpu-centos7-470'), runCommands: false });
    assert.equal(p.nvidia.driverVersion, '470.82.01');
    assert.equal(p.nvidia.driverSource, '/proc/driver/nvidia/version');
    assert.equal(p.nvidia.gpuCount, 2);
    assert.deepEqual(
      p.cudaLibraries.map((l) => [l.soname, l.path]),
      [
        ['libcublas.so.11', '/usr/local/cuda-11.4/lib64/libcublas.so.11'],
        ['libcublasLt.so.11', '/usr/local/cuda-11.4/lib64/libcublasLt.so.11'],
        ['libcudart.so.11.0', '/usr/local/cuda-11.4/lib64/libcudart.so.11.0'],
        ['libcudnn.so.8', '/usr/local/cuda-11.4/lib64/libcudnn.so.8'],
      ],
    );
    assert.deepEqual(p.libc, { kind: 'glibc', version: '2.17' });
    assert.equal(p.os?.id, 'centos');
    assert.equal(p.cpu.flags?.avx512f, true);
    assert.equal(p.cpu.count, 2);
  });

  it('reads a host without AVX and without a driver', async () => {
    const p = await probeHost({ python, root: hosts('uos-noavx'), runCommands: false });
    assert.equal(p.cpu.flags?.avx, false);
    assert.equal(p.cpu.flags?.sse4_2, true);
    assert.equal(p.nvidia.driverVersion, null);
    assert.equal(p.os?.prettyName, 'UnionTech OS Server 20');
    assert.deepEqual(p.libc, { kind: 'glibc', version: '2.28' });
  });

  it('reads an aarch64 Kylin V10 host', async () => {
    const p = await probeHost({ python, root: hosts('kylin-v10-aarch64'), runCommands: false });
    assert.equal(p.arch, 'aarch64');
    assert.deepEqual(
      [p.os?.id, p.os?.versionId, p.os?.prettyName],
      ['kylin', 'V10', 'Kylin Linux Advanced Server V10 (Sword)'],
    );
    assert.equal(p.cpu.flags?.avx, false);
    assert.deepEqual(p.libc, { kind: 'glibc', version: '2.28' });
  });

  it('recognises a musl host by its loader in /lib', async () => {
    const p = await probeHost({ python, root: hosts('alpine-musl'), runCommands: false });
    assert.deepEqual(p.libc, { kind: 'musl', version: null });
    assert.equal(p.cpu.flags, null);
  });

  it('sums up version-manager shims that start no interpreter in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-shims-'));
    const shims = join(dir, 'shims');
    mkdirSync(shims);
    const real = spawnSync(python, ['-c', 'import sys; print(sys.executable)'])
      .stdout.toString()
      .trim();
    // What pyenv's shims do: start the active version's interpreter, or fail with 127.
    const script = `#!/usr/bin/env bash\n# pyenv shim (test)\nprogram="\${0##*/}"\nif [ "$program" = python3 ]; then exec "${real}" "$@"; fi\necho "pyenv: $program: command not found" >&2\nexit 127\n`;
    for (const name of ['python3', 'python3.8', 'python3.9', 'python3.10']) {
      writeFileSync(join(shims, name), script);
      chmodSync(join(shims, name), 0o755);
    }
    const p = await probeHost({
      python: join(shims, 'python3'),
      runCommands: false,
      env: { ...process.env, PATH: `${shims}:/usr/bin:/bin` },
    });
    assert.deepEqual(
      p.warnings.filter((w) => /exited with status/.test(w)),
      [],
      p.warnings.join('\n'),
    );
    const about = p.warnings.filter((w) => w.includes(shims));
    assert.equal(about.length, 1, p.warnings.join('\n'));
    assert.match(about[0] ?? '', /^3 version-manager shims .*python3\.10, python3\.8, python3\.9/);
    // The shim that does start an interpreter is one more path of that interpreter.
    assert.ok(
      p.interpreters.some((i) => i.paths.includes(join(shims, 'python3'))),
      JSON.stringify(p.interpreters.map((i) => i.paths)),
    );
  });

  it('runs as a script with FERRY_PROBE_ROOT and prints JSON', () => {
    const r = spawnSync(python, [probeScriptPath()], {
      env: {
        ...process.env,
        FERRY_PROBE_ROOT: hosts('gpu-centos7-470'),
        FERRY_PROBE_NO_COMMANDS: '1',
      },
    });
    assert.equal(r.status, 0, r.stderr.toString());
    const p = JSON.parse(r.stdout.toString());
    assert.equal(p.nvidia.driverVersion, '470.82.01');
    assert.ok(readFileSync(probeScriptPath(), 'utf8').includes('def main('));
  });
});
