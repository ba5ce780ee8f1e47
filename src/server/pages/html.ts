/**
 * HTML for people: escaping and the page frame. Every value from the store (project names,
 * bundle names, signer names, yank reasons, a search query) goes through `esc`, in text and in
 * attributes alike, so nothing a bundle or an upload carries can become markup.
 */
import { escapeHtml } from '../../core/html.js';

export const esc = (text: string | number): string => escapeHtml(String(text));

/** A path segment for an href (a project name, say), percent-encoded then escaped. */
export const seg = (text: string): string => esc(encodeURIComponent(text));

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** '2026-01-02T03:04:05.678Z' → '2026-01-02 03:04 UTC' (no script to localise it). */
export const formatTime = (iso: string): string => {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m === null ? iso : `${m[1]} ${m[2]} UTC`;
};

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fafafa}
header{background:#1d3557;color:#fff;padding:.6em 1.5em;display:flex;gap:1.5em;align-items:baseline;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header .brand{font-weight:700;font-size:1.2em}
main{padding:1em 1.5em;max-width:72em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em;background:#fff}
th,td{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#eef1f5}code,.hash{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-all}
.muted{color:#5c6670}.tag{display:inline-block;padding:0 .4em;border-radius:3px;background:#e3e8ef;margin-right:.3em}
.yanked{color:#a4262c}form.search input[type=search]{width:24em;max-width:70vw;padding:.3em}
`;

export interface Frame {
  readonly title: string;
  /** The way back to the site root from this page ('./', '../../'), so links work under a prefix. */
  readonly root: string;
  readonly generation: number;
}

export function page(frame: Frame, body: string): string {
  const r = frame.root;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(frame.title)} · ferry index</title>
<style>${STYLE}</style>
</head>
<body>
<header><a class="brand" href="${r}">ferry index</a>
<nav><a href="${r}">Projects</a> · <a href="${r}ui/bundles">Bundles</a> · <a href="${r}ui/incoming">Incoming</a></nav>
<span class="muted" style="color:#cbd5e1">generation ${esc(frame.generation)}</span></header>
<main>
${body}
</main>
</body>
</html>
`;
}
