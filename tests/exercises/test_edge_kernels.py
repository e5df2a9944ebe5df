"""The hidden checks of edge_kernels: every valid detector gets full marks, each mutant loses points."""
import numpy as np
import pytest

from autograder.exercises import corr2d, edge_kernels

EXERCISE = "edge_kernels"


def kernels(horizontal, diagonal):
    return f'''
def horizontal_edge_kernel():
    return {horizontal}


def diagonal_edge_kernel():
    return {diagonal}
'''


# -- right answers: other kernels, other types --------------------------------------------
RIGHT = {
    "reference": None,  # [[1], [-1]] and the Roberts kernel [[0, 1], [-1, 0]], as tf.constant
    "opposite_signs_numpy_int": kernels("np.array([[-1], [1]])", "np.array([[0, -1], [1, 0]])"),
    "two_wide_and_diagonal_sobel": kernels(
        "tf.constant([[1.0, 1.0], [-1.0, -1.0]])",
        "np.array([[0, 1, 1], [-1, 0, 1], [-1, -1, 0]], dtype=np.float32)"),
    "sobel_and_scaled_roberts_variable": kernels(
        "tf.constant([[1, 2, 1], [0, 0, 0], [-1, -2, -1]])",
        "tf.Variable([[0.0, 0.5], [-0.5, 0.0]])"),
    "nested_lists_and_tall_difference": kernels("[[1], [0], [-1]]", "[[0, 1], [-1, 0]]"),
    "second_difference_and_float_thirds": kernels(
        "np.array([[1.0], [-2.0], [1.0]])", "np.array([[0, 1 / 3], [-1 / 3, 0]], dtype=np.float32)"),
}

# -- mutants: (code, properties that must fail) ---------------------------------------------
H_ALL = ("test_horizontal_kernel_is_valid", "test_horizontal_zero_on_flat",
         "test_horizontal_blind_to_vertical", "test_horizontal_detects_horizontal")
ROBERTS = "tf.constant([[0.0, 1.0], [-1.0, 0.0]])"
HORIZONTAL = "tf.constant([[1.0], [-1.0]])"
MUTANTS = {
    "horizontal_is_really_vertical": (
        kernels("tf.constant([[1.0, -1.0]])", ROBERTS),
        ("test_horizontal_blind_to_vertical", "test_horizontal_detects_horizontal")),
    "horizontal_responds_to_flat_images": (
        kernels("tf.constant([[1.0], [1.0]])", ROBERTS),
        ("test_horizontal_zero_on_flat", "test_horizontal_blind_to_vertical")),
    "horizontal_misses_some_positions": (
        kernels("tf.constant([[1.0], [-1.0], [1.0], [-1.0]])", ROBERTS),
        ("test_horizontal_detects_horizontal",)),
    "horizontal_all_zero": (kernels("tf.zeros((2, 1))", ROBERTS), H_ALL),
    "horizontal_one_dimensional": (kernels("tf.constant([1.0, -1.0])", ROBERTS), H_ALL),
    "horizontal_not_finite": (kernels("np.array([[np.nan], [1.0]])", ROBERTS), H_ALL),
    "horizontal_not_implemented": (
        kernels(HORIZONTAL, ROBERTS).replace("return " + HORIZONTAL, "raise NotImplementedError()"),
        H_ALL),
    "diagonal_along_the_diagonal": (  # x[i, j] - x[i+1, j+1]: blind to "\\", sees "/"
        kernels(HORIZONTAL, "tf.constant([[1.0, 0.0], [0.0, -1.0]])"),
        ("test_diagonal_blind_to_antidiagonal", "test_diagonal_detects_diagonal")),
    "diagonal_checkerboard_sees_both_diagonals": (
        kernels(HORIZONTAL, "tf.constant([[1.0, -1.0], [-1.0, 1.0]])"),
        ("test_diagonal_blind_to_antidiagonal",)),
    "diagonal_is_vertical": (
        kernels(HORIZONTAL, "tf.constant([[1.0, -1.0]])"),
        ("test_diagonal_blind_to_antidiagonal",)),
    "diagonal_responds_to_flat_images": (
        kernels(HORIZONTAL, "tf.constant([[0.0, 1.0], [1.0, 0.0]])"),
        ("test_diagonal_zero_on_flat",)),
}


def code_of(entry, solutions):
    return solutions["edge_kernels_solution"] if entry is None else entry


def summary(part):
    return "\n".join(f"{'PASS' if p.passed else 'FAIL'} {p.name}: {p.message}" for p in part.properties)


@pytest.mark.parametrize("style", list(RIGHT))
def test_right_answers_get_full_marks(style, solutions, grade_part):
    part = grade_part(code_of(RIGHT[style], solutions), EXERCISE)
    assert part.max_points == 10
    assert not part.ungraded, summary(part)
    assert part.score == part.max_points, summary(part)


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_mutants_lose_points(mutant, grade_part):
    code, failing = MUTANTS[mutant]
    part = grade_part(code, EXERCISE)
    assert not part.ungraded, summary(part)
    assert part.score < part.max_points, summary(part)
    results = {p.name: p for p in part.properties}
    for name in failing:
        assert not results[name].passed, f"{name} should fail for {mutant}:\n{summary(part)}"
        assert "→" in results[name].message, results[name].message
    # The other function's properties are untouched by a mistake in this one.
    other = "diagonal" if mutant.startswith("horizontal") else "horizontal"
    assert all(p.passed for p in part.properties if f"_{other}_" in p.name), summary(part)


def test_feedback_shows_the_image_and_the_kernel(grade_part):
    part = grade_part(MUTANTS["horizontal_is_really_vertical"][0], EXERCISE)
    message = {p.name: p.message for p in part.properties}["test_horizontal_blind_to_vertical"]
    assert "horizontal_edge_kernel()" in message and "K = [[ 1., -1.]]" in message
    assert "X = " in message and "竖直边缘" in message


@pytest.mark.parametrize("orientation", list(edge_kernels.ORIENTATIONS))
def test_response_agrees_with_the_corr2d_reference(orientation):
    rng = np.random.default_rng(0)
    for kh, kw, h, w, c in [(1, 2, 6, 8, 3), (2, 2, 5, 7, 1), (3, 3, 9, 6, 0), (2, 1, 4, 4, -1)]:
        X = edge_kernels.step_image(orientation, h, w, c, 3, -2)
        K = rng.uniform(-5, 5, (kh, kw)).astype(np.float32)
        np.testing.assert_allclose(edge_kernels.response(X, K), corr2d.reference(X, K), rtol=1e-12, atol=1e-12)
