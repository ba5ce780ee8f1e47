#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""install.py: check this ferry bundle and install it offline.

Written into every ferry bundle (bundle format 1, see docs/bundle-format.md). Standard library
only; runs on Python 3.6 and later. It never reaches the network.

  python3 install.py --trusted-key reviewer.pub [--venv PATH] [--python PY]
  python3 install.py --allow-unsigned --check-only
  python3 install.py --probe          describe this host (the target profile, JSON)
  python3 install.py --base EARLIER-BUNDLE ...   a delta bundle: where the files it does not
                                     carry are (earlier bundles or an index store; each checked
                                     by its SHA-256)
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
  3. creates the venv (default ./venv) and installs with the uv the bundle carries when it
     runs here, else pip (--installer auto|uv|pip): no index, --require-hashes, ignoring the
     installer's configuration files and PIP_* / UV_* variables.

Exit status: 0 ok, 1 other failure, 2 usage, 5 tampered, 6 incomplete, 7 untrusted,
8 venv, install or smoke test failed (the same numbers as `ferry verify` and `ferry install`).
After installing, the smoke test of `ferry install` runs in the new venv (--smoke MODE).
"""
from __future__ import print_function

import argparse
import base64
import errno
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

# probe.py from ferry (src/host/probe.py), run by --probe in a fresh namespace.
PROBE_SOURCE = __FERRY_PROBE_SOURCE__

# The smoke test of `ferry install`: its check table (src/frameworks/smoke-checks.ts) and its
# scripts (src/onhost/smoke/*.py), as JSON, so that install.py runs the very same checks.
SMOKE_PLAN = __FERRY_SMOKE_PLAN__


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


# No bundle folder is deeper than one level (wheels/, signatures/); anything past this depth is
# refused unread, so a tree nested past PATH_MAX cannot hide a file (ferry verify: the same).
MAX_FOLDER_DEPTH = 8
UNREADABLE = "what it holds cannot be checked, so the bundle is refused"


def show_name(raw):
    """A file name for messages: printable ASCII as it is, every other byte as \\xNN."""
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else "\\x%02x" % b for b in bytearray(raw))


def errno_name(error):
    return errno.errorcode.get(error.errno, str(error)) if error.errno else str(error)


def list_files(root, problems):
    """Relative POSIX paths of every regular file, and every folder.

    Fails closed on what it cannot see (os.walk skips unreadable folders in silence): a folder
    or file that cannot be read, a name that is not UTF-8, a folder nested deeper than
    MAX_FOLDER_DEPTH, links and special files are problems, never skipped and never a crash.
    Names are read as bytes, so the locale's encoding plays no part.
    """
    files = []
    folders = []
    root_b = os.fsencode(root)
    pending = [(b"", 0)]
    while pending:
        prefix, depth = pending.pop()
        try:
            names = os.listdir(os.path.join(root_b, prefix) if prefix else root_b)
        except OSError as error:
            problems.add(EXIT_TAMPERED, prefix.decode("utf-8") + "/" if prefix else ".", "cannot be read (%s); %s" % (errno_name(error), UNREADABLE))
            continue
        for raw in names:
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                shown = (prefix.decode("utf-8") + "/" if prefix else "") + show_name(raw)
                problems.add(EXIT_TAMPERED, shown, "has a name that is not UTF-8; no ferry bundle holds one, and it cannot be listed in SHA256SUMS")
                continue
            rel_b = prefix + b"/" + raw if prefix else raw
            rel = rel_b.decode("utf-8")
            try:
                st = os.lstat(os.path.join(root_b, rel_b))
            except OSError as error:
                problems.add(EXIT_TAMPERED, rel, "cannot be read (%s); %s" % (errno_name(error), UNREADABLE))
                continue
            if stat.S_ISDIR(st.st_mode):
                if depth + 1 > MAX_FOLDER_DEPTH:
                    problems.add(EXIT_TAMPERED, rel + "/", "is nested more than %d folders deep; a bundle's folders are one level deep (wheels/, signatures/), so it is refused unread" % MAX_FOLDER_DEPTH)
                    continue
                folders.append(rel)
                pending.append((rel_b, depth + 1))
            elif stat.S_ISREG(st.st_mode):
                files.append(rel)
            else:
                problems.add(EXIT_TAMPERED, rel, "is not a regular file or folder (links are not allowed in a bundle)")
    key = lambda p: p.encode("utf-8")
    return sorted(files, key=key), sorted(folders, key=key)


def in_bundle(root, rel):
    """The path of a bundle file as bytes: UTF-8 names work whatever the locale's encoding."""
    return os.path.join(os.fsencode(root), rel.encode("utf-8"))


def read_or_report(path, rel, problems):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as error:
        problems.add(EXIT_TAMPERED, rel, "cannot be read (%s); %s" % (errno_name(error), UNREADABLE))
        return None


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
    """Checks SHA256SUMS and manifest.json; returns the SHA256SUMS bytes (or None), the files and folders."""
    files, folders = list_files(root, problems)
    sums_path = os.path.join(root, SUMS)
    if SUMS not in files:
        problems.add(EXIT_INCOMPLETE, SUMS, "missing; nothing in the bundle can be checked")
        return None, files, folders
    sums_bytes = read_or_report(sums_path, SUMS, problems)
    if sums_bytes is None:
        return None, files, folders
    try:
        text = sums_bytes.decode("utf-8")
    except UnicodeDecodeError:
        problems.add(EXIT_TAMPERED, SUMS, "is not UTF-8 text")
        return sums_bytes, files, folders
    entries = parse_sums(text, problems)
    listed = dict(entries)
    covered = [p for p in files if p != SUMS and not p.startswith(SIGNATURES + "/")]
    present = set(covered)
    for path, expected in entries:
        if path not in present:
            problems.add(EXIT_INCOMPLETE, path, "missing (listed in SHA256SUMS)")
            continue
        try:
            actual = hash_file(in_bundle(root, path))
        except OSError as error:
            problems.add(EXIT_TAMPERED, path, "cannot be read (%s); %s" % (errno_name(error), UNREADABLE))
            continue
        if actual != expected:
            problems.add(EXIT_TAMPERED, path, "SHA-256 is %s, SHA256SUMS says %s" % (actual, expected))
    for path in covered:
        if path not in listed:
            problems.add(EXIT_TAMPERED, path, "not listed in SHA256SUMS (an extra file)")
    for path in REQUIRED_FILES:
        if path not in listed and path not in present:
            problems.add(EXIT_INCOMPLETE, path, "missing (every bundle of format %d has it)" % FORMAT_VERSION)
    check_manifest(root, listed, present, problems)
    return sums_bytes, files, folders


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _is_str_list(value):
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_count(value):
    # JSON has one number type: 5 and 5.0 are the same whole number (as in JavaScript).
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value.is_integer() and value >= 0
    return isinstance(value, int) and value >= 0


def _is_hex64(value):
    return isinstance(value, str) and HEX64.match(value) is not None


# The fields of format 1 (src/bundle/manifest.ts): name -> (check, what it must be).
_STR = (lambda v: isinstance(v, str), "a string")
_STRS = (_is_str_list, "a list of strings")
_TOP = (("tool", _STR), ("createdAt", _STR), ("indexes", _STRS), ("requirements", _STRS), ("constraints", _STRS))
_TARGET = (("name", _STR), ("python", _STR), ("implementation", _STR), ("platform", _STR), ("tags", _STRS),
           ("markers", (lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()), "an object of strings")))
_PACKAGE = (("name", _STR), ("version", _STR), ("requiredBy", _STRS), ("extras", _STRS), ("dependencies", _STRS), ("targets", _STRS))
_FILE = (("path", _STR), ("name", _STR), ("version", _STR), ("size", (_is_count, "a whole number of bytes")),
         ("sha256", (_is_hex64, "64 lower-case hex digits")), ("url", _STR))
_FILE_OPTIONAL = (("sm3", (_is_hex64, "64 lower-case hex digits")), ("index", _STR))
# tools[] (optional): what the bundle carries besides packages, e.g. tools/ferry.mjs.
_TOOL = (("path", _STR), ("size", (_is_count, "a whole number of bytes")),
         ("sha256", (_is_hex64, "64 lower-case hex digits")), ("tool", _STR))
# A delta bundle (docs/deltas.md): base names what it builds on; baseFiles the files of the
# closure it relies on but does not carry.
_BASE_BUNDLE = (("name", _STR), ("digest", (_is_hex64, "64 lower-case hex digits")))
_BASE_FILE = (("filename", _STR), ("name", _STR), ("version", _STR), ("size", (_is_count, "a whole number of bytes")),
              ("sha256", (_is_hex64, "64 lower-case hex digits")))


def manifest_problem(manifest):
    """Why manifest.json is not a format-1 manifest (the first problem), or None."""
    if not isinstance(manifest, dict):
        return "is not a JSON object"
    if manifest.get("formatVersion") != FORMAT_VERSION:
        return "format %r, expected %d" % (manifest.get("formatVersion"), FORMAT_VERSION)

    def fields(obj, where, required, optional=()):
        if not isinstance(obj, dict):
            return "%s must be an object, got %s" % (where, json.dumps(obj)[:60])
        for key, (check, what) in required:
            if key not in obj:
                return "%s.%s is missing" % (where, key)
            if not check(obj[key]):
                return "%s.%s must be %s, got %s" % (where, key, what, json.dumps(obj[key])[:60])
        for key, (check, what) in optional:
            if key in obj and not check(obj[key]):
                return "%s.%s must be %s, got %s" % (where, key, what, json.dumps(obj[key])[:60])
        return None

    problem = fields(manifest, "manifest", _TOP)
    if problem:
        return problem
    for key, schema in (("targets", _TARGET), ("packages", _PACKAGE), ("files", _FILE)):
        items = manifest.get(key)
        if not isinstance(items, list):
            return "%s must be a list, got %s" % (key, json.dumps(items)[:60])
        for i, item in enumerate(items):
            problem = fields(item, "%s[%d]" % (key, i), schema, _FILE_OPTIONAL if key == "files" else ())
            if problem:
                return problem
    if "tools" in manifest:
        if not isinstance(manifest["tools"], list):
            return "tools must be a list, got %s" % json.dumps(manifest["tools"])[:60]
        for i, item in enumerate(manifest["tools"]):
            problem = fields(item, "tools[%d]" % i, _TOOL)
            if problem:
                return problem
    if "base" in manifest:
        base = manifest["base"]
        problem = fields(base, "base", (), (("inventory", (_is_hex64, "64 lower-case hex digits")),))
        if problem:
            return problem
        if not isinstance(base.get("bundles"), list):
            return "base.bundles must be a list, got %s" % json.dumps(base.get("bundles"))[:60]
        for i, item in enumerate(base["bundles"]):
            problem = fields(item, "base.bundles[%d]" % i, _BASE_BUNDLE)
            if problem:
                return problem
    if "baseFiles" in manifest:
        if not isinstance(manifest["baseFiles"], list):
            return "baseFiles must be a list, got %s" % json.dumps(manifest["baseFiles"])[:60]
        for i, item in enumerate(manifest["baseFiles"]):
            problem = fields(item, "baseFiles[%d]" % i, _BASE_FILE, (("bundle", _STR),))
            if problem:
                return problem
    return None


def check_manifest(root, listed, present, problems):
    path = os.path.join(root, "manifest.json")
    if "manifest.json" not in present:
        return
    data = read_or_report(path, "manifest.json", problems)
    if data is None:
        return
    try:
        manifest = json.loads(data.decode("utf-8"))
    except ValueError as error:
        problems.add(EXIT_TAMPERED, "manifest.json", "cannot be read: %s" % error)
        return
    problem = manifest_problem(manifest)
    if problem is not None:
        problems.add(EXIT_TAMPERED, "manifest.json", "cannot be read: %s" % problem)
        return
    named = set()
    have = set()
    for entry in manifest["files"]:
        fpath, sha256, size = entry["path"], entry["sha256"], entry["size"]
        if fpath in named:
            # A second entry for one path would count its package twice (ferry verify: the same).
            problems.add(EXIT_TAMPERED, fpath, "is named more than once in manifest.json")
            continue
        named.add(fpath)
        have.add((normalize(entry["name"]), entry["version"]))
        if listed.get(fpath) != sha256:
            problems.add(EXIT_TAMPERED, fpath, "manifest.json and SHA256SUMS disagree about its SHA-256")
        if fpath in present:
            actual = os.lstat(in_bundle(root, fpath)).st_size
            if actual != size:
                problems.add(EXIT_TAMPERED, fpath, "is %d bytes, manifest.json says %d" % (actual, size))
        else:
            problems.add(EXIT_INCOMPLETE, fpath, "missing (named in manifest.json)")
    # Tools (tools/ferry.mjs): the same agreement as a wheel's, and nothing unnamed in tools/.
    tools = set()
    for entry in manifest.get("tools", []):
        tpath, sha256, size = entry["path"], entry["sha256"], entry["size"]
        if unsafe_path(tpath) or not tpath.startswith("tools/"):
            problems.add(EXIT_TAMPERED, "manifest.json", 'names the tool path "%s": tools live in tools/' % tpath)
            continue
        if tpath in tools or tpath in named:
            problems.add(EXIT_TAMPERED, tpath, "is named more than once in manifest.json")
            continue
        tools.add(tpath)
        if listed.get(tpath) != sha256:
            problems.add(EXIT_TAMPERED, tpath, "manifest.json and SHA256SUMS disagree about its SHA-256")
        if tpath not in present:
            problems.add(EXIT_INCOMPLETE, tpath, "missing (named in manifest.json)")
            continue
        actual = os.lstat(in_bundle(root, tpath)).st_size
        if actual != size:
            problems.add(EXIT_TAMPERED, tpath, "is %d bytes, manifest.json says %d" % (actual, size))
    for p in present:
        if p.startswith("wheels/") and p not in named:
            problems.add(EXIT_TAMPERED, p, "not named in manifest.json")
        if p.startswith("tools/") and p not in tools:
            problems.add(EXIT_TAMPERED, p, "not named in manifest.json (tools[])")
    # A delta's base files count for completeness; their bytes are checked where the base is.
    base_files = manifest.get("baseFiles", [])
    if base_files and "base" not in manifest:
        problems.add(EXIT_TAMPERED, "manifest.json", "lists baseFiles but names no base")
    seen_base = set()
    for entry in base_files:
        filename = entry["filename"]
        if not filename or "/" in filename or "\\" in filename or filename.startswith("."):
            problems.add(EXIT_TAMPERED, "manifest.json", 'names the unsafe base file name "%s"' % filename)
            continue
        if filename in seen_base or ("wheels/" + filename) in named:
            problems.add(EXIT_TAMPERED, filename, "is named more than once in manifest.json")
            continue
        seen_base.add(filename)
        have.add((normalize(entry["name"]), entry["version"]))
    packages = manifest["packages"]
    names = set(normalize(package["name"]) for package in packages)
    seen = set()
    for package in packages:
        key = (normalize(package["name"]), package["version"])
        if key in seen:
            problems.add(EXIT_TAMPERED, "manifest.json", "lists the package %s %s more than once" % (package["name"], package["version"]))
        seen.add(key)
        if key not in have:
            problems.add(EXIT_INCOMPLETE, "manifest.json", "%s %s has no file in the bundle" % (package["name"], package["version"]))
        for dep in package["dependencies"]:
            if normalize(dep) not in names:
                problems.add(EXIT_INCOMPLETE, "manifest.json", "%s depends on %s, which is not in the bundle" % (package["name"], dep))


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


def check_signatures(root, sums_bytes, files, folders, args, problems):
    # signatures/ holds signature files and nothing else, whatever the trust mode: with
    # --allow-unsigned too, so install.py and ferry verify refuse the same bundles.
    prefix = SIGNATURES + "/"
    for folder in folders:
        if folder.startswith(prefix) and "/" not in folder[len(prefix):]:
            problems.add(EXIT_UNTRUSTED, folder, "is not a signature file (signatures/ holds only files)")
    names = []
    for path in files:
        name = path[len(prefix):]
        if not path.startswith(prefix) or "/" in name:
            continue
        if MINISIG_NAME.match(name) is None and SM2_NAME.match(name) is None:
            problems.add(EXIT_UNTRUSTED, path, "is not a signature file (KEYID.minisig or KEYID.sm2.sig)")
            continue
        names.append(name)
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
        data = read_or_report(os.path.join(root, SIGNATURES, name), rel, problems)
        if data is None:
            continue
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


def gather_base(root, args, work):
    """For a delta bundle: every base file found under a --base folder (an earlier bundle, a
    folder of wheels or a ferry index store), its SHA-256 checked, linked into `work`. Returns
    (status, message); status EXIT_OK when every file is there."""
    with open(os.path.join(root, "manifest.json"), "rb") as handle:
        manifest = json.loads(handle.read().decode("utf-8"))
    base_files = manifest.get("baseFiles", [])
    if not base_files:
        return EXIT_OK, None
    bundles = ", ".join(b["name"] for b in manifest.get("base", {}).get("bundles", [])) or "an earlier bundle"
    if not args.base:
        return EXIT_INCOMPLETE, ("this is a delta bundle: it relies on %d file(s) it does not carry, from %s; "
                                 "give --base DIR (the earlier bundle folder(s), or the index store that holds them)" % (len(base_files), bundles))
    missing = []
    for entry in base_files:
        filename, sha256 = entry["filename"], entry["sha256"]
        found = None
        for base in args.base:
            for candidate in (os.path.join(base, "wheels", filename), os.path.join(base, filename),
                              os.path.join(base, "files", sha256[:2], sha256, filename)):
                if os.path.isfile(candidate) and hash_file(candidate) == sha256:
                    found = candidate
                    break
            if found:
                break
        if found is None:
            missing.append("%s (sha256 %s%s)" % (filename, sha256, ", from " + entry["bundle"] if entry.get("bundle") else ""))
            continue
        target = os.path.join(work, filename)
        try:
            os.link(found, target)
        except OSError:
            shutil.copyfile(found, target)
    if missing:
        return EXIT_INCOMPLETE, "the base given with --base lacks %d file(s) this delta relies on: %s" % (len(missing), "; ".join(missing))
    return EXIT_OK, None


# ------------------------------------------------------------------ build carried sdists before the install
#
# An sdist carried with `ferry bundle --allow-sdist` is built into a wheel here, before the
# install, with the new venv's pip and no network:
#   python -m pip wheel --no-index --find-links wheels --no-deps -w WORK/built SDIST
# pip builds it with build isolation, installing its build requirements with the same
# --no-index --find-links, so from the wheels in this bundle and only those (pypa/pip #12270:
# they must be there, and ferry bundle carries them). The sdist's line in requirements.txt then
# gets the built wheel's hash in place of the sdist's, and the install takes wheels only (pip
# with --only-binary :all:, or uv with --no-build), still with --require-hashes. Packages the
# bundle carries only for these builds are left out of that file: the venv does not get them
# (PEP 517 build isolation). The same as `ferry install` (src/onhost/build-carried.ts,
# src/onhost/build-only.ts).

BUILD_SOURCE = "build requirements of "


def normalize_name(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def build_only_packages(packages):
    """Normalized names of the packages only the carried sdists' builds need (requiredBy)."""
    if not any(r.startswith(BUILD_SOURCE) for p in packages for r in p.get("requiredBy", [])):
        return set()
    labels = set("%s %s" % (p["name"], p["version"]) for p in packages)
    by_name = dict((normalize_name(p["name"]), p) for p in packages)
    queue = [normalize_name(p["name"]) for p in packages
             if any(not r.startswith(BUILD_SOURCE) and r not in labels for r in p.get("requiredBy", []))]
    runtime = set()
    while queue:
        name = queue.pop()
        if name in runtime:
            continue
        runtime.add(name)
        queue.extend(normalize_name(d) for d in by_name.get(name, {}).get("dependencies", []))
    if not runtime:
        return set()
    return set(n for n in by_name if n not in runtime)


def without_packages(text, names):
    """requirements.txt without the entries (a line and its continuation lines) of names."""
    if not names:
        return text
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        entry = [lines[i]]
        while entry[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            entry.append(lines[i])
        i += 1
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", entry[0])
        if m and normalize_name(m.group(1)) in names:
            continue
        out.extend(entry)
    return "\n".join(out)


def carried_sdists(root):
    with open(os.path.join(root, "manifest.json"), "rb") as handle:
        manifest = json.loads(handle.read().decode("utf-8"))
    return [f["path"] for f in manifest.get("files", []) if not f["path"].endswith(".whl")]


def build_carried_sdists(root, python, extra_links, work):
    """Builds every carried sdist; returns (status, None or (requirements file, wheels folder))."""
    import time
    sdists = carried_sdists(root)
    if not sdists:
        return EXIT_OK, None
    built = os.path.join(work, "built")
    os.makedirs(built)
    with open(os.path.join(root, "manifest.json"), "rb") as handle:
        packages = json.loads(handle.read().decode("utf-8")).get("packages", [])
    with open(os.path.join(root, "requirements.txt"), "rb") as handle:
        requirements = without_packages(handle.read().decode("utf-8"), build_only_packages(packages))
    links = ["--find-links", os.path.join(root, "wheels")] + (["--find-links", extra_links] if extra_links else [])
    for i, sdist in enumerate(sdists):
        out = os.path.join(work, "out-%d" % i)
        os.makedirs(out)
        say("building %s on this host, offline, from the bundle's wheels" % os.path.basename(sdist))
        started = time.time()
        code = subprocess.call([python, "-m", "pip", "wheel", "--no-index"] + links + [
            "--no-deps", "--no-cache-dir", "--wheel-dir", out, os.path.join(root, sdist)], env=clean_env(), cwd=root)
        wheels = sorted(n for n in os.listdir(out) if n.endswith(".whl"))
        if code != 0 or len(wheels) != 1:
            say("error: %s could not be built into a wheel here (a native package needs gcc/g++ and the Python headers)" % sdist)
            return EXIT_INSTALL, None
        os.rename(os.path.join(out, wheels[0]), os.path.join(built, wheels[0]))
        wheel_sha = hash_file(os.path.join(built, wheels[0]))
        at = "--hash=sha256:" + hash_file(os.path.join(root, sdist))
        if at not in requirements:
            say("error: requirements.txt does not name %s by its SHA-256" % sdist)
            return EXIT_INCOMPLETE, None
        requirements = requirements.replace(at, "--hash=sha256:" + wheel_sha)
        say("built %s into %s in %.1f s (sha256 %s)" % (os.path.basename(sdist), wheels[0], time.time() - started, wheel_sha))
    amended = os.path.join(work, "requirements.txt")
    with open(amended, "wb") as handle:
        handle.write(requirements.encode("utf-8"))
    return EXIT_OK, (amended, built)


def with_built_wheels(command, root, built):
    """The install command taking the amended requirements and the built wheels, wheels only."""
    if built is None:
        return command
    amended, folder = built
    out = []
    for arg in command:
        out.append(amended if arg == os.path.join(root, "requirements.txt") else arg)
    at = out.index("--find-links")
    out[at:at] = ["--find-links", folder]
    if "--no-build" not in out:
        out[at:at] = ["--only-binary", ":all:"]
    return out


# ------------------------------------------------------------------ installer: uv or pip
#
# A bundle made by `ferry bundle` carries uv's own wheel for its Linux x86_64/aarch64 targets
# (tools/uv-VERSION-...whl, manifest.json tools[], checked above with every other file). Its
# binary, uv-VERSION.data/scripts/uv, is unpacked beside the venv and must answer --version;
# then it installs with the same guarantees as pip here (hashes required, no index, no
# configuration, so no network):
#   uv pip install --offline --no-index --no-config --no-deps --require-hashes --no-build
#      --find-links wheels --python VENV/bin/python -r requirements.txt
# Every UV_* variable is dropped (https://docs.astral.sh/uv/configuration/environment/).
# Where it does not run (another arch or libc, a noexec filesystem), pip installs, and the
# reason is printed. --installer pip always uses pip; --installer uv fails rather than fall back.

UV_TOOL_PATH = re.compile(r"^tools/uv-([^-/]+)-[^/]+\.whl$")
UV_MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def uv_env():
    env = dict((k, v) for k, v in clean_env().items() if not k.startswith("UV_"))
    env["UV_NO_CONFIG"] = "1"
    return env


def carried_uv(manifest):
    """The uv wheels in tools[], this machine's first."""
    import platform
    tools = [t for t in manifest.get("tools", [])
             if re.match(r"^uv \S+$", t.get("tool", "")) and UV_TOOL_PATH.match(t.get("path", ""))]
    machine = platform.machine().lower()
    machine = UV_MACHINES.get(machine, machine)
    return sorted(tools, key=lambda t: 0 if ("_" + machine) in t["path"] else 1)


def unpack_uv(root, tool, work):
    import zipfile
    member = "uv-%s.data/scripts/uv" % UV_TOOL_PATH.match(tool["path"]).group(1)
    with zipfile.ZipFile(os.path.join(root, tool["path"])) as archive:
        data = archive.read(member)  # zipfile checks each member's CRC-32
    folder = os.path.join(work, os.path.basename(tool["path"])[:-len(".whl")])
    os.makedirs(folder)
    binary = os.path.join(folder, "uv")
    with open(binary, "wb") as handle:
        handle.write(data)
    os.chmod(binary, 0o755)
    return binary


def uv_version(binary):
    """uv's version, or raises OSError/ValueError saying why it does not run."""
    proc = subprocess.Popen([binary, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=uv_env())
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise ValueError("uv --version did not answer in 30 s")
    text = out.decode("utf-8", "replace").strip()
    m = re.match(r"^uv (\S+)", text)
    if proc.returncode != 0 or m is None:
        raise ValueError("uv --version failed (exit %s): %s" % (proc.returncode, (err.decode("utf-8", "replace") or text).strip()[:200]))
    return m.group(1)


def choose_installer(root, args, work, built=None):
    """(name, binary or None, reason); raises ValueError when --installer uv cannot be met."""
    def pip(reason):
        if args.installer == "uv":
            raise ValueError("--installer uv was given, but %s" % reason)
        return "pip", None, reason
    if args.installer == "pip":
        return pip("--installer pip was given")
    with open(os.path.join(root, "manifest.json"), "rb") as handle:
        manifest = json.loads(handle.read().decode("utf-8"))
    sdists = [f["path"] for f in manifest.get("files", []) if not f["path"].endswith(".whl")]
    # Carried sdists already built into wheels (build_carried_sdists) are installed as wheels.
    if sdists and built is None:
        return pip("the bundle carries %d sdist(s), which pip builds on this host" % len(sdists))
    tools = carried_uv(manifest)
    if not tools:
        return pip("the bundle carries no uv (made with --installer pip, or by an older ferry)")
    failures = []
    for tool in tools:
        try:
            binary = unpack_uv(root, tool, work)
            version = uv_version(binary)
            return "uv", binary, "uv %s, carried by the bundle (%s), runs here" % (version, tool["path"])
        except Exception as error:  # OSError (exec format, noexec), a bad zip...: fall back, say why
            failures.append("%s: %s" % (tool["path"], error))
    name, binary, reason = pip("the uv the bundle carries does not run here (%s)" % "; ".join(failures))
    say("warning: installing with pip: " + reason)
    return name, binary, reason


def install_command(name, binary, python, root, extra_links, work):
    links = ["--find-links", os.path.join(root, "wheels")] + (["--find-links", extra_links] if extra_links else [])
    requirements = ["-r", os.path.join(root, "requirements.txt")]
    if name == "uv":
        return [binary, "pip", "install", "--offline", "--no-index", "--no-config", "--no-deps", "--require-hashes",
                "--no-build", "--no-python-downloads", "--no-progress"] + links + [
                "--python", python, "--cache-dir", os.path.join(work, "cache")] + requirements, uv_env()
    return [python, "-m", "pip", "install", "--no-index"] + links + ["--require-hashes", "--no-cache-dir"] + requirements, clean_env()


# The wheels ensurepip would install (pip, and setuptools up to Python 3.11), as a JSON list;
# [] when unsure. The same as src/onhost/venv.ts: a venv made --without-pip and seeded by the
# carried uv holds what `python -m venv` puts there, without starting pip (about 3 s).
ENSUREPIP_WHEELS = """
import json, os
paths = []
try:
    import ensurepip
    bundled = os.path.join(os.path.dirname(ensurepip.__file__), "_bundled")
    if hasattr(ensurepip, "_get_packages"):
        for p in ensurepip._get_packages().values():
            paths.append(p.wheel_path or os.path.join(bundled, p.wheel_name))
    elif hasattr(ensurepip, "_get_pip_whl_path_ctx"):
        with ensurepip._get_pip_whl_path_ctx() as p:
            paths.append(str(p))
    if not all(os.path.isfile(p) for p in paths):
        paths = []
except Exception:
    paths = []
print(json.dumps(paths))
"""


def seed_venv_with_uv(base_python, venv, binary, work, env):
    """`-m venv --without-pip`, then uv installs ensurepip's wheels; False (nothing left) if not."""
    try:
        out = subprocess.check_output([base_python, "-E", "-s", "-c", ENSUREPIP_WHEELS], env=env)
        wheels = json.loads(out.decode("utf-8"))
    except Exception:
        return False
    if not wheels:
        return False
    python = os.path.join(venv, "bin", "python")
    if subprocess.call([base_python, "-m", "venv", "--without-pip", venv], env=env) == 0:
        command = [binary, "pip", "install", "--offline", "--no-index", "--no-config", "--no-deps", "--no-build",
                   "--no-python-downloads", "--no-progress", "--quiet", "--python", python,
                   "--cache-dir", os.path.join(work, "cache")] + wheels
        if subprocess.call(command, env=uv_env()) == 0:
            return True
    shutil.rmtree(venv, ignore_errors=True)
    return False


def install(root, args, extra_links=None):
    venv = os.path.abspath(args.venv)
    if os.path.exists(venv) and (not os.path.isdir(venv) or os.listdir(venv)):
        say("error: %s already exists; choose a new --venv PATH" % venv)
        return EXIT_USAGE
    created = not os.path.exists(venv)
    env = clean_env()
    parent = os.path.dirname(venv)
    if not os.path.isdir(parent):
        os.makedirs(parent)
    # uv's binary and cache go beside the venv: the same filesystem, so uv hard-links.
    work = tempfile.mkdtemp(prefix=".ferry-installer-", dir=parent)
    try:
        # Without sdists to build, the installer is known first: uv then seeds the venv too.
        chosen = None
        if os.name != "nt" and not carried_sdists(root):
            try:
                chosen = choose_installer(root, args, work)
            except ValueError as error:
                say("error: %s; no venv was made" % error)
                return EXIT_INSTALL
        say("creating the venv %s with %s" % (venv, args.python))
        seeded = chosen is not None and chosen[0] == "uv" and seed_venv_with_uv(args.python, venv, chosen[1], work, env)
        if not seeded and subprocess.call([args.python, "-m", "venv", venv], env=env) != 0:
            say("error: `%s -m venv %s` failed (on Debian/Ubuntu install python3-venv)" % (args.python, venv))
            if created:
                shutil.rmtree(venv, ignore_errors=True)
            return EXIT_INSTALL
        python = os.path.join(venv, "Scripts", "python.exe") if os.name == "nt" else os.path.join(venv, "bin", "python")
        status, built = build_carried_sdists(root, python, extra_links, work)
        if status != EXIT_OK:
            if created:
                shutil.rmtree(venv, ignore_errors=True)
            return status
        if chosen is None:
            try:
                chosen = choose_installer(root, args, work, built)
            except ValueError as error:
                say("error: %s; the venv %s was removed" % (error, venv))
                if created:
                    shutil.rmtree(venv, ignore_errors=True)
                return EXIT_INSTALL
        name, binary, reason = chosen
        say("installing with %s (%s): no index, hashes required, no configuration" % (name, reason))
        command, installer_env = install_command(name, binary, python, root, extra_links, work)
        command = with_built_wheels(command, root, built)
        if subprocess.call(command, env=installer_env, cwd=root) != 0:
            say("error: %s failed; the venv %s was removed" % (name, venv))
            if created:
                shutil.rmtree(venv, ignore_errors=True)
            return EXIT_INSTALL
    finally:
        shutil.rmtree(work, ignore_errors=True)
    status = smoke_test(root, args, python, venv, created)
    if status != EXIT_OK:
        return status
    say("installed into %s" % venv)
    return EXIT_OK


# ------------------------------------------------------------------ smoke test
#
# The same checks, in the same order, with the same outcomes as `ferry install`
# (src/onhost/smoke/run-smoke.ts): the import check first (the framework as users import it,
# then every other top-level module), then the framework's checks, each in a fresh interpreter
# of the new venv with its own timeout; after a failed check the rest are skipped. A failed
# smoke test removes the venv install.py made (exit 8), as ferry install makes no venv then.


def smoke_plan():
    from collections import OrderedDict
    return json.loads(SMOKE_PLAN, object_pairs_hook=OrderedDict)


def select_smoke_checks(plan, mode, package_names):
    """selectSmokeChecks of src/frameworks/smoke-checks.ts."""
    if mode == "none":
        return []
    if mode == "auto":
        found = set(plan["projects"].get(normalize(n)) for n in package_names)
        suites = [s for s in plan["suites"] if s in found]
    elif mode == "imports":
        suites = []
    else:
        suites = [mode]
    return [plan["imports"]] + [c for s in suites for c in plan["suites"][s]]


def smoke_env():
    """isolatedPipEnv of src/host/python-env.ts."""
    env = dict((k, v) for k, v in os.environ.items()
               if not k.startswith("PIP_") and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"))
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
                "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def run_smoke_step(python, argv, timeout):
    import time
    started = time.time()
    proc = subprocess.Popen([python, "-I"] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=smoke_env())
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, err = proc.communicate()
    return {"code": proc.returncode, "stdout": out.decode("utf-8", "replace"),
            "stderr": err.decode("utf-8", "replace")[-64 * 1024:], "timedOut": timed_out,
            "seconds": round(time.time() - started, 3)}


def _tail(text, count):
    return "\n".join(text.strip().split("\n")[-count:])


def _died(step):
    code = step["code"]
    return "signal %d" % -code if code is not None and code < 0 else "exit %s" % code


def harness_result(spec, step, timeout):
    base = {"id": spec["id"], "title": spec["title"], "seconds": step["seconds"]}
    if step["timedOut"]:
        base.update(outcome="timeout", detail="no result after %s s; the interpreter was killed" % timeout,
                    data={"stderr": _tail(step["stderr"], 10)})
        return base
    lines = step["stdout"].strip().split("\n")
    try:
        record = json.loads(lines[-1]) if lines[-1] else None
    except ValueError:
        record = None
    if not isinstance(record, dict):
        base.update(outcome="failed", detail="the interpreter died (%s) before reporting: %s"
                    % (_died(step), _tail(step["stderr"], 3) or "no output"), data={"stderr": _tail(step["stderr"], 20)})
        return base
    data = dict(record.get("data") or {})
    if "checkSeconds" in record:
        data["checkSeconds"] = record["checkSeconds"]
    outcome = record.get("outcome") if record.get("outcome") in ("warning", "failed") else "passed"
    base.update(outcome=outcome, detail=record.get("detail") or "", data=data)
    return base


def import_check_result(spec, step, timeout):
    imports = []
    current = None
    for line in step["stdout"].split("\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        if "start" in record:
            current = record["start"]
        elif "module" in record:
            current = None
            imports.append({"module": record["module"], "distribution": record.get("distribution") or "?",
                            "status": record.get("status") or "failed", "error": record.get("error"),
                            "seconds": record.get("seconds") or 0})
    base = {"id": spec["id"], "title": spec["title"], "seconds": step["seconds"]}
    if step["timedOut"]:
        base.update(outcome="timeout", detail="importing %s took longer than %s s" % (current or "the modules", timeout),
                    data={"imports": imports})
        return base
    if step["code"] != 0 or current is not None:
        imports.append({"module": current or "?", "distribution": "?", "status": "failed",
                        "error": "the interpreter died (%s): %s" % (_died(step), _tail(step["stderr"], 5)), "seconds": 0})
    failures = [i for i in imports if i["status"] == "failed"]
    if failures:
        base.update(outcome="failed", data={"imports": imports},
                    detail="%d of %d modules failed to import: %s" % (len(failures), len(imports), "; ".join(
                        "%s (%s): %s" % (i["module"], i["distribution"], i["error"]) for i in failures)))
        return base
    ok = len([i for i in imports if i["status"] == "ok"])
    left = [i for i in imports if i["status"] in ("plugin", "already-registered")]
    note = "; left to the framework: " + ", ".join("%s (%s)" % (i["module"], i["status"]) for i in left) if left else ""
    base.update(outcome="passed", detail="%d modules import%s" % (ok, note), data={"imports": imports})
    return base


def run_smoke_checks(python, checks, timeout_override=None):
    """runSmokeChecks of src/onhost/smoke/run-smoke.ts: the results, one per check."""
    plan = smoke_plan()
    folder = tempfile.mkdtemp(prefix="ferry-smoke-")
    results = []
    failed = None
    try:
        for name, text in plan["files"].items():
            with open(os.path.join(folder, name), "w") as handle:
                handle.write(text)
        for spec in checks:
            if failed is not None:
                results.append({"id": spec["id"], "title": spec["title"], "outcome": "skipped",
                                "detail": "not run: %s failed" % failed["id"], "seconds": 0})
                continue
            say("smoke: %s: %s" % (spec["id"], spec["title"]))
            timeout = timeout_override if timeout_override is not None else spec["timeoutSeconds"]
            if spec["id"] == plan["imports"]["id"]:
                step = run_smoke_step(python, [os.path.join(folder, spec["file"])], timeout)
                result = import_check_result(spec, step, timeout)
            else:
                step = run_smoke_step(python, [os.path.join(folder, "harness.py"), os.path.join(folder, spec["file"]), spec["name"]], timeout)
                result = harness_result(spec, step, timeout)
            results.append(result)
            say("smoke: %s: %s, %s (%.1f s)" % (result["id"], result["outcome"], result["detail"], result["seconds"]))
            if result["outcome"] not in ("passed", "warning"):
                failed = result
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def smoke_test(root, args, python, venv, created):
    """The smoke test of the new venv; EXIT_OK, or EXIT_INSTALL after removing the venv."""
    plan = smoke_plan()
    with open(os.path.join(root, "manifest.json"), "rb") as handle:
        manifest = json.loads(handle.read().decode("utf-8"))
    checks = select_smoke_checks(plan, args.smoke, [p["name"] for p in manifest.get("packages", [])])
    if not checks:
        say("smoke: not run (--smoke none)")
        return EXIT_OK
    results = run_smoke_checks(python, checks, args.smoke_timeout)
    failed = [r for r in results if r["outcome"] not in ("passed", "warning", "skipped")]
    if failed:
        say("error: the smoke test failed, so %s:" % ("no venv was made" if created else "the venv was left as pip left it"))
        for r in failed:
            say("  %s: %s: %s" % (r["id"], r["outcome"], r["detail"]))
        say("hint: a missing shared library, a wheel for another platform or a CPU/GPU mismatch is the usual cause; run `ferry doctor` on this host.")
        if created:
            shutil.rmtree(venv, ignore_errors=True)
        return EXIT_INSTALL
    say("smoke test passed: %d check(s)" % len(results))
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
    parser.add_argument("--base", action="append", default=[], metavar="DIR", help="for a delta bundle: an earlier bundle folder or index store holding the files it does not carry (repeatable)")
    parser.add_argument("--smoke", default="auto", choices=smoke_plan()["modes"], help="the smoke test after installing, as ferry install's: auto (by the bundle's packages), paddle, torch, tensorflow, imports or none")
    parser.add_argument("--smoke-timeout", type=float, metavar="S", help="seconds each smoke check may take (default: per check, 300-600)")
    parser.add_argument("--installer", choices=("auto", "uv", "pip"), default="auto", help="auto (default): the uv the bundle carries when it runs here, else pip; uv: uv or fail; pip: pip")
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
    sums_bytes, files, folders = check_integrity(root, problems)
    signers = []
    if sums_bytes is not None:
        signers = check_signatures(root, sums_bytes, files, folders, args, problems)
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
    work = tempfile.mkdtemp(prefix="ferry-base-")
    try:
        status, message = gather_base(root, args, work)
        if status != EXIT_OK:
            say("error: " + message)
            return status
        return install(root, args, work if os.listdir(work) else None)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
