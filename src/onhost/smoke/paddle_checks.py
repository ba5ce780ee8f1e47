"""PaddlePaddle smoke checks (run one at a time by harness.py, each in a fresh interpreter)."""
import contextlib
import io


def check_version():
    import paddle
    commit = getattr(getattr(paddle, "version", None), "commit", None)
    return {"detail": "paddle %s" % paddle.__version__,
            "data": {"version": paddle.__version__, "commit": commit}}


def check_cuda():
    import paddle
    compiled = bool(paddle.is_compiled_with_cuda())
    count = int(paddle.device.cuda.device_count()) if compiled else 0
    data = {"compiledWithCuda": compiled, "gpuCount": count}
    if not compiled:
        return {"detail": "CPU build (not compiled with CUDA)", "data": data}
    cuda = getattr(getattr(paddle, "version", None), "cuda", lambda: None)()
    data["cuda"] = cuda
    if count == 0:
        # run_check() only warns in this case; say it plainly.
        return {"outcome": "warning",
                "detail": "CUDA %s build, but no GPU is visible: paddle will run on the CPU" % cuda,
                "data": data}
    return {"detail": "CUDA %s build, %d GPU(s)" % (cuda, count), "data": data}


def check_resnet18():
    import paddle
    model = paddle.vision.models.resnet18(pretrained=False)  # no weights download
    model.eval()
    x = paddle.randn([1, 3, 224, 224])
    with paddle.no_grad():
        y = model(x)
    shape = [int(d) for d in y.shape]
    device = paddle.device.get_device()
    ok = shape == [1, 1000]
    return {"outcome": "passed" if ok else "failed",
            "detail": "ResNet-18 forward on [1, 3, 224, 224] gave %s on %s%s"
                      % (shape, device, "" if ok else ", expected [1, 1000]"),
            "data": {"outputShape": shape, "device": device}}


def check_run_check():
    import paddle
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        paddle.utils.run_check()
    text = captured.getvalue()
    ok = "PaddlePaddle is installed successfully!" in text
    lines = [line for line in text.splitlines() if line.strip()]
    return {"outcome": "passed" if ok else "failed",
            "detail": lines[-1] if lines else "paddle.utils.run_check() printed nothing",
            "data": {"output": lines[-10:]}}
