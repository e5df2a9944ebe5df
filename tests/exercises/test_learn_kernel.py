"""The hidden checks of learn_kernel: right training loops get full marks, each mutant loses points."""
import math
import re

import numpy as np
import pytest

from autograder.exercises import learn_kernel as module

EXERCISE = "learn_kernel"

# A differentiable, vectorised corr2d: fast, so that mutants grade quickly.
VECTORISED_CORR2D = '''
def corr2d(X, K):
    X = tf.cast(X, tf.float32)
    K = tf.cast(K, tf.float32)
    kh, kw = K.shape
    patches = tf.image.extract_patches(X[None, :, :, None], sizes=[1, kh, kw, 1],
                                       strides=[1, 1, 1, 1], rates=[1, 1, 1, 1], padding="VALID")
    return tf.tensordot(patches[0], tf.reshape(K, [-1]), axes=1)
'''

# The textbook's way (allowed in this part): a Keras Conv2D layer trained with a GradientTape.
KERAS_CONV2D = '''
def learn_kernel(X, Y, kernel_size, lr, num_steps):
    conv2d = tf.keras.layers.Conv2D(1, kernel_size, use_bias=False)
    X = tf.reshape(tf.cast(X, tf.float32), (1, X.shape[0], X.shape[1], 1))
    Y = tf.reshape(tf.cast(Y, tf.float32), (1, Y.shape[0], Y.shape[1], 1))
    conv2d(X)
    for i in range(num_steps):
        with tf.GradientTape() as g:
            l = tf.reduce_sum((conv2d(X) - Y) ** 2)
        conv2d.kernel.assign_sub(lr * g.gradient(l, conv2d.kernel))
        if (i + 1) % 2 == 0:
            print(f"epoch {i + 1}, loss {float(l):.3f}")
    return tf.reshape(conv2d.kernel, kernel_size).numpy()
'''

# With a bias that is created but stays at zero (only the kernel is updated).
KERAS_CONV2D_FIXED_BIAS = KERAS_CONV2D.replace("use_bias=False", "use_bias=True")

NUMPY_RESULT_ZEROS_INIT = '''
def learn_kernel(X, Y, kernel_size, lr, num_steps):
    K = tf.Variable(tf.zeros(kernel_size))
    for step in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(corr2d(X, K) - tf.cast(Y, tf.float32)))
        grad = tape.gradient(loss, K)
        K.assign(K - lr * grad)
    return K.numpy()
'''


def changed(old, new):
    def apply(reference):
        assert reference.count(old) == 1, f"the reference no longer contains {old!r}"
        return reference.replace(old, new)
    return apply


RIGHT = {
    # name: (corr2d, learn_kernel); None means the source notebook's solution cell
    "reference": (None, None),
    "zeros_init_returns_ndarray": (None, NUMPY_RESULT_ZEROS_INIT),
    "keras_conv2d_no_bias": (VECTORISED_CORR2D, KERAS_CONV2D),
    "keras_conv2d_bias_fixed_at_zero": (VECTORISED_CORR2D, KERAS_CONV2D_FIXED_BIAS),
}

RECOVERS = "test_recovers_kernel"
NUM_STEPS = "test_respects_num_steps"
SHAPE = "test_returns_kernel"

# name: (change to the reference learn_kernel, properties that must fail); the others must pass.
MUTANTS = {
    "gradient_ascent": (changed("K.assign_sub(", "K.assign_add("), {RECOVERS}),
    "ignores_num_steps": (changed("range(num_steps)", "range(200)"), {NUM_STEPS}),
    "ignores_lr": (changed("K.assign_sub(lr *", "K.assign_sub(3e-2 *"), {RECOVERS}),
    "no_training": (changed("K.assign_sub(lr * tape.gradient(loss, K))", "pass"), {RECOVERS}),
    "mean_loss_same_lr": (changed("tf.reduce_sum((corr2d", "tf.reduce_mean((corr2d"), {RECOVERS}),
    "returns_transposed_kernel": (changed("return K", "return tf.transpose(K)"),
                                  {SHAPE, RECOVERS, NUM_STEPS}),
    "returns_list": (changed("return K", "return K.numpy().tolist()"), {SHAPE, RECOVERS, NUM_STEPS}),
    "one_step_too_few": (changed("range(num_steps)", "range(num_steps - 1)"), {RECOVERS}),
}


def code_of(corr2d, learn, solutions):
    corr2d = solutions["corr2d_solution"] if corr2d is None else corr2d
    learn = solutions["learn_kernel_solution"] if learn is None else learn
    return corr2d + "\n" + learn


def summary(part):
    return "\n".join(f"{'PASS' if p.passed else 'FAIL'} {p.name}: {p.message}" for p in part.properties)


@pytest.mark.parametrize("style", list(RIGHT))
def test_right_answers_get_full_marks(style, solutions, grade_part):
    part = grade_part(code_of(*RIGHT[style], solutions), EXERCISE)
    assert part.max_points == 10
    assert {p.name: p.points for p in part.properties} == {SHAPE: 1, RECOVERS: 6, NUM_STEPS: 3}
    assert not part.ungraded, summary(part)
    assert part.score == part.max_points, summary(part)


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_mutants_lose_exactly_their_properties(mutant, solutions, grade_part):
    change, failing = MUTANTS[mutant]
    code = VECTORISED_CORR2D + "\n" + change(solutions["learn_kernel_solution"])
    part = grade_part(code, EXERCISE)
    assert not part.ungraded, summary(part)
    assert part.score < part.max_points, summary(part)
    assert {p.name for p in part.properties if not p.passed} == failing, summary(part)
    for p in part.properties:
        if not p.passed:
            assert p.message.startswith("learn_kernel(X, Y, kernel_size=("), p.message
            assert re.search(r"^K_true = .*# shape", p.message, re.M), p.message
            assert "→" in p.message


# -- the problems themselves --------------------------------------------------------------
SHAPES = [(kh, kw, h, w) for kh in range(1, 4) for kw in range(1, 4)
          for h, w in module.input_shapes(kh, kw)]


@pytest.mark.parametrize("kh, kw, h, w", SHAPES[::3])
def test_problems_are_as_designed(kh, kw, h, w):
    for seed in range(3):
        p = module.make_problem(kh, kw, h, w, seed)
        assert p["X"].dtype == p["Y"].dtype == np.float32
        assert (h - kh + 1) * (w - kw + 1) >= 4 * kh * kw and max(h, w) <= 9
        assert p["lam_max"] <= 6.5 * p["lam_min"]           # well conditioned (after rounding X)
        assert p["lam_max"] * 3e-2 > 2.5                     # a hard-coded lr = 3e-2 diverges
        assert np.all(np.abs(p["K_true"]) >= 3) and np.all(np.abs(p["K_true"]) <= 6)
        assert np.allclose(p["K_ls"], p["K_true"], atol=1e-4)
        assert 1 <= module.recovery_steps(p) <= module.MAX_STEPS


def gradient_descent(p, K0, lr, steps, mean=False):
    """The update the students write, in float32 numpy."""
    A = module.windows(p["X"], *p["kernel_size"]).astype(np.float32)
    y = p["Y"].reshape(-1)
    k = np.asarray(K0, np.float32).reshape(-1)
    for _ in range(steps):
        g = 2 * A.T @ (A @ k - y)
        k = k - np.float32(lr) * (g / len(y) if mean else g)
    return k.reshape(p["kernel_size"])


def initial_kernels(shape, rng):
    limit = math.sqrt(6 / sum(shape))
    return {"zeros": np.zeros(shape), "normal": rng.standard_normal(shape),
            "uniform": rng.uniform(-1, 1, shape), "glorot_uniform": rng.uniform(-limit, limit, shape),
            "glorot_normal": np.clip(rng.standard_normal(shape), -2, 2) * math.sqrt(2 / sum(shape))}


@pytest.mark.parametrize("kh, kw, h, w", SHAPES[1::3])
def test_right_answers_cannot_fail_by_bad_luck(kh, kw, h, w):
    """Every reasonable start passes both value checks; converging regardless of num_steps does not."""
    rng = np.random.default_rng(kh * 100 + kw * 10 + h + w)
    for seed in range(3):
        p = module.make_problem(kh, kw, h, w, seed)
        atol = 1e-3 * (1 + np.abs(p["K_true"]).max())
        limit = 0.1 * np.linalg.norm(p["K_true"])
        lr_one = module.ONE_STEP_LR / p["lam_max"]
        for name, K0 in initial_kernels((kh, kw), rng).items():
            K = gradient_descent(p, K0, 1 / p["lam_max"], module.recovery_steps(p))
            assert np.allclose(K, p["K_ls"], rtol=0, atol=atol), name
            assert np.linalg.norm(gradient_descent(p, K0, lr_one, 1) - p["K_ls"]) > limit, name
        K0 = rng.standard_normal((kh, kw))
        assert np.linalg.norm(gradient_descent(p, K0, lr_one, 200) - p["K_ls"]) <= limit
        with np.errstate(over="ignore", invalid="ignore"):
            K = gradient_descent(p, K0, 3e-2, module.recovery_steps(p))
        assert not np.allclose(K, p["K_ls"], rtol=0, atol=atol)
        K = gradient_descent(p, K0, 1 / p["lam_max"], module.recovery_steps(p), mean=True)
        assert not np.allclose(K, p["K_ls"], rtol=0, atol=atol)
