"""Imports every top-level module of every distribution installed in this interpreter's
environment and prints one JSON object per line: {"start": module} before each import and
{"module", "distribution", "ok", "error", "seconds"} after it, so that a crash still names
the module that caused it. Standard library only; runs inside the freshly built venv."""
import importlib
import json
import sys
import time

try:
    import importlib.metadata as metadata
except ImportError:  # Python < 3.8
    metadata = None

# Seeded into every venv by `python -m venv`; not part of the bundle.
SEED = {"pip", "setuptools", "wheel", "distribute"}


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


def main():
    if metadata is None:
        print(json.dumps({"error": "importlib.metadata needs Python 3.8 or newer"}))
        return 0
    seen = set()
    for dist in sorted(metadata.distributions(), key=lambda d: (d.metadata["Name"] or "").lower()):
        name = dist.metadata["Name"] or "?"
        if name.lower() in SEED:
            continue
        for module in top_level_modules(dist):
            if module in seen or not all(part.isidentifier() for part in module.split(".")):
                continue
            seen.add(module)
            if module.startswith("_distutils_hack"):
                continue
            print(json.dumps({"start": module}), flush=True)
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
            print(json.dumps({"module": module, "distribution": name, "status": status, "error": error,
                              "seconds": round(time.time() - started, 3)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
