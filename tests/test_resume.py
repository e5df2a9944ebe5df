"""A grader killed with SIGKILL in the middle of a batch: a plain re-run finishes it, nothing lost or doubled."""
import os
import signal
import subprocess
import time

import nbformat
from nbgrader.api import Gradebook

from autograder import exercises
from autograder.demo import build_submission

from .conftest import VENV_BIN, nbgrader

STUDENTS = {
    "s1_blank": "",
    "s2_receptive": "# %% receptive_field_solution\n"
                    "def receptive_field(kernel_sizes):\n"
                    "    return (1 + sum(k[0] - 1 for k in kernel_sizes), 1 + sum(k[1] - 1 for k in kernel_sizes))\n",
    "s3_blank": "",
    "s4_blank": "",
}


def graded(course, student):
    return os.path.exists(os.path.join(course, "autograded", student, "conv2d", ".autograde-finished"))


def test_sigkill_mid_batch_then_rerun_loses_and_doubles_nothing(course_factory):
    course = course_factory("resume")
    nbgrader(course, "generate_assignment", "conv2d", "--force")
    release = os.path.join(course, "assignments", "conv2d", "conv2d.ipynb")
    for student, source in STUDENTS.items():
        os.makedirs(os.path.join(course, "submitted", student, "conv2d"))
        nbformat.write(build_submission(release, source),
                       os.path.join(course, "submitted", student, "conv2d", "conv2d.ipynb"))
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ["PATH"])
    grader = subprocess.Popen(["nbgrader", "autograde", "conv2d"], cwd=course, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    # Kill it while the second student is being graded: their folder exists (nbgrader has
    # written the sanitised notebook there), their grading has not finished.
    deadline = time.monotonic() + 300
    second = os.path.join(course, "autograded", "s2_receptive", "conv2d")
    while not (os.path.isdir(second) and not graded(course, "s2_receptive")):
        assert grader.poll() is None and time.monotonic() < deadline, "the batch ended before the kill"
        time.sleep(0.05)
    time.sleep(2.0)
    os.killpg(grader.pid, signal.SIGKILL)
    grader.wait()
    assert graded(course, "s1_blank") and not graded(course, "s2_receptive")

    rerun = nbgrader(course, "autograde", "conv2d")
    assert "interrupted" in rerun.stderr
    assert "Skipping existing assignment" in rerun.stderr  # s1 is not graded twice
    names = set(exercises.names())
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        for student in STUDENTS:
            assert graded(course, student), student
            submission = gb.find_submission("conv2d", student)
            grades = [g for nb in submission.notebooks for g in nb.grades]
            assert len(grades) == len({g.name for g in grades}), "a grade was written twice"
            assert names <= {g.name for g in grades}
            assert all(g.score is not None for g in grades if g.name in names)
        assert len(gb.find_assignment("conv2d").submissions) == len(STUDENTS)
        scores = {g.name: g.score for nb in gb.find_submission("conv2d", "s2_receptive").notebooks
                  for g in nb.grades}
    assert scores["receptive_field"] == exercises.max_points(exercises.load("receptive_field"))
