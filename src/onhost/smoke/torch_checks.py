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
    # A small convolutional network, torch alone (no torchvision): convolutions, pooling and a
    # linear layer exercise the CPU kernels (oneDNN / the GPU's) that a bare import never loads.
    import torch
    from torch import nn
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = nn.Sequential(
        nn.Conv2d(3, 8, kernel_size=3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(16, 10),
    ).to(device).eval()
    with torch.no_grad():
        y = model(torch.randn(2, 3, 32, 32, device=device))
        probabilities = torch.softmax(y, dim=1)
    shape = list(y.shape)
    finite = bool(torch.isfinite(y).all())
    sums = [round(float(v), 4) for v in probabilities.sum(dim=1).cpu()]
    ok = shape == [2, 10] and finite and all(abs(v - 1) < 1e-3 for v in sums)
    return {"outcome": "passed" if ok else "failed",
            "detail": "conv net forward on [2, 3, 32, 32] gave %s on %s%s"
                      % (shape, device, "" if ok else " (expected [2, 10], finite, softmax rows summing to 1)"),
            "data": {"outputShape": shape, "device": device, "finite": finite}}
