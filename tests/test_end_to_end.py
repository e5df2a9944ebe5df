"""The demo class through the real nbgrader commands, in a throwaway copy of the course."""
import hashlib
import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import exercises

from .conftest import VENV_BIN, nbgrader

FULL = sum(exercises.max_points(exercises.load(n)) for n in exercises.names())


def digest(folder):
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
    return out


@pytest.fixture(scope="module")
def course(course_factory):
    course = course_factory("demo")
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ["PATH"])
    subprocess.run([sys.executable, "-m", "autograder.demo", "--course", course, "--build"],
                   cwd=course, env=env, check=True, capture_output=True)
    before = digest(os.path.join(course, "submitted"))
    nbgrader(course, "autograde", "conv2d", "--force")
    nbgrader(course, "generate_feedback", "conv2d", "--force")
    nbgrader(course, "export")
    assert digest(os.path.join(course, "submitted")) == before, "a submitted file was modified"
    return course


def results(course, student):
    with open(os.path.join(course, "autograded", student, "conv2d", "conv2d.autograder.json")) as f:
        return json.load(f)


def part_scores(course, student):
    """Per grade cell, the score nbgrader saved in gradebook.db."""
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        nb = gb.find_submission_notebook("conv2d", "conv2d", student)
        return {g.name: g.score for g in nb.grades if g.name in exercises.names()}


def test_reference_solution_gets_full_marks(course):
    assert part_scores(course, "ada_correct") == {
        n: exercises.max_points(exercises.load(n)) for n in exercises.names()}


def test_other_correct_style_gets_full_marks(course):
    assert sum(part_scores(course, "ben_numpy_style").values()) == FULL
    assert all(r["status"] == "graded" for r in results(course, "ben_numpy_style").values())


def test_blank_release_gets_zero_and_is_graded(course):
    assert sum(part_scores(course, "fei_blank").values()) == 0
    for part in results(course, "fei_blank").values():
        assert part["status"] == "graded"
        assert any("NotImplementedError" in p["message"] for p in part["properties"])


@pytest.mark.parametrize("student, part", [
    ("cai_flipped_kernel", "corr2d"), ("dan_off_by_one", "corr2d"),
    ("eva_seed_layer", "conv2d_layer"), ("eva_seed_layer", "learn_kernel"),
])
def test_typical_mistakes_lose_points_on_their_part(course, student, part):
    if part not in exercises.names():
        pytest.skip(f"no exercise {part}")
    scores = part_scores(course, student)
    assert scores[part] < exercises.max_points(exercises.load(part))


def test_seed_corr2d_is_a_right_answer(course):
    assert part_scores(course, "eva_seed_layer")["corr2d"] == 10


def test_tampering_earns_nothing(course):
    assert sum(part_scores(course, "gil_tamper").values()) == 0
    nb = nbformat.read(os.path.join(course, "autograded", "gil_tamper", "conv2d", "conv2d.ipynb"), 4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "could not write" in text and "network:" in text  # its cells ran and their outputs are here
    assert "wrote ../gradebook.db" not in text and "network: open" not in text
    assert "->  [" not in text.replace("-> []", "")  # every glob for course files came back empty
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        assert gb.find_student("ada_correct") is not None


def test_feedback_shows_examples_not_check_source(course):
    with open(os.path.join(course, "feedback", "cai_flipped_kernel", "conv2d", "conv2d.html"),
              encoding="utf-8") as f:
        html = f.read()
    assert "最小反例" in html and "应当是" in html
    for secret in ("BEGIN HIDDEN TESTS", "autograder/exercises", "def test_", "@given", "hypothesis"):
        assert secret not in html


def test_feedback_runs_no_student_script(course):
    """The tamperer's HTML and JavaScript outputs appear at most as escaped text."""
    import re
    with open(os.path.join(course, "feedback", "gil_tamper", "conv2d", "conv2d.html"),
              encoding="utf-8") as f:
        html = f.read()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S | re.I)
    assert scripts, "the feedback template itself has scripts; the regex found none"
    assert not [s for s in scripts if "pwned" in s]
    assert "<script>document.title" not in html


def test_export_has_every_student(course):
    with open(os.path.join(course, "grades.csv"), encoding="utf-8") as f:
        rows = f.read().splitlines()
    students = {line.split(",")[3] for line in rows[1:]}
    assert {"ada_correct", "fei_blank", "gil_tamper"} <= students


def strip_timing(data):
    return {k: {kk: vv for kk, vv in v.items() if not kk.endswith("seconds")} for k, v in data.items()}


def test_regrading_gives_identical_scores_and_feedback(course):
    student = "cai_flipped_kernel"
    first = strip_timing(results(course, student))
    feedback = os.path.join(course, "feedback", student, "conv2d", "conv2d.html")
    with open(feedback, encoding="utf-8") as f:
        first_html = f.read()
    nbgrader(course, "autograde", "conv2d", "--force", "--student", student)
    nbgrader(course, "generate_feedback", "conv2d", "--force", "--student", student)
    assert strip_timing(results(course, student)) == first
    with open(feedback, encoding="utf-8") as f:
        assert f.read() == first_html
