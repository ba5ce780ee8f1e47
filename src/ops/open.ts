/**
 * How a use case opens the bundle it was given: a folder as it is, an archive or its volumes
 * unpacked into a temporary folder. The CLI passes one that also removes that folder on
 * SIGINT/SIGTERM (src/cli/open-for-command.ts); a library caller gets the plain one.
 */
import { type OpenedBundle, openBundle } from '../bundle/open.js';

export type OpenBundle = (pathOrArchive: string) => Promise<OpenedBundle>;

export const defaultOpenBundle: OpenBundle = (path) => openBundle(path);
