/** `ferry serve --upstream`: the pull-through cache, its allowlist and its merged pages. */
export { isAllowed, readUpstreamAllow, type UpstreamAllow } from './allow.js';
export { renderOfferedHtml, renderOfferedJson } from './page.js';
export {
  type FetchRefusal,
  type OfferedProject,
  UPSTREAM_INDEX,
  Upstream,
  type UpstreamFetched,
  type UpstreamOptions,
} from './upstream.js';
