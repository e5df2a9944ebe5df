"""The feedback HTML escapes what a submission controls, and the sanitiser keeps only the grader's markup."""
import nbformat
import numpy as np

from autograder import feedback
from autograder.checks import Mismatch, expect_array, show, table_data
from autograder.grading import PartResult, PropertyResult
from autograder.sanitize import FeedbackSanitizeHTML

HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def part_with(prop, score_points=0):
    part = PartResult("corr2d", "5.1.1 corr2d", 10, hint="复习 5.1.1 节", anchor="corr2d_solution")
    part.properties = [PropertyResult("test_ok", "ok", 10 - prop.points, passed=True), prop]
    return part


def test_mismatch_carries_the_example_expected_actual_and_differences():
    X = np.arange(6, dtype=np.float32).reshape(2, 3)
    description = f"调用 corr2d(X, K)：\n{show(X=X, K=np.ones((1, 2), np.float32))}\n"
    try:
        expect_array(np.array([[1.0, 3.0], [7.0, 9.0]]), np.array([[1.0, 3.0], [7.0, 8.0]]), description)
    except Mismatch as exc:
        error = exc
    assert error.example["X"]["values"] == [[0, 1, 2], [3, 4, 5]]
    assert set(error.example) == {"X", "K"}
    assert error.expected["values"] == [[1, 3], [7, 8]] and error.actual["shape"] == [2, 2]
    assert error.wrong == [[1, 1]]


def test_mismatch_does_not_pick_up_inputs_its_message_does_not_quote():
    show(X=np.zeros((2, 2)))
    assert Mismatch("→ 抛出了异常").example is None


def test_table_data_refuses_big_or_odd_arrays():
    assert table_data(np.zeros((30, 30))) is None
    assert table_data(np.zeros((2, 2, 2))) is None
    assert table_data(np.array([np.nan, 1.0]))["values"] == [["nan", 1.0]]


def test_everything_from_the_submission_is_escaped():
    prop = PropertyResult("test_x", "values", 3, passed=False,
                          message=f"调用 corr2d(X, K)：\n→ 抛出了异常：{HOSTILE}",
                          example={"X": {"repr": HOSTILE}},
                          actual={"shape": [1, 1], "dtype": "float32", "values": [[HOSTILE]]},
                          expected={"shape": [1, 1], "dtype": "float32", "values": [[1.0]]}, wrong=[[0, 0]])
    html = feedback.feedback_html(part_with(prop))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def sanitise(cell):
    nb = nbformat.v4.new_notebook(cells=[cell])
    FeedbackSanitizeHTML(enabled=True).preprocess(nb, {})
    return nb.cells[0].outputs[0]["data"]["text/html"]


def test_grader_markup_survives_the_sanitiser():
    prop = PropertyResult("test_x", "values", 3, passed=False, message="调用 f：\n→ 结果的数值不对",
                          expected={"shape": [1, 2], "dtype": "float32", "values": [[1.0, 2.0]]},
                          actual={"shape": [1, 2], "dtype": "float32", "values": [[1.0, 3.0]]}, wrong=[[0, 1]])
    cell = nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade": True, "solution": False,
                                                                "grade_id": "corr2d", "points": 10}})
    cell.outputs = feedback.render_part(part_with(prop))
    html = sanitise(cell)
    assert html == feedback.feedback_html(part_with(prop))
    assert 'class="ag-td ag-diff"' in html and 'href="#comment-corr2d_solution"' in html


def test_student_outputs_keep_the_strict_rules():
    """A student's own cell cannot use the grader's classes or links, nor run script."""
    fake = ('<div class="ag-part ag-full"><span class="ag-score">10 / 10 分</span></div>'
            '<a href="javascript:alert(1)">x</a>' + HOSTILE)
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": fake})]
    html = sanitise(cell)
    # Tags that are not allowed appear as escaped text; none of them is markup.
    for tag in ("<div", "<span", "<script", "<img", 'href="javascript'):
        assert tag not in html


def test_grade_cell_markup_cannot_smuggle_script_either():
    cell = nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade": True, "solution": False,
                                                                "grade_id": "corr2d", "points": 10}})
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": '<div class="ag-part" onclick="alert(1)" style="x">' + HOSTILE
                     + '<a href="https://evil.example/">x</a><span class="evil">y</span></div>'})]
    html = sanitise(cell)
    for bad in ("<script", "onclick", "style=", "https://evil", 'class="evil"', "<img"):
        assert bad not in html


def test_zero_reasons():
    blank = PropertyResult("test_x", "x", 10, passed=False, message="调用 f：\n→ 还没有实现（抛出了 NotImplementedError）。")
    part = PartResult("corr2d", "t", 10, properties=[blank])
    assert "还没有实现" in feedback.zero_reason(part)
    missing = PropertyResult("test_x", "x", 10, passed=False,
                             message="调用 f：\n→ 抛出了异常：NameError: 笔记本中没有定义 corr2d")
    assert "找不到" in feedback.zero_reason(PartResult("corr2d", "t", 10, properties=[missing]))
    hung = PropertyResult("test_x", "x", 10, passed=False, ungraded=True,
                          message="无法评分：time limit: a call to your code took longer than 30 s")
    assert "超时" in feedback.zero_reason(PartResult("corr2d", "t", 10, properties=[hung]))
    banned = PropertyResult("test_no", "rule", 0, passed=False, veto=True, message="检测到：conv2d")
    assert "禁止" in feedback.zero_reason(PartResult("corr2d", "t", 10, properties=[banned]))

