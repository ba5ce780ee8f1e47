import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FerryError } from '../../src/core/errors.js';
import { chooseVariant } from '../../src/frameworks/choose.js';
import { frameworkForPin } from '../../src/frameworks/framework-request.js';
import { loadFrameworkTable } from '../../src/frameworks/table.js';
import { parseTargetProfile, type TargetProfile } from '../../src/host/profile.js';
import { parseRequirement } from '../../src/standards/requirement.js';

const profile = (name: string): TargetProfile =>
  parseTargetProfile(
    readFileSync(new URL(`../fixtures/profiles/${name}.json`, import.meta.url), 'utf8'),
    `${name}.json`,
  );

const PADDLE = 'https://www.paddlepaddle.org.cn/packages/stable/';
const TORCH = 'https://download.pytorch.org/whl/';

interface Ok {
  readonly host: string;
  readonly framework: string;
  readonly cuda: string;
  readonly version?: string;
  readonly minorCompat?: boolean;
  readonly requirement: string;
  readonly index: string;
  readonly chosenCuda: string;
  readonly python?: string;
  readonly constraints?: readonly string[];
  readonly note?: string;
}

const choices: Ok[] = [
  {
    host: 'centos7-470-py38',
    framework: 'paddle',
    cuda: 'auto',
    requirement: 'paddlepaddle-gpu==2.6.2.post112',
    index: `${PADDLE}cu112/`,
    chosenCuda: '11.2',
    python: '3.8',
    constraints: ['protobuf<=3.20.3'],
    note: 'PaddlePaddle 3.3.1 has no CUDA build for this target',
  },
  {
    host: 'ubuntu2204-535-py310',
    framework: 'paddlepaddle',
    cuda: 'auto',
    requirement: 'paddlepaddle-gpu==3.3.1',
    index: `${PADDLE}cu118/`,
    chosenCuda: '11.8',
    constraints: [],
  },
  {
    host: 'ubuntu2204-535-py310',
    framework: 'paddle',
    cuda: 'auto',
    version: '2.6',
    requirement: 'paddlepaddle-gpu==2.6.2.post120',
    index: `${PADDLE}cu120/`,
    chosenCuda: '12.0',
  },
  {
    host: 'ubuntu2204-525-py310',
    framework: 'paddle',
    cuda: 'auto',
    version: '2.6.2',
    requirement: 'paddlepaddle-gpu==2.6.2.post120',
    index: `${PADDLE}cu120/`,
    chosenCuda: '12.0',
  },
  {
    host: 'ubuntu2204-525-py310',
    framework: 'paddle',
    cuda: '11.8',
    version: '2.6.2',
    requirement: 'paddlepaddle-gpu==2.6.2',
    index: 'default',
    chosenCuda: '11.8',
  },
  {
    host: 'ubuntu2204-535-py310',
    framework: 'torch',
    cuda: 'auto',
    requirement: 'torch==2.7.1+cu118',
    index: `${TORCH}cu118`,
    chosenCuda: '11.8',
  },
  {
    host: 'openeuler2203-550-py311',
    framework: 'pytorch',
    cuda: 'auto',
    requirement: 'torch==2.7.1+cu118',
    index: `${TORCH}cu118`,
    chosenCuda: '11.8',
    python: '3.11',
  },
  {
    host: 'rhel9-580-py312',
    framework: 'paddle',
    cuda: 'auto',
    requirement: 'paddlepaddle-gpu==3.3.1',
    index: `${PADDLE}cu130/`,
    chosenCuda: '13.0',
  },
  {
    host: 'rhel9-580-py312',
    framework: 'torch',
    cuda: 'auto',
    requirement: 'torch==2.15.0+cu130',
    index: `${TORCH}cu130`,
    chosenCuda: '13.0',
  },
  {
    host: 'rhel9-580-py312',
    framework: 'tensorflow',
    cuda: 'auto',
    requirement: 'tensorflow[and-cuda]==2.21.0',
    index: 'default',
    chosenCuda: '12.5',
  },
  {
    host: 'cpu-only-py39',
    framework: 'paddle',
    cuda: 'auto',
    requirement: 'paddlepaddle==3.3.1',
    index: 'default',
    chosenCuda: 'cpu',
    note: 'No NVIDIA driver found',
  },
  {
    host: 'cpu-only-py39',
    framework: 'paddle',
    cuda: 'cpu',
    version: '2.6.2',
    requirement: 'paddlepaddle==2.6.2',
    index: 'default',
    chosenCuda: 'cpu',
    constraints: ['protobuf<=3.20.3'],
  },
  {
    host: 'cpu-only-py39',
    framework: 'torch',
    cuda: 'cpu',
    requirement: 'torch==2.8.0+cpu',
    index: `${TORCH}cpu`,
    chosenCuda: 'cpu',
  },
  {
    host: 'cpu-only-py39',
    framework: 'tensorflow',
    cuda: 'cpu',
    requirement: 'tensorflow-cpu==2.20.0',
    note: 'Python 3.9 is older than TensorFlow 2.21.0 supports',
    index: 'default',
    chosenCuda: 'cpu',
  },
  {
    host: 'kylin-v10-aarch64-py39',
    framework: 'paddle',
    cuda: 'auto',
    // PyPI has paddlepaddle aarch64 wheels only for 3.0.0–3.2.2.
    requirement: 'paddlepaddle==3.2.2',
    index: 'default',
    chosenCuda: 'cpu',
    python: '3.9',
    note: 'Built for /usr/local/bin/python3.9',
  },
  {
    host: 'kylin-v10-aarch64-py39',
    framework: 'torch',
    cuda: 'auto',
    requirement: 'torch==2.8.0',
    index: 'default',
    chosenCuda: 'cpu',
  },
  {
    host: 'uos-noavx-py38',
    framework: 'torch',
    cuda: 'cpu',
    requirement: 'torch==2.4.1+cpu',
    index: `${TORCH}cpu`,
    chosenCuda: 'cpu',
    python: '3.8',
  },
  {
    host: 'centos7-520-py39',
    framework: 'torch',
    cuda: 'auto',
    requirement: 'torch==2.6.0+cu118',
    index: `${TORCH}cu118`,
    chosenCuda: '11.8',
  },
  {
    host: 'centos7-520-py39',
    framework: 'torch',
    cuda: 'cu118',
    version: '2.4.1',
    requirement: 'torch==2.4.1+cu118',
    index: `${TORCH}cu118`,
    chosenCuda: '11.8',
  },
  {
    host: 'fedora-545-py313',
    framework: 'paddle',
    cuda: 'auto',
    // Paddle 3 has no stable cu123 build: driver 545 (CUDA ≤ 12.3) gets the cu118 build.
    requirement: 'paddlepaddle-gpu==3.3.1',
    index: `${PADDLE}cu118/`,
    chosenCuda: '11.8',
    python: '3.13',
  },
  {
    host: 'ubuntu2004-450-py38',
    framework: 'paddle',
    cuda: '11.2',
    version: '2.6.2',
    minorCompat: true,
    requirement: 'paddlepaddle-gpu==2.6.2.post112',
    index: `${PADDLE}cu112/`,
    chosenCuda: '11.2',
    note: 'minor-version compatibility',
  },
  {
    host: 'no-cpuinfo-560-py310',
    framework: 'paddle',
    cuda: 'auto',
    requirement: 'paddlepaddle-gpu==3.3.1',
    index: `${PADDLE}cu126/`,
    chosenCuda: '12.6',
  },
  {
    host: 'centos7-418-py38',
    framework: 'paddle',
    cuda: 'auto',
    requirement: 'paddlepaddle==2.6.2',
    index: 'default',
    chosenCuda: 'cpu',
    note: 'driver 418.87.01 is older than any CUDA 11 release needs',
  },
  {
    host: 'openeuler2003-aarch64-gpu-py39',
    framework: 'paddle',
    cuda: 'auto',
    requirement: 'paddlepaddle==3.2.2',
    index: 'default',
    chosenCuda: 'cpu',
    note: "ferry's table has no CUDA build of PaddlePaddle 3.2.2 for linux aarch64",
  },
];

interface Refusal {
  readonly host: string;
  readonly framework: string;
  readonly cuda: string;
  readonly version?: string;
  readonly code: string;
  readonly message: string;
  readonly hint?: RegExp;
}

const refusals: Refusal[] = [
  {
    host: 'centos7-470-py38',
    framework: 'paddle',
    cuda: '11.8',
    version: '2.6.2',
    code: 'ERR_FERRY_VARIANT_DRIVER_TOO_OLD',
    message: 'driver 470.82.01 supports CUDA ≤ 11.4; the CUDA 11.8 build needs driver ≥ 520.61.05',
    hint: /driver ≥ 520\.61\.05.*--framework-version 2\.6\.2 --cuda 11\.2/,
  },
  {
    host: 'centos7-470-py38',
    framework: 'torch',
    cuda: '11.8',
    code: 'ERR_FERRY_VARIANT_DRIVER_TOO_OLD',
    message: 'driver 470.82.01 supports CUDA ≤ 11.4; the CUDA 11.8 build needs driver ≥ 520.61.05',
  },
  {
    host: 'ubuntu2004-450-py38',
    framework: 'paddle',
    cuda: '11.2',
    version: '2.6.2',
    code: 'ERR_FERRY_VARIANT_DRIVER_TOO_OLD',
    message: 'driver 450.80.02 supports CUDA ≤ 11.0; the CUDA 11.2 build needs driver ≥ 460.27.03',
  },
  {
    host: 'cpu-only-py39',
    framework: 'paddle',
    cuda: '11.8',
    code: 'ERR_FERRY_VARIANT_NO_DRIVER',
    message:
      'the target has no NVIDIA driver (no /proc/driver/nvidia/version, no nvidia-smi); a CUDA 11.8 build cannot run there',
    hint: /driver ≥ 520\.61\.05.*--cuda cpu/,
  },
  {
    host: 'kylin-v10-aarch64-py39',
    framework: 'paddle',
    cuda: '11.8',
    code: 'ERR_FERRY_VARIANT_ARCH',
    message:
      "ferry's table has no CUDA build of PaddlePaddle 3.2.2 for linux aarch64, only the CPU build",
    hint: /--cuda cpu/,
  },
  {
    host: 'kylin-v10-aarch64-py37',
    framework: 'paddle',
    cuda: 'auto',
    code: 'ERR_FERRY_VARIANT_PYTHON',
    message:
      "no PaddlePaddle release in ferry's table supports the target's Python 3.7.9 (3: 3.9–3.13, 2.6: 3.8–3.12)",
  },
  {
    host: 'kylin-v10-aarch64-py37',
    framework: 'paddle',
    cuda: 'cpu',
    version: '2.6.2',
    code: 'ERR_FERRY_VARIANT_PYTHON',
    message: 'PaddlePaddle 2.6.2 supports Python 3.8–3.12; the target has Python 3.7.9',
    hint: /Install a Python 3\.8–3\.12/,
  },
  {
    host: 'uos-noavx-py38',
    framework: 'paddle',
    cuda: 'auto',
    code: 'ERR_FERRY_VARIANT_NO_AVX',
    message:
      "PaddlePaddle 2.6.2 wheels need a CPU with AVX; the target's CPU (fixture CPU) has none",
  },
  {
    host: 'uos-noavx-py38',
    framework: 'paddlepaddle',
    cuda: 'cpu',
    version: '2.6.2',
    code: 'ERR_FERRY_VARIANT_NO_AVX',
    message:
      "PaddlePaddle 2.6.2 wheels need a CPU with AVX; the target's CPU (fixture CPU) has none",
  },
  {
    host: 'loongarch-uos-py38',
    framework: 'paddle',
    cuda: 'cpu',
    code: 'ERR_FERRY_VARIANT_SOURCE_ONLY',
    message:
      'PaddlePaddle publishes no wheels for LoongArch (linux loongarch64): source builds only',
  },
  {
    host: 'centos7-520-py39',
    framework: 'torch',
    cuda: '11.8',
    version: '2.7.1',
    code: 'ERR_FERRY_VARIANT_GLIBC',
    message: "PyTorch 2.7.1 CUDA 11.8 wheels are manylinux_2_28 only; the target's glibc is 2.17",
    hint: /glibc ≥ 2\.28/,
  },
  {
    host: 'alpine-musl-py311',
    framework: 'paddle',
    cuda: 'cpu',
    code: 'ERR_FERRY_VARIANT_MUSL',
    message: 'PaddlePaddle publishes no musllinux wheels; the target uses musl libc',
  },
  {
    host: 'rhel9-580-py312',
    framework: 'paddle',
    cuda: '11.2',
    version: '3.2.0',
    code: 'ERR_FERRY_VARIANT_UNKNOWN',
    message: 'PaddlePaddle 3.2.0 has no CUDA 11.2 build (builds: 12.9, 12.6, 11.8, cpu)',
  },
  {
    host: 'rhel9-580-py312',
    framework: 'paddle',
    cuda: 'cpu',
    version: '2.5.2',
    code: 'ERR_FERRY_VARIANT_UNKNOWN',
    message:
      "PaddlePaddle 2.5.2 is not in ferry's variant table (known: 3.0.0, 3.1.0, 3.1.1, 3.2.0, 3.2.1, 3.2.2, 3.3.0, 3.3.1, 2.6.2)",
  },
  {
    host: 'rhel9-580-py312',
    framework: 'mxnet',
    cuda: 'cpu',
    code: 'ERR_FERRY_VARIANT_UNKNOWN',
    message: 'ferry has no variant table for "mxnet"',
  },
];

describe('loadFrameworkIndexes (what every lock reads of the table)', () => {
  /** Runs loadFrameworkIndexes in a fresh process (the table is cached per process). */
  const indexesWith = (table: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-table-'));
    try {
      writeFileSync(join(dir, 'frameworks.json'), JSON.stringify(table));
      const code =
        "import('./src/frameworks/table.ts').then((m) => { try { console.log(JSON.stringify(m.loadFrameworkIndexes())); } catch (e) { console.error(e.message); process.exitCode = 3; } })";
      return spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
        encoding: 'utf8',
        env: { ...process.env, FERRY_FRAMEWORKS: join(dir, 'frameworks.json') },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const table = JSON.parse(readFileSync('data/frameworks.json', 'utf8'));

  it("gives the table's indexes and checks only them; a bad one names the file", () => {
    // Series that do not fit are --framework's business (loadFrameworkTable refuses them).
    const loose = indexesWith({ ...table, series: [{ framework: 'nonsense' }] });
    assert.equal(loose.status, 0, loose.stderr);
    assert.deepEqual(JSON.parse(loose.stdout), table.indexes);
    const bad = indexesWith({ ...table, indexes: { pytorch: 'not a url' } });
    assert.equal(bad.status, 3);
    assert.match(bad.stderr, /frameworks\.json: .*indexes\.pytorch/);
  });
});

describe('chooseVariant', () => {
  it('loads and validates data/frameworks.json', () => {
    const table = loadFrameworkTable();
    assert.ok(table.series.length >= 6);
    for (const s of table.series)
      for (const v of s.variants)
        assert.ok(v.from.length > 0, `${s.framework} ${s.series} ${v.cuda} cites no source`);
  });

  for (const c of choices) {
    it(`${c.host}: ${c.framework} --cuda ${c.cuda}${c.version ? ` ${c.version}` : ''} → ${c.requirement}`, () => {
      const got = chooseVariant({
        framework: c.framework,
        cuda: c.cuda,
        version: c.version,
        profile: profile(c.host),
        allowMinorVersionCompat: c.minorCompat,
      });
      assert.equal(got.requirement, c.requirement);
      assert.equal(got.index, c.index);
      assert.equal(got.cuda, c.chosenCuda);
      if (c.python !== undefined) assert.equal(got.python, c.python);
      if (c.constraints !== undefined) assert.deepEqual(got.constraints, c.constraints);
      if (c.note !== undefined)
        assert.ok(
          got.notes.some((n) => n.includes(c.note as string)),
          JSON.stringify(got.notes),
        );
      assert.match(got.requirement, /==/, 'pins are exact');
    });
  }

  for (const r of refusals) {
    it(`${r.host}: ${r.framework} --cuda ${r.cuda}${r.version ? ` ${r.version}` : ''} is refused (${r.code})`, () => {
      assert.throws(
        () =>
          chooseVariant({
            framework: r.framework,
            cuda: r.cuda,
            version: r.version,
            profile: profile(r.host),
          }),
        (e: unknown) => {
          assert.ok(e instanceof FerryError);
          assert.equal(e.code, r.code);
          assert.equal(e.message, r.message);
          assert.ok(e.hint !== undefined && e.hint.length > 0);
          if (r.hint !== undefined) assert.match(e.hint, r.hint);
          return true;
        },
      );
    });
  }
});

describe('refusals: every reason at once, hints that work', () => {
  it('a target that misfits in several ways hears every reason at once, each with its fix', () => {
    assert.throws(
      () =>
        chooseVariant({
          framework: 'paddle',
          cuda: '11.8',
          profile: profile('kylin-v10-aarch64-py37'),
        }),
      (e: unknown) => {
        assert.ok(e instanceof FerryError);
        const problems = (e.details?.problems ?? []) as { code: string; fix: string }[];
        assert.deepEqual(problems.map((p) => p.code).sort(), [
          'ERR_FERRY_VARIANT_ARCH',
          'ERR_FERRY_VARIANT_PYTHON',
        ]);
        assert.match(e.message, /2 reasons/);
        assert.match(e.message, /Python 3\.7\.9/);
        assert.match(e.message, /no CUDA build of PaddlePaddle \S+ for linux aarch64/);
        for (const p of problems) assert.ok(e.message.includes(`fix: ${p.fix}`), e.message);
        return true;
      },
    );
  });

  const hosts = readdirSync(new URL('../fixtures/profiles/', import.meta.url)).map((f) =>
    f.replace(/\.json$/, ''),
  );
  it('every build a hint names is one the chooser accepts for that target (no dead ends)', () => {
    let refusalsSeen = 0;
    let hintsFollowed = 0;
    for (const host of hosts) {
      for (const framework of ['paddle', 'torch', 'tensorflow']) {
        for (const cuda of [
          'auto',
          'cpu',
          '11.2',
          '11.4',
          '11.8',
          '12.1',
          '12.3',
          '12.6',
          '13.0',
        ]) {
          const p = profile(host);
          let error: unknown;
          try {
            chooseVariant({ framework, cuda, profile: p });
          } catch (e) {
            error = e;
          }
          if (error === undefined) continue;
          assert.ok(error instanceof FerryError, String(error));
          refusalsSeen++;
          const hint = error.hint ?? '';
          assert.doesNotMatch(hint, /or older/, `${host} ${framework} ${cuda}: ${hint}`);
          for (const m of hint.matchAll(/--framework-version (\S+) --cuda (\S+)/g)) {
            const [, version, build] = m as unknown as [string, string, string];
            const got = chooseVariant({ framework, cuda: build, version, profile: p });
            assert.equal(got.cuda, build, `${host} ${framework}: hint ${m[0]}`);
            hintsFollowed++;
          }
        }
      }
    }
    assert.ok(refusalsSeen > 20 && hintsFollowed > 10, `${refusalsSeen} / ${hintsFollowed}`);
  });

  it('driver 470 is pointed at a CUDA build the table has and the driver runs, never at 11.4', () => {
    assert.throws(
      () =>
        chooseVariant({ framework: 'paddle', cuda: '11.8', profile: profile('centos7-470-py38') }),
      (e: unknown) => {
        assert.ok(e instanceof FerryError);
        assert.doesNotMatch(e.hint ?? '', /--cuda 11\.4/);
        assert.match(
          e.hint ?? '',
          /--framework-version 2\.6\.2 --cuda 11\.2 \(paddlepaddle-gpu==2\.6\.2\.post112\)/,
        );
        return true;
      },
    );
    // PyTorch has no CUDA build this driver runs: the hint names only what does run.
    assert.throws(
      () =>
        chooseVariant({ framework: 'torch', cuda: '11.8', profile: profile('centos7-470-py38') }),
      (e: unknown) => {
        assert.ok(e instanceof FerryError);
        assert.doesNotMatch(e.hint ?? '', /--cuda (?!cpu)\d/);
        assert.match(e.hint ?? '', /--cuda cpu/);
        return true;
      },
    );
  });

  it('a CPU build carries none of the series notes about CUDA builds', () => {
    for (const host of ['cpu-only-py39', 'ubuntu2204-535-py310']) {
      for (const framework of ['paddle', 'torch', 'tensorflow']) {
        const got = chooseVariant({ framework, cuda: 'cpu', profile: profile(host) });
        assert.equal(got.cuda, 'cpu');
        assert.deepEqual(
          got.notes.filter((n) => /CUDA|nvidia|GPU|-gpu/i.test(n)),
          [],
          `${host} ${framework}: ${got.notes.join(' | ')}`,
        );
      }
    }
    const gpu = chooseVariant({
      framework: 'paddle',
      cuda: '11.8',
      profile: profile('ubuntu2204-535-py310'),
    });
    assert.ok(
      gpu.notes.some((n) => /nvidia-\*/.test(n)),
      gpu.notes.join(' | '),
    );
  });
});

describe('frameworkForPin', () => {
  const pin = (text: string) => frameworkForPin(parseRequirement(text));
  it('turns a hand-pinned Paddle or PyTorch CUDA build into the --framework flags', () => {
    assert.equal(
      pin('paddlepaddle-gpu==2.6.0.post118')?.flags,
      '--framework paddle --framework-version 2.6.2 --cuda 11.8',
    );
    assert.match(pin('paddlepaddle-gpu==2.6.0.post118')?.note ?? '', /2\.6\.0 is not in/);
    const torch = pin('torch==2.1.2+cu118');
    assert.equal(torch?.flags, '--framework torch --framework-version 2.1.2 --cuda 11.8');
    assert.equal(torch?.note, undefined);
    assert.equal(torch?.requirement, 'torch==2.1.2+cu118');
    assert.equal(pin('paddlepaddle-gpu==2.6.2.post112')?.index, `${PADDLE}cu112/`);
  });

  it('leaves other requirements alone', () => {
    for (const text of [
      'paddlepaddle-gpu==2.6.2',
      'torch==2.1.2',
      'numpy==1.0.post118',
      'paddlepaddle-gpu>=2.6.2.post118',
      'torch==9.9.9+cu118',
    ])
      assert.equal(pin(text), undefined, text);
  });
});
