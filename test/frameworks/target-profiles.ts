/**
 * Target profiles for the chooser's tests, built from the facts a probe records: OS, arch,
 * glibc, libstdc++, Python, NVIDIA driver and each GPU's compute capability. Tags come from
 * the same code as a lock's (standards/target.ts), so a wheel's manylinux tag is judged as pip
 * judges it.
 */
import { profileFromTarget } from '../../src/frameworks/framework-request.js';
import type { TargetProfile } from '../../src/host/profile.js';
import { makeTarget } from '../../src/standards/target.js';

export interface HostFacts {
  /** For the test's name: 'CentOS 7'. */
  readonly os: string;
  readonly arch?: 'x86_64' | 'aarch64' | 'loongarch64';
  /** 'glibc 2.17' or 'musl 1.2'. */
  readonly libc?: string;
  /** GLIBCXX version of libstdc++, null when unknown. */
  readonly glibcxx?: string | null;
  readonly python: string;
  readonly driver?: string | null;
  readonly gpus?: readonly string[];
  readonly avx?: boolean;
}

export function hostProfile(h: HostFacts): TargetProfile {
  const [major, minor] = h.python.split('.').map(Number) as [number, number];
  const [kind, version] = (h.libc ?? 'glibc 2.34').split(' ') as ['glibc' | 'musl', string];
  const [lmaj, lmin] = version.split('.').map(Number) as [number, number];
  const arch = h.arch ?? 'x86_64';
  const target = makeTarget(
    h.os,
    { implementation: 'cp', version: [major, minor], fullVersion: h.python },
    { os: 'linux', arch, libc: { kind, version: [lmaj, lmin] } },
  );
  const base = profileFromTarget(target);
  const driver = h.driver ?? null;
  return {
    ...base,
    // A probed host: what is empty is absent, not unknown.
    generator: 'ferry-probe',
    hostname: h.os,
    cpu: {
      model: 'fixture CPU',
      count: 8,
      flags: { avx: h.avx ?? true, avx2: h.avx ?? true, avx512f: false, fma: true, sse4_2: true },
    },
    nvidia: {
      driverVersion: driver,
      driverSource: driver === null ? null : '/proc/driver/nvidia/version',
      gpuCount: h.gpus?.length ?? (driver === null ? null : 1),
      gpus: (h.gpus ?? []).map((_, i) => `GPU ${i}`),
      computeCapabilities: [...(h.gpus ?? [])],
    },
    libstdcxx:
      h.glibcxx === undefined
        ? { glibcxx: '3.4.30', path: '/usr/lib64/libstdc++.so.6' }
        : { glibcxx: h.glibcxx, path: h.glibcxx === null ? null : '/usr/lib64/libstdc++.so.6' },
  };
}
