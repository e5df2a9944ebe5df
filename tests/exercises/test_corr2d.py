"""The hidden checks of corr2d: right answers in any style get full marks, each mutant loses points."""
import re

import pytest

EXERCISE = "corr2d"

# -- right answers in other styles ------------------------------------------------------
SEED_VARIABLE_ASSIGN = '''
def corr2d(X, K):
    """The textbook's way: item assignment into a tf.Variable; returns the Variable."""
    h, w = K.shape
    Y = tf.Variable(tf.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1)))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j].assign(tf.cast(tf.reduce_sum(
                tf.cast(X[i:i + h, j:j + w], tf.float32) * tf.cast(K, tf.float32)), tf.float32))
    return Y
'''

NUMPY_LOOP = '''
import warnings

def corr2d(X, K):
    """Double loop over np.zeros; talks on stdout and warns while it works."""
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    print("corr2d called with", X.shape, K.shape)
    warnings.warn("this corr2d is slow")
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
'''

NUMPY_SLIDING = '''
def corr2d(X, K):
    X = np.asarray(X, dtype=np.float32)
    K = np.asarray(K, dtype=np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)
    return np.einsum("ijab,ab->ij", windows, K)
'''

TF_EXTRACT_PATCHES = '''
def corr2d(X, K):
    X = tf.cast(X, tf.float32)
    K = tf.cast(K, tf.float32)
    kh, kw = K.shape
    patches = tf.image.extract_patches(X[None, :, :, None], sizes=[1, kh, kw, 1],
                                       strides=[1, 1, 1, 1], rates=[1, 1, 1, 1], padding="VALID")
    return tf.tensordot(patches[0], tf.reshape(K, [-1]), axes=1)
'''

TF_SHIFTED_SLICES = '''
def corr2d(X, K):
    X = tf.cast(X, tf.float32)
    K = tf.cast(K, tf.float32)
    kh, kw = K.shape
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    shifted = tf.stack([X[a:a + oh, b:b + ow] for a in range(kh) for b in range(kw)], axis=-1)
    return tf.reduce_sum(shifted * tf.reshape(K, [-1]), axis=-1)
'''

RIGHT = {
    "reference": None,  # the source notebook's solution cell: a tf.Tensor from tf.stack
    "seed_variable_assign": SEED_VARIABLE_ASSIGN,  # a tf.Variable
    "numpy_loop_prints_and_warns": NUMPY_LOOP,  # an ndarray
    "numpy_sliding_windows": NUMPY_SLIDING,
    "tf_extract_patches": TF_EXTRACT_PATCHES,
}
# (A vectorised tf corr2d built from shifted slices is graded in test_conv2d_layer.py.)

# -- mutants: (code or a change to a base, properties that must fail) -----------------------
# Most mutants change a plain numpy double loop (fast to grade); one changes the reference.
NUMPY_BASE = """
def corr2d(X, K):
    X = np.asarray(X, dtype=np.float32)
    K = np.asarray(K, dtype=np.float32)
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=np.float32)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
"""
VALUES = ("test_matches_reference_float32", "test_arrays_variables_and_integers")


def changed(old, new, base=NUMPY_BASE):
    def apply(reference):
        code = reference if base is None else base
        assert code.count(old) == 1, f"the code no longer contains {old!r}"
        return code.replace(old, new)
    return apply


MUTANTS = {
    "flipped_kernel": (changed("* K)", "* K[::-1, ::-1])"), VALUES),
    "windows_transposed": (changed("X[i:i + h, j:j + w]", "X[j:j + h, i:i + w]"), VALUES),
    "kernel_transposed": (changed("* K)", "* K.T)"), VALUES),
    "off_by_one_shape": (changed("range(X.shape[1] - w + 1)", "range(X.shape[1] - w)", base=None),
                         ("test_output_shape",) + VALUES),
    "returns_list": (changed("return Y", "return Y.tolist()"), ("test_output_shape",) + VALUES),
    "truncates_to_int": (changed("return Y", "return Y.astype(np.int32)"),
                         ("test_matches_reference_float32",)),
    "first_row_of_kernel_only": (changed("(X[i:i + h, j:j + w] * K)", "(X[i, j:j + w] * K[0])"), VALUES),
    "uses_tf_nn_conv2d": ("""
def corr2d(X, K):
    X = tf.cast(X, tf.float32)[None, :, :, None]
    K = tf.cast(K, tf.float32)[:, :, None, None]
    return tf.nn.conv2d(X, K, strides=1, padding="VALID")[0, :, :, 0]
""", ("test_no_builtin_convolution",)),
}


def code_of(entry, solutions):
    reference = solutions["corr2d_solution"]
    if entry is None:
        return reference
    return entry(reference) if callable(entry) else entry


def summary(part):
    return "\n".join(f"{'PASS' if p.passed else 'FAIL'} {p.name}: {p.message}" for p in part.properties)


@pytest.mark.filterwarnings("ignore:this corr2d is slow")
@pytest.mark.parametrize("style", list(RIGHT))
def test_right_answers_get_full_marks(style, solutions, grade_part):
    part = grade_part(code_of(RIGHT[style], solutions), EXERCISE)
    assert part.max_points == 10
    assert not part.ungraded, summary(part)
    assert part.score == part.max_points, summary(part)


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_mutants_lose_points(mutant, solutions, grade_part):
    entry, failing = MUTANTS[mutant]
    part = grade_part(code_of(entry, solutions), EXERCISE)
    assert not part.ungraded, summary(part)
    assert part.score < part.max_points, summary(part)
    results = {p.name: p for p in part.properties}
    for name in failing:
        assert not results[name].passed, f"{name} should fail for {mutant}:\n{summary(part)}"
        message = results[name].message
        if name != "test_no_builtin_convolution":
            # The smallest failing example is shown, inputs first.
            shapes = re.findall(r"^(?:X|K) = .*?# shape \((\d+), (\d+)\)", message, re.M | re.S)
            assert len(shapes) == 2, message
            assert all(int(a) * int(b) <= 9 for a, b in shapes), f"not shrunk:\n{message}"
            assert "→" in message, message


def test_builtin_convolution_is_vetoed(grade_part):
    part = grade_part(MUTANTS["uses_tf_nn_conv2d"][0], EXERCISE)
    assert part.score == 0
    assert [p.name for p in part.vetoed] == ["test_no_builtin_convolution"]
    assert "conv2d" in part.vetoed[0].message
    # Its values are right: only the veto takes the points away.
    assert all(p.passed for p in part.properties if not p.veto), summary(part)


def test_list_is_reported_as_a_list(solutions, grade_part):
    part = grade_part(code_of(MUTANTS["returns_list"][0], solutions), EXERCISE)
    message = {p.name: p.message for p in part.properties}["test_matches_reference_float32"]
    assert "返回了 list" in message


def test_feedback_shows_expected_and_actual(solutions, grade_part):
    part = grade_part(code_of(MUTANTS["flipped_kernel"][0], solutions), EXERCISE)
    message = {p.name: p.message for p in part.properties}["test_matches_reference_float32"]
    assert "应当是" in message and "实际是" in message
    assert "corr2d(X, K)" in message


OUT_SHAPE = "(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)"
#: What a broken corr2d may return, none of which may crash the checks or earn value points.
BAD_RETURNS = {
    "nan": f"np.full({OUT_SHAPE}, np.nan)",
    "inf": f"np.full({OUT_SHAPE}, -np.inf, dtype=np.float32)",
    "complex": f"np.zeros({OUT_SHAPE}, dtype=np.complex128)",
    "object_array": "np.array([object(), None], dtype=object)",
    "string_array": f"np.full({OUT_SHAPE}, 'x')",
    "string": "'[[19., 25.], [37., 43.]]'",
    "none": "None",
    "ragged_list": "[[1.0, 2.0], [3.0]]",
    "recursive_list": "(lambda l: (l.append(l), l)[1])([])",
    "huge_int": "10 ** 400",
    "tensor_of_strings": "tf.constant([['a', 'b']])",
}


@pytest.mark.parametrize("bad", list(BAD_RETURNS))
def test_bad_return_values_lose_the_value_points_with_a_message(bad, grade_part):
    part = grade_part(f"def corr2d(X, K):\n    return {BAD_RETURNS[bad]}\n", EXERCISE)
    assert not part.ungraded, summary(part)
    failed = {p.name: p for p in part.properties if not p.passed}
    assert set(VALUES) <= set(failed), summary(part)
    assert all(p.message.strip() for p in failed.values()), summary(part)
