/**
 * The smoke checks, for the target side. Their table lives in src/frameworks/smoke-checks.ts
 * because a bundle's install.py carries the same table (src/bundle/install-py.ts), and the
 * bundle layer sits above onhost/.
 */
export * from '../../frameworks/smoke-checks.js';
