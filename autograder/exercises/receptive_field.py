"""Section 5.1 特征图和感受野: the receptive field of a stack of layers, ``receptive_field(kernel_sizes)``.

The student's function takes a list of kernel shapes ``[(kh, kw), ...]``, the
layers of a stack of valid, stride-1 cross-correlations applied in that order,
and returns the (height, width) of the receptive field of one element of the
last output on the input, as a tuple, list or array of two integers.

Reference, by automatic differentiation (no formula): a random input larger
than any possible field goes through the stack (``tf.nn.conv2d`` with random
positive kernels, float64, so nothing cancels); the gradient of one output
element with respect to the input is non-zero exactly on its receptive field,
whose rows and columns are counted. (It equals 1 + sum(k - 1) on each axis.)
"""
import functools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ..checks import GRADING, Mismatch, call, points
from ..reference import tf

EXERCISE = "receptive_field"
TITLE = "特征图和感受野：感受野的大小 receptive_field"
#: Shown beside a failed property in the feedback, with a link to the solution cell.
HINT = "复习“特征图和感受野”一节和“练习 8”：每叠加一层 k_h × k_w 的核，感受野的高增加 k_h - 1、宽增加 k_w - 1。"


# -- reference ---------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def reference(kernel_sizes):
    """(height, width) of the receptive field of output element (0, 0), by autodiff."""
    kernel_sizes = tuple(tuple(int(n) for n in k) for k in kernel_sizes)
    rng = np.random.default_rng(len(kernel_sizes))
    h = sum(kh for kh, _ in kernel_sizes) + 2
    w = sum(kw for _, kw in kernel_sizes) + 2
    with tf.device("/CPU:0"):
        x = tf.Variable(rng.uniform(0.5, 1.5, (1, h, w, 1)))
        with tf.GradientTape() as tape:
            y = x
            for kh, kw in kernel_sizes:
                k = tf.constant(rng.uniform(0.5, 1.5, (kh, kw, 1, 1)))
                y = tf.nn.conv2d(y, k, strides=1, padding="VALID")
            target = y[0, 0, 0, 0]
        grad = tape.gradient(target, x).numpy()[0, :, :, 0]
    nonzero = grad != 0
    return int(nonzero.any(axis=1).sum()), int(nonzero.any(axis=0).sum())


# -- strategies ----------------------------------------------------------------
kernel_size = st.tuples(st.integers(1, 7), st.integers(1, 7))
stacks = st.lists(kernel_size, min_size=1, max_size=6)


# -- probe (runs inside the sandbox; self-contained) ----------------------------
def receptive_field_probe(ns, kernel_sizes, style):
    receptive_field = lookup(ns, "receptive_field")
    sizes = [tuple(int(n) for n in k) for k in kernel_sizes]
    if style == "lists":
        sizes = [list(k) for k in sizes]
    R = receptive_field(sizes)
    if isinstance(R, (tuple, list)):
        items = []
        for item in R:
            if hasattr(item, "numpy"):
                item = item.numpy()
            item = np.asarray(item)
            if item.ndim != 0 or item.dtype.kind not in "iuf":
                return {"R_type": type(R).__name__ + " containing " + type(item).__name__}
            items.append(item.item())
        return {"R_type": type(R).__name__, "R": np.asarray(items, dtype=np.float64)}
    return export(R, "R")


def run(student, kernel_sizes, style="tuples"):
    shown = [tuple(k) if style == "tuples" else list(k) for k in kernel_sizes]
    description = f"调用 receptive_field({shown!r})：\n"
    result = call(student, receptive_field_probe, description,
                  kernel_sizes=[list(k) for k in kernel_sizes], style=style)
    kind = result.get("R_type", "nothing")
    if "R" not in result:
        raise Mismatch(f"{description}→ 返回了 {kind}；应当返回两个整数 (高, 宽)，"
                       f"例如 tuple、list 或 numpy 数组。")
    R = np.asarray(result["R"])
    if R.shape != (2,):
        raise Mismatch(f"{description}→ 返回值的形状是 {R.shape}，应当恰好是两个数 (高, 宽)。")
    if R.dtype.kind not in "iuf" or not np.all(np.isfinite(R)) or not np.all(R == np.round(R)):
        raise Mismatch(f"{description}→ 返回了 {R.tolist()}；感受野的高和宽应当是整数。")
    return (int(R[0]), int(R[1])), description


def expect_field(student, kernel_sizes, style="tuples", note=""):
    actual, description = run(student, kernel_sizes, style)
    expected = reference(tuple(tuple(k) for k in kernel_sizes))
    if actual != expected:
        raise Mismatch(f"{description}{note}→ 返回 {actual}，应当是 {expected}"
                       f"（对最后一层输出的一个元素求关于输入的梯度，不为 0 的区域就是它的感受野）。")


# -- checks ----------------------------------------------------------------------
@points(2)
@settings(GRADING)
@given(kernel_sizes=stacks)
def test_returns_two_integers(student, kernel_sizes):
    """返回两个整数 (高, 宽)"""
    run(student, kernel_sizes)


@points(2)
@settings(GRADING, max_examples=49)
@given(size=kernel_size)
def test_single_layer(student, size):
    """只有一层时，感受野就是卷积核的形状"""
    expect_field(student, [size], note="（只有一层：输出的每个元素恰好由一个 k_h x k_w 窗口算出）\n")


@points(4)
@settings(GRADING)
@given(kernel_sizes=stacks.filter(lambda s: len(s) >= 2))
def test_stacks(student, kernel_sizes):
    """多层叠加时与自动求导得到的感受野一致"""
    expect_field(student, kernel_sizes)


@points(2)
@settings(GRADING)
@given(kernel_sizes=stacks, data=st.data())
def test_lists_and_order(student, kernel_sizes, data):
    """核形状以列表给出、层的顺序打乱时也正确"""
    shuffled = data.draw(st.permutations(kernel_sizes), label="shuffled")
    expect_field(student, shuffled, style="lists")
