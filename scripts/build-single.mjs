// Writes dist/ferry.mjs: ferry as one file that runs with Node >= 20 and nothing beside it (no
// node_modules, no src/, no data/). esbuild bundles src/cli/main.ts and its packages into one
// CommonJS program (node: builtins stay requires), which rides in the closing comment of a
// short ES module, scripts/single-file-loader.mjs, that compiles it with V8's code cache. The files ferry reads at run time (the Python scripts, the data
// tables, the version) are embedded by replacing src/core/embedded-assets.ts with their text;
// src/core/assets.ts explains how they are read back. The commands' dynamic imports stay lazy:
// in one file each becomes a module initialiser that runs on first use.
//
// Usage: node scripts/build-single.mjs [--outfile PATH]
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** Every file ferry reads at run time, by repository path (POSIX separators). */
export function runtimeAssets() {
  const assets = {};
  const add = (path) => {
    assets[relative(root, path).split(sep).join('/')] = readFileSync(path, 'utf8');
  };
  add(join(root, 'src', 'host', 'probe.py'));
  add(join(root, 'src', 'bundle', 'install-template.py'));
  for (const name of readdirSync(join(root, 'src', 'onhost', 'smoke')).sort())
    if (name.endsWith('.py')) add(join(root, 'src', 'onhost', 'smoke', name));
  for (const name of readdirSync(join(root, 'data')).sort())
    if (name.endsWith('.json')) add(join(root, 'data', name));
  // Only what ferry reads of package.json: no scripts or dependency ranges in the tool.
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assets['package.json'] = JSON.stringify({ name: pkg.name, version: pkg.version });
  return assets;
}

const CYCLONEDX_OPTIONAL = [
  'ajv',
  'ajv-formats',
  'ajv-formats-draft2019',
  'libxmljs2',
  'xmlbuilder2',
];

const embedAssets = {
  name: 'ferry-embed-assets',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]core[\\/]embedded-assets\.ts$/ }, () => ({
      contents: `export const EMBEDDED_ASSETS = ${JSON.stringify(runtimeAssets())};\n`,
      loader: 'js',
    }));
  },
};

export async function buildSingle(outfile = join(root, 'dist', 'ferry.mjs')) {
  const result = await build({
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    write: false,
    outfile,
    bundle: true,
    platform: 'node',
    // CommonJS, run by the prologue (scripts/single-file-loader.mjs) through vm.Script, which
    // takes V8's code cache; Node 20 offers no code cache for an ES module.
    format: 'cjs',
    target: 'node20',
    // Non-ASCII in strings, templates and regular expressions is written as escapes, so the
    // program is ASCII but for comments (made ASCII below) and its file reads back as latin1.
    charset: 'ascii',
    // The prologue passes the file's own URL: pack --with-ferry copies this very file.
    define: { 'import.meta.url': '__ferryImportMetaUrl' },
    // Builtins stay imports. The others are optional plugins of @cyclonedx/cyclonedx-library
    // (XML and schema validation) that it requires inside try/catch and ferry never uses: left
    // out, they are "not installed", as without the optional packages in node_modules.
    external: ['node:*', ...CYCLONEDX_OPTIONAL],
    plugins: [embedAssets],
    legalComments: 'none',
    logLevel: 'warning',
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed: ${result.errors.length} error(s)`);
  // Only comments can hold non-ASCII now (charset above): "?" there changes no code.
  const program = result.outputFiles[0].text.replace(/[\u0080-\uffff]/g, '?');
  if (program.includes('\0'))
    throw new Error('the program holds a NUL: the comment escape needs another character');
  const digest = createHash('sha256').update(program).digest('hex');
  const loader = readFileSync(join(root, 'scripts', 'single-file-loader.mjs'), 'utf8');
  // A function as the replacement: no "$" pattern is read in it.
  const text = `${loader.replace('__FERRY_DIGEST__', () => JSON.stringify(digest))}\n/*FERRY-PROGRAM\n${program.replaceAll('*/', '*\0/')}*/\n`;
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, text, { mode: 0o755 });
  return outfile;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--outfile');
  const out = await buildSingle(at === -1 ? undefined : process.argv[at + 1]);
  process.stdout.write(`wrote ${relative(process.cwd(), out)}\n`);
}
