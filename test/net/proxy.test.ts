/**
 * Which proxy a URL goes through, against pip's own requests (pip._vendor.requests, the code
 * pip runs): the environment variables in both cases, NO_PROXY forms, and pip's `proxy` option.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { bypassesProxy, environmentProxies, proxyFor } from '../../src/net/proxy.js';

type Env = Record<string, string>;

const CASES: { env: Env; url: string; proxy?: string }[] = [
  { env: {}, url: 'https://files.example/a.whl' },
  { env: { HTTPS_PROXY: 'http://p:3128' }, url: 'https://h.example/simple/' },
  { env: { HTTPS_PROXY: 'http://p:3128' }, url: 'http://h.example/simple/' },
  { env: { http_proxy: 'proxy.corp:8080' }, url: 'http://h.example/simple/' },
  { env: { HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2' }, url: 'http://h/x' },
  { env: { HTTP_PROXY: 'http://upper:1', http_proxy: '' }, url: 'http://h/x' },
  { env: { ALL_PROXY: 'http://all:1' }, url: 'https://h/x' },
  { env: { ALL_PROXY: 'http://all:1', https_proxy: 'http://s:2' }, url: 'https://h/x' },
  { env: { https_proxy: 'http://p:1', NO_PROXY: '*' }, url: 'https://h.example/x' },
  { env: { https_proxy: 'http://p:1', no_proxy: 'example.com' }, url: 'https://a.example.com/x' },
  { env: { https_proxy: 'http://p:1', no_proxy: 'example.com' }, url: 'https://badexample.com/x' },
  { env: { https_proxy: 'http://p:1', no_proxy: '.example.com' }, url: 'https://example.com/x' },
  { env: { https_proxy: 'http://p:1', no_proxy: 'other.org' }, url: 'https://example.com/x' },
  { env: { https_proxy: 'http://p:1', NO_PROXY: 'h:8443' }, url: 'https://h:8443/x' },
  { env: { https_proxy: 'http://p:1', NO_PROXY: 'h:8443' }, url: 'https://h:9443/x' },
  { env: { https_proxy: 'http://p:1', NO_PROXY: '10.0.0.0/8' }, url: 'https://10.1.2.3/x' },
  { env: { https_proxy: 'http://p:1', NO_PROXY: '10.0.0.0/8' }, url: 'https://11.1.2.3/x' },
  { env: { https_proxy: 'http://p:1', NO_PROXY: '127.0.0.1' }, url: 'https://127.0.0.1:9/x' },
  { env: { https_proxy: 'http://p:1', NO_PROXY: ' a.org , B.ORG ' }, url: 'https://b.org/x' },
  { env: { https_proxy: 'http://p:1', no_proxy: '', NO_PROXY: 'h' }, url: 'https://h/x' },
  // pip's `proxy` option: for http and https, and NO_PROXY does not apply to it.
  { env: {}, url: 'https://h/x', proxy: 'http://pip:3128' },
  { env: { HTTPS_PROXY: 'http://env:1' }, url: 'https://h/x', proxy: 'http://pip:3128' },
  { env: { NO_PROXY: '*' }, url: 'http://h/x', proxy: '10.0.0.1:3128' },
];

/** The proxy pip's requests would use: merge_environment_settings + select_proxy. */
function pipsChoice(cases: typeof CASES): (string | null)[] {
  const python = process.env.FERRY_PYTHON ?? 'python3';
  const code = [
    'import json, os, sys',
    'from pip._vendor.requests.sessions import Session',
    'from pip._vendor.requests.utils import select_proxy, prepend_scheme_if_needed',
    'out = []',
    'for case in json.loads(sys.argv[1]):',
    '    for k in list(os.environ):',
    '        if k.lower().endswith("_proxy"): del os.environ[k]',
    '    os.environ.update(case["env"])',
    '    s = Session()',
    '    p = case.get("proxy")',
    '    if p: s.proxies = {"http": p, "https": p}',
    // PipSession.request: kwargs.setdefault("proxies", self.proxies)
    '    settings = s.merge_environment_settings(case["url"], dict(s.proxies), None, None, None)',
    '    chosen = select_proxy(case["url"], settings["proxies"])',
    '    out.append(prepend_scheme_if_needed(chosen, "http") if chosen else None)',
    'print(json.dumps(out))',
  ].join('\n');
  const run = spawnSync(python, ['-c', code, JSON.stringify(cases)], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as (string | null)[];
}

describe('proxyFor agrees with pip (requests 2.31 inside pip)', () => {
  it('every case of the table', () => {
    const expected = pipsChoice(CASES);
    CASES.forEach((c, i) => {
      const ours = proxyFor(new URL(c.url), {
        trustedHosts: [],
        env: c.env,
        ...(c.proxy === undefined ? {} : { proxy: c.proxy }),
      });
      const theirs = expected[i];
      assert.equal(
        ours === undefined ? null : ours.href.replace(/\/$/, ''),
        theirs === null ? null : new URL(theirs!).href.replace(/\/$/, ''),
        JSON.stringify(c),
      );
    });
  });

  it('a proxy given as bare "name:port" is read as http://name:port (where pip takes "name" for a scheme and fails)', () => {
    const env = { https_proxy: 'localhost:3128' };
    assert.equal(
      proxyFor(new URL('https://h/x'), { trustedHosts: [], env })?.href,
      'http://localhost:3128/',
    );
  });

  it('lower case wins over upper case, an empty lower-case one removes it', () => {
    assert.equal(environmentProxies({ HTTP_PROXY: 'a', http_proxy: 'b' }).get('http'), 'b');
    assert.equal(environmentProxies({ HTTP_PROXY: 'a', http_proxy: '' }).get('http'), undefined);
    assert.equal(bypassesProxy(new URL('https://x.internal/'), { NO_PROXY: '.internal' }), true);
  });
});
