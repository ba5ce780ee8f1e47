#!/usr/bin/env node
// Runs the compiled CLI (npm run build) when it is at least as new as every source file;
// otherwise the TypeScript sources through tsx, so a fresh or edited checkout just works.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const compiled = join(root, 'dist', 'cli', 'main.js');
const sources = join(root, 'src');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const useCompiled =
  existsSync(compiled) && (!existsSync(sources) || statSync(compiled).mtimeMs >= newestMtime(sources));

/** The packages ferry needs that Node cannot find from here (tsx too, when running the sources). */
function missingPackages() {
  let dependencies = {};
  try {
    dependencies = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies ?? {};
  } catch {
    // no package.json to read: only tsx can be checked
  }
  const wanted = [...Object.keys(dependencies), ...(useCompiled ? [] : ['tsx/esm/api'])];
  return wanted.filter((name) => {
    try {
      import.meta.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

/** Says what to run instead of a stack trace, and exits (status 1: "other failure"). */
function notInstalled(missing) {
  const names = missing.map((n) => n.replace(/\/esm\/api$/, ''));
  process.stderr.write(
    `ferry: ${names.length === 1 ? 'a package it needs is' : 'packages it needs are'} not installed (${names.join(', ')}).\n` +
      `Run \`npm ci\` in ${root} first, then run ferry again.\n`,
  );
  process.exit(1);
}

// A checkout before `npm ci` has no node_modules: say so before anything fails to load (the
// commands load their modules lazily, so a missing package would otherwise surface later as an
// internal error). With node_modules present this costs nothing.
if (!existsSync(join(root, 'node_modules'))) {
  const missing = missingPackages();
  if (missing.length > 0) notInstalled(missing);
}

try {
  if (useCompiled) {
    await import(pathToFileURL(compiled).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(join(sources, 'cli', 'main.ts')).href);
  }
} catch (error) {
  // node_modules exists but is incomplete (an interrupted install, a dependency added since).
  const missing = error?.code === 'ERR_MODULE_NOT_FOUND' ? missingPackages() : [];
  if (missing.length > 0) notInstalled(missing);
  throw error;
}
