"""The hidden checks of receptive_field: right answers in any style get full marks, each mutant loses points."""
import pytest

from autograder.exercises import receptive_field

EXERCISE = "receptive_field"

RIGHT = {
    "reference": None,  # the notebook's solution: a loop, returns a tuple of ints
    "numpy_array": '''
def receptive_field(kernel_sizes):
    sizes = np.array(kernel_sizes).reshape(-1, 2)
    return 1 + np.sum(sizes - 1, axis=0)
''',
    "list_of_floats_from_tf": '''
def receptive_field(kernel_sizes):
    sizes = tf.constant([list(k) for k in kernel_sizes], dtype=tf.float32)
    field = 1.0 + tf.reduce_sum(sizes - 1.0, axis=0)
    return [field[0], field[1]]
''',
}

STACKS = ("test_stacks", "test_lists_and_order")
MUTANTS = {
    "last_layer_only": ('''
def receptive_field(kernel_sizes):
    return tuple(kernel_sizes[-1])
''', STACKS),
    "sum_of_kernel_sizes": ('''
def receptive_field(kernel_sizes):
    return sum(k[0] for k in kernel_sizes), sum(k[1] for k in kernel_sizes)
''', STACKS),
    "largest_kernel": ('''
def receptive_field(kernel_sizes):
    return max(k[0] for k in kernel_sizes), max(k[1] for k in kernel_sizes)
''', STACKS),
    "width_and_height_swapped": ('''
def receptive_field(kernel_sizes):
    return 1 + sum(k[1] - 1 for k in kernel_sizes), 1 + sum(k[0] - 1 for k in kernel_sizes)
''', ("test_single_layer",) + STACKS),
    "height_only": ('''
def receptive_field(kernel_sizes):
    return 1 + sum(k[0] - 1 for k in kernel_sizes)
''', ("test_returns_two_integers", "test_single_layer") + STACKS),
    "fails_on_lists": ('''
def receptive_field(kernel_sizes):
    return tuple(np.array([1, 1]) + sum(np.array(k) - 1 for k in kernel_sizes)) if isinstance(
        kernel_sizes[0], tuple) else None
''', ("test_lists_and_order",)),
}


def code_of(entry, solutions):
    if entry is None:
        return solutions["receptive_field_solution"]
    return solutions["corr2d_solution"] + "\n" + entry


def summary(part):
    return "\n".join(f"{'PASS' if p.passed else 'FAIL'} {p.name}: {p.message}" for p in part.properties)


@pytest.mark.parametrize("kernel_sizes, expected", [
    ([(2, 2)], (2, 2)), ([(2, 2), (2, 2)], (3, 3)), ([(3, 3)] * 3, (7, 7)),
    ([(1, 2), (3, 1)], (3, 2)), ([(1, 1)], (1, 1)), ([(7, 1), (1, 7), (4, 5)], (10, 11)),
])
def test_autodiff_reference_agrees_with_the_formula(kernel_sizes, expected):
    assert receptive_field.reference(tuple(kernel_sizes)) == expected


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
        assert "receptive_field(" in results[name].message and "→" in results[name].message
