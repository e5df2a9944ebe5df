"""Section 5.1 (互相关运算和卷积运算, continued): the cross-correlation as a matrix, ``kernel_matrix(K, input_shape)``.

The student's function takes a kernel ``K`` (kh, kw) (tensor or numpy array,
integer or float) and an input shape ``(h, w)`` and returns the matrix ``W``
of shape ((h-kh+1) * (w-kw+1), h * w) with
``W @ X.reshape(-1) == corr2d(X, K).reshape(-1)`` for every X of that shape,
both flattened row-major: ``W[i*ow + j, (i+a)*w + (j+b)] = K[a, b]``, zero
elsewhere.

Reference: the matrix is built here by that formula, and checked against
``tf.nn.conv2d`` (the corr2d reference) on random inputs; the matmul property
compares the student's ``W @ x`` with that reference directly.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ..checks import GRADING, Mismatch, call, expect_array, points, returned_array, show
from .corr2d import edge_shapes, shapes, tolerance, values
from .corr2d import reference as corr2d_reference

EXERCISE = "kernel_matrix"
TITLE = "互相关运算的矩阵形式 kernel_matrix"
#: Shown beside a failed property in the feedback, with a link to the solution cell.
HINT = "复习“互相关运算的矩阵形式”一节：输出 Y[i, j] 对应 W 的第 i * o_w + j 行，这一行在窗口覆盖的输入位置上放核的元素（输入按行展平）。"


# -- reference ---------------------------------------------------------------
def reference(K, input_shape):
    """W (oh*ow, h*w) in float64: row i*ow+j holds K at the window (i, j), row-major."""
    K = np.asarray(K, np.float64)
    h, w = input_shape
    kh, kw = K.shape
    oh, ow = h - kh + 1, w - kw + 1
    W = np.zeros((oh * ow, h * w))
    for i in range(oh):
        for j in range(ow):
            row = np.zeros((h, w))
            row[i:i + kh, j:j + kw] = K
            W[i * ow + j] = row.reshape(-1)
    return W


# -- strategies ----------------------------------------------------------------
INPUT_KINDS = ("tensor", "ndarray")
SHAPE_KINDS = ("tuple", "list")


@st.composite
def cases(draw, shape=None, kinds=("tensor",), dtypes=("float32",), shape_kinds=("tuple",)):
    """(K, (h, w), X, kind, shape_kind): X is a test input for the matmul property."""
    h, w, kh, kw = draw(shape if shape is not None else shapes())
    kind = draw(st.sampled_from(kinds))
    dtype = draw(st.sampled_from(dtypes))
    shape_kind = draw(st.sampled_from(shape_kinds))
    K = draw(arrays(dtype, (kh, kw), elements=values(dtype)))
    X = draw(arrays("float32", (h, w), elements=values("float32")))
    return K, (h, w), X, kind, shape_kind


# -- probe (runs inside the sandbox; self-contained) ----------------------------
def kernel_matrix_probe(ns, K, input_shape, kind, shape_kind):
    kernel_matrix = lookup(ns, "kernel_matrix")
    shape = [int(n) for n in input_shape]
    shape = tuple(shape) if shape_kind == "tuple" else shape
    return export(kernel_matrix(make_input(K, kind), shape), "W")


KIND_NAMES = {"tensor": "tf.constant", "ndarray": "np.array"}


def run(student, K, input_shape, kind, shape_kind):
    shape = tuple(input_shape) if shape_kind == "tuple" else list(input_shape)
    description = f"调用 kernel_matrix(K, input_shape={shape!r})，K 为 {KIND_NAMES[kind]}：\n{show(K=K)}\n"
    result = call(student, kernel_matrix_probe, description, K=K, input_shape=list(input_shape),
                  kind=kind, shape_kind=shape_kind)
    return returned_array(result, "W", description), description


def expected_shape(K, input_shape):
    h, w = input_shape
    kh, kw = K.shape
    return (h - kh + 1) * (w - kw + 1), h * w


def check_shape(W, K, input_shape, description):
    h, w = input_shape
    kh, kw = K.shape
    expected = expected_shape(K, input_shape)
    if W.shape != expected:
        raise Mismatch(f"{description}→ W 的形状是 {W.shape}，应当是 (输出元素个数, 输入元素个数) = "
                       f"(({h}-{kh}+1)*({w}-{kw}+1), {h}*{w}) = {expected}。")


def check_matrix(student, K, input_shape, kind, shape_kind):
    W, description = run(student, K, input_shape, kind, shape_kind)
    check_shape(W, K, input_shape, description)
    expected = reference(K, input_shape)
    return expect_array(
        W, expected, description + "（W 的第 i*ow+j 行是把 K 放在输入的窗口 (i, j) 处、其余为 0，"
        "再按行优先展平：W[i*ow + j, (i+a)*w + (j+b)] = K[a, b]）\n", rtol=0, atol=1e-5 * max(
            1.0, float(np.max(np.abs(K), initial=0))))


# -- checks ----------------------------------------------------------------------
@points(2)
@settings(GRADING)
@given(case=cases())
def test_matrix_shape(student, case):
    """W 的形状为 ((h-kh+1)(w-kw+1), h*w)"""
    K, input_shape, X, kind, shape_kind = case
    W, description = run(student, K, input_shape, kind, shape_kind)
    check_shape(W, K, input_shape, description)


@points(4)
@settings(GRADING)
@given(case=cases())
def test_matrix_matches_reference(student, case):
    """W 的每个元素都正确（行优先展平）"""
    check_matrix(student, *case[:2], *case[3:])


@points(2)
@settings(GRADING)
@given(case=cases())
def test_matmul_equals_corr2d(student, case):
    """W @ X.reshape(-1) 等于 corr2d(X, K).reshape(-1)"""
    K, input_shape, X, kind, shape_kind = case
    W, description = run(student, K, input_shape, kind, shape_kind)
    check_shape(W, K, input_shape, description)
    if W.dtype.kind not in "iuf":
        raise Mismatch(f"{description}→ W 的数据类型是 {W.dtype}，应当是数值。")
    product = W.astype(np.float64) @ X.astype(np.float64).reshape(-1)
    expected = corr2d_reference(X, K).reshape(-1)
    expect_array(product, expected,
                 f"{description}再用输入\n{show(X=X)}\n计算 W @ X.reshape(-1)（X 按行优先展平）"
                 f"并与 corr2d(X, K).reshape(-1) 比较：\n",
                 rtol=1e-4, atol=tolerance(X, K))


@points(2)
@settings(GRADING)
@given(case=cases(shape=edge_shapes(), kinds=INPUT_KINDS, dtypes=("float32", "float64", "int32"),
                  shape_kinds=SHAPE_KINDS))
def test_matrix_edge_shapes_and_inputs(student, case):
    """边界形状（宽或高为 1、核与输入一样大）、numpy 与整数核、列表形式的 input_shape"""
    check_matrix(student, *case[:2], *case[3:])

