"""What students and instructors see, checked in a real browser: feedback pages, the report, exports.

One small class is collected from an LMS-style zip (``nbgrader zip_collect``),
graded once for the module, and looked at from every side: a correct
student, a mutant, a blank release and a submission whose ``corr2d`` hangs
on 4x4 kernels (so some of its properties cannot be graded).
"""
import csv
import json
import os
import shutil

import pytest

from autograder import exercises

from . import browser
from .conftest import ROOT, nbgrader

HANGS = '''# corr2d is right, except that it never returns for a 4x4 kernel: those checks hit the time limit.
# %% corr2d_solution
def corr2d(X, K):
    X = tf.cast(X, tf.float32)
    K = tf.cast(K, tf.float32)
    h, w = K.shape
    while h == 4 and w == 4:
        pass
    return tf.stack([tf.stack([tf.reduce_sum(X[i:i + h, j:j + w] * K)
                               for j in range(X.shape[1] - w + 1)])
                     for i in range(X.shape[0] - h + 1)])
'''

STUDENTS = ["ada_correct", "cai_flipped_kernel", "fei_blank", "hal_hangs"]


@pytest.fixture(scope="module")
def course(course_factory):
    from autograder import demo
    course = course_factory("outputs")
    nbgrader(course, "generate_assignment", "conv2d", "--force")
    class_dir = os.path.join(course, "small_class")
    os.makedirs(class_dir)
    for student in STUDENTS[:3]:
        shutil.copy(os.path.join(ROOT, "demo", "class", student + ".py"), class_dir)
    with open(os.path.join(class_dir, "hal_hangs.py"), "w", encoding="utf-8") as f:
        f.write(HANGS)
    archive, students = demo.write_class_zip(course, class_dir)
    assert sorted(students) == STUDENTS
    nbgrader(course, "zip_collect", "conv2d", "--force")
    nbgrader(course, "autograde", "conv2d", "--force", "--GradeInSandbox.call_timeout=10")
    nbgrader(course, "generate_feedback", "conv2d", "--force")
    nbgrader(course, "export")
    return course


def page(course, student):
    return os.path.join(course, "feedback", student, "conv2d", "conv2d.html")


@pytest.fixture(scope="module")
def doms(course):
    """Each student's feedback page as Chromium's DOM after scripts ran."""
    return {student: browser.dump_dom(page(course, student)) for student in STUDENTS}


def parts_in(dom):
    """``{exercise: html of its feedback block}`` from a page's DOM."""
    out = {}
    for name in exercises.names():
        at = dom.find(f'id="ag-{name}"')
        assert at >= 0, f"no feedback block for {name}"
        start = dom.rfind("<div", 0, at)
        end = dom.find('class="ag-part', at)
        out[name] = dom[start:end if end > 0 else len(dom)]
    return out


# -- collecting ------------------------------------------------------------------------
def test_zip_collect_puts_every_submission_in_place(course):
    for student in STUDENTS:
        folder = os.path.join(course, "submitted", student, "conv2d")
        assert os.path.isfile(os.path.join(folder, "conv2d.ipynb"))
        with open(os.path.join(folder, "timestamp.txt"), encoding="utf-8") as f:
            assert f.read().startswith("2026-11-26 09:30:00")


def test_demo_zip_option_builds_and_collects(course_factory, tmp_path):
    import subprocess
    import sys
    from .conftest import VENV_BIN
    other = course_factory("zipdemo")
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ["PATH"])
    proc = subprocess.run([sys.executable, "-m", "autograder.demo", "--course", other, "--zip", "--build"],
                          cwd=other, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    archive = os.path.join(other, "downloaded", "conv2d", "archive", "conv2d_submissions.zip")
    assert os.path.isfile(archive)
    expected = sorted(os.path.splitext(n)[0] for n in os.listdir(os.path.join(ROOT, "demo", "class")))
    assert sorted(os.listdir(os.path.join(other, "submitted"))) == expected


# -- the student's feedback page ----------------------------------------------------------
def test_every_part_shows_its_score(doms, course):
    for student in STUDENTS:
        with open(os.path.join(course, "autograded", student, "conv2d", "conv2d.autograder.json")) as f:
            results = json.load(f)
        blocks = parts_in(doms[student])
        for name, part in results.items():
            assert f'{part["score"]:g} / {part["max_points"]:g} 分' in blocks[name], (student, name)


def test_correct_student_sees_only_passes(doms):
    blocks = parts_in(doms["ada_correct"])
    for name, block in blocks.items():
        assert "ag-full" in block.split(">", 1)[0]
        assert 'class="ag-prop ag-fail"' not in block and "ag-reason" not in block


def test_failed_property_shows_expected_beside_actual_with_marked_cells(doms):
    block = parts_in(doms["cai_flipped_kernel"])["corr2d"]
    assert 'class="ag-prop ag-fail"' in block and 'class="ag-prop ag-pass"' in block
    assert "最小反例" in block
    assert 'class="ag-row ag-inputs"' in block           # the example's X and K as grids
    compare = block[block.index('class="ag-row ag-compare"'):]
    expected = compare.index('class="ag-array ag-expected"')
    actual = compare.index('class="ag-array ag-actual"')
    assert expected < actual                              # expected, then actual beside it
    assert 'class="ag-td ag-diff"' in compare[actual:]    # the differing entries are marked
    assert 'ag-diff' not in compare[expected:actual]


def test_hint_points_to_the_notebook_section_and_the_answer_cell(doms):
    dom = doms["cai_flipped_kernel"]
    block = parts_in(dom)["corr2d"]
    assert 'class="ag-hint"' in block and "5.1.1" in block
    assert 'href="#comment-corr2d_solution"' in block
    assert 'name="comment-corr2d_solution"' in dom        # the link's target exists in the page


def test_blank_stub_says_not_implemented(doms):
    for block in parts_in(doms["fei_blank"]).values():
        assert "本部分得 0 分的原因" in block and "还没有实现" in block


def test_part_that_could_not_be_graded_says_why(doms, course):
    block = parts_in(doms["hal_hangs"])["corr2d"]
    assert "ag-ungraded" in block.split(">", 1)[0]
    assert "未能评分" in block and "超时" in block and "time limit" in block
    assert 'class="ag-prop ag-ungraded"' in block


def test_no_hidden_test_source_on_the_page(doms):
    for dom in doms.values():
        for secret in ("BEGIN HIDDEN TESTS", "autograder/exercises", "def test_", "@given", "hypothesis",
                       "_probe"):
            assert secret not in dom


def test_feedback_styles_are_in_the_page(doms):
    assert ".ag-diff" in doms["cai_flipped_kernel"] and ".ag-part" in doms["cai_flipped_kernel"]


def test_screenshot_is_a_rendered_page(course, tmp_path):
    from PIL import Image
    png = browser.screenshot(page(course, "cai_flipped_kernel"), str(tmp_path / "cai.png"),
                             width=1100, height=3000)
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    image = Image.open(png).convert("RGB")
    assert image.size == (1100, 3000)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "the screenshot is blank"
    # The feedback's red marks and green borders are drawn (CSS applied, not plain text).
    assert any(r > 200 and g < 120 and b < 120 for _, (r, g, b) in colours)


# -- the instructor's report ---------------------------------------------------------------
@pytest.fixture(scope="module")
def report(course):
    from autograder import report as report_module
    return report_module.build(course, "conv2d")


def test_report_is_one_page_with_its_sections_and_plots(report):
    assert report.endswith(os.path.join("reports", "conv2d.html"))
    dom = browser.dump_dom(report)
    for section in ("scores", "failing", "ungraded", "timing"):
        assert f'id="{section}"' in dom
    assert dom.count('<img class="plot"') == 2
    assert dom.count('src="data:image/png;base64,') == 2
    with open(report, encoding="utf-8") as f:
        text = f.read()
    assert "<script" not in text and "http://" not in text and "https://" not in text


def test_report_lists_failures_with_an_example_and_the_ungraded(report):
    dom = browser.dump_dom(report)
    failing = dom[dom.index('id="failing"'):dom.index('id="ungraded"')]
    assert "cai_flipped_kernel" in failing and 'class="ag-td ag-diff"' in failing
    ungraded = dom[dom.index('id="ungraded"'):dom.index('id="timing"')]
    assert "hal_hangs" in ungraded and "time limit" in ungraded
    assert "ada_correct" not in ungraded
    timing = dom[dom.index('id="timing"'):]
    for student in STUDENTS:
        assert student in timing


def test_report_screenshot_shows_plots(report, tmp_path):
    from PIL import Image
    png = browser.screenshot(report, str(tmp_path / "report.png"), width=1200, height=2400)
    colours = Image.open(png).convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50


# -- exports ---------------------------------------------------------------------------------
def read_csv(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.reader(f))


def test_per_part_csv_has_one_column_per_part_and_a_status(course):
    rows = read_csv(os.path.join(course, "grades_by_part.csv"))
    assert rows[0] == ["student_id", "last_name", "first_name", "email", "assignment",
                       "corr2d", "conv2d_layer", "edge_kernels", "learn_kernel", "convolve2d",
                       "why_cross_correlation", "kernel_matrix", "receptive_field",
                       "score", "max_score", "status"]
    by_student = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert sorted(by_student) == STUDENTS
    code_parts = [p for p in rows[0][5:-3] if p != "why_cross_correlation"]
    assert all(by_student["ada_correct"][p] == "10.0" for p in code_parts)
    assert all(by_student["fei_blank"][p] == "0.0" for p in code_parts)
    assert float(by_student["cai_flipped_kernel"]["corr2d"]) < 10
    assert {r["status"] for r in by_student.values()} == {"graded", "ungraded"}
    assert by_student["hal_hangs"]["status"] == "ungraded"
    for row in by_student.values():
        parts = sum(float(row[p]) for p in rows[0][5:-3] if row[p] != "")
        assert parts == pytest.approx(float(row["score"]))
        assert float(row["max_score"]) == 72.0


def test_nbgraders_csv_is_still_written_with_status(course):
    rows = read_csv(os.path.join(course, "grades.csv"))
    assert rows[0][:3] == ["assignment", "duedate", "timestamp"] and rows[0][-2:] == ["status", "status_detail"]
    assert len(rows) == 1 + len(STUDENTS)


def test_grading_time_is_recorded(course):
    for student in STUDENTS:
        with open(os.path.join(course, "autograded", student, "conv2d", "conv2d.autograder.json")) as f:
            parts = json.load(f)
        assert all(p["notebook_seconds"] > 0 for p in parts.values())
