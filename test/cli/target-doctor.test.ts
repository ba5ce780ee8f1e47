import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeManifestOnlyBundle } from '../onhost/fake-bundle.js';
import { runCli, tempDir } from './run-cli.js';

const profile = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/profiles/${name}.json`, import.meta.url));

interface Case {
  readonly title: string;
  readonly wheels: readonly string[];
  readonly host: string;
  readonly args?: readonly string[];
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly exit: number;
}

const CASES: readonly Case[] = [
  {
    title: 'PYTHON_MISSING: a cp311 framework on a Python 3.8 host',
    wheels: ['paddlepaddle-3.2.0-cp311-cp311-manylinux1_x86_64.whl'],
    host: 'centos7-470-py38',
    code: 'PYTHON_MISSING',
    severity: 'error',
    message: 'no Python on this host matches the bundle (cp311); found: 3.8.18 (/usr/bin/python3)',
    exit: 9,
  },
  {
    title: 'GLIBC_TOO_OLD: a manylinux_2_28 wheel on glibc 2.17',
    wheels: ['numpy-2.0.0-cp38-cp38-manylinux_2_28_x86_64.whl'],
    host: 'centos7-470-py38',
    code: 'GLIBC_TOO_OLD',
    severity: 'error',
    message:
      'numpy-2.0.0-cp38-cp38-manylinux_2_28_x86_64.whl: bundle needs manylinux_2_28, host glibc is 2.17',
    exit: 9,
  },
  {
    title: 'ARCH_MISMATCH: x86_64 wheels on an aarch64 Kylin host',
    wheels: ['numpy-1.26.4-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl'],
    host: 'kylin-v10-aarch64-py39',
    code: 'ARCH_MISMATCH',
    severity: 'error',
    message:
      'numpy-1.26.4-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl is built for x86_64, this host is aarch64',
    exit: 9,
  },
  {
    title: 'LIBC_MISMATCH: manylinux wheels on musl',
    wheels: ['numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl'],
    host: 'alpine-musl-py311',
    code: 'LIBC_MISMATCH',
    severity: 'error',
    message:
      'numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl is built for glibc (manylinux), this host uses musl libc',
    exit: 9,
  },
  {
    title: 'TAGS_UNSUPPORTED: a Python 2 only wheel',
    wheels: ['legacy-1.0-py2-none-any.whl'],
    host: 'ubuntu2204-535-py310',
    code: 'TAGS_UNSUPPORTED',
    severity: 'error',
    message:
      'legacy-1.0-py2-none-any.whl: none of its tags (py2-none-any) is supported by the Python on this host',
    exit: 9,
  },
  {
    title: 'NO_AVX: Paddle on a CPU without AVX',
    wheels: ['paddlepaddle-2.6.2-cp38-cp38-manylinux1_x86_64.whl'],
    host: 'uos-noavx-py38',
    code: 'NO_AVX',
    severity: 'error',
    message: "paddlepaddle 2.6.2 needs a CPU with AVX; this host's CPU (fixture CPU) has none",
    exit: 9,
  },
  {
    title: 'CUDA_NO_DRIVER: a .post112 build on a host without a driver',
    wheels: ['paddlepaddle_gpu-2.6.2.post112-cp39-cp39-manylinux1_x86_64.whl'],
    host: 'cpu-only-py39',
    code: 'CUDA_NO_DRIVER',
    severity: 'error',
    message:
      'this bundle is a CUDA 11.2 build, and this host has no NVIDIA driver (no /proc/driver/nvidia/version, no nvidia-smi)',
    exit: 9,
  },
  {
    title: 'CUDA_DRIVER_TOO_OLD: a .post120 build on driver 470',
    wheels: ['paddlepaddle_gpu-2.6.2.post120-cp38-cp38-manylinux1_x86_64.whl'],
    host: 'centos7-470-py38',
    code: 'CUDA_DRIVER_TOO_OLD',
    severity: 'error',
    message:
      'libcudart.so.12 will not be found: driver 470.82.01 supports CUDA ≤ 11.4 and this bundle needs 12.0 — install driver ≥ 525.60.13, or bundle the CPU build',
    exit: 9,
  },
  {
    title: 'CUDA_LIBRARY_MISSING: torch +cu118 without nvidia-* wheels, no CUDA on the host',
    wheels: ['torch-2.1.2+cu118-cp310-cp310-linux_x86_64.whl'],
    host: 'ubuntu2204-535-py310',
    code: 'CUDA_LIBRARY_MISSING',
    severity: 'error',
    message:
      "libcudart.so.11.0 is not in the bundle's nvidia-* wheels and not on this host (ldconfig, LD_LIBRARY_PATH, /usr/local/cuda*/lib64)",
    exit: 9,
  },
  {
    title: 'CUDA_MINOR_VERSION_COMPAT: CUDA 11.8 on driver 450.80.02, allowed',
    wheels: [
      'torch-2.1.2+cu118-cp38-cp38-linux_x86_64.whl',
      'nvidia_cuda_runtime_cu11-11.8.89-py3-none-any.whl',
    ],
    host: 'ubuntu2004-450-py38',
    args: ['--allow-minor-version-compat'],
    code: 'CUDA_MINOR_VERSION_COMPAT',
    severity: 'warning',
    message:
      'driver 450.80.02 supports CUDA ≤ 11.0; this bundle needs 11.8 and will run only through CUDA minor-version compatibility (no PTX JIT of newer code)',
    exit: 0,
  },
  {
    title: 'NO_GPU: a driver but no GPU (warning only)',
    wheels: [
      'torch-2.4.1-cp310-cp310-manylinux_2_35_x86_64.whl',
      'nvidia_cuda_runtime_cu12-12.1.105-py3-none-any.whl',
    ],
    host: 'no-gpu',
    code: 'NO_GPU',
    severity: 'warning',
    message:
      'driver 535.54.03 is installed but no GPU was found; a CUDA build will run on the CPU only, or fail',
    exit: 0,
  },
];

// The fixture profiles list a few tags per interpreter (not pip's full list), so the wheels here
// carry exactly those tags.
describe('ferry doctor (CLI, saved profiles)', () => {
  const dir = tempDir('ferry-doctor-');
  const noGpu = JSON.parse(readFileSync(profile('ubuntu2204-535-py310'), 'utf8'));
  noGpu.nvidia.gpuCount = 0;
  writeFileSync(join(dir, 'no-gpu.json'), JSON.stringify(noGpu));
  const profilePath = (name: string) =>
    name === 'no-gpu' ? join(dir, 'no-gpu.json') : profile(name);

  for (const [n, c] of CASES.entries()) {
    it(c.title, async () => {
      const bundle = await writeManifestOnlyBundle(join(dir, `b${n}`), c.wheels);
      const text = await runCli([
        'doctor',
        bundle,
        '--profile',
        profilePath(c.host),
        ...(c.args ?? []),
      ]);
      assert.equal(text.code, c.exit, text.stdout + text.stderr);
      assert.ok(
        text.stdout.includes(
          `${c.severity === 'error' ? 'error  ' : 'warning'} ${c.code}: ${c.message}\n        fix: `,
        ),
        text.stdout,
      );
      const json = await runCli([
        'doctor',
        bundle,
        '--profile',
        profilePath(c.host),
        '--json',
        ...(c.args ?? []),
      ]);
      assert.equal(json.code, c.exit);
      const result = json.events.find((e) => e.event === 'result') as {
        ok: boolean;
        problems: { code: string; message: string; fix: string; severity: string }[];
      };
      assert.equal(result.ok, c.exit === 0);
      const p = result.problems.find((q) => q.code === c.code);
      assert.ok(p, JSON.stringify(result.problems));
      assert.equal(p.message, c.message);
      assert.equal(p.severity, c.severity);
      assert.ok(p.fix.length > 10);
    });
  }

  it('says ok for a bundle made for the host, and reads the CUDA build from the wheels', async () => {
    const bundle = await writeManifestOnlyBundle(join(dir, 'ok'), [
      'paddlepaddle_gpu-3.2.0-cp310-cp310-manylinux_2_35_x86_64.whl',
      'nvidia_cuda_runtime_cu11-11.8.89-py3-none-any.whl',
      'nvidia_cudnn_cu11-8.9.4.19-py3-none-any.whl',
    ]);
    const r = await runCli([
      'doctor',
      bundle,
      '--profile',
      profile('ubuntu2204-535-py310'),
      '--json',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const result = r.events.find((e) => e.event === 'result') as {
      ok: boolean;
      problems: unknown[];
      facts: { cuda: string; cudaLibrariesBundled: string[]; needsAvx: boolean };
    };
    assert.deepEqual(result.problems, []);
    assert.equal(result.facts.cuda, '11.8');
    assert.equal(result.facts.needsAvx, true);
    assert.deepEqual(result.facts.cudaLibrariesBundled, ['libcudart.so.11.0', 'libcudnn.so.8']);
  });

  it('judges only the named interpreter with --python', async () => {
    const bundle = await writeManifestOnlyBundle(join(dir, 'py'), [
      'numpy-1.26.4-cp39-cp39-manylinux_2_28_aarch64.whl',
    ]);
    const any = await runCli(['doctor', bundle, '--profile', profile('kylin-v10-aarch64-py39')]);
    assert.equal(any.code, 0, any.stdout + any.stderr);
    const py37 = await runCli([
      'doctor',
      bundle,
      '--profile',
      profile('kylin-v10-aarch64-py39'),
      '--python',
      '3.7',
    ]);
    assert.equal(py37.code, 9);
    assert.match(py37.stdout, /error {3}TAGS_UNSUPPORTED|error {3}PYTHON_MISSING/);
  });

  it('refuses a folder that is not a bundle', async () => {
    const r = await runCli(['doctor', join(dir, 'nothing'), '--profile', profile('cpu-only-py39')]);
    assert.equal(r.code, 2, 'a path that is not a bundle is a usage error');
    assert.match(r.stderr, /is not a ferry bundle/);
  });
});
