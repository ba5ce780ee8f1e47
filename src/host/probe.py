#!/usr/bin/env python3
"""ferry probe: describe this host as a ferry target profile (JSON on stdout).

Standard library only; runs on Python 3.6 and later, so it works on a bare Kylin V10
(python3 3.7.9) or a CentOS 7 with python36. It never reaches the network.

What it reports (see docs/target-profile.md):
  - every Python interpreter found (PATH python3 / python3.X, /usr/bin, /usr/local/bin and the
    running one) with its version, ABI tags, the 11 PEP 508 marker variables, and the
    compatibility tags pip on that interpreter would accept, computed under THAT interpreter
    by a stdlib re-implementation of pip's tag logic (packaging may not be installed);
  - /etc/os-release, the machine, the C library, CPU flags (AVX...), the NVIDIA driver, the GPU
    count and each GPU's compute capability, the newest GLIBCXX version of the libstdc++.so.6
    the loader finds, and the CUDA runtime libraries that the dynamic loader could find.

For tests the host can be faked: FERRY_PROBE_ROOT (or --root) prefixes /proc, /sys, /etc, /lib,
/usr and friends, and FERRY_PROBE_NO_COMMANDS=1 (or --no-commands) skips nvidia-smi and
ldconfig. Embeddable: everything is a function; main() is only called when run as a script.
"""

import glob
import json
import os
import platform
import re
import subprocess
import sys

PROBE_FORMAT_VERSION = 1

# The part that runs under each interpreter found. It is a self-contained string so that it can
# be handed to another interpreter with `-c` (and exec'd in-process for the running one) without
# depending on where this file lives: install.py embeds this module.
# It follows pip's compatibility_tags.get_supported() (packaging.tags cpython_tags/generic_tags/
# compatible_tags, _manylinux.platform_tags, _musllinux.platform_tags):
# https://github.com/pypa/packaging/blob/main/src/packaging/tags.py
INTERPRETER_SNIPPET = r'''
import json, os, platform, struct, subprocess, sys, sysconfig

def _norm(s):
    return s.replace(".", "_").replace("-", "_").replace(" ", "_")

def _nodot(v):
    return "".join(str(x) for x in v)

def _cfg(name):
    try:
        return sysconfig.get_config_var(name)
    except Exception:
        return None

def _elf_header(path):
    # (ei_class, ei_data, e_machine, e_flags) or None; packaging._elffile, simplified.
    try:
        with open(path, "rb") as f:
            ident = f.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF":
                return None
            ei_class = ident[4]
            ei_data = ident[5]
            if isinstance(ei_class, str):
                ei_class = ord(ei_class)
                ei_data = ord(ei_data)
            end = "<" if ei_data == 1 else ">"
            if ei_class == 1:
                fmt = end + "HHIIIIIHHHHHH"
            else:
                fmt = end + "HHIQQQIHHHHHH"
            raw = f.read(struct.calcsize(fmt))
            fields = struct.unpack(fmt, raw)
            return ei_class, ei_data, fields[1], fields[6]
    except Exception:
        return None

def _elf_interp(path):
    # The PT_INTERP of an ELF file (the dynamic loader), as packaging._musllinux reads it.
    try:
        with open(path, "rb") as f:
            ident = f.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF":
                return None
            ei_class = ident[4] if not isinstance(ident[4], str) else ord(ident[4])
            ei_data = ident[5] if not isinstance(ident[5], str) else ord(ident[5])
            end = "<" if ei_data == 1 else ">"
            if ei_class == 1:
                ehdr, phdr = end + "HHIIIIIHHHHHH", end + "IIIIIIII"
                idx = (0, 1, 4)
            else:
                ehdr, phdr = end + "HHIQQQIHHHHHH", end + "IIQQQQQQ"
                idx = (0, 2, 5)
            e = struct.unpack(ehdr, f.read(struct.calcsize(ehdr)))
            e_phoff, e_phentsize, e_phnum = e[4], e[8], e[9]
            for i in range(e_phnum):
                f.seek(e_phoff + e_phentsize * i)
                p = struct.unpack(phdr, f.read(struct.calcsize(phdr)))
                if p[idx[0]] != 3:
                    continue
                f.seek(p[idx[1]])
                return os.fsdecode(f.read(p[idx[2]])).strip("\0")
    except Exception:
        return None
    return None

def _glibc_version():
    try:
        s = os.confstr("CS_GNU_LIBC_VERSION")
        if s:
            name, ver = s.split()
            if name == "glibc":
                return ver
    except (AttributeError, OSError, ValueError):
        pass
    try:
        import ctypes
        proc = ctypes.CDLL(None)
        fn = proc.gnu_get_libc_version
        fn.restype = ctypes.c_char_p
        v = fn()
        if not isinstance(v, str):
            v = v.decode("ascii")
        return v
    except Exception:
        return None

def _parse_glibc(v):
    import re
    m = re.match(r"(?P<major>[0-9]+)\.(?P<minor>[0-9]+)", v or "")
    if not m:
        return (-1, -1)
    return (int(m.group("major")), int(m.group("minor")))

def _musl_version():
    ld = _elf_interp(sys.executable)
    if not ld or "musl" not in ld:
        return None
    try:
        p = subprocess.Popen([ld], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        _, err = p.communicate()
    except Exception:
        return None
    import re
    lines = [l.strip() for l in err.splitlines() if l.strip()]
    if len(lines) < 2 or lines[0][:4] != "musl":
        return None
    m = re.match(r"Version (\d+)\.(\d+)", lines[1])
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)))

def _is_compatible(arch, version, glibc):
    if glibc < version:
        return False
    try:
        import _manylinux
    except ImportError:
        return True
    if hasattr(_manylinux, "manylinux_compatible"):
        r = _manylinux.manylinux_compatible(version[0], version[1], arch)
        if r is not None:
            return bool(r)
        return True
    legacy = {(2, 5): "manylinux1_compatible", (2, 12): "manylinux2010_compatible",
              (2, 17): "manylinux2014_compatible"}
    attr = legacy.get(version)
    if attr and hasattr(_manylinux, attr):
        return bool(getattr(_manylinux, attr))
    return True

def _have_compatible_abi(arch):
    h = _elf_header(sys.executable)
    if arch == "armv7l":
        # 32-bit little-endian ARM EABI5 hard-float
        return h is not None and h[0] == 1 and h[1] == 1 and h[2] == 40 and \
            (h[3] & 0xFF000000) == 0x05000000 and (h[3] & 0x400) == 0x400
    if arch == "i686":
        return h is not None and h[0] == 1 and h[1] == 1 and h[2] == 3
    # loongarch64 and riscv64 were added in packaging 23/24; older pips do not list them.
    return arch in ("x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64")

_LEGACY = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}

def _manylinux_platforms(linux, arch, glibc):
    if glibc is None or not _have_compatible_abi(arch):
        return []
    cur = _parse_glibc(glibc)
    if cur[0] < 0:
        return []
    too_old = (2, 4) if arch in ("x86_64", "i686") else (2, 16)
    maxes = [cur] + [(m, 50) for m in range(cur[0] - 1, 1, -1)]
    out = []
    for mx in maxes:
        min_minor = too_old[1] if mx[0] == too_old[0] else -1
        for minor in range(mx[1], min_minor, -1):
            v = (mx[0], minor)
            if _is_compatible(arch, v, cur):
                out.append(linux.replace("linux", "manylinux_%d_%d" % v))
            if v in _LEGACY and _is_compatible(arch, v, cur):
                out.append(linux.replace("linux", _LEGACY[v]))
    return out

def _linux_platforms(glibc, musl):
    linux = _norm(sysconfig.get_platform())
    if sys.maxsize <= 2 ** 32:
        if linux == "linux_x86_64":
            linux = "linux_i686"
        elif linux == "linux_aarch64":
            linux = "linux_armv7l"
    arch = linux.split("_", 1)[1]
    out = _manylinux_platforms(linux, arch, glibc)
    if musl is not None:
        out += ["musllinux_%d_%d_%s" % (musl[0], m, arch) for m in range(musl[1], -1, -1)]
    out.append(linux)
    return out

def _mac_platforms():
    # packaging.tags.mac_platforms for the running macOS.
    ver = platform.mac_ver()[0]
    version = tuple(int(x) for x in ver.split(".")[:2])
    machine = platform.machine()
    if sys.maxsize <= 2 ** 32 and machine == "x86_64":
        machine = "i386"
    elif sys.maxsize <= 2 ** 32 and machine == "ppc64":
        machine = "ppc"
    def formats(v, cpu):
        f = [cpu]
        if cpu == "x86_64":
            if v < (10, 4):
                return []
            f += ["intel", "fat64", "fat32"]
        elif cpu == "i386":
            if v < (10, 4):
                return []
            f += ["intel", "fat32", "fat"]
        elif cpu == "ppc64":
            if v > (10, 5) or v < (10, 4):
                return []
            f.append("fat64")
        elif cpu == "ppc":
            if v > (10, 6):
                return []
            f += ["fat32", "fat"]
        if cpu in ("arm64", "x86_64"):
            f.append("universal2")
        if cpu in ("x86_64", "i386", "ppc64", "ppc", "intel"):
            f.append("universal")
        return f
    out = []
    if (10, 0) <= version < (11, 0):
        for minor in range(version[1], -1, -1):
            for b in formats((10, minor), machine):
                out.append("macosx_10_%d_%s" % (minor, b))
    if version >= (11, 0):
        for major in range(version[0], 10, -1):
            for b in formats((major, 0), machine):
                out.append("macosx_%d_0_%s" % (major, b))
        if machine == "x86_64":
            for minor in range(16, 3, -1):
                for b in formats((10, minor), machine):
                    out.append("macosx_10_%d_%s" % (minor, b))
        else:
            for minor in range(16, 3, -1):
                out.append("macosx_10_%d_universal2" % minor)
    return out

def _platforms(glibc, musl):
    system = platform.system()
    if system == "Linux":
        return _linux_platforms(glibc, musl)
    if system == "Darwin":
        return _mac_platforms()
    return [_norm(sysconfig.get_platform())]

def _interp_name():
    name = sys.implementation.name
    return {"python": "py", "cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}.get(name, name)

def _interp_version():
    v = _cfg("py_version_nodot")
    return str(v) if v else _nodot(sys.version_info[:2])

def _cpython_abis(pv):
    debug = pymalloc = ucs4 = threading = ""
    abis = []
    with_debug = _cfg("Py_DEBUG")
    has_refcount = hasattr(sys, "gettotalrefcount")
    try:
        import importlib.machinery
        has_ext = "_d.pyd" in importlib.machinery.EXTENSION_SUFFIXES
    except Exception:
        has_ext = False
    if with_debug or (with_debug is None and (has_refcount or has_ext)):
        debug = "d"
    if pv >= (3, 13) and _cfg("Py_GIL_DISABLED"):
        threading = "t"
    if pv < (3, 8):
        with_pymalloc = _cfg("WITH_PYMALLOC")
        if with_pymalloc or with_pymalloc is None:
            pymalloc = "m"
    elif debug:
        abis.append("cp%s%s" % (_nodot(pv), threading))
    abis.insert(0, "cp%s%s%s%s%s" % (_nodot(pv), threading, debug, pymalloc, ucs4))
    return abis

def _py_range(pv):
    out = ["py%s" % _nodot(pv), "py%d" % pv[0]]
    out += ["py%s" % _nodot((pv[0], m)) for m in range(pv[1] - 1, -1, -1)]
    return out

def _supported_tags(glibc, musl):
    pv = tuple(sys.version_info[:2])
    plats = _platforms(glibc, musl)
    name = _interp_name()
    tags = []
    if name == "cp":
        interp = "cp%s" % _nodot(pv)
        abis = _cpython_abis(pv)
        threading = abis[0].startswith(interp + "t")
        for abi in abis:
            tags += ["%s-%s-%s" % (interp, abi, p) for p in plats]
        abi3 = pv >= (3, 2) and not threading
        if abi3:
            tags += ["%s-abi3-%s" % (interp, p) for p in plats]
        tags += ["%s-none-%s" % (interp, p) for p in plats]
        if abi3:
            for minor in range(pv[1] - 1, 1, -1):
                tags += ["cp%s-abi3-%s" % (_nodot((pv[0], minor)), p) for p in plats]
        abi_list = abis
    else:
        interp = name + _interp_version()
        soabi = _cfg("SOABI")
        abi_list = [_norm(soabi)] if soabi else []
        abis = abi_list + (["none"] if "none" not in abi_list else [])
        for abi in abis:
            tags += ["%s-%s-%s" % (interp, abi, p) for p in plats]
    # pip's get_supported() passes "<impl><version>" as the interpreter to compatible_tags, so
    # "cp311-none-any" sits between the py3X-none-<platform> and py3X-none-any tags.
    for py in _py_range(pv):
        tags += ["%s-none-%s" % (py, p) for p in plats]
    tags.append("%s%s-none-any" % (name, _interp_version()))
    tags += ["%s-none-any" % py for py in _py_range(pv)]
    return abi_list, tags

def _full_version(info):
    v = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        v += info.releaselevel[0] + str(info.serial)
    return v

def _markers():
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": _full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }

def _pip_version():
    try:
        import importlib.util
        spec = importlib.util.find_spec("pip")
    except Exception:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for d in spec.submodule_search_locations:
        try:
            with open(os.path.join(d, "__init__.py")) as f:
                for line in f:
                    if line.startswith("__version__"):
                        return line.split("=", 1)[1].strip().strip("\"'")
        except OSError:
            pass
    return None

def interpreter_facts():
    glibc = _glibc_version() if platform.system() == "Linux" else None
    musl = _musl_version() if platform.system() == "Linux" else None
    abis, tags = _supported_tags(glibc, musl)
    libc = None
    if musl is not None:
        libc = {"kind": "musl", "version": "%d.%d" % musl}
    elif glibc is not None:
        g = _parse_glibc(glibc)
        if g[0] >= 0:
            libc = {"kind": "glibc", "version": "%d.%d" % g}
    return {
        "executable": sys.executable,
        "version": platform.python_version(),
        "implementation": sys.implementation.name,
        "abiTag": abis[0] if abis else None,
        "abis": abis,
        "libc": libc,
        "pip": _pip_version(),
        "markers": _markers(),
        "tags": tags,
    }

FACTS = interpreter_facts()
'''


def _root():
    return os.environ.get("FERRY_PROBE_ROOT") or "/"


def _rooted(path, root=None):
    root = root or _root()
    if root == "/":
        return path
    return os.path.join(root, path.lstrip("/"))


def _read(path, root=None):
    try:
        with open(_rooted(path, root), "r") as f:
            return f.read()
    except (IOError, OSError, UnicodeDecodeError):
        return None


def _run(args, timeout=20):
    """(returncode, stdout) or None when the command cannot be started."""
    try:
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    except (OSError, ValueError):
        return None
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return None
    return p.returncode, out


def current_interpreter_facts():
    namespace = {"__name__": "ferry_probe_interpreter"}
    exec(compile(INTERPRETER_SNIPPET, "<ferry-probe-interpreter>", "exec"), namespace)
    return namespace["FACTS"]


def other_interpreter_facts(path):
    """Runs the snippet under another interpreter; (facts, None) or (None, error)."""
    code = INTERPRETER_SNIPPET + "\nsys.stdout.write(json.dumps(FACTS))\n"
    result = _run([path, "-E", "-s", "-c", code], timeout=60)
    if result is None:
        return None, "could not run %s" % path
    rc, out = result
    if rc != 0:
        return None, "%s exited with status %d" % (path, rc)
    try:
        return json.loads(out), None
    except ValueError:
        return None, "%s printed no JSON" % path


_PY_NAME = re.compile(r"^python3(\.\d+)?$")


def interpreter_candidates(root=None):
    """Paths of python3 / python3.X in PATH, /usr/bin and /usr/local/bin, in that order."""
    root = root or _root()
    dirs = []
    if root == "/":
        dirs += [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    dirs += [_rooted("/usr/bin", root), _rooted("/usr/local/bin", root)]
    found = []
    for d in dirs:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        for name in names:
            if _PY_NAME.match(name):
                path = os.path.join(d, name)
                if os.path.isfile(path) and os.access(path, os.X_OK):
                    found.append(path)
    return found


def _is_version_shim(path):
    """A version manager's shim (pyenv, asdf): a small script in a `shims` folder.

    Such a shim starts whichever interpreter the active version selects, and fails (pyenv: exit
    127, "command not found") for a name no active version provides. Those failures say nothing
    about the host's interpreters, so they are summed up in one line, not one warning each.
    """
    if os.path.basename(os.path.dirname(path)) != "shims":
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except (IOError, OSError):
        return False
    return head.startswith(b"#!") and (b"pyenv" in head or b"asdf" in head)


def probe_interpreters(root=None, extra=None, running_only=False):
    """Facts for the running interpreter and every other one found, deduplicated by real path.

    running_only describes the running interpreter alone: starting every other python3.X on
    PATH (each through a pyenv shim, say) is most of the probe's time, and installing into a
    venv of one interpreter needs no other.
    """
    errors = []
    idle_shims = []
    result = []
    seen = set()
    running = os.path.realpath(sys.executable) if sys.executable else None
    if sys.executable:
        facts = current_interpreter_facts()
        facts["paths"] = [sys.executable]
        facts["running"] = True
        result.append(facts)
        seen.add(running)
    for path in [] if running_only else list(extra or []) + interpreter_candidates(root):
        real = os.path.realpath(path)
        if real in seen:
            for r in result:
                if os.path.realpath(r["executable"]) == real and path not in r["paths"]:
                    r["paths"].append(path)
            continue
        seen.add(real)
        facts, error = other_interpreter_facts(path)
        if facts is None:
            if path not in (extra or []) and _is_version_shim(path):
                idle_shims.append(path)
            else:
                errors.append(error)
            continue
        # A wrapper (pyenv shim, alternatives link) can start an interpreter already listed.
        same = [r for r in result if os.path.realpath(r["executable"]) == os.path.realpath(facts["executable"])]
        if same:
            same[0]["paths"].append(path)
            continue
        facts["paths"] = [path]
        facts["running"] = False
        result.append(facts)
    if idle_shims:
        names = [os.path.basename(p) for p in idle_shims]
        errors.append(
            "%d version-manager shim%s in %s (%s) start no interpreter in the active version; "
            "skipped (describe one with --python PATH)"
            % (
                len(idle_shims),
                "" if len(idle_shims) == 1 else "s",
                os.path.dirname(idle_shims[0]),
                ", ".join(names),
            )
        )
    return result, errors


def parse_os_release(text):
    """KEY=value lines, values unquoted as os-release(5) describes."""
    out = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
            value = re.sub(r"\\(.)", r"\1", value)
        out[key.strip()] = value
    return out


def probe_os(root=None):
    text = _read("/etc/os-release", root)
    if text is None:
        text = _read("/usr/lib/os-release", root)
    if text is None:
        return None
    rel = parse_os_release(text)
    return {
        "id": rel.get("ID"),
        "versionId": rel.get("VERSION_ID"),
        "prettyName": rel.get("PRETTY_NAME"),
        "idLike": rel.get("ID_LIKE", "").split() if rel.get("ID_LIKE") else [],
    }


def probe_arch(root=None):
    # A faked host says its machine in proc/sys/kernel/arch (the kernel's `uname -m`).
    if (root or _root()) != "/":
        text = _read("/proc/sys/kernel/arch", root)
        if text and text.strip():
            return text.strip()
    return platform.machine()


_LIBC_FILE = re.compile(r"^libc-(\d+)\.(\d+)\.so$")


def probe_libc(root=None, interpreters=None):
    """The host C library: musl if a musl loader is in /lib, else glibc.

    On the real host the running interpreter's confstr answer is used (what pip reads); on a
    faked root, the fake tree's /lib/ld-musl-*.so.1 or libc-2.NN.so file names are read.
    """
    root = root or _root()
    musl = glob.glob(_rooted("/lib/ld-musl-*.so.1", root))
    if root == "/":
        for facts in interpreters or []:
            if facts.get("running") and facts.get("libc"):
                return facts["libc"]
        if musl:
            return {"kind": "musl", "version": None}
        return None
    if musl:
        # The loader would have to be run to learn its version; a fake tree cannot be.
        return {"kind": "musl", "version": None}
    for d in ("/lib64", "/lib", "/usr/lib64", "/usr/lib"):
        base = _rooted(d, root)
        for path in [base] + sorted(glob.glob(base + "/*-linux-gnu*")):
            try:
                names = os.listdir(path)
            except OSError:
                continue
            for name in sorted(names):
                m = _LIBC_FILE.match(name)
                if m:
                    return {"kind": "glibc", "version": "%s.%s" % (m.group(1), m.group(2))}
    return None


_CPU_FLAGS = ("avx", "avx2", "avx512f", "fma", "sse4_2")


def probe_cpu(root=None):
    text = _read("/proc/cpuinfo", root)
    if text is None:
        return {"model": None, "count": None, "flags": None}
    flags = set()
    model = None
    count = 0
    for line in text.splitlines():
        if ":" not in line:
            continue
        key, value = line.split(":", 1)
        key = key.strip().lower()
        if key == "processor":
            count += 1
        elif key in ("flags", "features"):
            flags.update(value.split())
        elif key in ("model name", "cpu model") and model is None:
            model = value.strip()
    return {
        "model": model,
        "count": count or None,
        "flags": dict((f, f in flags) for f in _CPU_FLAGS),
    }


_NVRM = re.compile(r"Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)?)")
_CAPABILITY = re.compile(r"^\d+\.\d+$")

# GPU model name -> compute capability, for drivers whose nvidia-smi cannot report compute_cap
# (the field was added to nvidia-smi with driver 510). Data-centre and common workstation parts
# only, most specific first; from NVIDIA, "CUDA GPUs - Compute Capability"
# (developer.nvidia.com/cuda-gpus). A name not listed here leaves the capability unknown.
_CAPABILITY_BY_NAME = (
    (r"\bGB300\b|\bB300\b", "10.3"),
    (r"\bGB200\b|\bB200\b|\bB100\b", "10.0"),
    (r"\bRTX 50\d0\b|\bRTX PRO \d+ BLACKWELL", "12.0"),
    (r"\bGH200\b|\bH200\b|\bH100\b|\bH800\b|\bH20\b", "9.0"),
    (r"\bL40S?\b|\bL20\b|\bL4\b|\bRTX 40\d0\b|\bRTX \d+ ADA\b", "8.9"),
    (r"\bA100\b|\bA800\b|\bA30\b", "8.0"),
    (r"\bA10G?\b|\bA40\b|\bA16\b|\bA2\b|\bRTX 30\d0\b|\bRTX A\d+\b", "8.6"),
    (r"\bT4\b|\bRTX 20\d0\b|\bQUADRO RTX\b|\bTITAN RTX\b", "7.5"),
    (r"\bV100S?\b|\bTITAN V\b", "7.0"),
    (r"\bP100\b", "6.0"),
    (r"\bP40\b|\bP4\b|\bGTX 10\d0\b", "6.1"),
    (r"\bM40\b|\bM60\b|\bGTX 9\d0\b", "5.2"),
    (r"\bK80\b", "3.7"),
    (r"\bK40\b|\bK20X?\b", "3.5"),
)


def capability_for_name(name):
    """The compute capability of a GPU model name ("Tesla V100-PCIE-32GB" -> "7.0"), or None."""
    upper = (name or "").upper()
    for pattern, capability in _CAPABILITY_BY_NAME:
        if re.search(pattern, upper):
            return capability
    return None


def _driver_gpu_models(root=None):
    """The "Model:" line of each /proc/driver/nvidia/gpus/BUS/information, in PCI bus order
    (the order nvidia-smi lists GPUs in); None for a GPU whose file has no model."""
    gpu_dir = _rooted("/proc/driver/nvidia/gpus", root)
    try:
        buses = sorted(n for n in os.listdir(gpu_dir) if not n.startswith("."))
    except OSError:
        return []
    models = []
    for bus in buses:
        text = _read("/proc/driver/nvidia/gpus/%s/information" % bus, root) or ""
        m = re.search(r"^Model:\s*(.+?)\s*$", text, re.M)
        models.append(m.group(1) if m else None)
    return models


def probe_nvidia(root=None, run_commands=True, warnings=None):
    """Driver version from /proc/driver/nvidia/version, else nvidia-smi; GPU count; each GPU's
    compute capability (nvidia-smi's compute_cap, else the model name the driver exposes)."""
    driver = None
    source = None
    text = _read("/proc/driver/nvidia/version", root)
    if text:
        m = _NVRM.search(text)
        if m:
            driver, source = m.group(1), "/proc/driver/nvidia/version"
    gpus = None
    gpu_dir = _rooted("/proc/driver/nvidia/gpus", root)
    if os.path.isdir(gpu_dir):
        try:
            gpus = len([n for n in os.listdir(gpu_dir) if not n.startswith(".")])
        except OSError:
            gpus = None
    names = []
    capabilities = None
    if run_commands:
        if driver is None:
            r = _run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"])
            if r is not None and r[0] == 0:
                first = r[1].strip().splitlines()
                if first and re.match(r"^\d+\.\d+", first[0].strip()):
                    driver, source = first[0].strip(), "nvidia-smi"
        r = _run(["nvidia-smi", "-L"])
        if r is not None and r[0] == 0:
            names = [l.strip() for l in r[1].splitlines() if l.strip().startswith("GPU ")]
            gpus = len(names)
        # compute_cap exists in nvidia-smi from driver 510; an older one exits non-zero.
        r = _run(["nvidia-smi", "--query-gpu=name,compute_cap", "--format=csv,noheader"])
        if r is not None and r[0] == 0:
            caps = [l.rsplit(",", 1)[-1].strip() for l in r[1].splitlines() if l.strip()]
            if caps and all(_CAPABILITY.match(c) for c in caps):
                capabilities = caps
    if capabilities is None:
        models = _driver_gpu_models(root)
        caps = [capability_for_name(m) for m in models]
        if caps and all(caps):
            capabilities = caps
        elif models and warnings is not None:
            unknown = sorted(set(m or "(no model line)" for m, c in zip(models, caps) if c is None))
            warnings.append(
                "the compute capability of GPU model(s) %s is not known to this probe and nvidia-smi "
                "did not report it (compute_cap needs driver 510 or later); nvidia.computeCapabilities "
                "is left empty, so GPU architecture checks are skipped" % ", ".join(unknown))
    return {"driverVersion": driver, "driverSource": source, "gpuCount": gpus, "gpus": names,
            "computeCapabilities": capabilities or []}


_GLIBCXX = re.compile(br"GLIBCXX_(\d+)\.(\d+)(?:\.(\d+))?\x00")


def glibcxx_version(data):
    """The newest GLIBCXX_X.Y[.Z] symbol version named in a libstdc++'s bytes, as 'X.Y.Z'."""
    best = None
    for m in _GLIBCXX.finditer(data):
        v = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
        if best is None or v > best:
            best = v
    return None if best is None else "%d.%d.%d" % best


def _elf_class(path):
    """1 (32-bit) or 2 (64-bit) for an ELF file, None for anything else."""
    try:
        with open(path, "rb") as f:
            ident = bytearray(f.read(5))
    except (IOError, OSError):
        return None
    return ident[4] if len(ident) == 5 and ident[:4] == b"\x7fELF" else None


def probe_libstdcxx(root=None, run_commands=True):
    """The libstdc++.so.6 the loader finds and the newest GLIBCXX version it exports.

    A C++ extension built with a newer GCC needs that version (GCC 8 exports GLIBCXX_3.4.25).
    Read from the file's bytes (its .gnu.version_d names), so no `strings` binary is needed.
    """
    root = root or _root()
    candidates = []
    if run_commands and root == "/":
        r = _run(["ldconfig", "-p"]) or _run(["/sbin/ldconfig", "-p"])
        if r is not None and r[0] == 0:
            for line in r[1].splitlines():
                m = re.match(r"^\s*libstdc\+\+\.so\.6\s+\(.*\)\s+=>\s+(\S+)\s*$", line)
                if m:
                    candidates.append(m.group(1))
    for d in ("/lib64", "/usr/lib64"):
        candidates.append(d + "/libstdc++.so.6")
    for d in ("/lib", "/usr/lib"):
        for sub in sorted(glob.glob(_rooted(d, root) + "/*-linux-gnu*")):
            candidates.append(_unroot(os.path.join(sub, "libstdc++.so.6"), root))
        candidates.append(d + "/libstdc++.so.6")
    want = 2 if sys.maxsize > 2 ** 32 else 1
    seen = set()
    for path in candidates:
        real = _rooted(path, root)
        if real in seen or not os.path.isfile(real):
            continue
        seen.add(real)
        elf = _elf_class(real)
        if elf is not None and elf != want and root == "/":
            continue  # the other word size's library (lib32 / multilib)
        try:
            with open(real, "rb") as f:
                data = f.read()
        except (IOError, OSError):
            continue
        return {"glibcxx": glibcxx_version(data), "path": path}
    return None


_CUDA_LIB = re.compile(r"^lib(cudart|cudnn|cublas|cublasLt|nccl)\.so\.(\d+(?:\.\d+)*)$")


def _cuda_lib_entry(name, path, source):
    m = _CUDA_LIB.match(name)
    if not m:
        return None
    return {"library": m.group(1), "soname": name, "version": m.group(2), "path": path, "source": source}


def _unroot(path, root):
    if root == "/":
        return path
    rel = os.path.relpath(path, root)
    return "/" + rel


def probe_cuda_libraries(root=None, run_commands=True):
    """CUDA runtime, cuDNN, cuBLAS and NCCL sonames the loader can find, with where from."""
    root = root or _root()
    found = []
    seen = set()

    def add(entry):
        if entry is None:
            return
        key = (entry["soname"], os.path.realpath(_rooted(entry["path"], root)))
        if key not in seen:
            seen.add(key)
            found.append(entry)

    if run_commands:
        r = _run(["ldconfig", "-p"]) or _run(["/sbin/ldconfig", "-p"])
        if r is not None and r[0] == 0:
            for line in r[1].splitlines():
                m = re.match(r"^\s*(\S+)\s+\(.*\)\s+=>\s+(\S+)\s*$", line)
                if m:
                    add(_cuda_lib_entry(m.group(1), m.group(2), "ldconfig"))
    dirs = []
    for d in os.environ.get("LD_LIBRARY_PATH", "").split(":"):
        if d:
            dirs.append((_rooted(d, root), "LD_LIBRARY_PATH"))
    for d in sorted(glob.glob(_rooted("/usr/local/cuda*/lib64", root))):
        dirs.append((d, "cuda-dir"))
    for d in sorted(glob.glob(_rooted("/usr/local/cuda*/targets/*/lib", root))):
        dirs.append((d, "cuda-dir"))
    for d, source in dirs:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        for name in names:
            # libcudart.so.11.4.148 is the file behind the soname symlink libcudart.so.11.0.
            if name.count(".") >= 4:
                continue
            add(_cuda_lib_entry(name, _unroot(os.path.join(d, name), root), source))
    return found


def probe(root=None, run_commands=None, extra_interpreters=None, running_only=False):
    """The whole target profile as a dict (formatVersion 1)."""
    root = root or _root()
    if run_commands is None:
        run_commands = os.environ.get("FERRY_PROBE_NO_COMMANDS", "") not in ("1", "true", "yes")
    interpreters, errors = probe_interpreters(root, extra_interpreters, running_only)
    nvidia = probe_nvidia(root, run_commands, errors)
    return {
        "formatVersion": PROBE_FORMAT_VERSION,
        "generator": "ferry-probe",
        "hostname": platform.node() if root == "/" else None,
        "os": probe_os(root),
        "system": platform.system(),
        "arch": probe_arch(root),
        "libc": probe_libc(root, interpreters),
        "cpu": probe_cpu(root),
        "nvidia": nvidia,
        "libstdcxx": probe_libstdcxx(root, run_commands),
        "cudaLibraries": probe_cuda_libraries(root, run_commands),
        "interpreters": interpreters,
        "warnings": errors,
    }


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    root = None
    run_commands = None
    extra = []
    running_only = False
    indent = 2
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--root" and i + 1 < len(args):
            root = args[i + 1]
            i += 1
        elif a.startswith("--root="):
            root = a.split("=", 1)[1]
        elif a == "--no-commands":
            run_commands = False
        elif a == "--python" and i + 1 < len(args):
            extra.append(args[i + 1])
            i += 1
        elif a == "--compact":
            indent = None
        elif a == "--running-only":
            running_only = True
        elif a in ("--probe",):
            pass
        elif a in ("-h", "--help"):
            sys.stdout.write("usage: probe.py [--root DIR] [--no-commands] [--python PATH]... [--running-only] [--compact]\n")
            return 0
        else:
            sys.stderr.write("probe.py: unknown argument %r\n" % a)
            return 2
        i += 1
    if root is not None:
        os.environ["FERRY_PROBE_ROOT"] = root
    profile = probe(root, run_commands, extra, running_only)
    sys.stdout.write(json.dumps(profile, indent=indent, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
