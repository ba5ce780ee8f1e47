"""Runs one smoke check inside the venv under test and prints its result as one JSON line.

Usage: python -I harness.py CHECKS_FILE NAME
CHECKS_FILE defines check_NAME(), which returns {"outcome", "detail", "data"} (outcome
defaults to "passed") or raises. Anything the framework prints (Python prints, glog lines,
warnings) is sent to stderr, so stdout carries only the result. Standard library only."""
import importlib.util
import json
import os
import sys
import time
import traceback


def main():
    path, name = sys.argv[1], sys.argv[2]
    result_stream = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the framework's chatter goes to stderr, even from C++
    started = time.time()
    try:
        spec = importlib.util.spec_from_file_location("ferry_smoke_checks", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = dict(getattr(module, "check_" + name)() or {})
    except BaseException as exc:  # report everything, including SystemExit
        lines = traceback.format_exc().strip().splitlines()
        result = {"outcome": "failed", "detail": "%s: %s" % (type(exc).__name__, exc),
                  "data": {"traceback": lines[-8:]}}
    result.setdefault("outcome", "passed")
    result.setdefault("detail", "")
    result["checkSeconds"] = round(time.time() - started, 3)
    sys.stdout.flush()
    result_stream.write(json.dumps(result, default=str) + "\n")
    result_stream.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
