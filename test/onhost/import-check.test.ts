/**
 * The import check imports what users import, in their order: the framework first, then the
 * other top-level modules; a plugin the framework loads itself is not imported by hand, and a
 * plugin's double registration does not fail the install. Hermetic: fake distributions written
 * straight into a venv made with --without-pip, shaped like TensorFlow 2.17's closure (a
 * tensorflow that has the "gs" file system built in, tensorflow-io-gcs-filesystem registering
 * it again).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IMPORTS_CHECK } from '../../src/onhost/smoke/checks.js';
import { type ImportResult, runSmokeChecks } from '../../src/onhost/smoke/run-smoke.js';
import { tempDir } from '../cli/run-cli.js';

const python = process.env.FERRY_PYTHON ?? 'python3';

interface Dist {
  readonly name: string;
  readonly version: string;
  /** module path (e.g. 'tensorflow/__init__.py') → source */
  readonly files: Record<string, string>;
}

/** A venv with these distributions installed as pip would leave them (dist-info, RECORD). */
function venvWith(dists: readonly Dist[]): string {
  const dir = tempDir('ferry-imports-');
  const venv = join(dir, 'venv');
  const made = spawnSync(python, ['-m', 'venv', '--without-pip', venv]);
  assert.equal(made.status, 0, made.stderr.toString());
  const site = spawnSync(join(venv, 'bin', 'python'), [
    '-c',
    'import sysconfig; print(sysconfig.get_paths()["purelib"])',
  ])
    .stdout.toString()
    .trim();
  for (const d of dists) {
    const info = join(site, `${d.name.replace(/-/g, '_')}-${d.version}.dist-info`);
    mkdirSync(info, { recursive: true });
    const record: string[] = [];
    for (const [path, text] of Object.entries(d.files)) {
      mkdirSync(join(site, path, '..'), { recursive: true });
      writeFileSync(join(site, path), text);
      record.push(`${path},,`);
    }
    writeFileSync(
      join(info, 'METADATA'),
      `Metadata-Version: 2.1\nName: ${d.name}\nVersion: ${d.version}\n`,
    );
    record.push(`${info.slice(site.length + 1)}/METADATA,,`);
    writeFileSync(join(info, 'RECORD'), `${record.join('\n')}\n`);
  }
  return join(venv, 'bin', 'python');
}

// A framework with a registry of file systems, "gs" built in, as TensorFlow has.
const tensorflow: Dist = {
  name: 'tensorflow-cpu',
  version: '2.17.1',
  files: {
    'tensorflow/__init__.py': [
      'class AlreadyExistsError(Exception):',
      '    pass',
      '_file_systems = {"gs"}',
      'def register_file_system(scheme):',
      '    if scheme in _file_systems:',
      '        raise AlreadyExistsError("File system for %s already registered" % scheme)',
      '    _file_systems.add(scheme)',
      '__version__ = "2.17.1"',
      '',
    ].join('\n'),
  },
};
const gcsPlugin: Dist = {
  name: 'tensorflow-io-gcs-filesystem',
  version: '0.37.1',
  files: {
    'tensorflow_io_gcs_filesystem/__init__.py':
      'import tensorflow\ntensorflow.register_file_system("gs")\n',
  },
};
// Another plugin that double-registers (not in ferry's list of known plugins).
const otherPlugin: Dist = {
  name: 'tf-extra-ops',
  version: '1.0',
  files: {
    'tf_extra_ops/__init__.py': 'import tensorflow\ntensorflow.register_file_system("gs")\n',
  },
};
// Sorts before "tensorflow"; users import it after the framework, and so does the check.
const absl: Dist = {
  name: 'absl-py',
  version: '2.1.0',
  files: { 'absl/__init__.py': '' },
};

const importsOf = (data: Record<string, unknown> | undefined): ImportResult[] =>
  (data?.imports as ImportResult[] | undefined) ?? [];

describe('import check: what users import, in their order', () => {
  it('imports the framework first and passes a TensorFlow closure whose gcs plugin registers gs again', async () => {
    const venvPython = venvWith([absl, tensorflow, gcsPlugin, otherPlugin]);
    const [result] = await runSmokeChecks(venvPython, [IMPORTS_CHECK]);
    assert.ok(result);
    assert.equal(result.outcome, 'passed', result.detail);
    const imports = importsOf(result.data);
    assert.deepEqual(
      imports.map((i) => [i.module, i.status]),
      [
        ['tensorflow', 'ok'],
        ['absl', 'ok'],
        ['tensorflow_io_gcs_filesystem', 'plugin'],
        ['tf_extra_ops', 'already-registered'],
      ],
    );
    assert.match(result.detail, /tensorflow_io_gcs_filesystem \(plugin\)/);
  });

  it('still fails on a module that does not import', async () => {
    const broken: Dist = {
      name: 'broken',
      version: '1.0',
      files: { 'broken/__init__.py': 'import no_such_module_here\n' },
    };
    const venvPython = venvWith([tensorflow, gcsPlugin, broken]);
    const [result] = await runSmokeChecks(venvPython, [IMPORTS_CHECK]);
    assert.equal(result?.outcome, 'failed');
    assert.match(result?.detail ?? '', /broken \(broken\): ModuleNotFoundError/);
    assert.doesNotMatch(result?.detail ?? '', /tensorflow_io_gcs_filesystem/);
  });

  it('does not excuse a double registration when the framework itself failed to import', async () => {
    const badFramework: Dist = {
      name: 'tensorflow-cpu',
      version: '2.17.1',
      files: {
        'tensorflow/__init__.py': 'raise RuntimeError("Op with name X already registered")\n',
      },
    };
    const venvPython = venvWith([badFramework, gcsPlugin]);
    const [result] = await runSmokeChecks(venvPython, [IMPORTS_CHECK]);
    assert.equal(result?.outcome, 'failed');
    assert.match(result?.detail ?? '', /tensorflow \(tensorflow-cpu\): RuntimeError/);
  });
});
