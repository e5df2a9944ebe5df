"""The committed student release is what nbgrader generates from source/, and leaks nothing."""
import json
import os

import nbformat
import pytest

from autograder import exercises

from .conftest import ROOT, nbgrader

SOURCE = os.path.join(ROOT, "source", "conv2d", "conv2d.ipynb")
RELEASE = os.path.join(ROOT, "assignments", "conv2d", "conv2d.ipynb")


def grade_cells(nb):
    return {c.metadata.nbgrader["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")}


def test_release_is_generated_from_source(course_factory):
    course = course_factory("release")
    os.remove(os.path.join(course, "assignments", "conv2d", "conv2d.ipynb"))
    nbgrader(course, "generate_assignment", "conv2d", "--force")
    with open(os.path.join(course, "assignments", "conv2d", "conv2d.ipynb"), encoding="utf-8") as f:
        fresh = json.load(f)
    with open(RELEASE, encoding="utf-8") as f:
        committed = json.load(f)
    assert fresh == committed, "assignments/ is stale: run `make release` and commit the result"


@pytest.mark.parametrize("marker", ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS",
                                    "END HIDDEN TESTS", "autograder/exercises"])
def test_release_has_no_markers(marker):
    with open(RELEASE, encoding="utf-8") as f:
        assert marker not in f.read()


def solution_lines(nb):
    """Lines of the source's solution blocks that appear nowhere else in the source."""
    inside_lines, outside_text = set(), []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line:
                inside = True
            elif "END SOLUTION" in line:
                inside = False
            elif inside:
                inside_lines.add(line.strip())
            else:
                outside_text.append(line)
    outside = "\n".join(outside_text)
    return {line for line in inside_lines if len(line) > 12 and line not in outside}


def test_release_has_no_solution_code():
    source = nbformat.read(SOURCE, as_version=4)
    release_text = "\n".join(c.source for c in nbformat.read(RELEASE, as_version=4).cells)
    leaked = [line for line in solution_lines(source) if line in release_text]
    assert solution_lines(source), "the source notebook has no solution blocks"
    assert not leaked, f"solution lines in the release: {leaked}"


def test_release_has_nothing_of_the_hidden_checks():
    release_text = open(RELEASE, encoding="utf-8").read()
    for name in exercises.names():
        module = exercises.load(name)
        for check in exercises.checks(module):
            title = (check.__doc__ or "").strip().splitlines()[0]
            assert check.__name__ not in release_text
            assert title not in release_text, f"hidden check title {title!r} in the release"
        for probe in [v for k, v in vars(module).items() if k.endswith("_probe")]:
            assert probe.__name__ not in release_text


def test_every_grade_cell_has_checks_worth_its_points():
    cells = {name: cell for name, cell in grade_cells(nbformat.read(SOURCE, as_version=4)).items()
             if cell.cell_type == "code"}
    assert set(cells) == set(exercises.names())
    for name, cell in cells.items():
        assert cell.metadata.nbgrader["points"] == exercises.max_points(exercises.load(name)), name


def test_written_answers_are_graded_by_hand_and_their_rubric_stays_hidden():
    """A markdown grade cell is a manually graded answer: no exercise module, no rubric in the release."""
    source = grade_cells(nbformat.read(SOURCE, as_version=4))
    release = grade_cells(nbformat.read(RELEASE, as_version=4))
    written = [name for name, cell in source.items() if cell.cell_type == "markdown"]
    assert written, "the source notebook has no written answer"
    for name in written:
        assert exercises.load(name) is None
        assert source[name].metadata.nbgrader["solution"] and not source[name].metadata.nbgrader["locked"]
        assert "BEGIN SOLUTION" in source[name].source
        assert "YOUR ANSWER HERE" in release[name].source
        assert "评分要点" not in release[name].source and "rubric" not in json.dumps(release[name].metadata)
