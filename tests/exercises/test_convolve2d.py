"""The hidden checks of convolve2d: right answers in any style get full marks, each mutant loses points."""
import pytest

EXERCISE = "convolve2d"

# -- right answers in other styles (each with the notebook's corr2d in scope) -----------------
NUMPY_FLIP = '''
def convolve2d(X, K):
    """np.flip on both axes, then a numpy loop; returns an ndarray."""
    X = np.asarray(X, dtype=np.float64)
    K = np.flip(np.asarray(K, dtype=np.float64))
    kh, kw = K.shape
    Y = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum()
    return Y
'''

INDEX_FORMULA = '''
def convolve2d(X, K):
    """The definition itself: K[kh-1-a, kw-1-b], no flipped copy."""
    X = np.asarray(X, dtype=np.float32)
    K = np.asarray(K, dtype=np.float32)
    kh, kw = K.shape
    out = []
    for i in range(X.shape[0] - kh + 1):
        row = []
        for j in range(X.shape[1] - kw + 1):
            row.append(sum(X[i + a, j + b] * K[kh - 1 - a, kw - 1 - b]
                           for a in range(kh) for b in range(kw)))
        out.append(row)
    return tf.constant(out, dtype=tf.float32)
'''

ROT180_CORR2D = '''
def convolve2d(X, K):
    """Two quarter turns of the kernel, then the student's own corr2d."""
    return corr2d(X, np.rot90(np.asarray(K), 2))
'''

CORR2D_USES_CONV2D = '''
def corr2d(X, K):
    X = tf.cast(X, tf.float32)[None, :, :, None]
    K = tf.cast(K, tf.float32)[:, :, None, None]
    return tf.nn.conv2d(X, K, strides=1, padding="VALID")[0, :, :, 0]
'''

RIGHT = {
    "reference": None,  # the notebook's solution: tf.reverse + corr2d
    "numpy_flip_loop": NUMPY_FLIP,
    "index_formula": INDEX_FORMULA,
    "rot180_with_corr2d": ROT180_CORR2D,
}

VALUES = ("test_matches_flipped_reference", "test_convolve_arrays_variables_and_integers",
          "test_one_hot_kernel_shifts")


def changed(old, new):
    def apply(reference):
        assert reference.count(old) == 1, f"the reference no longer contains {old!r}"
        return reference.replace(old, new)
    return apply


MUTANTS = {
    "no_flip": (changed("tf.reverse(tf.cast(K, tf.float32), axis=[0, 1])", "tf.cast(K, tf.float32)"),
                VALUES),
    "flips_up_down_only": (changed("axis=[0, 1]", "axis=[0]"), VALUES),
    "flips_left_right_only": (changed("axis=[0, 1]", "axis=[1]"), VALUES),
    "transposes_instead_of_flipping": (
        changed("tf.reverse(tf.cast(K, tf.float32), axis=[0, 1])", "tf.transpose(tf.cast(K, tf.float32))"),
        VALUES),
    "uses_tf_nn_conv2d": ('''
def convolve2d(X, K):
    X = tf.cast(X, tf.float32)[None, :, :, None]
    K = tf.reverse(tf.cast(K, tf.float32), axis=[0, 1])[:, :, None, None]
    return tf.nn.conv2d(X, K, strides=1, padding="VALID")[0, :, :, 0]
''', ("test_no_builtin_convolution",)),
    "hides_conv2d_behind_a_helper": ('''
_op = getattr(tf.nn, "conv" + "olution")

def convolve2d(X, K):
    X = tf.cast(X, tf.float32)[None, :, :, None]
    K = tf.reverse(tf.cast(K, tf.float32), axis=[0, 1])[:, :, None, None]
    return _op(X, K, padding="VALID")[0, :, :, 0]
''', ("test_no_builtin_convolution",)),
}


#: A numpy corr2d keeps these tests fast; the notebook's tf.stack corr2d is graded in test_corr2d.py.
NUMPY_CORR2D = '''
def corr2d(X, K):
    X = np.asarray(X, dtype=np.float32)
    K = np.asarray(K, dtype=np.float32)
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=np.float32)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
'''


def code_of(style, entry, solutions):
    corr2d = solutions["corr2d_solution"] if style == "reference" else NUMPY_CORR2D
    if entry is None:
        return corr2d + "\n" + solutions["convolve2d_solution"]
    if callable(entry):
        return corr2d + "\n" + entry(solutions["convolve2d_solution"])
    return corr2d + "\n" + entry


def summary(part):
    return "\n".join(f"{'PASS' if p.passed else 'FAIL'} {p.name}: {p.message}" for p in part.properties)


@pytest.mark.parametrize("style", list(RIGHT))
def test_right_answers_get_full_marks(style, solutions, grade_part):
    part = grade_part(code_of(style, RIGHT[style], solutions), EXERCISE)
    assert part.max_points == 10
    assert not part.ungraded, summary(part)
    assert part.score == part.max_points, summary(part)


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_mutants_lose_points(mutant, solutions, grade_part):
    entry, failing = MUTANTS[mutant]
    part = grade_part(code_of(mutant, entry, solutions), EXERCISE)
    assert not part.ungraded, summary(part)
    assert part.score < part.max_points, summary(part)
    results = {p.name: p for p in part.properties}
    for name in failing:
        assert not results[name].passed, f"{name} should fail for {mutant}:\n{summary(part)}"
        if name != "test_no_builtin_convolution":
            assert "→" in results[name].message and "K = " in results[name].message


def test_builtin_convolution_is_vetoed(solutions, grade_part):
    part = grade_part(code_of("uses_tf_nn_conv2d", MUTANTS["uses_tf_nn_conv2d"][0], solutions), EXERCISE)
    assert part.score == 0
    assert [p.name for p in part.vetoed] == ["test_no_builtin_convolution"]
    assert "conv2d" in part.vetoed[0].message
    assert all(p.passed for p in part.properties if not p.veto), summary(part)


def test_feedback_explains_the_flip(solutions, grade_part):
    part = grade_part(code_of("flips_up_down_only", MUTANTS["flips_up_down_only"][0], solutions), EXERCISE)
    message = {p.name: p.message for p in part.properties}["test_matches_flipped_reference"]
    assert "应当是" in message and "实际是" in message and "K[::-1, ::-1]" in message


def test_a_built_in_corr2d_is_not_held_against_convolve2d(solutions):
    """corr2d's own use of tf.nn.conv2d is vetoed in corr2d, not again here (cells as in a notebook)."""
    from autograder import grading
    from autograder.local import LocalStudent

    cells = [solutions["imports"], CORR2D_USES_CONV2D, solutions["convolve2d_solution"]]
    part = grading.grade(LocalStudent("\n".join(cells), cells=cells), [EXERCISE])[EXERCISE]
    assert part.score == part.max_points, summary(part)
