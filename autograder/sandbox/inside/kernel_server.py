"""Serve the grader's probes from inside the student's kernel.

The runner executes ``serve(path)`` in the kernel after the notebook's last
cell, so probes see the notebook's namespace (``corr2d``, ``Conv2D``, ...)
without a second TensorFlow import. Each request names a probe (a function
whose source the grader sent with ``define``) and its inputs; the reply carries
plain data only. The grader trusts none of it: this side exists to turn the
student's objects into arrays, strings and numbers.
"""
import contextlib
import io
import random
import re
import socket
import sys
import traceback
import warnings

import numpy as np

try:  # inside the sandbox this folder is on sys.path; in the grader it is a package
    from . import wire
except ImportError:
    import wire

MAX_MESSAGE = 2000


def _tf():
    return sys.modules.get("tensorflow")


def describe_type(value):
    """A short, student-readable name for the type of ``value``."""
    cls = type(value)
    module = cls.__module__ or ""
    if module.startswith(("tensorflow", "keras")):
        if "Variable" in cls.__name__:
            return "tf.Variable"
        if "Tensor" in cls.__name__:
            return "tf.Tensor"
    if cls is np.ndarray:
        return "numpy.ndarray"
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def export(value, name="value"):
    """Reduce a value the student returned to plain data.

    Returns ``{name + "_type": str}`` plus ``{name: array}`` when the value is a
    tensor, variable or numpy array (or a numpy/python number). Anything else
    is reported by type only, so the grader can say what was returned.
    """
    out = {name + "_type": describe_type(value)}
    tf = _tf()
    array = None
    if isinstance(value, (np.ndarray, np.generic, int, float, bool)):
        array = np.asarray(value)
    elif tf is not None and (
        isinstance(value, (tf.Tensor, tf.Variable))
        or (type(value).__module__ or "").startswith("keras") and hasattr(value, "numpy")
    ):
        array = np.asarray(value.numpy())
    if array is not None:
        if array.dtype.kind not in wire.ALLOWED_KINDS:
            out[name + "_type"] += f" of dtype {array.dtype}"
        else:
            out[name] = array
    return out


def make_input(array, kind):
    """Turn an array from the grader into what the student's code receives."""
    array = np.array(array)
    if kind == "ndarray":
        return array
    tf = _tf()
    if tf is None:
        import tensorflow as tf
    if kind == "tensor":
        return tf.constant(array)
    if kind == "variable":
        return tf.Variable(array)
    raise ValueError(f"unknown input kind {kind!r}")


def lookup(namespace, name):
    """The student's definition of ``name``, or a NameError that says what is missing."""
    if name not in namespace:
        raise NameError(f"笔记本中没有定义 {name}（名字要完全一致）")
    return namespace[name]


#: Built-in convolutions that a part may forbid. Patching the leaf functions
#: catches every public route to them (tf.nn.conv2d, tf.nn.convolution, Keras
#: layers and ops all end in gen_nn_ops), and scipy's entry points.
TRIPWIRES = {
    "tensorflow.python.ops.gen_nn_ops": (
        "conv2d", "conv3d", "conv", "depthwise_conv2d_native", "conv2d_backprop_input"),
    "tensorflow.raw_ops": ("Conv2D", "Conv3D", "Conv", "DepthwiseConv2dNative"),
    "scipy.signal": ("convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve",
                     "oaconvolve"),
    "scipy.ndimage": ("convolve", "correlate"),
}


class tripwires:
    """Record which built-in convolutions run inside the ``with`` block."""

    def __enter__(self):
        self.used = []
        self._saved = []
        for module_name, names in TRIPWIRES.items():
            module = sys.modules.get(module_name)
            for name in names:
                original = getattr(module, name, None) if module is not None else None
                if original is None:
                    continue
                self._saved.append((module, name, original))
                setattr(module, name, self._wrap(f"{module_name}.{name}", original))
        return self.used

    def _wrap(self, label, original):
        used = self.used

        def wrapper(*args, **kwargs):
            used.append(label)
            return original(*args, **kwargs)
        return wrapper

    def __exit__(self, *exc):
        for module, name, original in self._saved:
            setattr(module, name, original)
        return False


def seed_everything(seed):
    """Same seeds before every call, so random initialisations repeat on a regrade."""
    random.seed(seed)
    np.random.seed(seed)
    tf = _tf()
    if tf is not None:
        tf.random.set_seed(seed)
        keras = sys.modules.get("keras")
        if keras is not None:
            with contextlib.suppress(Exception):
                keras.utils.set_random_seed(seed)


class _Quiet:
    """Send the student's prints and warnings nowhere while a probe runs."""

    def __enter__(self):
        self._out, self._err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = io.StringIO()
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")
        return self

    def __exit__(self, *exc):
        self._warnings.__exit__(*exc)
        sys.stdout, sys.stderr = self._out, self._err
        return False


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _error_reply(exc):
    message = ANSI.sub("", "".join(traceback.format_exception_only(type(exc), exc)).strip())
    return {"ok": False, "error_type": type(exc).__name__, "error": message[:MAX_MESSAGE]}


def _plain(values):
    """Split a probe's result into JSON values and arrays."""
    header, arrays = {}, {}
    for key, value in values.items():
        if isinstance(value, np.ndarray):
            arrays[key] = value
        elif value is None or isinstance(value, (str, bool, int, float)):
            header[key] = value[:MAX_MESSAGE] if isinstance(value, str) else value
        elif isinstance(value, (list, tuple)) and all(
            v is None or isinstance(v, (str, bool, int, float)) for v in value
        ):
            header[key] = list(value)
        elif isinstance(value, (list, tuple)) and all(
            isinstance(v, (list, tuple)) and all(isinstance(x, (int, float)) for x in v) for v in value
        ):
            header[key] = [list(v) for v in value]
        else:
            raise TypeError(f"probe returned {key!r} of type {type(value).__name__}")
    return header, arrays


def serve(path, namespace=None):
    """Answer the grader's requests on the Unix socket at ``path`` until told to stop."""
    if namespace is None:
        namespace = get_ipython().user_ns  # noqa: F821 (runs inside IPython)
    helpers = {"export": export, "make_input": make_input, "lookup": lookup,
               "tripwires": tripwires, "np": np}
    probes = {}
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    try:
        while True:
            try:
                request, arrays = wire.recv(sock)
            except EOFError:
                return
            op = request.get("op")
            if op == "define":
                scope = dict(helpers)
                exec(compile(request["source"], f"<probe {request['name']}>", "exec"), scope)
                probes[request["key"]] = scope[request["name"]]
                wire.send(sock, {"ok": True})
                continue
            try:
                seed_everything(int(request.get("seed", 0)))
                kwargs = dict(request.get("kwargs", {}))
                kwargs.update(arrays)
                with _Quiet():
                    result = probes[request["probe"]](namespace, **kwargs)
                header, out = _plain(result)
                header["ok"] = True
            except BaseException as exc:  # the student's code may raise anything, even SystemExit
                if isinstance(exc, KeyboardInterrupt):
                    raise
                header, out = _error_reply(exc), {}
            try:
                wire.send(sock, header, out)
            except wire.WireError as exc:
                wire.send(sock, _error_reply(exc))
    finally:
        sock.close()

