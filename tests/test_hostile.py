"""The hostile and broken corpus, graded in one ``nbgrader autograde`` batch.

Each file in ``tests/corpus/*.py`` is one student (same format as the demo
class; its header says what must happen). The corrupt notebooks that cannot be
written that way (invalid JSON, deleted or edited grade cells, corrupt
metadata, odd student ids) are made from the release below. The batch runs with
short limits so that the time-limit cases stay quick.
"""
import csv
import glob
import hashlib
import json
import os
import subprocess

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import exercises
from autograder.demo import build_submission

from . import browser
from .conftest import CORRECT_CORR2D, VENV_BIN, nbgrader

CORPUS = os.path.join(os.path.dirname(__file__), "corpus")
LIMITS = ["--GradeInSandbox.cell_timeout=10", "--GradeInSandbox.notebook_timeout=120",
          "--GradeInSandbox.call_timeout=6"]
FULL = {n: exercises.max_points(exercises.load(n)) for n in exercises.names()}


def gid(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id") if isinstance(meta, dict) else None


def with_correct_corr2d(nb):
    for cell in nb.cells:
        if gid(cell) == "corr2d_solution":
            cell.source = CORRECT_CORR2D
    return nb


def deleted_grade_cell(nb):
    nb.cells = [c for c in with_correct_corr2d(nb).cells if gid(c) != "corr2d"]
    return nb


def edited_grade_cell(nb):
    for cell in with_correct_corr2d(nb).cells:
        if gid(cell) == "corr2d":
            cell.source = "print('corr2d：1000 / 1000 分')\n1000"
            cell.metadata.nbgrader["points"] = 1000
    return nb


def corrupt_metadata(nb):
    for cell in with_correct_corr2d(nb).cells:
        if gid(cell) == "corr2d_solution":
            cell.metadata.nbgrader["schema_version"] = 99
        elif gid(cell) == "convolve2d_solution":
            cell.metadata["nbgrader"] = "not a mapping"
    return nb


def reordered_and_extra_cells(nb):
    nb = with_correct_corr2d(nb)
    nb.cells = nb.cells[::-1] + [nbformat.v4.new_code_cell("extra = 1"), nbformat.v4.new_markdown_cell("# extra")]
    return nb


def duplicated_solution_cell(nb):
    """nbgrader's DeduplicateIds leaves `{}` metadata on the copy; CheckCellMetadata used to abort the batch."""
    nb = with_correct_corr2d(nb)
    at = [gid(c) for c in nb.cells].index("corr2d_solution")
    nb.cells.insert(at, nbformat.from_dict(json.loads(json.dumps(nb.cells[at]))))
    return nb


#: student id -> how the submission is made from the release notebook.
EDITED = {
    "deleted_grade_cell": deleted_grade_cell,
    "edited_grade_cell": edited_grade_cell,
    "corrupt_metadata": corrupt_metadata,
    "duplicated_solution_cell": duplicated_solution_cell,
    "reordered_and_extra_cells": reordered_and_extra_cells,
    "李 雷": with_correct_corr2d,              # unicode and a space in the student id
    "o'brien; rm -rf": with_correct_corr2d,   # shell and SQL metacharacters
}
#: student id -> the bytes of a notebook nbgrader cannot read.
RAW = {
    "invalid_json": lambda text: text[:len(text) // 2].encode(),
    "unknown_nbformat": lambda text: json.dumps({**json.loads(text), "nbformat": 99}).encode(),
    "random_bytes": lambda text: bytes(range(256)) * 64,
}
UNREADABLE = set(RAW)


def corpus_students():
    return sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(CORPUS, "*.py")))


def digest(folder):
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                out[os.path.relpath(os.path.join(root, name), folder)] = hashlib.sha256(f.read()).hexdigest()
    return out


def sleepers():
    """Processes left over from the fork bomb (its children exec ``sleep 601``)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if f.read() == b"sleep\x00601\x00":
                    found.append(int(entry))
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def batch(course_factory):
    course = course_factory("hostile")
    nbgrader(course, "generate_assignment", "conv2d", "--force")
    release = os.path.join(course, "assignments", "conv2d", "conv2d.ipynb")
    with open(release, encoding="utf-8") as f:
        release_text = f.read()

    def submit(student, data):
        folder = os.path.join(course, "submitted", student, "conv2d")
        os.makedirs(folder)
        with open(os.path.join(folder, "conv2d.ipynb"), "wb") as f:
            f.write(data)

    for student in corpus_students():
        with open(os.path.join(CORPUS, student + ".py"), encoding="utf-8") as f:
            submit(student, nbformat.writes(build_submission(release, f.read())).encode())
    for student, make in EDITED.items():
        submit(student, nbformat.writes(make(nbformat.reads(release_text, as_version=4))).encode())
    for student, make in RAW.items():
        submit(student, make(release_text))
    before = digest(os.path.join(course, "submitted"))
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ["PATH"])
    # nbgrader exits non-zero when a notebook could not be converted; the batch must still finish.
    autograde = subprocess.run(["nbgrader", "autograde", "conv2d", "--force", *LIMITS],
                               cwd=course, env=env, capture_output=True, text=True)
    feedback = subprocess.run(["nbgrader", "generate_feedback", "conv2d", "--force"],
                              cwd=course, env=env, capture_output=True, text=True)
    nbgrader(course, "export")
    return {"course": course, "before": before, "log": autograde.stderr + feedback.stderr,
            "students": corpus_students() + list(EDITED) + list(RAW)}


def results(batch, student):
    path = os.path.join(batch["course"], "autograded", student, "conv2d", "conv2d.autograder.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def scores(batch, student):
    with Gradebook(f"sqlite:///{batch['course']}/gradebook.db") as gb:
        nb = gb.find_submission_notebook("conv2d", "conv2d", student)
        return {g.name: g.score for g in nb.grades if g.name in FULL}


def autograded(batch, student):
    return nbformat.read(os.path.join(batch["course"], "autograded", student, "conv2d", "conv2d.ipynb"), 4)


def output_text(nb):
    return "\n".join(json.dumps(c.get("outputs", []), ensure_ascii=False) for c in nb.cells)


def export_rows(batch):
    with open(os.path.join(batch["course"], "grades.csv"), encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def messages(part):
    return " ".join(p["message"] for p in part["properties"])


# -- the batch as a whole -------------------------------------------------------------
def test_the_batch_finishes_and_every_student_is_exported(batch):
    rows = export_rows(batch)
    assert set(batch["students"]) <= set(rows)
    for student in set(batch["students"]) - UNREADABLE:
        assert os.path.exists(os.path.join(batch["course"], "autograded", student, "conv2d", "conv2d.ipynb")), student
        assert rows[student]["status"] in ("graded", "ungraded"), (student, rows[student])


def test_unreadable_notebooks_are_flagged_not_zeroed(batch):
    rows = export_rows(batch)
    for student in UNREADABLE:
        assert rows[student]["status"] == "not autograded", rows[student]
        assert "could not be read" in rows[student]["status_detail"], rows[student]


def test_submitted_files_are_never_modified(batch):
    assert digest(os.path.join(batch["course"], "submitted")) == batch["before"]


def test_nothing_is_written_outside_the_course(batch):
    for path in ("/tmp/pwned-repr", "/tmp/pwned-eq", "/tmp/pwned-array", "/tmp/pwned-pickle",
                 "/usr/lib/escape.txt", "/etc/escape", "/work/escape", "/escape"):
        assert not os.path.exists(path), path
    assert not glob.glob(os.path.join(batch["course"], "**", "*pwned*"), recursive=True)


def test_feedback_pages_run_no_student_script(batch):
    pages = glob.glob(os.path.join(batch["course"], "feedback", "*", "conv2d", "conv2d.html"))
    assert len(pages) >= len(set(batch["students"]) - UNREADABLE)
    for page in pages:
        dom = browser.dump_dom(page)
        assert "<body" in dom, page
        assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0], page
        assert "<title>PWNED" not in dom, page


def test_injected_markup_is_shown_as_text(batch):
    with open(os.path.join(batch["course"], "feedback", "injects_markup", "conv2d", "conv2d.html"),
              encoding="utf-8") as f:
        html = f.read()
    assert "data-pwned" in html  # the student's text is there, escaped or inert
    assert not [tag for tag in ("<script>document.body", "<img src=x onerror", '<img src="x" onerror')
                if tag in html]


# -- runaway code ---------------------------------------------------------------------
def test_a_loop_that_swallows_interrupts_costs_only_its_cell(batch):
    nb = autograded(batch, "swallows_interrupt")
    assert "did not stop" in output_text(nb)
    assert scores(batch, "swallows_interrupt")["corr2d"] == FULL["corr2d"]
    assert all(p["status"] == "graded" for p in results(batch, "swallows_interrupt").values())


def test_a_hanging_part_costs_only_what_could_not_be_graded(batch):
    parts = results(batch, "corr2d_hangs_on_wide_kernels")
    assert parts["corr2d"]["status"] == "ungraded"
    assert any("time limit" in p["message"] for p in parts["corr2d"]["properties"] if p["ungraded"])
    # The sandbox is restarted for the next part: the layer is graded in full.
    assert parts["conv2d_layer"]["status"] == "graded"
    assert parts["conv2d_layer"]["score"] == parts["conv2d_layer"]["max_points"]
    row = export_rows(batch)["corr2d_hangs_on_wide_kernels"]
    assert row["status"] == "ungraded" and "corr2d" in row["status_detail"]


def test_os_exit_mid_notebook_costs_only_its_cell(batch):
    assert "KernelDied" in output_text(autograded(batch, "exits_mid_notebook"))
    parts = results(batch, "exits_mid_notebook")
    assert parts["corr2d"]["score"] == FULL["corr2d"]
    assert parts["edge_kernels"]["status"] == "graded" and parts["edge_kernels"]["score"] == 0
    assert "diagonal_edge_kernel" in messages(parts["edge_kernels"]) or "horizontal_edge_kernel" in messages(parts["edge_kernels"])


def test_a_memory_hog_meets_the_limit_inside_the_sandbox(batch):
    assert "MemoryError" in output_text(autograded(batch, "memory_hog"))
    assert scores(batch, "memory_hog")["corr2d"] == FULL["corr2d"]


def test_a_fork_bomb_stops_at_the_process_limit_and_leaves_nothing(batch):
    assert "fork stopped after" in output_text(autograded(batch, "fork_bomb"))
    assert scores(batch, "fork_bomb")["corr2d"] == FULL["corr2d"]
    assert sleepers() == []


def test_huge_output_is_capped_in_autograded_notebook_and_feedback(batch):
    course = batch["course"]
    assert os.path.getsize(os.path.join(course, "autograded", "huge_output", "conv2d", "conv2d.ipynb")) < 2 << 20
    assert os.path.getsize(os.path.join(course, "feedback", "huge_output", "conv2d", "conv2d.html")) < 3 << 20
    assert "omitted" in output_text(autograded(batch, "huge_output"))
    assert scores(batch, "huge_output")["corr2d"] == FULL["corr2d"]


def test_a_huge_return_value_is_refused_with_a_message(batch):
    parts = results(batch, "huge_return")
    assert parts["corr2d"]["status"] == "graded" and parts["corr2d"]["score"] == 0
    assert "more than the" in messages(parts["corr2d"])  # the size, said by the sandbox side


# -- escapes --------------------------------------------------------------------------
def test_no_network_no_course_files_no_writes_outside_scratch(batch):
    text = output_text(autograded(batch, "escapes"))
    for host in ("pypi.org", "127.0.0.1", "10.0.0.1"):
        assert f"network closed: {host}" in text
    assert "NETWORK OPEN" not in text
    assert "found nothing" in text and "FOUND" not in text
    assert "cannot write" in text and "WROTE" not in text
    assert scores(batch, "escapes")["corr2d"] == FULL["corr2d"]


def test_hostile_return_values_stay_in_the_sandbox(batch):
    parts = results(batch, "hostile_object")
    assert parts["corr2d"]["status"] == "graded" and parts["corr2d"]["score"] == 0
    assert "Evil" in messages(parts["corr2d"]) or "list" in messages(parts["corr2d"])


# -- corrupt input --------------------------------------------------------------------
@pytest.mark.parametrize("student", ["renamed_function", "syntax_error", "bad_values"])
def test_a_broken_corr2d_gets_zero_with_a_message(batch, student):
    part = results(batch, student)["corr2d"]
    assert part["status"] == "graded" and part["score"] == 0
    assert messages(part).strip()


def test_a_missing_function_is_named(batch):
    assert "corr2d" in messages(results(batch, "renamed_function")["corr2d"])


def test_a_syntax_error_costs_only_its_part(batch):
    assert "SyntaxError" in output_text(autograded(batch, "syntax_error"))
    assert scores(batch, "syntax_error")["receptive_field"] == FULL["receptive_field"]


@pytest.mark.parametrize("student", sorted(EDITED))
def test_edited_notebooks_are_graded_on_the_students_functions(batch, student):
    got = scores(batch, student)
    assert got["corr2d"] == FULL["corr2d"], got
    assert set(got) == set(FULL)   # every grade cell is there, restored if it was deleted
    assert all(0 <= got[p] <= FULL[p] for p in got)
    assert export_rows(batch)[student]["status"] == "graded"


def test_an_edited_grade_cell_cannot_raise_the_score(batch):
    row = export_rows(batch)["edited_grade_cell"]
    assert float(row["max_score"]) == sum(FULL.values()) + 2  # + the written answer
    assert "1000" not in output_text(autograded(batch, "edited_grade_cell"))


def test_odd_student_ids_stay_inside_the_course(batch):
    course = batch["course"]
    for student in ("李 雷", "o'brien; rm -rf"):
        assert os.path.isfile(os.path.join(course, "autograded", student, "conv2d", "conv2d.autograder.json"))
        assert os.path.isfile(os.path.join(course, "feedback", student, "conv2d", "conv2d.html"))
    assert sorted(os.listdir(os.path.dirname(course))) == ["course"]


# -- repeatable ----------------------------------------------------------------------
def strip_timing(data):
    return {k: {kk: vv for kk, vv in v.items() if not kk.endswith("seconds")} for k, v in data.items()}


# Not bad_values: its own visible-test output prints an object address, new on every run.
@pytest.mark.parametrize("student", ["swallows_interrupt", "syntax_error"])
def test_regrading_gives_identical_scores_and_feedback(batch, student):
    course = batch["course"]
    first = strip_timing(results(batch, student))
    page = os.path.join(course, "feedback", student, "conv2d", "conv2d.html")
    with open(page, encoding="utf-8") as f:
        first_page = f.read()
    nbgrader(course, "autograde", "conv2d", "--force", "--student", student, *LIMITS)
    nbgrader(course, "generate_feedback", "conv2d", "--force", "--student", student)
    assert strip_timing(results(batch, student)) == first
    with open(page, encoding="utf-8") as f:
        assert f.read() == first_page


@pytest.mark.parametrize("student", ["..", "../other", "a/b", ""])
def test_results_are_never_written_under_a_path_like_student_id(student, tmp_path, monkeypatch):
    from autograder.preprocessors.grade_in_sandbox import GradeInSandbox
    monkeypatch.chdir(tmp_path)
    resources = {"nbgrader": {"student": student, "assignment": "conv2d", "notebook": "conv2d"}}
    with pytest.raises(ValueError, match="unsafe"):
        GradeInSandbox().save_results({}, resources)
    assert os.listdir(tmp_path) == []
