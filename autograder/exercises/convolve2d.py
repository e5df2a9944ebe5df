"""Section 5.1 互相关运算和卷积运算: true two-dimensional convolution ``convolve2d(X, K)``.

The student's function takes ``X`` (h, w) and ``K`` (kh, kw), tensors,
variables or numpy arrays, integer or float, and returns the valid
convolution, of shape (h - kh + 1, w - kw + 1):
``Y[i, j] = sum(X[i:i+kh, j:j+kw] * K[::-1, ::-1])``, i.e. the
cross-correlation with the kernel flipped up-down *and* left-right. Calling
the student's own ``corr2d`` is allowed; built-in convolutions are not (the
same rule as in corr2d, checked on the cell that defines ``convolve2d``).

Reference: ``tf.nn.conv2d`` with the kernel reversed on both axes, in float64
on the CPU (the corr2d reference on the flipped kernel).
"""
import ast

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ..checks import GRADING, Mismatch, call, expect_array, memoized, points, returned_array, show, veto
from . import corr2d as _corr2d
from .corr2d import BANNED_NAMES, KINDS, cases, edge_shapes, shapes, tolerance

EXERCISE = "convolve2d"
TITLE = "互相关运算和卷积运算：二维卷积 convolve2d"
#: Shown beside a failed property in the feedback, with a link to the solution cell.
HINT = "复习“互相关运算和卷积运算”一节和“练习 5”：卷积等于把核上下、左右都翻转后再做互相关。"


# -- reference ---------------------------------------------------------------
@memoized
def reference(X, K):
    """Valid convolution in float64: tf.nn.conv2d on the kernel reversed on both axes."""
    return _corr2d.reference(np.asarray(X), np.asarray(K)[::-1, ::-1])


# -- probe (runs inside the sandbox; self-contained) ----------------------------
def convolve2d_probe(ns, X, K, kind):
    convolve2d = lookup(ns, "convolve2d")
    return export(convolve2d(make_input(X, kind), make_input(K, kind)), "Y")


def convolve2d_builtins_probe(ns, X, K):
    """Which built-in convolutions convolve2d runs itself: the student's corr2d (allowed
    here, and graded in its own part) is replaced by a plain loop during the call."""
    import tensorflow as tf

    def plain_corr2d(X, K):
        X = np.asarray(X, dtype=np.float32)
        K = np.asarray(K, dtype=np.float32)
        kh, kw = K.shape
        Y = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1), dtype=np.float32)
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum()
        return tf.constant(Y)

    convolve2d = lookup(ns, "convolve2d")
    had, saved = "corr2d" in ns, ns.get("corr2d")
    ns["corr2d"] = plain_corr2d
    try:
        with tripwires() as used:
            try:
                convolve2d(make_input(X, "tensor"), make_input(K, "tensor"))
            except Exception:
                pass  # a crash is graded by the other checks
    finally:
        if had:
            ns["corr2d"] = saved
        else:
            del ns["corr2d"]
    return {"builtins": sorted(set(used))}


KIND_NAMES = {"tensor": "tf.constant", "ndarray": "np.array", "variable": "tf.Variable"}


def run(student, X, K, kind):
    description = f"调用 convolve2d(X, K)，X 与 K 为 {KIND_NAMES[kind]}：\n{show(X=X, K=K)}\n"
    result = call(student, convolve2d_probe, description, X=X, K=K, kind=kind)
    return returned_array(result, "Y", description), description


def check_against_reference(student, X, K, kind, note=""):
    Y, description = run(student, X, K, kind)
    h, w = X.shape
    kh, kw = K.shape
    expected = reference(X, K)
    return expect_array(Y, expected, description + note, rtol=1e-4, atol=tolerance(X, K),
                        explain_shape=f"（(h-kh+1, w-kw+1) = ({h}-{kh}+1, {w}-{kw}+1)）")


FLIP_NOTE = "（卷积 = 把 K 上下、左右都翻转后再做互相关：corr2d(X, K[::-1, ::-1])）\n"


# -- strategies ----------------------------------------------------------------
@st.composite
def one_hot_cases(draw):
    """(X, K, (a, b)): K is zero except K[a, b] = 1, so the convolution is a shifted crop of X."""
    h, w, kh, kw = draw(shapes())
    a = draw(st.integers(0, kh - 1))
    b = draw(st.integers(0, kw - 1))
    X = np.arange(h * w, dtype=np.float32).reshape(h, w)
    K = np.zeros((kh, kw), np.float32)
    K[a, b] = 1
    return X, K, (a, b)


# -- checks ----------------------------------------------------------------------
@points(2)
@settings(GRADING)
@given(case=cases())
def test_output_shape(student, case):
    """卷积的输出形状为 (h-kh+1, w-kw+1)"""
    X, K, kind = case
    Y, description = run(student, X, K, kind)
    expected = (X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)
    if Y.shape != expected:
        raise Mismatch(f"{description}→ 输出形状是 {Y.shape}，应当是 (h-kh+1, w-kw+1) = {expected}。")


@points(3)
@settings(GRADING)
@given(case=cases())
def test_matches_flipped_reference(student, case):
    """float32 张量输入：等于核上下、左右翻转后的互相关"""
    check_against_reference(student, *case, note=FLIP_NOTE)


@points(2)
@settings(GRADING)
@given(case=cases(kinds=KINDS, dtypes=("float64", "int32", "int64", "float32")))
def test_convolve_arrays_variables_and_integers(student, case):
    """卷积：numpy 数组、tf.Variable 与整数输入也正确"""
    check_against_reference(student, *case, note=FLIP_NOTE)


@points(1)
@settings(GRADING)
@given(case=cases(shape=edge_shapes(), kinds=KINDS))
def test_convolve_edge_shapes(student, case):
    """卷积的边界形状：宽或高为 1、核与输入一样大、1x1 核"""
    check_against_reference(student, *case, note=FLIP_NOTE)


@points(2)
@settings(GRADING)
@given(case=one_hot_cases())
def test_one_hot_kernel_shifts(student, case):
    """只有一个 1 的核：卷积把 X 平移，方向与互相关相反"""
    X, K, (a, b) = case
    kh, kw = K.shape
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    Y, description = run(student, X, K, "tensor")
    expected = X[kh - 1 - a:kh - 1 - a + oh, kw - 1 - b:kw - 1 - b + ow].astype(np.float64)
    note = (f"（K 只有 K[{a}, {b}] = 1：卷积的输出 Y[i, j] = X[i + {kh - 1 - a}, j + {kw - 1 - b}]，"
            f"即 X[i + (k_h-1-a), j + (k_w-1-b)]；互相关则是 X[i + {a}, j + {b}]）\n")
    expect_array(Y, expected, description + note, rtol=0, atol=1e-3)


# -- the part's rule: no built-in convolution -----------------------------------
def banned_in_source(source, function="convolve2d"):
    """Built-in convolutions named in the cell that defines ``function`` (its own name aside)."""
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
        elif isinstance(node, ast.Name) and node.id in BANNED_NAMES - {function}:
            found.add(node.id)
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] in BANNED_NAMES | {"signal"}:
            found.add(node.name)
    return found


@veto
def test_no_builtin_convolution(student):
    """卷积：不使用内置卷积（可以调用自己的 corr2d）"""
    found = set()
    for source in student.cells:
        found |= banned_in_source(source)
    X = np.arange(12, dtype=np.float32).reshape(3, 4)
    K = np.array([[1, 2], [3, 4]], np.float32)
    try:
        found |= set(student.call(convolve2d_builtins_probe, X=X, K=K).get("builtins", []))
    except Exception:  # a crash here is graded by the other checks
        pass
    if found:
        raise Mismatch("这一部分要求用翻转核与互相关（例如自己的 corr2d）写出卷积，不能调用内置卷积；"
                       "检测到：" + "、".join(sorted(found)) + "。因此本部分不得分。")
