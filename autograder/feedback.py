"""What a grade cell shows after grading: the score and each property's verdict.

The grader, not the kernel, writes these outputs. nbgrader reads the score
from the last ``execute_result`` (partial credit) and would give zero for any
``error`` or stderr output, so the outputs here decide the grade exactly: a
stdout stream with the feedback text, then the score.
"""
import nbformat

PASS, FAIL, UNGRADED = "✔", "✘", "⚠"


def _indent(text, prefix="        "):
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def feedback_text(part):
    lines = [f"{part.title}：{part.score:g} / {part.max_points:g} 分"]
    if part.vetoed:
        lines.append("本部分不得分：")
        lines += [_indent(p.message, "    ") for p in part.vetoed]
    if part.ungraded:
        lines.append("⚠ 部分性质未能评分（不是你的答案被判错，而是评分没有完成），原因见下。")
    for prop in part.properties:
        if prop.veto and prop.passed:
            continue
        mark = UNGRADED if prop.ungraded else PASS if prop.passed else FAIL
        got = prop.points if prop.passed and not part.vetoed else 0
        score = f"{got:g}/{prop.points:g}" if not prop.veto else "规则"
        lines.append(f"{mark} {score:>6}  {prop.title}")
        if not prop.passed and prop.message and not prop.veto:
            lines.append(_indent(("最小反例：\n" if not prop.ungraded else "") + prop.message))
    return "\n".join(lines) + "\n"


def render_part(part):
    """The outputs of a graded part's grade cell."""
    return [
        nbformat.v4.new_output("stream", name="stdout", text=feedback_text(part)),
        nbformat.v4.new_output("execute_result", data={"text/plain": f"{part.score:g}"},
                               execution_count=None),
    ]


def render_unknown(grade_id):
    """A grade cell that names no exercise the grader knows: an instructor's error."""
    return [nbformat.v4.new_output(
        "error", ename="GradingError", evalue=f"no hidden checks for grade cell {grade_id!r}",
        traceback=[f"GradingError: 评分器没有 {grade_id!r} 这一部分的检查，请联系助教。"])]
