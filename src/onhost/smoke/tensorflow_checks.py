"""TensorFlow smoke checks (run one at a time by harness.py, each in a fresh interpreter)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def check_version():
    import tensorflow as tf
    return {"detail": "tensorflow %s" % tf.__version__, "data": {"version": tf.__version__}}


def check_gpus():
    import tensorflow as tf
    built = bool(tf.test.is_built_with_cuda())
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    data = {"builtWithCuda": built, "gpus": gpus, "gpuCount": len(gpus)}
    if not built:
        return {"detail": "CPU build (not built with CUDA)", "data": data}
    if not gpus:
        return {"outcome": "warning",
                "detail": "CUDA build, but no GPU is visible: tensorflow will run on the CPU",
                "data": data}
    return {"detail": "CUDA build, %d GPU(s)" % len(gpus), "data": data}


def check_keras_forward():
    import tensorflow as tf
    model = tf.keras.Sequential([tf.keras.Input(shape=(16,)), tf.keras.layers.Dense(4)])
    y = model(tf.random.normal([2, 16]))
    shape = [int(d) for d in y.shape]
    ok = shape == [2, 4]
    return {"outcome": "passed" if ok else "failed",
            "detail": "Keras Dense(4) forward on [2, 16] gave %s" % shape,
            "data": {"outputShape": shape}}
