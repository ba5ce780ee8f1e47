/**
 * README.txt: a short operator guide in Chinese and English that travels with the bundle:
 * how to check it (with ferry, or with stock sha256sum + minisign / openssl), and how to
 * install it with python3 install.py. Only manifest facts go in, so it is deterministic.
 */
import type { Manifest } from './manifest.js';

export function formatReadmeTxt(manifest: Manifest): string {
  const targets =
    manifest.targets.map((t) => `  - ${t.platform}`).join('\n') || '  - (none recorded)';
  const requirements = manifest.requirements.join(', ') || '(none recorded)';
  const ferry = manifest.tools?.find((t) => t.path === 'tools/ferry.mjs');
  // Only bundles packed --with-ferry say this, so the others keep their bytes.
  const ferryZh =
    ferry === undefined
      ? ''
      : `
4. 本包附带 ferry（${ferry.path}，${ferry.tool}；只需 Node.js 20 及以上，无需安装、无需联网）：
     node ${ferry.path} verify . --trusted-key 审核人.pub
     node ${ferry.path} install . --venv /opt/venv --trusted-key 审核人.pub
     node ${ferry.path} serve …        在内网提供软件包索引（node ${ferry.path} serve --help）
   ${ferry.path} 与其他文件一样列在 SHA256SUMS 中并受签名保护；请先按第 1 或第 2 步校验再运行它。
`;
  const ferryEn =
    ferry === undefined
      ? ''
      : `
4. This bundle carries ferry (${ferry.path}, ${ferry.tool}; needs only Node.js 20 or later,
   nothing to install, no network):
     node ${ferry.path} verify . --trusted-key reviewer.pub
     node ${ferry.path} install . --venv /opt/venv --trusted-key reviewer.pub
     node ${ferry.path} serve ...      serve an intranet package index (node ${ferry.path} serve --help)
   ${ferry.path} is listed in SHA256SUMS and covered by the signatures like every other file:
   verify the bundle (step 1 or 2) before running it.
`;
  return `ferry bundle (format ${manifest.formatVersion}) / ferry 离线安装包（格式 ${manifest.formatVersion}）
Made by ${manifest.tool} at ${manifest.createdAt}
Requirements / 需求: ${requirements}
Packages / 包: ${manifest.packages.length}, wheels / 文件: ${manifest.files.length}
Targets / 目标环境:
${targets}

== 中文 ==

1. 校验（推荐用 ferry，完全离线）：
     ferry verify . --trusted-key 审核人.pub
   不传 --trusted-key 时必须显式加 --allow-unsigned，且只校验完整性，不校验签名。
   退出码：0 通过，5 被篡改，6 不完整，7 签名不可信。

2. 没有 ferry 时，用系统自带工具校验：
     sha256sum -c SHA256SUMS
     minisign -Vm SHA256SUMS -x signatures/<密钥ID>.minisig -p 审核人.pub
     openssl dgst -sm3 -verify 审核人.pem -sigopt distid:1234567812345678 \\
       -signature signatures/<密钥ID>.sm2.sig SHA256SUMS        （国密 SM2 签名）
   另外确认 wheels/ 目录中没有 SHA256SUMS 未列出的文件。
   公钥必须通过可信渠道单独获得；不要信任随安装包一起带来的公钥。

3. 安装（只需 Python 3.6 及以上，无需联网）：
     python3 install.py --trusted-key 审核人.pub --venv /opt/venv
   install.py 会先做上述全部校验，再创建虚拟环境并执行
     pip install --no-index --find-links wheels --require-hashes -r requirements.txt
   python3 install.py --probe 输出本机环境描述（JSON），可交给外网侧 ferry 作为目标环境。
${ferryZh}
== English ==

1. Verify (with ferry, fully offline):
     ferry verify . --trusted-key reviewer.pub
   Without --trusted-key you must pass --allow-unsigned; then only integrity is checked,
   signatures are NOT. Exit status: 0 ok, 5 tampered, 6 incomplete, 7 untrusted.

2. Without ferry, with stock tools:
     sha256sum -c SHA256SUMS
     minisign -Vm SHA256SUMS -x signatures/<KEYID>.minisig -p reviewer.pub
     openssl dgst -sm3 -verify reviewer.pem -sigopt distid:1234567812345678 \\
       -signature signatures/<KEYID>.sm2.sig SHA256SUMS        (SM2 signatures)
   Also check that wheels/ holds no file that SHA256SUMS does not list.
   Obtain the public keys out of band; never trust a key that came with the bundle.

3. Install (needs only Python 3.6 or later, no network):
     python3 install.py --trusted-key reviewer.pub --venv /opt/venv
   install.py runs all the checks above, creates the venv, then runs
     pip install --no-index --find-links wheels --require-hashes -r requirements.txt
   python3 install.py --probe prints this host's target profile (JSON) for ferry.
${ferryEn}
Files / 文件: wheels/, requirements.txt, pylock.toml (when locked), manifest.json,
sbom.cdx.json (CycloneDX), install.py, README.txt, SHA256SUMS, signatures/.
See docs/bundle-format.md in ferry for the format.
`;
}
