"""Malformed copies of a real submission never stop the batch.

Hypothesis deletes, duplicates and swaps cells, corrupts their metadata, turns
code cells into markdown and sprays bytes into sources. Every notebook that
nbformat can still read must come out graded, each part within [0, max]; one
it cannot read is graded if nbgrader manages (it is more lenient), or else
flagged in the export with the reason, never a silent 0. Each example is
a whole ``nbgrader autograde`` batch of four such notebooks, so the examples are
few, fixed (``derandomize``) and not shrunk (a shrink would re-run batches for
a long time; the failing notebooks are printed instead).
"""
import csv
import json
import os
import shutil
import subprocess

import nbformat
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from nbgrader.api import Gradebook

from autograder import exercises
from autograder.demo import build_submission

from .conftest import CORRECT_CORR2D, VENV_BIN, nbgrader

BASE_SOURCE = "# %% corr2d_solution\n" + CORRECT_CORR2D + """\
# %% receptive_field_solution
def receptive_field(kernel_sizes):
    return (1 + sum(k[0] - 1 for k in kernel_sizes), 1 + sum(k[1] - 1 for k in kernel_sizes))
"""

LIMITS = ["--GradeInSandbox.cell_timeout=10", "--GradeInSandbox.notebook_timeout=60",
          "--GradeInSandbox.call_timeout=5"]
MAX = {n: exercises.max_points(exercises.load(n)) for n in exercises.names()}

nbgrader_metadata = st.one_of(
    st.just("not a mapping"),
    st.just(None),
    st.fixed_dictionaries({}, optional={
        "grade_id": st.one_of(st.sampled_from(sorted(MAX) + ["corr2d_solution", "imports"]), st.text(max_size=4)),
        "grade": st.booleans(),
        "solution": st.booleans(),
        "locked": st.booleans(),
        "points": st.one_of(st.integers(-5, 1000), st.floats(allow_nan=True), st.text(max_size=3)),
        "schema_version": st.integers(-1, 99),
        "task": st.booleans(),
    }),
)


@st.composite
def malformed(draw, base):
    nb = json.loads(base)
    for _ in range(draw(st.integers(1, 3))):
        cells = nb["cells"]
        if not cells:
            break
        i = draw(st.integers(0, len(cells) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "metadata", "bytes", "markdown"]))
        if kind == "delete":
            del cells[i]
        elif kind == "duplicate":
            cells.insert(i, json.loads(json.dumps(cells[i])))
        elif kind == "swap":
            j = draw(st.integers(0, len(cells) - 1))
            cells[i], cells[j] = cells[j], cells[i]
        elif kind == "metadata":
            cells[i]["metadata"] = {"nbgrader": draw(nbgrader_metadata)}
        elif kind == "bytes":
            source = "".join(cells[i]["source"]) if isinstance(cells[i]["source"], list) else cells[i]["source"]
            at = draw(st.integers(0, len(source)))
            junk = draw(st.binary(min_size=1, max_size=24)).decode("latin-1")
            cells[i]["source"] = source[:at] + junk + source[at:]
        else:
            cells[i]["cell_type"] = "markdown" if cells[i]["cell_type"] == "code" else "code"
    return json.dumps(nb, ensure_ascii=False).encode()


def readable(data):
    try:
        nbformat.validate(nbformat.reads(data.decode("utf-8"), as_version=4))
        return True
    except Exception:
        return False


def test_malformed_notebooks_never_stop_the_batch(course_factory):
    template = course_factory("malformed-template")
    nbgrader(template, "generate_assignment", "conv2d", "--force")
    release = os.path.join(template, "assignments", "conv2d", "conv2d.ipynb")
    base = nbformat.writes(build_submission(release, BASE_SOURCE))
    runs = iter(range(100))

    @settings(max_examples=3, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.lists(malformed(base), min_size=4, max_size=4))
    def batch(notebooks):
        course = os.path.join(os.path.dirname(template), f"run{next(runs)}")
        shutil.copytree(template, course)
        students = [f"m{i}" for i in range(len(notebooks))]
        for student, data in zip(students, notebooks):
            os.makedirs(os.path.join(course, "submitted", student, "conv2d"))
            with open(os.path.join(course, "submitted", student, "conv2d", "conv2d.ipynb"), "wb") as f:
                f.write(data)
            note(f"{student}: {data[:4000]!r}")
        env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ["PATH"])
        proc = subprocess.run(["nbgrader", "autograde", "conv2d", "--force", *LIMITS],
                              cwd=course, env=env, capture_output=True, text=True)
        note(proc.stderr[-6000:])
        assert "NbGraderException" not in proc.stderr
        nbgrader(course, "export")
        with open(os.path.join(course, "grades.csv"), encoding="utf-8") as f:
            rows = {row["student_id"]: row for row in csv.DictReader(f)}
        with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
            for student, data in zip(students, notebooks):
                row = rows[student]
                if row["status"] == "not autograded":
                    # Only a notebook nbformat cannot read may stay ungraded, and it says why.
                    assert not readable(data) and row["status_detail"], row
                    continue
                assert row["status"] in ("graded", "ungraded"), row
                nb = gb.find_submission_notebook("conv2d", "conv2d", student)
                for grade in nb.grades:
                    if grade.name in MAX:
                        assert 0 <= grade.score <= MAX[grade.name], (student, grade.name, grade.score)
                assert 0 <= float(row["score"]) <= float(row["max_score"]), row
        shutil.rmtree(course)

    batch()
