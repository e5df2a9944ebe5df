"""What a grade cell shows after grading: the score and each property's verdict.

The grader, not the kernel, writes these outputs. nbgrader reads the score
from the last ``execute_result`` (partial credit) and would give zero for any
``error`` or stderr output, so the outputs here decide the grade exactly: a
``display_data`` with the feedback as plain text and as HTML (the feedback
page shows the HTML: tables of the smallest failing example, expected beside
actual with the differing entries marked), then the score.

Every string that can come from a submission (exception messages, reprs of
returned values, numbers) is escaped with ``html.escape`` here, and the page
is sanitised again by ``autograder.sanitize.FeedbackSanitizeHTML``, which
lets through only the few tags and ``ag-*`` classes used below.
"""
import html

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


# -- HTML -------------------------------------------------------------------------
#: The tags and classes the feedback HTML uses; the sanitiser lets only these through.
TAGS = ["div", "span", "pre", "code", "a", "b"]

#: Reasons a sandbox gives (in English, for the log) and what they mean for a student.
REASONS = [
    ("time limit", "超时：你的代码运行时间超过了限制（例如死循环或太慢的实现）"),
    ("did not finish", "超时：笔记本没有在时间限制内运行完（例如某个单元陷入死循环）"),
    ("memory", "内存或进程数超出限制，或内核崩溃"),
    ("died", "内核崩溃或退出（例如内存不足、调用了 exit）"),
    ("stopped", "内核停止了响应（例如崩溃、内存不足或调用了 exit）"),
    ("评分时间", "超时：本部分的评分时间已用完"),
]


def _e(text):
    return html.escape(str(text), quote=True)


def _number(value):
    if isinstance(value, str):  # nan, inf
        return value
    if isinstance(value, (bool, int)):
        return str(int(value))
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def _table(data, marked=(), cls="ag-array"):
    """An array from ``checks.table_data`` as a grid; ``marked`` cells get ``ag-diff``.

    The grid is made of ``div``/``span`` with CSS table display, not ``<table>``:
    the HTML parser of the sanitisers adds an implicit ``<tbody>``, which
    nbconvert's template filter does not allow and would print as text.
    """
    marked = {tuple(_cell(idx, data)) for idx in marked or ()}
    rows = []
    for i, row in enumerate(data.get("values", [])):
        cells = "".join(
            f'<span class="ag-td ag-diff">{_e(_number(v))}</span>' if (i, j) in marked
            else f'<span class="ag-td">{_e(_number(v))}</span>'
            for j, v in enumerate(row))
        rows.append(f'<div class="ag-tr">{cells}</div>')
    if not rows:
        rows = ['<div class="ag-tr"><span class="ag-td ag-empty">（空）</span></div>']
    return f'<div class="{cls}">{"".join(rows)}</div>'


def _cell(idx, data):
    idx = list(idx)
    if len(data.get("shape", [])) >= 2:
        return idx[:2]
    return [0, idx[0] if idx else 0]


def _caption(name, data):
    shape = tuple(data.get("shape", ()))
    return (f'<div class="ag-caption"><code>{_e(name)}</code> '
            f'<span class="ag-shape">形状 {_e(shape)}，{_e(data.get("dtype", ""))}</span></div>')


def _value_block(name, data, marked=(), cls="ag-array"):
    if not isinstance(data, dict):
        return ""
    if "values" in data:
        return f'<div class="ag-value">{_caption(name, data)}{_table(data, marked, cls)}</div>'
    return (f'<div class="ag-value"><div class="ag-caption"><code>{_e(name)}</code></div>'
            f'<pre class="ag-repr">{_e(data.get("repr", ""))}</pre></div>')


def _verdict(message):
    """The line(s) of a mismatch message that say what went wrong, without the arrays."""
    if "→" not in message:
        return message
    text = message[message.index("→"):]
    for marker in ("\n应当是：", "\n实际是：", "\n实际输出："):
        text = text.split(marker)[0]
    return text


def _context(message, example):
    """What the message says before its verdict, without the input lines ``show`` wrote."""
    before = message.split("→", 1)[0]
    names = tuple(f"{name} = " for name in example)
    return "\n".join(line for line in before.splitlines()
                     if line.strip() and not line.startswith(names) and not line.startswith(" "))


def example_html(prop):
    """The smallest failing example: inputs, then expected beside actual, differences marked."""
    message = prop.message or ""
    parts = [f'<div class="ag-call">{_e(_context(message, prop.example))}</div>'] if prop.example else []
    if prop.example:
        parts.append('<div class="ag-row ag-inputs">' + "".join(
            _value_block(name, data) for name, data in prop.example.items()) + "</div>")
    if prop.expected or prop.actual:
        parts.append(f'<div class="ag-verdict">{_e(_verdict(message))}</div>')
        wrong = prop.wrong or ()
        parts.append('<div class="ag-row ag-compare">'
                     + (_value_block("应当是（expected）", prop.expected, (), "ag-array ag-expected")
                        if prop.expected else "")
                     + (_value_block("实际是（actual）", prop.actual, wrong, "ag-array ag-actual")
                        if prop.actual else "")
                     + "</div>")
        if wrong:
            parts.append('<div class="ag-legend"><span class="ag-diff">红色</span>的元素与应当的结果不同'
                         f'（共 {len(wrong)} 处）。</div>')
    elif prop.example:
        parts.append(f'<pre class="ag-message">{_e(_verdict(message))}</pre>')
    else:
        parts.append(f'<pre class="ag-message">{_e(message)}</pre>')
    return '<div class="ag-example"><div class="ag-label">最小反例：</div>' + "".join(parts) + "</div>"


def _gloss(reason):
    for needle, meaning in REASONS:
        if needle in reason:
            return meaning
    return "评分没有完成"


def zero_reason(part):
    """Why a part scored nothing, in words for the student, or '' when it earned points."""
    if part.vetoed:
        return "违反了本部分的规则（使用了禁止的内置函数）：" + "；".join(p.message for p in part.vetoed)
    if part.ungraded:
        reasons = sorted({p.message.removeprefix("无法评分：") for p in part.ungraded})
        return "未能评分（不是答案被判错）：" + "；".join(f"{_gloss(r)}（{r}）" for r in reasons)
    if part.score > 0:
        return ""
    failed = [p for p in part.properties if not p.passed]
    if failed and all("NotImplementedError" in p.message for p in failed):
        return "还没有实现：解答单元里仍是 raise NotImplementedError(...)，请删去这一行并写上你的代码。"
    if failed and all("NameError" in p.message or "没有定义" in p.message for p in failed):
        return "找不到要评分的函数：请检查函数名是否与题目完全一致，并且定义它的单元没有出错。"
    if failed and all("抛出了异常" in p.message for p in failed):
        return "每次调用都抛出了异常，见下面的最小反例。"
    return ""


def feedback_html(part):
    """The part's feedback as HTML (grader-generated; every student-derived string escaped)."""
    state = ("ag-ungraded" if part.ungraded else "ag-full" if part.score == part.max_points
             else "ag-zero" if part.score == 0 else "ag-partial")
    out = [f'<div class="ag-part {state}" id="ag-{_e(part.exercise)}">',
           f'<div class="ag-head"><span class="ag-title">{_e(part.title)}</span>'
           f'<span class="ag-score">{part.score:g} / {part.max_points:g} 分</span></div>']
    reason = zero_reason(part)
    if reason:
        out.append(f'<div class="ag-reason"><b>本部分得 0 分的原因：</b>{_e(reason)}</div>'
                   if part.score == 0 else f'<div class="ag-reason">{_e(reason)}</div>')
    out.append('<div class="ag-props">')
    for prop in part.properties:
        if prop.veto and prop.passed:
            continue
        kind = "ag-ungraded" if prop.ungraded else "ag-pass" if prop.passed else "ag-fail"
        mark = UNGRADED if prop.ungraded else PASS if prop.passed else FAIL
        got = prop.points if prop.passed and not part.vetoed else 0
        score = f"{got:g}/{prop.points:g}" if not prop.veto else "规则"
        out.append(f'<div class="ag-prop {kind}"><span class="ag-mark">{mark}</span>'
                   f'<span class="ag-pts">{_e(score)}</span><span class="ag-ptitle">{_e(prop.title)}</span>')
        if not prop.passed and prop.message and not prop.veto:
            if prop.ungraded:
                out.append(f'<div class="ag-why">{_e(prop.message)}</div>')
            else:
                out.append(example_html(prop))
                if prop.hint and prop.hint != part.hint:
                    out.append(_hint_html(prop.hint, part.anchor))
        out.append("</div>")
    out.append("</div>")
    if part.hint and any(not p.passed and not p.ungraded for p in part.properties):
        out.append(_hint_html(part.hint, part.anchor))
    out.append("</div>")
    return "".join(out)


def _hint_html(hint, anchor):
    link = f' <a class="ag-link" href="#comment-{_e(anchor)}">跳到你的解答单元</a>' if anchor else ""
    return f'<div class="ag-hint">提示：{_e(hint)}{link}</div>'


def render_part(part):
    """The outputs of a graded part's grade cell: the feedback (text and HTML), then the score."""
    return [
        nbformat.v4.new_output("display_data", data={"text/plain": feedback_text(part),
                                                     "text/html": feedback_html(part)}),
        nbformat.v4.new_output("execute_result", data={"text/plain": f"{part.score:g}"},
                               execution_count=None),
    ]


def render_unknown(grade_id):
    """A grade cell that names no exercise the grader knows: an instructor's error."""
    return [nbformat.v4.new_output(
        "error", ename="GradingError", evalue=f"no hidden checks for grade cell {grade_id!r}",
        traceback=[f"GradingError: 评分器没有 {grade_id!r} 这一部分的检查，请联系助教。"])]
