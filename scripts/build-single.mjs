// Writes dist/ferry.mjs: ferry as one ES module that runs with Node >= 20 and nothing beside
// it (no node_modules, no src/, no data/). esbuild bundles src/cli/main.ts and its packages;
// node: builtins stay imports. The files ferry reads at run time (the Python scripts, the data
// tables, the version) are embedded by replacing src/core/embedded-assets.ts with their text;
// src/core/assets.ts explains how they are read back. The commands' dynamic imports stay lazy:
// in one file each becomes a module initialiser that runs on first use.
//
// Usage: node scripts/build-single.mjs [--outfile PATH]
import { readdirSync, readFileSync } from 'node:fs';
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
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Builtins stay imports. The others are optional plugins of @cyclonedx/cyclonedx-library
    // (XML and schema validation) that it requires inside try/catch and ferry never uses: left
    // out, they are "not installed", as without the optional packages in node_modules.
    external: ['node:*', ...CYCLONEDX_OPTIONAL],
    plugins: [embedAssets],
    legalComments: 'none',
    logLevel: 'warning',
    // Packages written as CommonJS call require() for builtins and read __dirname at load
    // (@cyclonedx/cyclonedx-library's resources.node.js computes where its XML/JSON schemas
    // lie, for validation ferry never runs); an ES module has neither, so give the bundle both.
    banner: {
      js: [
        '#!/usr/bin/env node',
        "import { createRequire as __ferryCreateRequire } from 'node:module';",
        "import { dirname as __ferryDirname } from 'node:path';",
        "import { fileURLToPath as __ferryFileURLToPath } from 'node:url';",
        'const require = __ferryCreateRequire(import.meta.url);',
        'const __filename = __ferryFileURLToPath(import.meta.url);',
        'const __dirname = __ferryDirname(__filename);',
      ].join('\n'),
    },
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed: ${result.errors.length} error(s)`);
  return outfile;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--outfile');
  const out = await buildSingle(at === -1 ? undefined : process.argv[at + 1]);
  process.stdout.write(`wrote ${relative(process.cwd(), out)}\n`);
}
