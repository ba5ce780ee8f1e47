#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""install.py: check this ferry bundle and install it offline.

Written into every ferry bundle (bundle format 1, see docs/bundle-format.md). Standard library
only; runs on Python 3.6 and later. It never reaches the network.

  python3 install.py --trusted-key reviewer.pub [--venv PATH] [--python PY]
  python3 install.py --allow-unsigned --check-only
  python3 install.py --probe          describe this host (the target profile, JSON)
  python3 /trusted/copy/install.py --bundle DIR --trusted-key ...   check DIR with a copy of
                                     install.py you already trust (a changed install.py
                                     cannot be relied on to check itself)

Steps, each failing closed:
  1. every file listed in SHA256SUMS has that SHA-256; nothing else lies in the bundle
     (signatures/ excepted); manifest.json agrees with SHA256SUMS and its closure is complete;
  2. SHA256SUMS carries a valid signature from a key you trust (--trusted-key, repeatable;
     a minisign .pub, an SM2 PEM, or a ferry trust file). Ed25519 (minisign) signatures are
     checked here in pure Python; SM2 signatures need the openssl command (1.1.1 or 3.x).
     Keys inside the bundle are never trusted. Without --trusted-key nothing is installed
     unless --allow-unsigned is given, and then it says that signatures were NOT checked;
  3. creates the venv (default ./venv) and runs pip with --no-index --require-hashes,
     ignoring pip's configuration files and PIP_* variables.

Exit status: 0 ok, 1 other failure, 2 usage, 5 tampered, 6 incomplete, 7 untrusted,
8 venv or pip failed (the same numbers as `ferry verify` and `ferry install`).
"""
from __future__ import print_function

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

FORMAT_VERSION = 1
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_TAMPERED, EXIT_INCOMPLETE, EXIT_UNTRUSTED, EXIT_INSTALL = 5, 6, 7, 8
SUMS = "SHA256SUMS"
SIGNATURES = "signatures"
REQUIRED_FILES = ("manifest.json", "requirements.txt", "install.py", "README.txt", "sbom.cdx.json")
SM2_ID = "1234567812345678"

# probe.py from ferry (src/target/probe.py), run by --probe in a fresh namespace.
PROBE_SOURCE = __FERRY_PROBE_SOURCE__


def say(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class Problems(object):
    """Every problem found, each naming the file and what is wrong, with its exit status."""

    def __init__(self):
        self.items = []

    def add(self, status, path, message):
        self.items.append((status, path, message))

    def exit_status(self):
        for status in (EXIT_TAMPERED, EXIT_INCOMPLETE, EXIT_UNTRUSTED):
            if any(item[0] == status for item in self.items):
                return status
        return EXIT_OK


# ------------------------------------------------------------------ integrity

HEX64 = re.compile(r"^[0-9a-f]{64}$")
SUMS_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


def unsafe_path(path):
    if path == "" or path.startswith("/") or "\\" in path:
        return True
    if any(c in path for c in "\0\n\r"):
        return True
    return any(seg in ("", ".", "..") for seg in path.split("/"))


def hash_file(path, name="sha256"):
    h = hashlib.new(name)
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
    return h.hexdigest()


def list_files(root, problems):
    """Relative POSIX paths of every regular file; links and special files are problems."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        for name in list(dirnames):
            if os.path.islink(os.path.join(dirpath, name)):
                problems.add(EXIT_TAMPERED, rel_dir + name, "is a link; a bundle holds only plain files")
                dirnames.remove(name)
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if stat.S_ISREG(st.st_mode):
                out.append(rel_dir + name)
            else:
                problems.add(EXIT_TAMPERED, rel_dir + name, "is not a regular file (links are not allowed)")
    return sorted(out, key=lambda p: p.encode("utf-8"))


def parse_sums(text, problems):
    entries = []
    seen = set()
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if line == "":
            continue
        m = SUMS_LINE.match(line)
        if m is None or unsafe_path(m.group(2)) or m.group(2) in seen:
            problems.add(EXIT_TAMPERED, SUMS, "line %d cannot be read: %r" % (number, line[:120]))
            continue
        seen.add(m.group(2))
        entries.append((m.group(2), m.group(1).lower()))
    return entries


def check_integrity(root, problems):
    """Checks SHA256SUMS and manifest.json; returns the SHA256SUMS bytes (or None)."""
    files = list_files(root, problems)
    sums_path = os.path.join(root, SUMS)
    if SUMS not in files:
        problems.add(EXIT_INCOMPLETE, SUMS, "missing; nothing in the bundle can be checked")
        return None
    with open(sums_path, "rb") as f:
        sums_bytes = f.read()
    try:
        text = sums_bytes.decode("utf-8")
    except UnicodeDecodeError:
        problems.add(EXIT_TAMPERED, SUMS, "is not UTF-8 text")
        return sums_bytes
    entries = parse_sums(text, problems)
    listed = dict(entries)
    covered = [p for p in files if p != SUMS and not p.startswith(SIGNATURES + "/")]
    present = set(covered)
    for path, expected in entries:
        if path not in present:
            problems.add(EXIT_INCOMPLETE, path, "missing (listed in SHA256SUMS)")
            continue
        actual = hash_file(os.path.join(root, path))
        if actual != expected:
            problems.add(EXIT_TAMPERED, path, "SHA-256 is %s, SHA256SUMS says %s" % (actual, expected))
    for path in covered:
        if path not in listed:
            problems.add(EXIT_TAMPERED, path, "not listed in SHA256SUMS (an extra file)")
    for path in REQUIRED_FILES:
        if path not in listed and path not in present:
            problems.add(EXIT_INCOMPLETE, path, "missing (every bundle of format %d has it)" % FORMAT_VERSION)
    check_manifest(root, listed, present, problems)
    return sums_bytes


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def check_manifest(root, listed, present, problems):
    path = os.path.join(root, "manifest.json")
    if "manifest.json" not in present:
        return
    try:
        with open(path, "rb") as f:
            manifest = json.loads(f.read().decode("utf-8"))
        if manifest.get("formatVersion") != FORMAT_VERSION:
            problems.add(EXIT_TAMPERED, "manifest.json", "format %r, expected %d" % (manifest.get("formatVersion"), FORMAT_VERSION))
            return
        files = manifest["files"]
        packages = manifest["packages"]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        problems.add(EXIT_TAMPERED, "manifest.json", "cannot be read: %s" % error)
        return
    named = set()
    have = set()
    for entry in files:
        try:
            fpath, sha256, size = entry["path"], entry["sha256"], entry["size"]
            have.add((normalize(entry["name"]), entry["version"]))
        except (KeyError, TypeError):
            problems.add(EXIT_TAMPERED, "manifest.json", "a file entry is damaged")
            continue
        named.add(fpath)
        if listed.get(fpath) != sha256:
            problems.add(EXIT_TAMPERED, fpath, "manifest.json and SHA256SUMS disagree about its SHA-256")
        if fpath in present:
            actual = os.path.getsize(os.path.join(root, fpath))
            if actual != size:
                problems.add(EXIT_TAMPERED, fpath, "is %d bytes, manifest.json says %d" % (actual, size))
        else:
            problems.add(EXIT_INCOMPLETE, fpath, "missing (named in manifest.json)")
    for p in present:
        if p.startswith("wheels/") and p not in named:
            problems.add(EXIT_TAMPERED, p, "not named in manifest.json")
    names = set()
    for package in packages:
        try:
            names.add(normalize(package["name"]))
            if (normalize(package["name"]), package["version"]) not in have:
                problems.add(EXIT_INCOMPLETE, "manifest.json", "%s %s has no file in the bundle" % (package["name"], package["version"]))
        except (KeyError, TypeError):
            problems.add(EXIT_TAMPERED, "manifest.json", "a package entry is damaged")
    for package in packages:
        for dep in package.get("dependencies", []) if isinstance(package, dict) else []:
            if normalize(dep) not in names:
                problems.add(EXIT_INCOMPLETE, "manifest.json", "%s depends on %s, which is not in the bundle" % (package.get("name"), dep))


# ------------------------------------------------------------------ Ed25519 (RFC 8032, 5.1.7)

_P = 2 ** 255 - 19
_L = 2 ** 252 + 27742317777372353535851937790883648493


def _inv(x):
    return pow(x, _P - 2, _P)


_D = -121665 * _inv(121666) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y, sign):
    if y >= _P:
        return None
    x2 = (y * y - 1) * _inv(_D * y * y + 1) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


def _add(a, b):
    A = (a[1] - a[0]) * (b[1] - b[0]) % _P
    B = (a[1] + a[0]) * (b[1] + b[0]) % _P
    C = 2 * a[3] * b[3] * _D % _P
    D = 2 * a[2] * b[2] % _P
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F % _P, G * H % _P, F * G % _P, E * H % _P)


def _mul(s, point):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, point)
        point = _add(point, point)
        s >>= 1
    return q


def _decompress(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % _P)


_GY = 4 * _inv(5) % _P
_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % _P)


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _L
    left = _mul(s, _G)
    right = _add(r, _mul(h, a))
    return (left[0] * right[2] - right[0] * left[2]) % _P == 0 and (left[1] * right[2] - right[1] * left[2]) % _P == 0


# ------------------------------------------------------------------ keys and signatures

B64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def b64_exact(text, length):
    if not B64.match(text):
        return None
    try:
        data = base64.b64decode(text.encode("ascii"))
    except (ValueError, TypeError):
        return None
    if len(data) != length or base64.b64encode(data).decode("ascii") != text:
        return None
    return data


def minisign_key_id(keynum):
    return "".join("%02X" % b for b in bytearray(reversed(keynum)))


def sm3_hex(data):
    try:
        return hashlib.new("sm3", data).hexdigest()
    except ValueError:
        pass
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    proc = subprocess.Popen([openssl, "dgst", "-sm3", "-r"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, _ = proc.communicate(data)
    if proc.returncode != 0:
        return None
    return out.decode("ascii", "replace").split()[0].lower()


def der_to_pem(der):
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def pem_to_der(text):
    m = re.search(r"-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----", text, re.S)
    if m is None:
        raise ValueError("no PUBLIC KEY block")
    return base64.b64decode("".join(m.group(1).split()).encode("ascii"))


def make_key(name, algorithm, body, source):
    if algorithm == "ed25519":
        raw = b64_exact(body, 42)
        if raw is None or raw[:2] != b"Ed":
            raise ValueError("not a minisign Ed25519 public key")
        return {"name": name, "algorithm": "ed25519", "key_id": minisign_key_id(raw[2:10]), "keynum": raw[2:10], "public": raw[10:], "source": source}
    if algorithm == "sm2":
        der = body if isinstance(body, bytes) else base64.b64decode(body.encode("ascii"))
        digest = sm3_hex(der)
        key_id = digest[:16].upper() if digest else None
        return {"name": name, "algorithm": "sm2", "key_id": key_id, "der": der, "source": source}
    raise ValueError("unknown algorithm %r (expected ed25519 or sm2)" % algorithm)


def load_trusted_keys(paths):
    keys = []
    for path in paths:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        base = os.path.basename(path)
        base = base[:-4] if base.endswith(".pub") else base
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
        if "-----BEGIN " in text:
            keys.append(make_key(base, "sm2", pem_to_der(text), path))
        elif lines and lines[0].startswith("untrusted comment: "):
            if len(lines) < 2:
                raise ValueError("%s: no key line after the comment" % path)
            keys.append(make_key(base, "ed25519", lines[1], path))
        else:
            for number, line in enumerate(lines, 1):
                fields = line.split()
                if len(fields) != 3:
                    raise ValueError("%s: expected NAME ALGORITHM KEY, got %r" % (path, line))
                keys.append(make_key(fields[0], fields[1], fields[2], "%s:%d" % (path, number)))
    return keys


def openssl_sm2_usable():
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    proc = subprocess.Popen([openssl, "list", "-digest-algorithms"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, _ = proc.communicate()
    if proc.returncode == 0 and b"SM3" not in out.upper():
        return None
    return openssl


def sm2_verify(openssl, key, sums_path, sig_bytes):
    """openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature SIG FILE"""
    tmp = tempfile.mkdtemp(prefix="ferry-sm2-")
    try:
        pem = os.path.join(tmp, "key.pem")
        sig = os.path.join(tmp, "sig.der")
        with open(pem, "w") as f:
            f.write(der_to_pem(key["der"]))
        with open(sig, "wb") as f:
            f.write(sig_bytes)
        proc = subprocess.Popen([openssl, "dgst", "-sm3", "-verify", pem, "-sigopt", "distid:" + SM2_ID, "-signature", sig, sums_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, _ = proc.communicate()
        return proc.returncode == 0 and b"Verified OK" in out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def der_length(data, i):
    first = data[i]
    if first < 0x80:
        return first, i + 1
    n = first & 0x7F
    if n == 0 or n > 2 or i + 1 + n > len(data):
        raise ValueError("bad length")
    value = int.from_bytes(data[i + 1:i + 1 + n], "big")
    if value < 0x80 or (n == 2 and value < 0x100):
        raise ValueError("non-minimal length")
    return value, i + 1 + n


def sm2_signature_is_der(data):
    """A DER SEQUENCE of two minimal non-negative INTEGERs and nothing else."""
    try:
        data = bytearray(data)
        if len(data) < 8 or data[0] != 0x30:
            return False
        length, i = der_length(data, 1)
        if i + length != len(data):
            return False
        for _ in range(2):
            if data[i] != 0x02:
                return False
            n, i = der_length(data, i + 1)
            value = data[i:i + n]
            if n == 0 or len(value) != n or value[0] & 0x80:
                return False
            if n > 1 and value[0] == 0 and not value[1] & 0x80:
                return False
            i += n
        return i == len(data)
    except (IndexError, ValueError):
        return False


MINISIG_NAME = re.compile(r"^([0-9A-F]{16})\.minisig$")
SM2_NAME = re.compile(r"^([0-9A-F]{16})\.sm2\.sig$")


def check_minisig(text_bytes, sums_bytes, trusted, name_id):
    """Returns (status, detail): 'valid', 'unknown' or 'bad'."""
    try:
        text = text_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return "bad", "is not UTF-8 text"
    lines = text.split("\n")
    if len(lines) != 5 or lines[4] != "" or not lines[0].startswith("untrusted comment: ") or not lines[2].startswith("trusted comment: "):
        return "bad", "is not a minisign signature (4 lines: comment, signature, trusted comment, signature)"
    sig = b64_exact(lines[1], 74)
    global_sig = b64_exact(lines[3], 64)
    comment = lines[2][len("trusted comment: "):]
    if sig is None or global_sig is None or sig[:2] not in (b"Ed", b"ED") or comment != comment.rstrip():
        return "bad", "is damaged (bad base64, length or algorithm)"
    key_id = minisign_key_id(sig[2:10])
    if key_id != name_id:
        return "bad", "was made by key %s but is named %s" % (key_id, name_id)
    key = next((k for k in trusted if k["algorithm"] == "ed25519" and k["keynum"] == sig[2:10]), None)
    if key is None:
        return "unknown", key_id
    message = hashlib.blake2b(sums_bytes, digest_size=64).digest() if sig[:2] == b"ED" else sums_bytes
    if not ed25519_verify(key["public"], message, sig[10:]):
        return "bad", "signed by trusted key %s (%s) but does not match SHA256SUMS" % (key["name"], key_id)
    if not ed25519_verify(key["public"], sig[10:] + comment.encode("utf-8"), global_sig):
        return "bad", "the trusted comment of %s's signature was altered" % key["name"]
    return "valid", key["name"]


def check_signatures(root, sums_bytes, args, problems):
    sig_dir = os.path.join(root, SIGNATURES)
    names = sorted(os.listdir(sig_dir)) if os.path.isdir(sig_dir) else []
    if not args.trusted_key:
        if args.allow_unsigned:
            say("warning: signatures were NOT checked (no --trusted-key given; --allow-unsigned)")
            return []
        problems.add(EXIT_UNTRUSTED, SUMS, "signatures cannot be checked: give --trusted-key FILE (the signer's public key, obtained out of band) or --allow-unsigned")
        return []
    try:
        trusted = load_trusted_keys(args.trusted_key)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        problems.add(EXIT_UNTRUSTED, "--trusted-key", "cannot be read: %s" % error)
        return []
    openssl = None
    if any(k["algorithm"] == "sm2" for k in trusted):
        openssl = openssl_sm2_usable()
        if openssl is None or any(k["algorithm"] == "sm2" and k["key_id"] is None for k in trusted):
            problems.add(EXIT_UNTRUSTED, "--trusted-key", "an SM2 key was given but no openssl with SM2/SM3 is installed here, so its signatures cannot be checked; check them elsewhere with `ferry verify`")
            return []
    signers = set()
    sums_path = os.path.join(root, SUMS)
    for name in names:
        rel = SIGNATURES + "/" + name
        full = os.path.join(sig_dir, name)
        if os.path.islink(full) or not os.path.isfile(full):
            problems.add(EXIT_UNTRUSTED, rel, "is not a signature file (signatures/ holds only files)")
            continue
        with open(full, "rb") as f:
            data = f.read()
        m = MINISIG_NAME.match(name)
        if m is not None:
            status, detail = check_minisig(data, sums_bytes, trusted, m.group(1))
            if status == "valid":
                signers.add(detail)
            elif status == "unknown":
                say("note: %s is by key %s, which you do not trust; not counted" % (rel, detail))
            else:
                problems.add(EXIT_UNTRUSTED, rel, detail)
            continue
        m = SM2_NAME.match(name)
        if m is not None:
            if not sm2_signature_is_der(data):
                problems.add(EXIT_UNTRUSTED, rel, "is damaged: not a DER SM2 signature")
                continue
            sm2_keys = [k for k in trusted if k["algorithm"] == "sm2"]
            match = next((k for k in sm2_keys if sm2_verify(openssl, k, sums_path, data)), None)
            named = next((k for k in sm2_keys if k["key_id"] == m.group(1)), None)
            if match is not None and match["key_id"] == m.group(1):
                signers.add(match["name"])
            elif match is not None:
                problems.add(EXIT_UNTRUSTED, rel, "was made by key %s but is named %s" % (match["key_id"], m.group(1)))
            elif named is not None:
                problems.add(EXIT_UNTRUSTED, rel, "signed by trusted key %s (%s) but does not match SHA256SUMS" % (named["name"], named["key_id"]))
            else:
                say("note: %s is by a key you do not trust; not counted" % rel)
            continue
        problems.add(EXIT_UNTRUSTED, rel, "is not a signature file (KEYID.minisig or KEYID.sm2.sig)")
    if len(signers) < args.require_signers:
        problems.add(EXIT_UNTRUSTED, SUMS, "%d of %d required trusted signer(s) signed it%s" % (len(signers), args.require_signers, " (" + ", ".join(sorted(signers)) + ")" if signers else ""))
    return sorted(signers)


# ------------------------------------------------------------------ install

def clean_env():
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("PIP_") and k not in ("PYTHONPATH", "PYTHONHOME"))
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def install(root, args):
    venv = os.path.abspath(args.venv)
    if os.path.exists(venv) and (not os.path.isdir(venv) or os.listdir(venv)):
        say("error: %s already exists; choose a new --venv PATH" % venv)
        return EXIT_USAGE
    created = not os.path.exists(venv)
    env = clean_env()
    say("creating the venv %s with %s" % (venv, args.python))
    if subprocess.call([args.python, "-m", "venv", venv], env=env) != 0:
        say("error: `%s -m venv %s` failed (on Debian/Ubuntu install python3-venv)" % (args.python, venv))
        if created:
            shutil.rmtree(venv, ignore_errors=True)
        return EXIT_INSTALL
    python = os.path.join(venv, "Scripts", "python.exe") if os.name == "nt" else os.path.join(venv, "bin", "python")
    command = [python, "-m", "pip", "install", "--no-index", "--find-links", os.path.join(root, "wheels"), "--require-hashes", "--no-cache-dir", "-r", os.path.join(root, "requirements.txt")]
    say("installing: pip install --no-index --find-links wheels --require-hashes -r requirements.txt")
    if subprocess.call(command, env=env, cwd=root) != 0:
        say("error: pip failed; the venv %s was removed" % venv)
        if created:
            shutil.rmtree(venv, ignore_errors=True)
        return EXIT_INSTALL
    say("installed into %s" % venv)
    return EXIT_OK


def main(argv=None):
    parser = argparse.ArgumentParser(prog="install.py", description="Check this ferry bundle and install it with no network.")
    parser.add_argument("--venv", default="venv", help="the venv to create (default ./venv; must not exist)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter for the venv (default: this one)")
    parser.add_argument("--trusted-key", action="append", default=[], metavar="FILE", help="a public key or trust file you trust (repeatable)")
    parser.add_argument("--require-signers", type=int, default=1, metavar="N", help="distinct trusted signers needed (default 1)")
    parser.add_argument("--allow-unsigned", action="store_true", help="install without checking signatures (says so)")
    parser.add_argument("--check-only", action="store_true", help="check the bundle, do not install")
    parser.add_argument("--bundle", metavar="DIR", help="check (and install) the bundle in DIR instead of this script's folder")
    parser.add_argument("--probe", nargs=argparse.REMAINDER, help="describe this host (JSON) and exit")
    args = parser.parse_args(argv)
    if args.probe is not None:
        namespace = {"__name__": "ferry_probe"}
        exec(compile(PROBE_SOURCE, "probe.py", "exec"), namespace)
        return namespace["main"](args.probe)
    if args.require_signers < 1:
        parser.error("--require-signers must be 1 or more")
    root = os.path.abspath(args.bundle) if args.bundle else os.path.dirname(os.path.abspath(__file__))
    problems = Problems()
    sums_bytes = check_integrity(root, problems)
    signers = []
    if sums_bytes is not None:
        signers = check_signatures(root, sums_bytes, args, problems)
    status = problems.exit_status()
    if status != EXIT_OK:
        say("error: this bundle must not be installed (%d problem(s)):" % len(problems.items))
        for _, path, message in problems.items:
            say("  %s: %s" % (path, message))
        say("hint: copy the bundle again from its source, or ask its signer; run `ferry verify` for details.")
        return status
    say("bundle OK: every file matches SHA256SUMS" + ("; signed by " + ", ".join(signers) if signers else ""))
    if args.check_only:
        return EXIT_OK
    return install(root, args)


if __name__ == "__main__":
    sys.exit(main())
