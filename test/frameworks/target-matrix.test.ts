/**
 * The chooser against 30+ target profiles (OS, arch, glibc, libstdc++, Python, driver, GPU
 * compute capability): the exact pin, or every refusal code. Availability is what the indexes
 * hold: the configured index's lists as recorded (data/framework-availability.json, read from
 * it) and, for the vendor indexes (not reachable from the test host), the wheels each case pins,
 * under the names those indexes publish. The second part serves every pinned file from local
 * indexes on 127.0.0.1 in their place and shows that discovery through the index client finds
 * it, and the same pin follows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Availability,
  availabilityKey,
  type ProjectFiles,
  recordedAvailability,
} from '../../src/frameworks/availability.js';
import { chooseVariant, explainChoice } from '../../src/frameworks/choose.js';
import { loadFrameworkTable } from '../../src/frameworks/table.js';
import type { VariantChoice } from '../../src/frameworks/variants.js';
import { indexConfigFromPip } from '../../src/index/index-config.js';
import { AvailabilityDiscovery, indexListFiles } from '../../src/ops/framework-availability.js';
import { parseWheelFilename } from '../../src/standards/filename.js';
import { type LocalIndex, startLocalIndex } from '../helpers/local-index.js';
import { type HostFacts, hostProfile } from './target-profiles.js';

const table = loadFrameworkTable();
const url = (name: string): string =>
  name === 'default' ? 'default' : (table.indexes[name] as string);

/** Wheels on the vendor indexes, as each names its files (cases below pin these). */
const VENDOR_FILES: Readonly<Record<string, readonly string[]>> = {
  'pytorch-cpu': [
    'torch-2.15.0+cpu-cp312-cp312-manylinux_2_28_x86_64.whl',
    'torch-2.15.0+cpu-cp314-cp314-manylinux_2_28_x86_64.whl',
    'torch-2.4.1+cpu-cp38-cp38-linux_x86_64.whl',
    'torch-1.13.1+cpu-cp37-cp37m-linux_x86_64.whl',
  ],
  'pytorch-cu118': [
    'torch-2.7.1+cu118-cp310-cp310-manylinux_2_28_x86_64.whl',
    'torch-2.6.0+cu118-cp39-cp39-linux_x86_64.whl',
  ],
  'pytorch-cu124': ['torch-2.6.0+cu124-cp39-cp39-linux_x86_64.whl'],
  'pytorch-cu126': [
    'torch-2.7.1+cu126-cp310-cp310-manylinux_2_28_x86_64.whl',
    'torch-2.15.0+cu126-cp312-cp312-manylinux_2_28_x86_64.whl',
  ],
  'pytorch-cu128': [
    'torch-2.15.0+cu128-cp312-cp312-manylinux_2_28_x86_64.whl',
    'torch-2.15.0+cu128-cp312-cp312-manylinux_2_28_aarch64.whl',
  ],
  'pytorch-cu129': ['torch-2.8.0+cu129-cp312-cp312-manylinux_2_28_x86_64.whl'],
  'pytorch-cu130': [
    'torch-2.15.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl',
    'torch-2.15.0+cu130-cp312-cp312-manylinux_2_28_aarch64.whl',
  ],
  'pytorch-rocm6.3': ['torch-2.9.1+rocm6.3-cp310-cp310-manylinux_2_28_x86_64.whl'],
  'paddle-3-xpu-p800': ['paddlepaddle_xpu-3.3.1-cp310-cp310-linux_x86_64.whl'],
  'paddle-2-cu112': ['paddlepaddle_gpu-2.6.2.post112-cp39-cp39-linux_x86_64.whl'],
  'paddle-3-cu118': [
    'paddlepaddle_gpu-3.3.1-cp310-cp310-linux_x86_64.whl',
    'paddlepaddle_gpu-3.3.1-cp311-cp311-linux_x86_64.whl',
  ],
  'paddle-3-cu126': [
    'paddlepaddle_gpu-3.0.0-cp312-cp312-linux_x86_64.whl',
    'paddlepaddle_gpu-3.3.1-cp313-cp313-linux_x86_64.whl',
  ],
  'paddle-3-cu129': ['paddlepaddle_gpu-3.3.1-cp312-cp312-linux_x86_64.whl'],
  'paddle-3-cu130': ['paddlepaddle_gpu-3.3.1-cp312-cp312-linux_x86_64.whl'],
};

function withVendorFiles(base: Availability): Availability {
  const lists = new Map<string, ProjectFiles>(base.lists);
  for (const [name, files] of Object.entries(VENDOR_FILES)) {
    const project = parseWheelFilename(files[0] as string).name;
    lists.set(availabilityKey(url(name), project), {
      index: url(name),
      project,
      files,
      origin: 'recorded',
      recorded: '2026-11-30',
    });
  }
  return { ...base, lists };
}

const AVAILABILITY = withVendorFiles(recordedAvailability());

interface Case {
  readonly host: HostFacts;
  readonly framework: string;
  readonly cuda: string;
  readonly version?: string;
  /** The exact pin and the table's index name, or every refusal code. */
  readonly pin?: string;
  readonly index?: string;
  readonly refused?: readonly string[];
  /** A note the choice must carry. */
  readonly note?: RegExp;
  /** A note the choice must not carry. */
  readonly noNote?: RegExp;
}

const CENTOS7 = { os: 'CentOS 7', libc: 'glibc 2.17', glibcxx: '3.4.19' } as const;
const KYLIN = { os: 'Kylin V10', arch: 'aarch64', libc: 'glibc 2.28', glibcxx: '3.4.24' } as const;
const UBUNTU = { os: 'Ubuntu 22.04', libc: 'glibc 2.35', glibcxx: '3.4.30' } as const;
const RHEL9 = { os: 'RHEL 9', libc: 'glibc 2.34', glibcxx: '3.4.29' } as const;

const CASES: Case[] = [
  // 1. torch 2.7: every Linux wheel is manylinux_2_28.
  {
    host: { ...CENTOS7, python: '3.9.18', driver: '560.35.03' },
    framework: 'torch',
    cuda: 'auto',
    pin: 'torch==2.6.0+cu124',
    index: 'pytorch-cu124',
  },
  {
    host: { ...CENTOS7, python: '3.9.18', driver: '560.35.03' },
    framework: 'torch',
    cuda: 'auto',
    version: '2.7',
    refused: ['ERR_FERRY_VARIANT_GLIBC'],
  },
  {
    host: { os: 'aarch64 glibc 2.17', arch: 'aarch64', libc: 'glibc 2.17', python: '3.9.18' },
    framework: 'torch',
    cuda: 'cpu',
    version: '2.7',
    refused: ['ERR_FERRY_VARIANT_GLIBC'],
  },
  // 2. Paddle 3.3.x has no aarch64 wheels.
  {
    host: { ...KYLIN, glibcxx: '3.4.28', python: '3.9.9' },
    framework: 'paddle',
    cuda: 'cpu',
    pin: 'paddlepaddle==3.2.2',
    index: 'default',
    note: /PaddlePaddle 3\.3\.1 has no build for this target; chose 3\.2\.2/,
  },
  {
    host: { ...KYLIN, glibcxx: '3.4.28', python: '3.9.9' },
    framework: 'paddle',
    cuda: 'cpu',
    version: '3.3.1',
    refused: ['ERR_FERRY_VARIANT_UNPUBLISHED'],
  },
  // 3. No stable cu123 build of Paddle 3: driver 550 gets cu118.
  {
    host: { ...UBUNTU, python: '3.10.12', driver: '550.54.14' },
    framework: 'paddle',
    cuda: 'auto',
    pin: 'paddlepaddle-gpu==3.3.1',
    index: 'paddle-3-cu118',
  },
  {
    host: { ...UBUNTU, python: '3.10.12', driver: '550.54.14' },
    framework: 'paddle',
    cuda: '12.3',
    refused: ['ERR_FERRY_VARIANT_UNKNOWN'],
  },
  // 4. Paddle 3.0.0 has cu118 and cu126 only.
  {
    host: { ...RHEL9, python: '3.12.1', driver: '580.65.06' },
    framework: 'paddle',
    cuda: 'auto',
    version: '3.0.0',
    pin: 'paddlepaddle-gpu==3.0.0',
    index: 'paddle-3-cu126',
  },
  {
    host: { ...RHEL9, python: '3.12.1', driver: '580.65.06' },
    framework: 'paddle',
    cuda: '13.0',
    version: '3.0.0',
    refused: ['ERR_FERRY_VARIANT_UNKNOWN'],
  },
  // 5. Paddle 3 needs GLIBCXX_3.4.25: CentOS 7's libstdc++ (3.4.19) gets Paddle 2.6.
  {
    host: { ...CENTOS7, python: '3.9.18', driver: '470.82.01' },
    framework: 'paddle',
    cuda: 'auto',
    pin: 'paddlepaddle-gpu==2.6.2.post112',
    index: 'paddle-2-cu112',
  },
  {
    host: { ...CENTOS7, python: '3.9.18', driver: '560.35.03' },
    framework: 'paddle',
    cuda: 'auto',
    version: '3.3.1',
    refused: ['ERR_FERRY_VARIANT_LIBSTDCXX'],
  },
  {
    host: { ...UBUNTU, glibcxx: null, python: '3.10.12' },
    framework: 'paddle',
    cuda: 'cpu',
    pin: 'paddlepaddle==3.3.1',
    index: 'default',
    note: /GLIBCXX_3\.4\.25 or newer; the target's is not known/,
  },
  // 6. The 11.8 note belongs to 11.8 builds only; the aarch64 refusal speaks of ferry's table.
  {
    host: { ...UBUNTU, python: '3.10.12', driver: '535.54.03' },
    framework: 'torch',
    cuda: 'auto',
    pin: 'torch==2.7.1+cu118',
    index: 'pytorch-cu118',
    note: /last release with CUDA 11\.8/,
  },
  {
    host: { ...UBUNTU, python: '3.10.12', driver: '560.35.03' },
    framework: 'torch',
    cuda: '12.6',
    version: '2.7.1',
    pin: 'torch==2.7.1+cu126',
    index: 'pytorch-cu126',
    noNote: /CUDA 11\.8/,
  },
  {
    host: { ...KYLIN, python: '3.9.9', driver: '535.54.03' },
    framework: 'torch',
    cuda: '12.6',
    version: '2.7.1',
    refused: ['ERR_FERRY_VARIANT_ARCH'],
  },
  // GPU compute capability.
  {
    // Pascal: CUDA 12.8+ builds of torch start at 7.0 (2.8) / 7.5 (2.11); the 12.6 build has sm_60.
    host: { ...RHEL9, python: '3.12.1', driver: '580.65.06', gpus: ['6.1'] },
    framework: 'torch',
    cuda: 'auto',
    pin: 'torch==2.15.0+cu126',
    index: 'pytorch-cu126',
  },
  {
    host: { ...RHEL9, python: '3.12.1', driver: '580.65.06', gpus: ['8.6', '7.5'] },
    framework: 'torch',
    cuda: 'auto',
    pin: 'torch==2.15.0+cu130',
    index: 'pytorch-cu130',
  },
  {
    host: { ...RHEL9, python: '3.12.1', driver: '580.65.06', gpus: ['6.1'] },
    framework: 'torch',
    cuda: '13.0',
    refused: ['ERR_FERRY_VARIANT_NO_KERNELS'],
  },
  {
    host: { ...RHEL9, python: '3.12.1', driver: '570.26', gpus: ['12.0'] },
    framework: 'torch',
    cuda: 'auto',
    pin: 'torch==2.15.0+cu128',
    index: 'pytorch-cu128',
  },
  {
    host: { ...UBUNTU, python: '3.10.12', driver: '560.35.03', gpus: ['12.0'] },
    framework: 'torch',
    cuda: '12.6',
    version: '2.7.1',
    refused: ['ERR_FERRY_VARIANT_NO_KERNELS'],
  },
  {
    // Volta on torch 2.8: the cu129 build still has sm_70 (dropped from 12.8 builds in 2.11).
    host: { ...RHEL9, python: '3.12.1', driver: '580.65.06', gpus: ['7.0'] },
    framework: 'torch',
    cuda: '12.9',
    version: '2.8.0',
    pin: 'torch==2.8.0+cu129',
    index: 'pytorch-cu129',
  },
  {
    host: { ...RHEL9, python: '3.12.1', driver: '580.65.06', gpus: ['7.0'] },
    framework: 'torch',
    cuda: '12.8',
    version: '2.11.0',
    refused: ['ERR_FERRY_VARIANT_NO_KERNELS'],
  },
  {
    host: { ...RHEL9, python: '3.12.1', driver: '580.65.06', gpus: ['7.0'] },
    framework: 'paddle',
    cuda: 'auto',
    pin: 'paddlepaddle-gpu==3.3.1',
    index: 'paddle-3-cu129',
  },
  {
    host: { ...RHEL9, python: '3.12.1', driver: '580.65.06', gpus: ['12.0'] },
    framework: 'paddle',
    cuda: 'auto',
    pin: 'paddlepaddle-gpu==3.3.1',
    index: 'paddle-3-cu130',
  },
  // aarch64 CUDA builds of torch (Grace Hopper / Grace Blackwell hosts).
  {
    host: {
      os: 'Ubuntu 24.04 aarch64',
      arch: 'aarch64',
      libc: 'glibc 2.39',
      python: '3.12.3',
      driver: '580.65.06',
      gpus: ['9.0'],
    },
    framework: 'torch',
    cuda: 'auto',
    pin: 'torch==2.15.0+cu130',
    index: 'pytorch-cu130',
  },
  // CPU builds and Python ranges.
  {
    host: { ...RHEL9, python: '3.12.1' },
    framework: 'torch',
    cuda: 'cpu',
    pin: 'torch==2.15.0+cpu',
    index: 'pytorch-cpu',
  },
  {
    host: { ...UBUNTU, libc: 'glibc 2.39', python: '3.14.0' },
    framework: 'torch',
    cuda: 'cpu',
    pin: 'torch==2.15.0+cpu',
    index: 'pytorch-cpu',
  },
  {
    host: { os: 'openEuler 22.03 aarch64', arch: 'aarch64', libc: 'glibc 2.34', python: '3.14.0' },
    framework: 'torch',
    cuda: 'cpu',
    pin: 'torch==2.15.0',
    index: 'default',
  },
  {
    host: { ...UBUNTU, libc: 'glibc 2.31', python: '3.8.10' },
    framework: 'torch',
    cuda: 'cpu',
    pin: 'torch==2.4.1+cpu',
    index: 'pytorch-cpu',
  },
  {
    host: { ...UBUNTU, python: '3.10.12' },
    framework: 'tensorflow',
    cuda: 'cpu',
    pin: 'tensorflow-cpu==2.21.0',
    index: 'default',
  },
  {
    host: { ...CENTOS7, python: '3.11.9' },
    framework: 'tensorflow',
    cuda: 'cpu',
    pin: 'tensorflow-cpu==2.20.0',
    index: 'default',
  },
  {
    host: { ...KYLIN, python: '3.11.6' },
    framework: 'tensorflow',
    cuda: 'cpu',
    pin: 'tensorflow==2.21.0',
    index: 'default',
  },
  {
    host: { ...UBUNTU, python: '3.9.18' },
    framework: 'tensorflow',
    cuda: 'cpu',
    pin: 'tensorflow-cpu==2.20.0',
    index: 'default',
  },
  {
    host: { ...RHEL9, python: '3.12.1', driver: '560.35.03' },
    framework: 'tensorflow',
    cuda: 'auto',
    pin: 'tensorflow[and-cuda]==2.21.0',
    index: 'default',
  },
  // Old Python: Kylin V10's 3.7.9.
  {
    host: { ...KYLIN, python: '3.7.9' },
    framework: 'torch',
    cuda: 'cpu',
    pin: 'torch==1.13.1',
    index: 'default',
    note: /Python 3\.7 is older than PyTorch 2\.15\.0 supports .*chose PyTorch 1\.13\.1/,
  },
  {
    host: { ...KYLIN, python: '3.7.9' },
    framework: 'paddle',
    cuda: 'cpu',
    refused: ['ERR_FERRY_VARIANT_PYTHON'],
  },
  // Accelerators other than NVIDIA's, asked for by name.
  {
    host: { ...UBUNTU, python: '3.10.12' },
    framework: 'torch',
    cuda: 'rocm6.3',
    pin: 'torch==2.9.1+rocm6.3',
    index: 'pytorch-rocm6.3',
  },
  {
    host: { ...KYLIN, glibcxx: '3.4.28', python: '3.11.6' },
    framework: 'torch',
    cuda: 'npu',
    pin: 'torch-npu==2.14.0',
    index: 'default',
    note: /CANN/,
  },
  {
    host: { ...UBUNTU, python: '3.10.12' },
    framework: 'paddle',
    cuda: 'xpu',
    pin: 'paddlepaddle-xpu==3.3.1',
    index: 'paddle-3-xpu-p800',
  },
  {
    host: { ...UBUNTU, python: '3.10.12' },
    framework: 'torch',
    cuda: 'dcu',
    refused: ['ERR_FERRY_VARIANT_ACCELERATOR'],
  },
  {
    host: { ...UBUNTU, python: '3.10.12' },
    framework: 'tensorflow',
    cuda: 'npu',
    refused: ['ERR_FERRY_VARIANT_ACCELERATOR'],
  },
  // Refusals that no release changes.
  {
    host: { os: 'Alpine 3.19', libc: 'musl 1.2', python: '3.11.8' },
    framework: 'paddle',
    cuda: 'cpu',
    refused: ['ERR_FERRY_VARIANT_MUSL'],
  },
  {
    host: { os: 'UOS LoongArch', arch: 'loongarch64', libc: 'glibc 2.28', python: '3.8.10' },
    framework: 'torch',
    cuda: 'cpu',
    refused: ['ERR_FERRY_VARIANT_SOURCE_ONLY'],
  },
  {
    host: { ...UBUNTU, python: '3.10.12', avx: false },
    framework: 'paddle',
    cuda: 'cpu',
    refused: ['ERR_FERRY_VARIANT_NO_AVX'],
  },
  {
    host: { ...CENTOS7, python: '3.9.18', driver: '470.82.01' },
    framework: 'torch',
    cuda: '11.8',
    version: '2.6.0',
    refused: ['ERR_FERRY_VARIANT_DRIVER_TOO_OLD'],
  },
  {
    host: { ...UBUNTU, python: '3.10.12' },
    framework: 'paddle',
    cuda: '11.8',
    refused: ['ERR_FERRY_VARIANT_NO_DRIVER'],
  },
];

const title = (c: Case): string =>
  `${c.host.os} ${c.host.arch ?? 'x86_64'} py${c.host.python} driver ${c.host.driver ?? 'none'}` +
  `${c.host.gpus ? ` sm ${c.host.gpus.join(',')}` : ''}: ${c.framework} --cuda ${c.cuda}` +
  `${c.version ? ` --framework-version ${c.version}` : ''} → ${c.pin ?? c.refused?.join('+')}`;

function choose(c: Case, availability: Availability = AVAILABILITY) {
  return explainChoice({
    framework: c.framework,
    cuda: c.cuda,
    profile: hostProfile(c.host),
    availability,
    ...(c.version === undefined ? {} : { version: c.version }),
  });
}

describe('the chooser on 30+ target profiles', () => {
  it('has at least 30 profiles', () => assert.ok(CASES.length >= 30, `${CASES.length}`));
  for (const c of CASES) {
    it(title(c), () => {
      const got = choose(c);
      if (c.pin !== undefined) {
        assert.ok('choice' in got, JSON.stringify(got));
        const choice = got.choice;
        assert.equal(choice.requirement, c.pin);
        assert.equal(choice.index, url(c.index as string));
        // The pin names a file the index holds for the target.
        assert.ok(choice.file, `no file for ${choice.requirement}: ${choice.notes.join(' | ')}`);
        const wheel = parseWheelFilename(choice.file);
        assert.equal(wheel.version, choice.version);
        if (c.note)
          assert.ok(
            choice.notes.some((n) => c.note?.test(n)),
            choice.notes.join(' | '),
          );
        if (c.noNote)
          assert.ok(!choice.notes.some((n) => c.noNote?.test(n)), choice.notes.join(' | '));
      } else {
        assert.ok(!('choice' in got), `chose ${'choice' in got ? got.choice.requirement : ''}`);
        assert.deepEqual([...new Set(got.problems.map((p) => p.code))].sort(), c.refused);
        for (const p of got.problems) assert.ok(p.fix.length > 0, p.problem);
      }
    });
  }
});

describe('every pinned file exists on a local index with the vendor layout', () => {
  const servers = new Map<string, LocalIndex>();
  const pinned = CASES.filter((c) => c.pin !== undefined).map((c) => {
    const got = choose(c);
    assert.ok('choice' in got);
    return { c, choice: got.choice };
  });
  before(async () => {
    // One local index per table index (and one for the configured index), each holding the
    // pinned wheels under their real names.
    const byIndex = new Map<string, VariantChoice[]>();
    for (const { choice } of pinned)
      byIndex.set(choice.index, [...(byIndex.get(choice.index) ?? []), choice]);
    for (const [index, choices] of byIndex) {
      const dists = [...new Set(choices.map((ch) => ch.file as string))].map((file) => {
        const w = parseWheelFilename(file);
        const tag = file.slice(0, -'.whl'.length).split('-').slice(-3).join('-');
        return { name: w.name, version: w.version, tag };
      });
      servers.set(index, await startLocalIndex(dists));
    }
  });
  after(async () => {
    for (const s of servers.values()) await s.close();
  });

  it('discovery reads each index through the index client and the same pins follow', async () => {
    const redirect = (index: string) => servers.get(index)?.url;
    const defaultServer = servers.get('default');
    assert.ok(defaultServer);
    const list = indexListFiles({
      configured: async () =>
        indexConfigFromPip({
          indexUrl: defaultServer.url,
          extraIndexUrls: [],
          findLinks: [],
          noIndex: false,
          sources: [],
        }),
      redirect,
    });
    let checked = 0;
    for (const { c, choice } of pinned) {
      const discovery = new AvailabilityDiscovery(list);
      await discovery.learn(choice.index, choice.project);
      const again = choose(c, discovery.availability);
      assert.ok('choice' in again, `${title(c)}: ${JSON.stringify(again)}`);
      assert.equal(again.choice.requirement, choice.requirement);
      assert.equal(again.choice.file, choice.file);
      const server = servers.get(choice.index) as LocalIndex;
      const response = await fetch(`${server.url.replace(/\/simple$/, '')}/files/${choice.file}`);
      assert.equal(response.status, 200, `${choice.file} on ${server.url}`);
      await response.arrayBuffer();
      checked++;
    }
    assert.ok(checked >= 20, `${checked}`);
  });
});

describe('an unreachable vendor index', () => {
  it('is replaced by the configured indexes when they hold the same build, naming the URL', async () => {
    const findLinks = await startLocalIndex([
      { name: 'torch', version: '2.13.0+cpu', tag: 'cp311-cp311-manylinux_2_28_x86_64' },
    ]);
    try {
      const events: string[] = [];
      const discovery = new AvailabilityDiscovery(
        indexListFiles({
          configured: async () =>
            indexConfigFromPip({
              indexUrl: findLinks.url,
              extraIndexUrls: [],
              findLinks: [],
              noIndex: false,
              sources: [],
            }),
          // Nothing listens on port 9 of 127.0.0.1.
          redirect: () => 'http://127.0.0.1:9/whl/cpu',
        }),
        (e) => {
          if (e.type === 'warning') events.push(e.message);
        },
      );
      const profile = hostProfile({ ...UBUNTU, python: '3.11.9' });
      const opts = { framework: 'torch', cuda: 'cpu', profile };
      let choice = chooseVariant({ ...opts, availability: discovery.availability });
      while (await discovery.learn(choice.index, choice.project))
        choice = chooseVariant({ ...opts, availability: discovery.availability });
      assert.equal(choice.requirement, 'torch==2.13.0+cpu');
      assert.equal(choice.index, 'default');
      assert.equal(choice.file, 'torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl');
      assert.ok(choice.notes.some((n) => n.includes(`${url('pytorch-cpu')} could not be reached`)));
      assert.ok(
        events.some((m) => m.includes(url('pytorch-cpu'))),
        events.join(' | '),
      );
    } finally {
      await findLinks.close();
    }
  });

  it('uses the recorded availability, with its date, when the index cannot be reached', async () => {
    const cu130 = url('pytorch-cu130');
    const recorded: Availability = {
      lists: new Map([
        [
          availabilityKey(cu130, 'torch'),
          {
            index: cu130,
            project: 'torch',
            files: ['torch-2.14.1+cu130-cp312-cp312-manylinux_2_28_x86_64.whl'],
            origin: 'recorded',
            recorded: '2026-11-02',
          },
        ],
      ]),
      unreachable: new Map(),
      configured: new Map(),
    };
    const warnings: string[] = [];
    const discovery = new AvailabilityDiscovery(
      indexListFiles({
        configured: async () =>
          indexConfigFromPip({
            indexUrl: 'http://127.0.0.1:9/simple',
            extraIndexUrls: [],
            findLinks: [],
            noIndex: false,
            sources: [],
          }),
        redirect: () => 'http://127.0.0.1:9/whl/cu130',
      }),
      (e) => {
        if (e.type === 'warning') warnings.push(e.message);
      },
      recorded,
    );
    // The configured index is unreachable too: only the recording says what exists.
    await discovery.learn(cu130, 'torch').catch(() => undefined);
    const choice = chooseVariant({
      framework: 'torch',
      cuda: '13.0',
      profile: hostProfile({ ...RHEL9, python: '3.12.1', driver: '580.65.06' }),
      availability: discovery.availability,
    });
    assert.equal(choice.requirement, 'torch==2.14.1+cu130');
    assert.equal(choice.file, 'torch-2.14.1+cu130-cp312-cp312-manylinux_2_28_x86_64.whl');
    assert.ok(
      warnings.some((w) => w.startsWith(`using availability recorded on 2026-11-02 for ${cu130}:`)),
      warnings.join(' | '),
    );
    assert.ok(
      choice.notes.some((n) => n.includes('availability recorded on 2026-11-02')),
      choice.notes.join(' | '),
    );
  });

  it('without the build on the configured indexes, refuses and says what they have', () => {
    const base = recordedAvailability();
    const availability: Availability = {
      ...base,
      unreachable: new Map([[url('pytorch-cpu'), 'getaddrinfo ENOTFOUND']]),
      configured: new Map([['torch', ['torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl']]]),
    };
    const got = explainChoice({
      framework: 'torch',
      cuda: 'cpu',
      version: '2.13.0',
      profile: hostProfile({ ...UBUNTU, python: '3.11.9' }),
      availability,
    });
    assert.ok(!('choice' in got));
    assert.equal(got.code, 'ERR_FERRY_VARIANT_UNPUBLISHED');
    assert.match(got.problems[0]?.problem ?? '', /could not be reached/);
    assert.match(got.problems[0]?.problem ?? '', /configured indexes have: torch 2\.13\.0/);
  });
});

describe('accelerator builds', () => {
  it('torch-npu is locked with the torch release it was built for', () => {
    const choice = chooseVariant({
      framework: 'torch',
      cuda: 'npu',
      profile: hostProfile({ ...KYLIN, python: '3.11.6' }),
      availability: AVAILABILITY,
    });
    assert.deepEqual(choice.alsoRequires, ['torch==2.14.0']);
  });
  it('a framework with no wheel index for an accelerator is refused with the vendor channel', () => {
    const got = explainChoice({
      framework: 'torch',
      cuda: 'dcu',
      profile: hostProfile({ ...UBUNTU, python: '3.10.12' }),
      availability: AVAILABILITY,
    });
    assert.ok(!('choice' in got));
    assert.match(got.problems[0]?.problem ?? '', /no Hygon \(海光\) DCU build of PyTorch/);
    assert.match(got.problems[0]?.fix ?? '', /developer\.hpccube\.com/);
  });
});
