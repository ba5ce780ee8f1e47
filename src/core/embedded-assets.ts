/**
 * The text of the files ferry reads at run time, keyed by their path in the repository, when
 * ferry runs as one file (dist/ferry.mjs). scripts/build-single.mjs replaces this module with
 * the table while bundling; from a checkout or `tsc`'s dist/ it stays empty and the files are
 * read from disk.
 */
export const EMBEDDED_ASSETS: Readonly<Record<string, string>> | undefined = undefined;
