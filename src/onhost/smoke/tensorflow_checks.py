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
    # A small Keras model: convolution, pooling and dense layers on the CPU (or GPU) kernels.
    import numpy as np
    import tensorflow as tf
    tf.random.set_seed(0)
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(16, 16, 3)),
        tf.keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        tf.keras.layers.GlobalAveragePooling2D(),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])
    y = np.asarray(model(tf.random.normal([2, 16, 16, 3]), training=False))
    shape = [int(d) for d in y.shape]
    finite = bool(np.isfinite(y).all())
    ok = shape == [2, 10] and finite and bool(np.allclose(y.sum(axis=1), 1.0, atol=1e-3))
    return {"outcome": "passed" if ok else "failed",
            "detail": "Keras conv model forward on [2, 16, 16, 3] gave %s%s"
                      % (shape, "" if ok else " (expected [2, 10], finite, softmax rows summing to 1)"),
            "data": {"outputShape": shape, "finite": finite, "keras": getattr(tf.keras, "__version__", None)}}
