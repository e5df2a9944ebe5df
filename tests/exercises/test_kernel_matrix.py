"""The hidden checks of kernel_matrix: right answers in any style get full marks, each mutant loses points."""
import re

import pytest

EXERCISE = "kernel_matrix"

# -- right answers in other styles ------------------------------------------------------
BASIS_COLUMNS = '''
def kernel_matrix(K, input_shape):
    """Column p is the cross-correlation of the p-th one-hot image (numpy), returned as ndarray."""
    K = np.asarray(K, dtype=np.float64)
    h, w = (int(n) for n in input_shape)
    kh, kw = K.shape
    windows = lambda X: np.lib.stride_tricks.sliding_window_view(X, (kh, kw))
    columns = []
    for p in range(h * w):
        e = np.zeros(h * w)
        e[p] = 1
        columns.append(np.einsum("ijab,ab->ij", windows(e.reshape(h, w)), K).reshape(-1))
    return np.stack(columns, axis=1)
'''

INDEX_FORMULA_TF = '''
def kernel_matrix(K, input_shape):
    """Every non-zero entry by its index formula, scattered into a tf tensor."""
    K = tf.cast(K, tf.float32)
    h, w = input_shape
    kh, kw = K.shape
    oh, ow = h - kh + 1, w - kw + 1
    indices, updates = [], []
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    indices.append([i * ow + j, (i + a) * w + (j + b)])
                    updates.append(K[a, b])
    return tf.scatter_nd(indices, tf.stack(updates), [oh * ow, h * w])
'''

RIGHT = {
    "reference": None,  # the notebook's solution: numpy loop, returns tf.constant
    "basis_columns_numpy": BASIS_COLUMNS,
    "index_formula_scatter": INDEX_FORMULA_TF,
}


def changed(old, new):
    def apply(reference):
        assert reference.count(old) == 1, f"the reference no longer contains {old!r}"
        return reference.replace(old, new)
    return apply


MATRIX = ("test_matrix_matches_reference", "test_matmul_equals_corr2d")
MUTANTS = {
    "column_major_input": (changed("W[i * o_w + j] = placed.reshape(-1)",
                                   "W[i * o_w + j] = placed.reshape(-1, order='F')"), MATRIX),
    "column_major_output": (changed("W[i * o_w + j] = placed.reshape(-1)",
                                    "W[j * o_h + i] = placed.reshape(-1)"), MATRIX),
    "flipped_kernel": (changed("placed[i:i + k_h, j:j + k_w] = K", "placed[i:i + k_h, j:j + k_w] = K[::-1, ::-1]"),
                       MATRIX),
    "transposed_matrix": (changed("return tf.constant(W)", "return tf.constant(W.T)"),
                          ("test_matrix_shape",) + MATRIX),
    "one_row_per_input_row": (changed("for j in range(o_w):", "for j in range(min(o_w, 1)):"), MATRIX),
}


def code_of(entry, solutions):
    reference = solutions["kernel_matrix_solution"]
    if entry is None:
        return reference
    return entry(reference) if callable(entry) else entry


def summary(part):
    return "\n".join(f"{'PASS' if p.passed else 'FAIL'} {p.name}: {p.message}" for p in part.properties)


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
        assert "→" in message and "K = " in message, message
        # Shrunk: the failing kernel is small.
        shape = re.search(r"^K = .*?# shape \((\d+), (\d+)\)", message, re.M | re.S)
        assert shape and int(shape.group(1)) * int(shape.group(2)) <= 4, f"not shrunk:\n{message}"
