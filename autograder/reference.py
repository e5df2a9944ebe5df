"""TensorFlow as the references use it: CPU only, float64, no TF32, quiet.

Imported once per grader process, so a whole batch pays for one TensorFlow
import. References must not change on a machine with a GPU, where TensorFlow
would otherwise run float32 convolutions in TF32.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import tensorflow as tf  # noqa: E402

tf.config.experimental.enable_tensor_float_32_execution(False)

__all__ = ["tf"]
