"""The instructor's report: one self-contained HTML page about a graded assignment.

    python -m autograder.report                  # reports/conv2d.html (make report)
    python -m autograder.report --course DIR --assignment conv2d --out FILE

It reads the grader's per-part results (``autograded/<student>/<assignment>/
<notebook>.autograder.json``) and shows: the score distribution of each part
(matplotlib, inlined as base64 PNG), the most common failing properties with
one example submission each, the submissions that could not be graded and
why, and the grading time of each submission. The page has no scripts and
loads nothing: it opens from disk in any browser. Every string that comes
from a submission (messages, values, student ids) is escaped.
"""
import argparse
import base64
import collections
import glob
import html
import io
import json
import os
import sys
import time

from tqdm import tqdm

from . import feedback
from .grading import PropertyResult
from .preprocessors.grade_in_sandbox import RESULTS_SUFFIX
from .sanitize import CSS as FEEDBACK_CSS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _e(text):
    return html.escape(str(text), quote=True)


def load(course, assignment):
    """``({student: {part: result}}, [students submitted but without results])``."""
    results, missing = {}, []
    submitted = sorted(os.path.basename(os.path.dirname(p))
                       for p in glob.glob(os.path.join(course, "submitted", "*", assignment)))
    graded = sorted(glob.glob(os.path.join(course, "autograded", "*", assignment, "*" + RESULTS_SUFFIX)))
    for path in tqdm(graded, desc="reading results", unit="notebook", leave=False):
        student = path.split(os.sep)[-3]
        try:
            with open(path, encoding="utf-8") as f:
                parts = json.load(f)
        except (OSError, ValueError):
            continue
        results.setdefault(student, {}).update(parts)
    missing = [s for s in submitted if s not in results]
    return results, missing


def part_order(results):
    order = []
    for parts in results.values():
        for name in parts:
            if name not in order:
                order.append(name)
    return order


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(data, alt):
    return f'<img class="plot" alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def score_plots(results, parts):
    """One histogram per part (and one of the totals), as a single PNG."""
    import matplotlib.pyplot as plt
    panels = parts + ["total"]
    cols = min(4, len(panels))
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows), squeeze=False,
                             layout="constrained")
    for ax, name in zip(axes.flat, panels):
        if name == "total":
            scores = [sum(p["score"] for p in r.values()) for r in results.values()]
            top = max((sum(p["max_points"] for p in r.values()) for r in results.values()), default=1)
        else:
            scores = [r[name]["score"] for r in results.values() if name in r]
            top = max((r[name]["max_points"] for r in results.values() if name in r), default=1)
        bins = [x - 0.5 for x in range(int(top) + 2)] if top <= 30 else 20
        ax.hist(scores, bins=bins, color="#3b82f6" if name != "total" else "#0f766e", edgecolor="white")
        ax.set_title(name, fontsize=10)
        ax.set_xlim(-0.5, top + 0.5)
        ax.set_xlabel("points")
        ax.set_ylabel("submissions")
        ax.yaxis.get_major_locator().set_params(integer=True)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    return _png(fig)


def time_plot(times):
    """Horizontal stacked bars: notebook execution and hidden checks, per submission."""
    import matplotlib.pyplot as plt
    students = sorted(times, key=lambda s: times[s][0] + times[s][1])
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(students) + 1.2), layout="constrained")
    run = [times[s][0] for s in students]
    checks = [times[s][1] for s in students]
    ax.barh(students, run, color="#94a3b8", label="notebook in the sandbox")
    ax.barh(students, checks, left=run, color="#3b82f6", label="hidden checks")
    ax.set_xlabel("seconds")
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig)


def failing_properties(results):
    """``[(count, part, prop_name, title, [students], example_student, example_prop)]``, most common first."""
    table = {}
    for student in sorted(results):
        for part_name, part in results[student].items():
            for prop in part.get("properties", []):
                if prop.get("passed") or prop.get("ungraded"):
                    continue
                key = (part_name, prop["name"])
                entry = table.setdefault(key, {"title": prop.get("title", prop["name"]), "students": [],
                                               "example": None})
                entry["students"].append(student)
                # The example to show: a real attempt rather than a stub, then the shortest message.
                if entry["example"] is None or _example_rank(prop) < _example_rank(entry["example"][1]):
                    entry["example"] = (student, prop)
    rows = [(len(v["students"]), part, name, v["title"], v["students"], *v["example"])
            for (part, name), v in table.items()]
    return sorted(rows, key=lambda r: (-r[0], r[1], r[2]))


def _example_rank(prop):
    message = prop.get("message", "")
    stub = "NotImplementedError" in message or "没有定义" in message
    return (stub, not prop.get("actual"), len(message))


def _property(data):
    known = PropertyResult.__dataclass_fields__
    return PropertyResult(**{k: v for k, v in data.items() if k in known})


def ungraded(results, missing):
    """``[(student, parts, reasons)]`` for parts that could not be graded (parts with the same
    reasons grouped), and submissions without results."""
    rows = []
    for student in sorted(results):
        groups = {}
        for part_name, part in results[student].items():
            if part.get("status") != "graded":
                reasons = tuple(sorted({p.get("message", "").removeprefix("无法评分：")
                                        for p in part.get("properties", []) if p.get("ungraded")}))
                groups.setdefault(reasons, []).append(part_name)
        for reasons, parts in groups.items():
            label = (f"all {len(parts)} parts" if len(parts) == len(results[student]) > 1
                     else ", ".join(parts))
            rows.append((student, label, list(reasons)))
    rows += [(student, "—", ["没有评分结果（nbgrader autograde 没有处理它，或处理失败：见 .nbgrader.log）"])
             for student in missing]
    return rows


def timings(results):
    """``{student: (notebook seconds, hidden-check seconds)}``."""
    out = {}
    for student, parts in results.items():
        notebook = max((p.get("notebook_seconds", 0.0) for p in parts.values()), default=0.0)
        checks = sum(p.get("seconds", 0.0) for p in parts.values())
        out[student] = (notebook, checks)
    return out


PAGE_CSS = """
body { font-family: -apple-system, "Segoe UI", "Noto Sans CJK SC", sans-serif; margin: 2em auto;
       max-width: 1150px; color: #1f2328; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em; margin-top: 1.6em; }
table.data { border-collapse: collapse; margin: 0.5em 0; }
table.data th, table.data td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; text-align: left;
                               vertical-align: top; }
table.data th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img.plot { max-width: 100%; border: 1px solid #eaeef2; }
.muted { color: #57606a; }
details { margin: 0.2em 0; } summary { cursor: pointer; color: #0969da; }
"""


def render(course, assignment, results, missing):
    parts = part_order(results)
    students = sorted(results)
    steps = tqdm(total=4, desc="building report", unit="section", leave=False)
    out = [f"<!DOCTYPE html><html lang=\"zh\"><head><meta charset=\"utf-8\">"
           f"<title>{_e(assignment)}: grading report</title>"
           f"<style>{PAGE_CSS}{FEEDBACK_CSS}</style></head><body>",
           f"<h1>Grading report: <code>{_e(assignment)}</code></h1>",
           f'<p class="muted">{len(students)} graded submissions'
           f'{f", {len(missing)} without results" if missing else ""}; generated '
           f'{_e(time.strftime("%Y-%m-%d %H:%M"))} from <code>{_e(os.path.join(course, "autograded"))}</code>.</p>']

    # 1. Score distribution.
    out.append('<section id="scores"><h2>Score distribution per part</h2>')
    if results:
        out.append(_img(score_plots(results, parts), "score distribution per part"))
        out.append('<table class="data"><tr><th>part</th><th>max</th><th>mean</th><th>median</th>'
                   '<th>full marks</th><th>zero</th><th>ungraded</th></tr>')
        for name in parts:
            entries = [r[name] for r in results.values() if name in r]
            scores = sorted(p["score"] for p in entries)
            top = max(p["max_points"] for p in entries)
            mean = sum(scores) / len(scores)
            median = scores[len(scores) // 2] if len(scores) % 2 else (scores[len(scores) // 2 - 1]
                                                                      + scores[len(scores) // 2]) / 2
            out.append(f"<tr><td><code>{_e(name)}</code></td><td class=num>{top:g}</td>"
                       f"<td class=num>{mean:.1f}</td><td class=num>{median:g}</td>"
                       f"<td class=num>{sum(s == top for s in scores)}</td>"
                       f"<td class=num>{sum(s == 0 for s in scores)}</td>"
                       f"<td class=num>{sum(p.get('status') != 'graded' for p in entries)}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>No graded submissions yet: run <code>nbgrader autograde</code> first.</p>")
    out.append("</section>")
    steps.update()

    # 2. Most common failing properties.
    out.append('<section id="failing"><h2>Most common failing properties</h2>')
    rows = failing_properties(results)
    if rows:
        out.append('<table class="data"><tr><th>submissions</th><th>part</th><th>property</th>'
                   '<th>one example</th></tr>')
        for count, part, _name, title, who, example_student, prop in rows[:20]:
            example = feedback.example_html(_property(prop)) if prop.get("message") else ""
            out.append(f'<tr class="failing"><td class=num>{count}</td><td><code>{_e(part)}</code></td>'
                       f'<td>{_e(title)}<div class="muted">{_e(", ".join(who))}</div></td>'
                       f'<td><div class="muted">example: <b>{_e(example_student)}</b></div>'
                       f'<details><summary>smallest failing example</summary>{example}</details></td></tr>')
        out.append("</table>")
    else:
        out.append("<p>No property failed.</p>")
    out.append("</section>")
    steps.update()

    # 3. Ungraded.
    out.append('<section id="ungraded"><h2>Submissions that could not be graded</h2>')
    rows = ungraded(results, missing)
    if rows:
        out.append('<p class="muted">These parts scored 0 for properties the grader could not check '
                   '(time limit, memory, crash): regrade them or grade them by hand.</p>')
        out.append('<table class="data"><tr><th>student</th><th>part</th><th>why</th></tr>')
        for student, part, reasons in rows:
            out.append(f'<tr class="ungraded"><td>{_e(student)}</td><td><code>{_e(part)}</code></td>'
                       f'<td>{"<br>".join(_e(r) for r in reasons)}</td></tr>')
        out.append("</table>")
    else:
        out.append("<p>Every submission was graded in full.</p>")
    out.append("</section>")
    steps.update()

    # 4. Timing.
    out.append('<section id="timing"><h2>Grading time per submission</h2>')
    times = timings(results)
    if times:
        out.append(_img(time_plot(times), "grading time per submission"))
        out.append('<table class="data"><tr><th>student</th><th>notebook (s)</th><th>hidden checks (s)</th>'
                   '<th>of which the student\'s code (s)</th><th>total (s)</th><th>slowest part</th></tr>')
        for student in sorted(times, key=lambda s: -sum(times[s])):
            run, checks = times[student]
            slow = max(results[student].items(), key=lambda kv: kv[1].get("seconds", 0.0))
            own = sum(p.get("student_seconds", 0.0) for p in results[student].values())
            out.append(f"<tr><td>{_e(student)}</td><td class=num>{run:.1f}</td><td class=num>{checks:.1f}</td>"
                       f"<td class=num>{own:.1f}</td>"
                       f"<td class=num>{run + checks:.1f}</td>"
                       f"<td><code>{_e(slow[0])}</code> {slow[1].get('seconds', 0.0):.1f} s</td></tr>")
        total = sum(sum(t) for t in times.values())
        out.append(f'</table><p class="muted">Total {total:.0f} s, {total / len(times):.1f} s per submission '
                   f'(sandboxed execution + hidden checks; nbgrader\'s own steps not included).</p>')
    out.append("</section></body></html>")
    steps.update()
    steps.close()
    return "".join(out)


def build(course=ROOT, assignment="conv2d", out=None):
    """Write the report; return its path."""
    import matplotlib
    matplotlib.use("Agg")
    out = out or os.path.join(course, "reports", f"{assignment}.html")
    results, missing = load(course, assignment)
    page = render(course, assignment, results, missing)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(page)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", default=ROOT, help="course root (default: this repository)")
    parser.add_argument("--assignment", default="conv2d")
    parser.add_argument("--out", help="output file (default: COURSE/reports/ASSIGNMENT.html)")
    args = parser.parse_args(argv)
    path = build(os.path.abspath(args.course), args.assignment, args.out)
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
