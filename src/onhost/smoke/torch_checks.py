"""PyTorch smoke checks (run one at a time by harness.py, each in a fresh interpreter)."""


def check_version():
    import torch
    return {"detail": "torch %s" % torch.__version__,
            "data": {"version": torch.__version__, "cuda": torch.version.cuda}}


def check_cuda():
    import torch
    built = torch.version.cuda
    available = bool(torch.cuda.is_available())
    count = int(torch.cuda.device_count()) if available else 0
    data = {"builtWithCuda": built, "cudaAvailable": available, "gpuCount": count}
    if built is None:
        return {"detail": "CPU build (not built with CUDA)", "data": data}
    if not available:
        return {"outcome": "warning",
                "detail": "CUDA %s build, but torch.cuda.is_available() is False: torch will run on the CPU" % built,
                "data": data}
    return {"detail": "CUDA %s build, %d GPU(s)" % (built, count), "data": data}


def check_forward():
    import torch
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    layer = torch.nn.Linear(16, 4).to(device)
    with torch.no_grad():
        y = layer(torch.randn(2, 16, device=device))
    shape = list(y.shape)
    ok = shape == [2, 4]
    return {"outcome": "passed" if ok else "failed",
            "detail": "nn.Linear(16, 4) forward on [2, 16] gave %s on %s" % (shape, device),
            "data": {"outputShape": shape, "device": device}}
