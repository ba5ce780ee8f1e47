import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseTargetProfile, type TargetProfile } from '../../src/host/profile.js';
import { type BundleFacts, type DoctorCode, diagnose } from '../../src/onhost/doctor.js';

const host = (name: string): TargetProfile =>
  parseTargetProfile(
    readFileSync(new URL(`../fixtures/profiles/${name}.json`, import.meta.url), 'utf8'),
    name,
  );

const base: BundleFacts = { cudaLibrariesBundled: [] };
const codes = (facts: BundleFacts, h: TargetProfile) => diagnose(facts, h).map((p) => p.code);
const only = (facts: BundleFacts, h: TargetProfile, code: DoctorCode) => {
  const found = diagnose(facts, h).filter((p) => p.code === code);
  assert.equal(found.length, 1, JSON.stringify(diagnose(facts, h)));
  const p = found[0];
  assert.ok(p && p.fix.length > 0);
  return p;
};

describe('doctor', () => {
  it('finds nothing wrong with a bundle made for the host', () => {
    const facts: BundleFacts = {
      ...base,
      pythonTags: ['cp310'],
      requiresPython: '>=3.9',
      cuda: '11.8',
      needsAvx: true,
      wheels: [
        {
          filename: 'paddlepaddle_gpu-3.2.0-cp310-cp310-manylinux_2_35_x86_64.whl',
          tags: ['cp310-cp310-manylinux_2_35_x86_64'],
        },
      ],
      cudaLibrariesBundled: ['libcudart.so.11.0', 'libcudnn.so.8'],
    };
    assert.deepEqual(diagnose(facts, host('ubuntu2204-535-py310')), []);
  });
  it('PYTHON_MISSING: no interpreter matches', () => {
    const p = only({ ...base, pythonTags: ['cp311'] }, host('centos7-470-py38'), 'PYTHON_MISSING');
    assert.equal(
      p.message,
      'no Python on this host matches the bundle (cp311); found: 3.8.18 (/usr/bin/python3)',
    );
    assert.equal(p.severity, 'error');
    only({ ...base, requiresPython: '>=3.9' }, host('centos7-470-py38'), 'PYTHON_MISSING');
  });
  it('GLIBC_TOO_OLD: manylinux_2_28 wheel on glibc 2.17', () => {
    const p = only(
      {
        ...base,
        pythonTags: ['cp38'],
        wheels: [
          {
            filename: 'torch-2.7.1+cu118-cp38-cp38-manylinux_2_28_x86_64.whl',
            tags: ['cp38-cp38-manylinux_2_28_x86_64'],
          },
        ],
      },
      host('centos7-470-py38'),
      'GLIBC_TOO_OLD',
    );
    assert.equal(
      p.message,
      'torch-2.7.1+cu118-cp38-cp38-manylinux_2_28_x86_64.whl: bundle needs manylinux_2_28, host glibc is 2.17',
    );
  });
  it('ARCH_MISMATCH: x86_64 wheels on aarch64', () => {
    const p = only(
      {
        ...base,
        wheels: [
          {
            filename: 'numpy-1.26.4-cp39-cp39-manylinux_2_17_x86_64.whl',
            tags: ['cp39-cp39-manylinux_2_17_x86_64', 'cp39-cp39-manylinux2014_x86_64'],
          },
        ],
      },
      host('kylin-v10-aarch64-py39'),
      'ARCH_MISMATCH',
    );
    assert.equal(
      p.message,
      'numpy-1.26.4-cp39-cp39-manylinux_2_17_x86_64.whl is built for x86_64, this host is aarch64',
    );
  });
  it('LIBC_MISMATCH: both directions', () => {
    const a = only(
      {
        ...base,
        wheels: [
          {
            filename: 'x-1-cp311-cp311-manylinux_2_17_x86_64.whl',
            tags: ['cp311-cp311-manylinux_2_17_x86_64'],
          },
        ],
      },
      host('alpine-musl-py311'),
      'LIBC_MISMATCH',
    );
    assert.equal(
      a.message,
      'x-1-cp311-cp311-manylinux_2_17_x86_64.whl is built for glibc (manylinux), this host uses musl libc',
    );
    const b = only(
      {
        ...base,
        wheels: [
          {
            filename: 'x-1-cp310-cp310-musllinux_1_2_x86_64.whl',
            tags: ['cp310-cp310-musllinux_1_2_x86_64'],
          },
        ],
      },
      host('ubuntu2204-535-py310'),
      'LIBC_MISMATCH',
    );
    assert.equal(
      b.message,
      'x-1-cp310-cp310-musllinux_1_2_x86_64.whl is built for musl libc (musllinux), this host uses glibc 2.35',
    );
  });
  it('TAGS_UNSUPPORTED: a wheel for another Python ABI', () => {
    const p = only(
      {
        ...base,
        wheels: [
          {
            filename: 'x-1-cp310-cp310d-manylinux_2_17_x86_64.whl',
            tags: ['cp310-cp310d-manylinux_2_17_x86_64'],
          },
        ],
      },
      host('ubuntu2204-535-py310'),
      'TAGS_UNSUPPORTED',
    );
    assert.match(p.message, /none of its tags \(cp310-cp310d-manylinux_2_17_x86_64\) is supported/);
  });
  it('NO_AVX', () => {
    const p = only(
      { ...base, needsAvx: true, framework: 'PaddlePaddle' },
      host('uos-noavx-py38'),
      'NO_AVX',
    );
    assert.equal(
      p.message,
      "PaddlePaddle needs a CPU with AVX; this host's CPU (fixture CPU) has none",
    );
    assert.deepEqual(
      codes({ ...base, needsAvx: true }, host('no-cpuinfo-560-py310')),
      [],
      'unknown flags are not a problem',
    );
  });
  it('CUDA_NO_DRIVER', () => {
    const p = only(
      { ...base, cuda: '11.8', cudaLibrariesBundled: ['libcudart.so.11.0'] },
      host('cpu-only-py39'),
      'CUDA_NO_DRIVER',
    );
    assert.match(p.message, /CUDA 11\.8 build, and this host has no NVIDIA driver/);
    assert.match(p.fix, /driver ≥ 520\.61\.05, or bundle the CPU build/);
  });
  it('CUDA_DRIVER_TOO_OLD: the message the brief asks for', () => {
    const p = only({ ...base, cuda: '11.8' }, host('centos7-470-py38'), 'CUDA_DRIVER_TOO_OLD');
    assert.equal(
      p.message,
      'libcudart.so.11.0 will not be found: driver 470.82.01 supports CUDA ≤ 11.4 and this bundle needs 11.8 — install driver ≥ 520.61.05, or bundle the CPU build',
    );
  });
  it('CUDA_MINOR_VERSION_COMPAT: a warning when allowed', () => {
    const problems = diagnose({ ...base, cuda: '11.8' }, host('centos7-470-py38'), {
      allowMinorVersionCompat: true,
    });
    const p = problems.find((x) => x.code === 'CUDA_MINOR_VERSION_COMPAT');
    assert.ok(p);
    assert.equal(p.severity, 'warning');
    assert.match(p.message, /minor-version compatibility/);
  });
  it('CUDA_LIBRARY_MISSING: neither bundled nor on the host', () => {
    const p = only(
      { ...base, cuda: '12.2', cudaLibrariesNeeded: ['libcudart.so.12'] },
      host('ubuntu2204-535-py310'),
      'CUDA_LIBRARY_MISSING',
    );
    assert.match(
      p.message,
      /^libcudart\.so\.12 is not in the bundle's nvidia-\* wheels and not on this host/,
    );
    assert.equal(
      diagnose(
        { ...base, cuda: '12.2', cudaLibrariesNeeded: ['libcudart.so.12', 'libcudnn.so.9'] },
        host('ubuntu2204-535-py310'),
      ).length,
      2,
    );
    // the 470 host has libcudart.so.11.0 and libcudnn.so.8 under /usr/local/cuda
    assert.ok(
      !codes(
        { ...base, cuda: '11.2', cudaLibrariesNeeded: ['libcudart.so.11.0', 'libcudnn.so.8'] },
        host('centos7-470-py38'),
      ).includes('CUDA_LIBRARY_MISSING'),
    );
  });
  it('NO_GPU: a driver without GPUs', () => {
    const h = host('ubuntu2204-535-py310');
    const noGpu: TargetProfile = { ...h, nvidia: { ...h.nvidia, gpuCount: 0 } };
    const p = only(
      { ...base, cuda: '11.8', cudaLibrariesBundled: ['libcudart.so.11.0'] },
      noGpu,
      'NO_GPU',
    );
    assert.equal(p.severity, 'warning');
  });
});
