"""Section 5.1.4: learning a kernel by gradient descent, ``learn_kernel(X, Y, kernel_size, lr, num_steps)``.

The student's function starts from some kernel (random or zeros; no bias),
makes exactly ``num_steps`` updates ``K <- K - lr * dL/dK`` on the loss
``L = sum((corr2d(X, K) - Y) ** 2)`` and returns the kernel, of shape
``kernel_size``.

The loss is a quadratic in K with Hessian ``H = 2 A^T A``, where the rows of A
are the flattened (kh, kw) windows of X. Gradient descent moves the error along
each eigenvector of H by a factor ``1 - lr * lambda``. Every problem here is
well conditioned (lambda_max / lambda_min <= 6) and has its true kernel far
from any reasonable starting point (entries of magnitude 3 to 6), so that

* with ``lr = 1 / lambda_max`` a known number of steps contracts every error
  below 1e-4 (the kernel is recovered), and
* with ``lr = 0.25 / lambda_max`` a single step shrinks the error by a factor of
  at least 0.75 (the kernel is still far away): training to convergence
  regardless of ``num_steps`` shows.

lambda_max is at least 120, so a hard-coded ``lr = 3e-2`` (the notebook's
example) diverges instead of passing by luck. References are in float64 on
exactly the float32 values the student receives: the target is the least
squares kernel for those X and Y (the true kernel up to float32 rounding of Y).
"""
import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ..checks import GRADING, Mismatch, call, expect_array, points, returned_array, show
from .corr2d import reference

EXERCISE = "learn_kernel"
TITLE = "5.1.4 学习卷积核 learn_kernel"
#: Shown beside a failed property in the feedback, with a link to the solution cell.
HINT = "复习 5.1.4 节“通过数据学习核数组”和“练习 4”：恰好 num_steps 步，每步在 GradientTape 中算平方误差之和，再做 K <- K - lr * dL/dK。"

MAX_SIDE = 9            # X is at most 9 x 9: a slow loop-based corr2d stays fast
MAX_KERNEL = 3          # kernels up to 3 x 3
MIN_WINDOWS = 4         # at least 4 windows (rows of A) per kernel entry
MAX_CONDITION = 6.0     # lambda_max / lambda_min of the Hessian
LAMBDA_MAX = (120.0, 400.0)  # X is scaled so that lambda_max lies in this range
TARGET_ERROR = 1e-4     # recovery: bound on the error after the chosen number of steps
MAX_STEPS = 80
ONE_STEP_LR = 0.25      # num_steps check: lr = ONE_STEP_LR / lambda_max, one step


# -- problems -----------------------------------------------------------------------
def windows(X, kh, kw):
    """The patch matrix A: one row per output position, the flattened window."""
    X = np.asarray(X, np.float64)
    view = np.lib.stride_tricks.sliding_window_view(X, (kh, kw))
    return view.reshape(-1, kh * kw)


def hessian_eigenvalues(X, kh, kw):
    A = windows(X, kh, kw)
    return np.linalg.eigvalsh(2.0 * A.T @ A)


def make_problem(kh, kw, h, w, seed):
    """A well-conditioned problem, fully determined by its shape and seed.

    Returns a dict with X, Y (float32, what the student receives), the true
    kernel, the least squares kernel for the float32 X and Y, and the Hessian's
    extreme eigenvalues.
    """
    rng = np.random.default_rng(seed)
    for _ in range(200):
        X = rng.standard_normal((h, w))
        lam = hessian_eigenvalues(X, kh, kw)
        if lam[0] > 0 and lam[-1] <= MAX_CONDITION * lam[0]:
            break
    else:  # pragma: no cover - a 9 x 9 input is well conditioned far more often than that
        raise RuntimeError(f"no well-conditioned {h}x{w} input for a {kh}x{kw} kernel")
    scale = math.sqrt(rng.uniform(*LAMBDA_MAX) / lam[-1])
    X = np.round(X * scale, 2).astype(np.float32)
    K_true = (np.round(rng.uniform(3.0, 6.0, (kh, kw)), 1)
              * rng.choice([-1.0, 1.0], (kh, kw))).astype(np.float32)
    Y = reference(X, K_true).astype(np.float32)
    lam = hessian_eigenvalues(X, kh, kw)
    A = windows(X, kh, kw)
    K_ls = np.linalg.lstsq(A, Y.astype(np.float64).reshape(-1), rcond=None)[0].reshape(kh, kw)
    return {"X": X, "Y": Y, "kernel_size": (kh, kw), "K_true": K_true, "K_ls": K_ls,
            "lam_min": float(lam[0]), "lam_max": float(lam[-1])}


def recovery_steps(problem):
    """Steps of lr = 1/lambda_max after which (1 - lambda_min/lambda_max)^N (|K*| + 10) < 1e-4."""
    rate = 1.0 - problem["lam_min"] / problem["lam_max"]
    start = float(np.linalg.norm(problem["K_true"])) + 10.0
    if rate <= 0.0:
        return 1
    steps = math.ceil(math.log(TARGET_ERROR / start) / math.log(rate))
    return int(min(max(steps, 1), MAX_STEPS))


def input_shapes(kh, kw):
    """Input shapes (h, w) up to MAX_SIDE with at least MIN_WINDOWS windows per kernel entry,
    smallest first (so that failures shrink to small inputs)."""
    found = [(h, w) for h in range(kh, MAX_SIDE + 1) for w in range(kw, MAX_SIDE + 1)
             if (h - kh + 1) * (w - kw + 1) >= MIN_WINDOWS * kh * kw]
    return sorted(found, key=lambda s: (s[0] * s[1], s))


@st.composite
def problems(draw):
    kh = draw(st.integers(1, MAX_KERNEL), label="kh")
    kw = draw(st.integers(1, MAX_KERNEL), label="kw")
    h, w = draw(st.sampled_from(input_shapes(kh, kw)), label="X.shape")
    seed = draw(st.integers(0, 2**16), label="seed")
    return make_problem(kh, kw, h, w, seed)


#: The smallest problem, always checked first: a 1x1 kernel is recovered by a
#: single step of lr = 1/lambda, so one update too few shows there.
SMALLEST = make_problem(1, 1, 2, 2, 0)


# -- probe (runs inside the sandbox; self-contained) ----------------------------
def learn_kernel_probe(ns, X, Y, kernel_size, lr, num_steps):
    import tensorflow as tf

    learn_kernel = lookup(ns, "learn_kernel")
    K = learn_kernel(tf.constant(X), tf.constant(Y), tuple(int(n) for n in kernel_size),
                     float(lr), int(num_steps))
    return export(K, "K")


def run(student, problem, lr, num_steps, note=""):
    """The student's kernel after the type stage, and the call's description."""
    kh, kw = problem["kernel_size"]
    description = (f"learn_kernel(X, Y, kernel_size=({kh}, {kw}), lr={lr!r}, num_steps={num_steps})，"
                   f"X、Y 是 tf.constant，Y = corr2d(X, K_true){note}：\n"
                   f"{show(X=problem['X'], Y=problem['Y'], K_true=problem['K_true'])}\n")
    result = call(student, learn_kernel_probe, description, X=problem["X"], Y=problem["Y"],
                  kernel_size=[kh, kw], lr=lr, num_steps=num_steps)
    return returned_array(result, "K", description), description


def expect_shape(K, problem, description):
    if K.shape != tuple(problem["kernel_size"]):
        raise Mismatch(f"{description}→ 返回的核形状是 {K.shape}，应当是 kernel_size = "
                       f"{tuple(problem['kernel_size'])}。")
    if K.dtype.kind not in "iuf":
        raise Mismatch(f"{description}→ 返回的核数据类型是 {K.dtype}，应当是浮点数。")


# -- checks ----------------------------------------------------------------------
@points(1)
@settings(GRADING, max_examples=10)
@given(problem=problems())
def test_returns_kernel(student, problem):
    """返回形状为 kernel_size 的核（张量、变量或 numpy 数组）"""
    lr = 0.5 / problem["lam_max"]
    K, description = run(student, problem, lr, 3)
    expect_shape(K, problem, description)


@points(6)
@settings(GRADING, max_examples=8)
@example(problem=SMALLEST)
@given(problem=problems())
def test_recovers_kernel(student, problem):
    """取 lr = 1/λ_max 并走足够多步时，学到的核等于真实核"""
    lr = 1.0 / problem["lam_max"]
    steps = recovery_steps(problem)
    note = (f"（λ_max = {problem['lam_max']:.4g} 是损失的 Hessian 2AᵀA 的最大特征值；"
            f"这个学习率下 {steps} 步梯度下降足以把误差缩小到 1e-4 以下）")
    K, description = run(student, problem, lr, steps, note)
    expect_shape(K, problem, description)
    atol = 1e-3 * (1.0 + float(np.max(np.abs(problem["K_true"]))))
    expect_array(K, problem["K_ls"], description, rtol=0, atol=atol)


@points(3)
@settings(GRADING, max_examples=8)
@given(problem=problems())
def test_respects_num_steps(student, problem):
    """恰好执行 num_steps 次更新：num_steps=1、小学习率时离真实核仍然很远"""
    lr = ONE_STEP_LR / problem["lam_max"]
    note = (f"（只走 1 步、lr = {ONE_STEP_LR}/λ_max 时，每个方向上的误差至多缩小到原来的 "
            f"{1 - ONE_STEP_LR:g} 倍，不可能已经接近 K_true）")
    K, description = run(student, problem, lr, 1, note)
    expect_shape(K, problem, description)
    K64 = K.astype(np.float64)
    if not np.all(np.isfinite(K64)):
        return  # far from anything: this property only catches training too long
    distance = float(np.linalg.norm(K64 - problem["K_ls"]))
    limit = 0.1 * float(np.linalg.norm(problem["K_true"]))
    if distance <= limit:
        raise Mismatch(
            f"{description}→ 返回的核与 K_true 的距离只有 {distance:.4g}（不超过 ‖K_true‖ 的 10%），"
            f"一步梯度下降不可能走这么远：函数似乎没有按 num_steps 执行恰好这么多次更新。\n"
            f"返回的核：\n{np.array2string(K, precision=4, separator=', ')}")
