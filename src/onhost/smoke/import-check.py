"""Imports what the venv's users import, in the order they do, and prints one JSON object per
line: {"start": module} before each import and {"module", "distribution", "status", "error",
"seconds"} after it, so that a crash still names the module that caused it.

The framework comes first (`import tensorflow`, `import torch`, `import paddle`, or the modules
named on the command line), as in every user's script; then every other top-level module of
every installed distribution. Importing each module on its own, in name order, is not what
users do, and it fails for a plugin that the framework loads itself: tensorflow-io-gcs-filesystem
registers the "gs" file system, which TensorFlow already has built in, so importing it by hand
after TensorFlow raises "File system for gs already registered" although TensorFlow works (it
imports that plugin only under TF_USE_MODULAR_FILESYSTEM; tensorflow/api_template.__init__.py).

Standard library only; runs inside the freshly built venv (Python 3.6+; the module list needs
importlib.metadata, Python 3.8+)."""
import importlib
import json
import re
import sys
import time

try:
    import importlib.metadata as metadata
except ImportError:  # Python < 3.8
    metadata = None

# Seeded into every venv by `python -m venv`; not part of the bundle.
SEED = {"pip", "setuptools", "wheel", "distribute"}

# The frameworks, in the order they are imported when several are installed: the module users
# import, and the distributions that provide it.
FRAMEWORKS = (
    ("tensorflow", ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel")),
    ("torch", ("torch",)),
    ("paddle", ("paddlepaddle", "paddlepaddle-gpu")),
)

# Plugin modules a framework loads itself when it needs them; users never import them.
# module -> (framework module, why)
PLUGINS = {
    "tensorflow_io_gcs_filesystem": (
        "tensorflow",
        "loaded by tensorflow itself (only when TF_USE_MODULAR_FILESYSTEM is set); tensorflow has the gs file system built in",
    ),
}

# A plugin registering something its framework already has: TensorFlow's AlreadyExistsError
# ("File system for gs already registered", "Op with name X already registered") and the like.
DOUBLE_REGISTRATION = re.compile(r"already (been )?registered", re.I)


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_modules(dist):
    text = dist.read_text("top_level.txt")
    if text:
        return sorted({line.strip().replace("/", ".") for line in text.splitlines() if line.strip()})
    names = set()
    for path in dist.files or []:
        parts = path.parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith((".dist-info", ".data", ".egg-info")):
            continue
        if len(parts) == 1:
            leaf = parts[0]
            if leaf.endswith(".py"):
                names.add(leaf[:-3])
            elif leaf.endswith((".so", ".pyd")):
                names.add(leaf.split(".")[0])
        elif parts[0].isidentifier():  # not "numpy.libs/" (auditwheel's vendored libraries)
            names.add(parts[0])
    return sorted(names)


def emit(record):
    print(json.dumps(record), flush=True)


def import_one(module, distribution, frameworks_loaded):
    emit({"start": module})
    started = time.time()
    status, error = "ok", None
    try:
        importlib.import_module(module)
    except ImportError as exc:
        # A plain shared library listed in top_level.txt (paddlepaddle lists "_foo"): it is
        # loaded by its package, never imported, so it is not a failure.
        if "does not define module export function" in str(exc):
            status, error = "not-a-module", str(exc)
        else:
            status, error = "failed", "%s: %s" % (type(exc).__name__, exc)
    except BaseException as exc:  # report everything, including SystemExit
        status, error = "failed", "%s: %s" % (type(exc).__name__, exc)
    if status == "failed" and frameworks_loaded and DOUBLE_REGISTRATION.search(error):
        # The framework works (it was imported first); this module only tried to register
        # again what the framework already has.
        status = "already-registered"
    emit({"module": module, "distribution": distribution, "status": status, "error": error,
          "seconds": round(time.time() - started, 3)})
    return status


def main(argv):
    if metadata is None:
        emit({"error": "importlib.metadata needs Python 3.8 or newer"})
        return 0
    dists = []
    for dist in metadata.distributions():
        name = dist.metadata["Name"] or "?"
        if name.lower() in SEED:
            continue
        dists.append((name, dist))
    dists.sort(key=lambda d: d[0].lower())
    installed = {normalize(name) for name, _ in dists}
    owner = {}
    modules = []
    for name, dist in dists:
        for module in top_level_modules(dist):
            if module in owner or not all(part.isidentifier() for part in module.split(".")):
                continue
            if module.startswith("_distutils_hack"):
                continue
            owner[module] = name
            modules.append(module)

    if argv:
        first = [m for m in argv if m in owner]
    else:
        first = [m for m, projects in FRAMEWORKS if m in owner and any(normalize(p) in installed for p in projects)]
    loaded = []
    for module in first:
        if import_one(module, owner[module], loaded) == "ok":
            loaded.append(module)
    for module in modules:
        if module in first:
            continue
        plugin = PLUGINS.get(module)
        if plugin is not None and plugin[0] in loaded:
            emit({"start": module})
            emit({"module": module, "distribution": owner[module], "status": "plugin",
                  "error": plugin[1], "seconds": 0})
            continue
        import_one(module, owner[module], loaded)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
