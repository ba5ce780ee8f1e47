/**
 * Tiny sdists that build without setuptools or any network: an in-tree PEP 517 backend
 * (`backend-path = ["."]`) writes the wheel itself with fixed zip timestamps taken from
 * SOURCE_DATE_EPOCH. PKG-INFO is Metadata-Version 2.1 (dynamic under PEP 643), so ferry has to
 * ask the backend for the dependencies.
 */
import { rawTarGz } from '../archive/tar-bytes.js';

/** A gzipped ustar archive with fixed mtimes (short names only): same input, same bytes. */
export const tarGz = (files: readonly [string, string][]): Buffer =>
  rawTarGz(files.map(([path, data]) => ({ path, data })));

/** The in-tree backend: METADATA from ferry_meta.txt, one module, the wheel tag from ferry_tag.txt. */
const BACKEND = String.raw`
import base64, hashlib, os, socket, time, zipfile

def _read(name, default=""):
    return open(name, encoding="utf-8").read().strip() if os.path.exists(name) else default

def _names():
    meta = _read("ferry_meta.txt")
    fields = dict(l.split(": ", 1) for l in meta.splitlines() if ": " in l)
    return meta, fields["Name"], fields["Version"]

def _network():
    port = _read("ferry_probe_port.txt")
    if not port:
        return "unprobed"
    try:
        socket.create_connection(("127.0.0.1", int(port)), timeout=2).close()
        return "open"
    except OSError:
        return "closed"

def _metadata():
    meta, name, version = _names()
    return meta + "\nSummary: network " + _network() + "\n"

def get_requires_for_build_wheel(config_settings=None):
    return []

def prepare_metadata_for_build_wheel(directory, config_settings=None):
    _, name, version = _names()
    info = name + "-" + version + ".dist-info"
    os.makedirs(os.path.join(directory, info))
    with open(os.path.join(directory, info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    return info

def build_wheel(directory, config_settings=None, metadata_directory=None):
    _, name, version = _names()
    tag = _read("ferry_tag.txt", "py3-none-any")
    info = name + "-" + version + ".dist-info"
    files = {
        name + "/__init__.py": "VERSION = '" + version + "'\n",
        info + "/METADATA": _metadata(),
        info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: ferry-test\nRoot-Is-Purelib: " + ("true" if tag.endswith("none-any") else "false") + "\nTag: " + tag + "\n",
    }
    record = ""
    for path, text in sorted(files.items()):
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record += path + ",sha256=" + digest + "," + str(len(text.encode())) + "\n"
    files[info + "/RECORD"] = record + info + "/RECORD,,\n"
    when = time.gmtime(max(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")), 315532800))[:6]
    filename = name + "-" + version + "-" + tag + ".whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(files):
            z.writestr(zipfile.ZipInfo(path, date_time=when), files[path])
    return filename
`;

export interface TinySdist {
  readonly name: string;
  readonly version: string;
  readonly requiresDist?: readonly string[];
  /** The wheel's tag; default py3-none-any (pure). */
  readonly tag?: string;
  /** A port on 127.0.0.1 the backend tries to reach; the result lands in the Summary. */
  readonly probePort?: number;
  /** `[build-system].requires` (default none). */
  readonly buildRequires?: readonly string[];
}

/** `NAME-VERSION.tar.gz` bytes. */
export function tinySdist(s: TinySdist): Buffer {
  const top = `${s.name}-${s.version}`;
  const meta = [
    'Metadata-Version: 2.1',
    `Name: ${s.name}`,
    `Version: ${s.version}`,
    ...(s.requiresDist ?? []).map((r) => `Requires-Dist: ${r}`),
  ].join('\n');
  return tarGz([
    [`${top}/PKG-INFO`, `Metadata-Version: 2.1\nName: ${s.name}\nVersion: ${s.version}\n\n`],
    [
      `${top}/pyproject.toml`,
      `[build-system]\nrequires = ${JSON.stringify(s.buildRequires ?? [])}\nbuild-backend = "ferry_test_backend"\nbackend-path = ["."]\n`,
    ],
    [`${top}/ferry_test_backend.py`, BACKEND],
    [`${top}/ferry_meta.txt`, `${meta}\n`],
    ...(s.tag === undefined ? [] : ([[`${top}/ferry_tag.txt`, s.tag]] as [string, string][])),
    ...(s.probePort === undefined
      ? []
      : ([[`${top}/ferry_probe_port.txt`, String(s.probePort)]] as [string, string][])),
  ]);
}
