"""Section 5.1.3 (continued): kernels that detect horizontal and diagonal edges.

``horizontal_edge_kernel()`` and ``diagonal_edge_kernel()`` each return a 2-D
kernel, as ``[[1, -1]]`` is the chapter's detector of vertical edges. There is
no single right kernel, so the checks grade properties that every edge
detector of the orientation has, on step images ("edges") drawn at random:

* a *step edge* of orientation ``o`` is an image equal to ``a`` on one side of
  a line of that orientation and ``b != a`` on the other:

  - vertical:    ``X[i, j] = a if j > c else b``  (the chapter's example),
  - horizontal:  ``X[i, j] = a if i > c else b``,
  - diagonal:    ``X[i, j] = a if j - i > c else b``  (a "\\" edge, parallel to
    the main diagonal),
  - anti-diagonal: ``X[i, j] = a if i + j > c else b``  (a "/" edge);

* a detector of orientation ``o`` gives zero on flat images, zero on every step
  edge of the perpendicular orientation (it is blind to it), and a non-zero
  output at every window that the edge crosses (the window holds pixels of
  both sides).

``[[1, -1]]`` is exactly such a detector of vertical edges (blind to
horizontal ones; like every detector here it also sees the diagonal ones).
Polynomially, a kernel ``K(x, y) = sum K[a, b] x^b y^a`` is blind to vertical
edges iff ``(x - 1) | K``, to horizontal ones iff ``(y - 1) | K``, to "/" edges
iff ``(x - y) | K`` (every anti-diagonal sums to zero) and to "\\" edges iff
each diagonal ``b - a = d`` sums to zero. So

* horizontal: ``[[1], [-1]]``, ``[[-1], [1]]``, ``[[1, 1], [-1, -1]]``, Sobel
  ``[[1, 2, 1], [0, 0, 0], [-1, -2, -1]]`` all pass;
* diagonal ("\\"): the Roberts kernel ``[[0, 1], [-1, 0]]`` (``x[i, j+1] -
  x[i+1, j]``, a difference across the "\\" direction), ``[[0, -1], [1, 0]]``
  and the diagonal Sobel ``[[0, 1, 1], [-1, 0, 1], [-1, -1, 0]]`` pass, while
  ``[[1, 0], [0, -1]]`` (``x[i, j] - x[i+1, j+1]``, a difference *along* "\\")
  is blind to "\\" edges and detects "/" ones: it fails both of its checks.

All responses are computed here, in float64, from the kernel the student's
function returned: with numpy's sliding windows (``response``), which on these
small integer images is exact and agrees with the corr2d reference
(``tf.nn.conv2d``, checked in tests/exercises/test_edge_kernels.py) while
costing a hundredth of a TensorFlow call per example.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ..checks import GRADING, Mismatch, call, fmt, points, returned_array, show

EXERCISE = "edge_kernels"
TITLE = "5.1.3 检测水平边缘与对角边缘的卷积核"
#: Shown beside a failed property in the feedback, with a link to the solution cell.
HINT = "复习 5.1.3 节“图像中物体边缘检测”和“练习 3”：核 [[1, -1]] 对竖直边缘有响应、对水平边缘和颜色相同的图像输出 0；仿照它构造其他方向的核。"

#: Orientations: a name for feedback, the coordinate whose level sets are the
#: edge lines, and the perpendicular orientation.
ORIENTATIONS = {
    "vertical": ("竖直边缘", lambda i, j: j),
    "horizontal": ("水平边缘", lambda i, j: i),
    "diagonal": ("对角边缘（“\\”方向，平行于主对角线）", lambda i, j: j - i),
    "antidiagonal": ("反对角边缘（“/”方向）", lambda i, j: i + j),
}
FUNCTIONS = {
    "horizontal": ("horizontal_edge_kernel", "vertical"),
    "diagonal": ("diagonal_edge_kernel", "antidiagonal"),
}

MAX_KERNEL = 15  # a larger "kernel" is no local edge detector


# -- reference ---------------------------------------------------------------
def response(X, K):
    """Valid cross-correlation in float64, (h, w) * (kh, kw) -> (h-kh+1, w-kw+1)."""
    X = np.asarray(X, np.float64)
    K = np.asarray(K, np.float64)
    return np.einsum("ijab,ab->ij", np.lib.stride_tricks.sliding_window_view(X, K.shape), K)


# -- images -------------------------------------------------------------------
def coordinate(orientation, h, w):
    i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    return ORIENTATIONS[orientation][1](i, j)


def step_image(orientation, h, w, c, a, b):
    """``a`` where the edge coordinate exceeds ``c``, ``b`` elsewhere (float64)."""
    return np.where(coordinate(orientation, h, w) > c, float(a), float(b))


def crossed(orientation, h, w, kh, kw, c):
    """Boolean (h-kh+1, w-kw+1): the windows holding pixels on both sides of the edge."""
    t = coordinate(orientation, h, w)
    windows = np.lib.stride_tricks.sliding_window_view(t, (kh, kw))
    return (windows.min(axis=(2, 3)) <= c) & (windows.max(axis=(2, 3)) > c)


def coordinate_range(orientation, h, w):
    t = coordinate(orientation, h, w)
    return int(t.min()), int(t.max())


# -- probe (runs inside the sandbox; self-contained) ----------------------------
def kernel_probe(ns, name):
    make = lookup(ns, name)
    K = make()
    if isinstance(K, (list, tuple)):  # a nested list of numbers is a kernel too
        try:
            K = np.asarray(K, dtype=np.float64)
        except (TypeError, ValueError):
            pass
    return export(K, "K")


def student_kernel(student, which):
    """Stage 1: the function returns a 2-D, finite, non-zero, reasonably small array."""
    name = FUNCTIONS[which][0]
    description = f"调用 {name}()：\n"
    result = call(student, kernel_probe, description, name=name)
    K = returned_array(result, "K", description)
    if K.ndim != 2:
        raise Mismatch(f"{description}→ 返回的核形状是 {K.shape}，应当是二维数组 (k_h, k_w)，"
                       f"例如 [[1, -1]] 的形状是 (1, 2)。")
    if K.dtype.kind not in "iuf":
        raise Mismatch(f"{description}→ 返回的核数据类型是 {K.dtype}，应当是整数或浮点数。")
    if K.size == 0 or max(K.shape) > MAX_KERNEL:
        raise Mismatch(f"{description}→ 返回的核形状是 {K.shape}；边缘检测核应当是一个小的局部窗口"
                       f"（每边 1 到 {MAX_KERNEL}）。")
    K = K.astype(np.float64)
    if not np.all(np.isfinite(K)):
        raise Mismatch(f"{description}→ 返回的核含有 NaN 或 inf：\n{fmt(K)}")
    if not np.any(K):
        raise Mismatch(f"{description}→ 返回的核全为 0，它对任何图像的输出都是 0，检测不到边缘。")
    return K, description + f"返回的核 K = {fmt(K)}   # shape {K.shape}\n"


def zero_tolerance(K, a, b):
    """What float rounding of the kernel's own values can leave of an exact zero."""
    return 1e-5 * float(np.abs(K).sum()) * max(abs(a), abs(b), 1.0)


def response_threshold(K, a, b):
    """A response below this is no detection (the kernel's scale times the edge's contrast)."""
    return 1e-3 * float(np.abs(K).max()) * abs(a - b)


# -- strategies ----------------------------------------------------------------
levels = st.integers(-5, 5)


@st.composite
def edges(draw, orientation, kernel_shape):
    """(X, c, a, b): a step edge of ``orientation`` on an image at least as large as the kernel,
    placed so that some window crosses it."""
    kh, kw = kernel_shape
    h = kh + draw(st.integers(0, 6), label="extra rows")
    w = kw + draw(st.integers(0, 6), label="extra columns")
    low, high = coordinate_range(orientation, h, w)
    c = draw(st.integers(low, max(low, high - 1)), label="c")
    a = draw(levels, label="a")
    b = draw(levels.filter(lambda v: v != a), label="b")
    return step_image(orientation, h, w, c, a, b), c, a, b


@st.composite
def flats(draw, kernel_shape):
    kh, kw = kernel_shape
    h = kh + draw(st.integers(0, 6))
    w = kw + draw(st.integers(0, 6))
    value = draw(st.integers(-9, 9).filter(bool))
    return np.full((h, w), float(value))


def describe_edge(orientation, c, a, b):
    rule = {"vertical": "j", "horizontal": "i", "diagonal": "j - i", "antidiagonal": "i + j"}[orientation]
    return f"{ORIENTATIONS[orientation][0]}：X[i, j] = {a} if {rule} > {c} else {b}"


def check_flat(student, which, data):
    K, description = student_kernel(student, which)
    X = data.draw(flats(K.shape), label="X")
    Y = response(X, K)
    value = float(X[0, 0])
    if np.max(np.abs(Y)) > zero_tolerance(K, value, value):
        raise Mismatch(
            f"{description}在颜色处处相同的图像上做互相关：\n{show(X=X.astype(np.int64))}\n"
            f"→ 输出应当全为 0（没有边缘就不应有响应），实际是：\n{fmt(Y)}\n"
            f"提示：核的所有元素之和应当为 0（现在是 {K.sum():.4g}）。")


def check_blind(student, which, data):
    K, description = student_kernel(student, which)
    other = FUNCTIONS[which][1]
    X, c, a, b = data.draw(edges(other, K.shape), label="edge")
    Y = response(X, K)
    if np.max(np.abs(Y)) > zero_tolerance(K, a, b):
        raise Mismatch(
            f"{description}在只含{describe_edge(other, c, a, b)} 的图像上做互相关：\n"
            f"{show(X=X.astype(np.int64))}\n"
            f"→ 输出应当全为 0（检测{ORIENTATIONS[which][0]}的核对{ORIENTATIONS[other][0]}没有响应，"
            f"正如 [[1, -1]] 对水平边缘没有响应），实际是：\n{fmt(Y)}")


def check_detects(student, which, data):
    K, description = student_kernel(student, which)
    kh, kw = K.shape
    if (which == "horizontal" and kh == 1) or (which == "diagonal" and kh == kw == 1):
        across = "高为 1" if which == "horizontal" else "是 1x1 的"
        raise Mismatch(f"{description}→ 核{across}：任何卷积窗口都不会同时包含"
                       f"{ORIENTATIONS[which][0]}两侧的像素，所以它检测不到这个方向的边缘"
                       f"（正如 [[1, -1]] 的窗口只有一行，看不到水平边缘）。")
    X, c, a, b = data.draw(edges(which, K.shape), label="edge")
    h, w = X.shape
    Y = response(X, K)
    expected = crossed(which, h, w, *K.shape, c)
    missed = expected & (np.abs(Y) <= response_threshold(K, a, b))
    if missed.any():
        where = ", ".join(str(tuple(int(n) for n in idx)) for idx in np.argwhere(missed)[:5])
        raise Mismatch(
            f"{description}在只含{describe_edge(which, c, a, b)} 的图像上做互相关：\n"
            f"{show(X=X.astype(np.int64))}\n"
            f"→ 在边缘穿过卷积窗口的位置（输出中标为 1 的位置）输出都应当不为 0：\n"
            f"{fmt(expected.astype(np.int64))}\n"
            f"但位置 {where} 的输出是 0。实际输出：\n{fmt(Y)}")


# -- checks ----------------------------------------------------------------------
@points(1)
@settings(GRADING, max_examples=1)
@given(call_once=st.just(None))
def test_horizontal_kernel_is_valid(student, call_once):
    """horizontal_edge_kernel() 返回非零的二维核"""
    student_kernel(student, "horizontal")


@points(1)
@settings(GRADING)
@given(data=st.data())
def test_horizontal_zero_on_flat(student, data):
    """水平边缘核：在颜色相同的图像上输出全为 0"""
    check_flat(student, "horizontal", data)


@points(1)
@settings(GRADING)
@given(data=st.data())
def test_horizontal_blind_to_vertical(student, data):
    """水平边缘核：对竖直边缘没有响应"""
    check_blind(student, "horizontal", data)


@points(2)
@settings(GRADING)
@given(data=st.data())
def test_horizontal_detects_horizontal(student, data):
    """水平边缘核：水平边缘穿过窗口的每个位置输出都不为 0"""
    check_detects(student, "horizontal", data)


@points(1)
@settings(GRADING, max_examples=1)
@given(call_once=st.just(None))
def test_diagonal_kernel_is_valid(student, call_once):
    """diagonal_edge_kernel() 返回非零的二维核"""
    student_kernel(student, "diagonal")


@points(1)
@settings(GRADING)
@given(data=st.data())
def test_diagonal_zero_on_flat(student, data):
    """对角边缘核：在颜色相同的图像上输出全为 0"""
    check_flat(student, "diagonal", data)


@points(1)
@settings(GRADING)
@given(data=st.data())
def test_diagonal_blind_to_antidiagonal(student, data):
    """对角边缘核：对反对角（“/”）边缘没有响应"""
    check_blind(student, "diagonal", data)


@points(2)
@settings(GRADING)
@given(data=st.data())
def test_diagonal_detects_diagonal(student, data):
    """对角边缘核：对角（“\\”）边缘穿过窗口的每个位置输出都不为 0"""
    check_detects(student, "diagonal", data)
