/**
 * The Python side of a PEP 517 build, run by the build environment's interpreter as
 * `python -c RUNNER MODE SDIST OUT`. It unpacks the sdist (tarfile's 'data' filter, PEP 706,
 * where the interpreter has it), loads the backend named by `[build-system]` (with
 * `backend-path`, PEP 517's in-tree backends) and calls one hook. The answer goes to
 * OUT/ferry-hook.json, since a backend may print anything on stdout.
 *
 * Modes: `requires` (get_requires_for_build_wheel), `metadata`
 * (prepare_metadata_for_build_wheel; without it, build_wheel and the wheel's METADATA, as
 * pip's fallback does) and `wheel` (build_wheel).
 */
export const PEP517_RUNNER = `
import importlib, json, os, sys, tarfile, tempfile, zipfile
mode, sdist, out = sys.argv[1:4]
work = tempfile.mkdtemp(prefix="ferry-src-")
if sdist.endswith(".zip"):
    with zipfile.ZipFile(sdist) as z:
        for name in z.namelist():
            if name.startswith("/") or ".." in name.split("/"):
                sys.exit("unsafe path in sdist: " + name)
        z.extractall(work)
else:
    with tarfile.open(sdist) as t:
        if hasattr(tarfile, "data_filter"):
            t.extractall(work, filter="data")
        else:
            for m in t.getmembers():
                if m.name.startswith("/") or ".." in m.name.split("/") or m.issym() or m.islnk():
                    sys.exit("unsafe member in sdist: " + m.name)
            t.extractall(work)
tops = os.listdir(work)
src = os.path.join(work, tops[0]) if len(tops) == 1 and os.path.isdir(os.path.join(work, tops[0])) else work
os.chdir(src)
system = {}
if os.path.exists("pyproject.toml"):
    import tomllib
    with open("pyproject.toml", "rb") as f:
        system = tomllib.load(f).get("build-system", {})
name = system.get("build-backend", "setuptools.build_meta:__legacy__")
for p in reversed(system.get("backend-path", [])):
    sys.path.insert(0, os.path.abspath(p))
module, _, attrs = name.partition(":")
backend = importlib.import_module(module)
for a in filter(None, attrs.split(".")):
    backend = getattr(backend, a)
os.makedirs(out, exist_ok=True)
answer = {"backend": name}
if mode == "requires":
    hook = getattr(backend, "get_requires_for_build_wheel", None)
    answer["requires"] = list(hook(None)) if hook else []
elif mode == "metadata":
    hook = getattr(backend, "prepare_metadata_for_build_wheel", None)
    if hook:
        d = hook(out, None)
        with open(os.path.join(out, d, "METADATA"), encoding="utf-8") as f:
            answer["metadata"] = f.read()
    else:
        whl = backend.build_wheel(out, None, None)
        with zipfile.ZipFile(os.path.join(out, whl)) as z:
            meta = [n for n in z.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            answer["metadata"] = z.read(meta[0]).decode("utf-8")
elif mode == "wheel":
    answer["wheel"] = backend.build_wheel(out, None, None)
else:
    sys.exit("unknown mode " + mode)
with open(os.path.join(out, "ferry-hook.json"), "w", encoding="utf-8") as f:
    json.dump(answer, f)
`;
