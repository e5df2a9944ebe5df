"""Section 5.1.1: two-dimensional cross-correlation ``corr2d(X, K)``.

The student's function takes ``X`` of shape (h, w) and ``K`` of shape
(kh, kw), both tf tensors, variables or numpy arrays, integer or float, and
returns ``Y`` of shape (h - kh + 1, w - kw + 1) with
``Y[i, j] = sum(X[i:i+kh, j:j+kw] * K)``. Built-in convolutions are not
allowed in this part.

Reference: ``tf.nn.conv2d`` (which computes a cross-correlation) in float64
on the CPU, on exactly the values the student's code received.
"""
import ast

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ..checks import GRADING, Mismatch, call, expect_array, memoized, points, returned_array, show, veto
from ..reference import tf

EXERCISE = "corr2d"
TITLE = "5.1.1 二维互相关运算 corr2d"
#: Shown beside a failed property in the feedback, with a link to the solution cell.
HINT = "复习 5.1.1 节“二维互相关运算”和其下的“练习 1”：Y[i, j] 是 X 中以 (i, j) 为左上角、与 K 同形状的窗口和 K 的按元素乘积之和，输出形状为 (h-kh+1, w-kw+1)。"
FUNCTION = "corr2d(X, K)"


# -- reference ---------------------------------------------------------------
@memoized
def reference(X, K):
    """Valid cross-correlation in float64: (h, w) * (kh, kw) -> (h-kh+1, w-kw+1)."""
    with tf.device("/CPU:0"):
        x = tf.constant(np.asarray(X, np.float64))[None, :, :, None]
        k = tf.constant(np.asarray(K, np.float64))[:, :, None, None]
        return tf.nn.conv2d(x, k, strides=1, padding="VALID")[0, :, :, 0].numpy()


def tolerance(X, K):
    """Absolute tolerance scaled with the largest possible |output| (float32 sums)."""
    scale = K.size * float(np.max(np.abs(X), initial=0)) * float(np.max(np.abs(K), initial=0))
    return 1e-4 * max(1.0, scale)


# -- strategies ----------------------------------------------------------------
KINDS = ("tensor", "ndarray", "variable")


def values(dtype):
    if np.dtype(dtype).kind == "i":
        return st.integers(-9, 9)
    return st.floats(-10, 10, allow_nan=False, allow_subnormal=False, width=32)


#: Inputs up to 8 x 8 and kernels up to 4 x 4: every kind of window placement
#: appears, and a correct but slow loop (the seed's tf.Variable + assign)
#: still answers 100 examples per property in a few seconds.
MAX_SIDE = 8
MAX_KERNEL = 4


@st.composite
def shapes(draw, max_side=MAX_SIDE, max_kernel=MAX_KERNEL):
    """(h, w, kh, kw) with kh <= h, kw <= w; drawn before any value so failures shrink small."""
    kh = draw(st.integers(1, max_kernel))
    kw = draw(st.integers(1, max_kernel))
    h = draw(st.integers(kh, max_side))
    w = draw(st.integers(kw, max_side))
    return h, w, kh, kw


@st.composite
def edge_shapes(draw):
    """The corners of the shape space: 1-wide inputs, kernels as large as the input, 1x1 kernels."""
    which = draw(st.sampled_from(["one_row", "one_column", "kernel_is_input", "one_by_one"]))
    h, w, kh, kw = draw(shapes(max_side=6))
    if which == "one_row":
        h, kh = 1, 1
    elif which == "one_column":
        w, kw = 1, 1
    elif which == "kernel_is_input":
        kh, kw = h, w
    else:
        kh = kw = 1
    return h, w, kh, kw


@st.composite
def cases(draw, shape=None, kinds=("tensor",), dtypes=("float32",)):
    """(X, K, kind): arrays of one dtype, passed to the student as ``kind``."""
    h, w, kh, kw = draw(shape if shape is not None else shapes())
    kind = draw(st.sampled_from(kinds))
    dtype = draw(st.sampled_from(dtypes))
    X = draw(arrays(dtype, (h, w), elements=values(dtype)))
    K = draw(arrays(dtype, (kh, kw), elements=values(dtype)))
    return X, K, kind


# -- probe (runs inside the sandbox; self-contained) ----------------------------
def corr2d_probe(ns, X, K, kind):
    corr2d = lookup(ns, "corr2d")
    with tripwires() as used:
        Y = corr2d(make_input(X, kind), make_input(K, kind))
    result = export(Y, "Y")
    result["builtins"] = sorted(set(used))
    return result


KIND_NAMES = {"tensor": "tf.constant", "ndarray": "np.array", "variable": "tf.Variable"}


def run(student, X, K, kind):
    """The student's corr2d(X, K) as a float64 array, after the type stage."""
    description = f"调用 corr2d(X, K)，X 与 K 为 {KIND_NAMES[kind]}：\n{show(X=X, K=K)}\n"
    result = call(student, corr2d_probe, description, X=X, K=K, kind=kind)
    return returned_array(result, "Y", description), description


def check_against_reference(student, X, K, kind):
    Y, description = run(student, X, K, kind)
    h, w = X.shape
    kh, kw = K.shape
    return expect_array(Y, reference(X, K), description, rtol=1e-4, atol=tolerance(X, K),
                        explain_shape=f"（(h-kh+1, w-kw+1) = ({h}-{kh}+1, {w}-{kw}+1)）")


# -- checks ----------------------------------------------------------------------
@points(2)
@settings(GRADING)
@given(case=cases())
def test_output_shape(student, case):
    """输出形状为 (h-kh+1, w-kw+1)"""
    X, K, kind = case
    Y, description = run(student, X, K, kind)
    expected = (X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)
    if Y.shape != expected:
        raise Mismatch(f"{description}→ 输出形状是 {Y.shape}，应当是 (h-kh+1, w-kw+1) = {expected}。")


@points(3)
@settings(GRADING)
@given(case=cases())
def test_matches_reference_float32(student, case):
    """float32 张量输入：与 tf.nn.conv2d 的结果一致"""
    check_against_reference(student, *case)


@points(2)
@settings(GRADING)
@given(case=cases(kinds=KINDS, dtypes=("float64", "int32", "int64", "float32")))
def test_arrays_variables_and_integers(student, case):
    """numpy 数组、tf.Variable 与整数输入也正确"""
    check_against_reference(student, *case)


@points(1)
@settings(GRADING)
@given(case=cases(shape=edge_shapes(), kinds=KINDS))
def test_edge_shapes(student, case):
    """边界形状：宽或高为 1、核与输入一样大、1x1 核"""
    check_against_reference(student, *case)


@points(1)
@settings(GRADING)
@given(case=cases(), data=st.data())
def test_linear_in_kernel(student, case, data):
    """对核是线性的：corr2d(X, K1 + K2) = corr2d(X, K1) + corr2d(X, K2)"""
    X, K1, kind = case
    K2 = data.draw(arrays("float32", K1.shape, elements=values("float32")), label="K2")
    # A constant function is linear too: the property only counts for correct outputs.
    Y1 = check_against_reference(student, X, K1, kind)
    Y2, _ = run(student, X, K2, kind)
    Ysum, description = run(student, X, (K1 + K2).astype(np.float32), kind)
    if Y1.shape == Y2.shape == Ysum.shape:
        expect_array(Ysum, Y1.astype(np.float64) + Y2, description + "（对比 corr2d(X, K1) + corr2d(X, K2)）",
                     rtol=1e-4, atol=2 * tolerance(X, np.abs(K1) + np.abs(K2)))
    else:
        raise Mismatch(f"{description}→ 输出形状随核的数值而变化：{Y1.shape}、{Y2.shape}、{Ysum.shape}。")


@points(1)
@settings(GRADING)
@given(case=cases(shape=shapes().filter(lambda s: s[0] > s[2] and s[1] > s[3])),
       axis=st.sampled_from([0, 1]))
def test_translation(student, case, axis):
    """平移等变：去掉 X 的第一行（列），输出也恰好去掉第一行（列）"""
    X, K, kind = case
    Y = check_against_reference(student, X, K, kind)
    shifted = X[1:, :] if axis == 0 else X[:, 1:]
    Ys, description = run(student, shifted, K, kind)
    expected = Y[1:, :] if axis == 0 else Y[:, 1:]
    expect_array(Ys, expected, description + f"（应等于 corr2d(X_原, K) 去掉第一{'行' if axis == 0 else '列'}）",
                 rtol=1e-4, atol=2 * tolerance(X, K))


# -- the part's rule: no built-in convolution -----------------------------------
BANNED_NAMES = {
    "conv2d", "conv1d", "conv3d", "convolution", "conv", "depthwise_conv2d", "separable_conv2d",
    "conv2d_transpose", "atrous_conv2d", "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D",
    "SeparableConv2D", "convolve", "convolve2d", "correlate", "correlate2d", "fftconvolve",
    "oaconvolve", "DepthwiseConv2dNative",
}


def banned_in_source(source, function="corr2d"):
    """Names of built-in convolutions referenced in the cell that defines ``function``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    if not any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function
               for node in ast.walk(tree)):
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in BANNED_NAMES:
            found.add(node.attr)
        elif isinstance(node, ast.Name) and node.id in BANNED_NAMES:
            found.add(node.id)
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] in BANNED_NAMES | {"signal"}:
            found.add(node.name)
    return found


@veto
def test_no_builtin_convolution(student):
    """不使用内置卷积（tf.nn.conv2d、Keras 卷积层、scipy.signal 等）"""
    found = set()
    for source in student.cells:
        found |= banned_in_source(source)
    X = np.arange(12, dtype=np.float32).reshape(3, 4)
    K = np.ones((2, 2), np.float32)
    try:
        result = student.call(corr2d_probe, X=X, K=K, kind="tensor")
        found |= set(result.get("builtins", []))
    except Exception:  # a crash here is graded by the other checks
        pass
    if found:
        raise Mismatch("这一部分要求自己写出互相关运算，不能调用内置卷积；检测到："
                       + "、".join(sorted(found)) + "。因此本部分不得分。")
