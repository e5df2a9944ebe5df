"""The bundled demo class: build its submissions, grade them with nbgrader, print a table.

Each file in ``demo/class/`` is one student. Sections start with a line
``# %% GRADE_ID`` naming the solution cell they fill (``corr2d_solution``,
...); ``# %% append`` adds a cell at the end. Parts a student left out keep
the release's stub, exactly as a student who never touched them.

    python -m autograder.demo            # build, autograde, feedback, export, table
    python -m autograder.demo --build    # only write submitted/
    python -m autograder.demo --hostile  # the demo class plus tests/corpus (hostile, broken)
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

import nbformat

from .preprocessors.grade_in_sandbox import RESULTS_SUFFIX

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSIGNMENT = "conv2d"
SECTION = re.compile(r"^# %% (\S+)\s*$", re.M)


def sections(source):
    """``{grade_id: code}`` from a demo student's file."""
    parts = SECTION.split(source)
    return {name: code.strip("\n") + "\n" for name, code in zip(parts[1::2], parts[2::2])}


def build_submission(release, student_source):
    """The release notebook with the student's code in its solution cells."""
    nb = nbformat.read(release, as_version=4) if isinstance(release, str) else release
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    code = sections(student_source)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in code:
            cell.source = code.pop(grade_id)
    if "append" in code:
        nb.cells.append(nbformat.v4.new_code_cell(code.pop("append")))
    if code:
        raise ValueError(f"no solution cell for sections {sorted(code)}")
    return nb


def write_class(course, class_dir=None, assignment=ASSIGNMENT):
    """Write every demo student's notebook into ``course/submitted``; return the ids."""
    class_dir = class_dir or os.path.join(ROOT, "demo", "class")
    release = os.path.join(course, "assignments", assignment, f"{assignment}.ipynb")
    students = []
    for path in sorted(glob.glob(os.path.join(class_dir, "*.py"))):
        student = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding="utf-8") as f:
            nb = build_submission(release, f.read())
        out = os.path.join(course, "submitted", student, assignment)
        os.makedirs(out, exist_ok=True)
        nbformat.write(nb, os.path.join(out, f"{assignment}.ipynb"))
        students.append(student)
    return students


def nbgrader(*args, course=ROOT):
    """Run one standard nbgrader command from the course root."""
    print("$ nbgrader " + " ".join(args), flush=True)
    subprocess.run(["nbgrader", *args], cwd=course, check=True)


def load_results(course, student, assignment=ASSIGNMENT):
    path = os.path.join(course, "autograded", student, assignment, assignment + RESULTS_SUFFIX)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def table(course, students, assignment=ASSIGNMENT):
    """A text table: one row per student, one column per part, plus the status."""
    rows = {s: load_results(course, s, assignment) for s in students}
    parts = sorted({p for r in rows.values() if r for p in r})
    header = ["student"] + parts + ["total", "status"]
    lines = [header]
    for student, result in rows.items():
        if result is None:
            lines.append([student] + ["-"] * len(parts) + ["-", "not graded"])
            continue
        cells = [f"{result[p]['score']:g}/{result[p]['max_points']:g}" if p in result else "-"
                 for p in parts]
        total = sum(result[p]["score"] for p in result)
        maximum = sum(result[p]["max_points"] for p in result)
        ungraded = [p for p in result if result[p]["status"] != "graded"]
        status = "graded" if not ungraded else "partly ungraded: " + ", ".join(ungraded)
        lines.append([student] + cells + [f"{total:g}/{maximum:g}", status])
    widths = [max(len(str(row[i])) for row in lines) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", default=ROOT, help="course root (default: this repository)")
    parser.add_argument("--build", action="store_true", help="only write the submissions")
    parser.add_argument("--hostile", action="store_true",
                        help="mix the hostile and broken corpus of tests/corpus into the class")
    args = parser.parse_args(argv)
    course = os.path.abspath(args.course)
    nbgrader("generate_assignment", ASSIGNMENT, "--force", course=course)
    students = write_class(course)
    if args.hostile:
        students += write_class(course, os.path.join(ROOT, "tests", "corpus"))
    print(f"demo class: {', '.join(students)}")
    if args.build:
        return 0
    nbgrader("autograde", ASSIGNMENT, "--force", course=course)
    nbgrader("generate_feedback", ASSIGNMENT, "--force", course=course)
    nbgrader("export", course=course)
    print()
    print(table(course, students))
    print(f"\nfeedback: {os.path.join(course, 'feedback')}/<student>/{ASSIGNMENT}/{ASSIGNMENT}.html")
    print(f"grades:   {os.path.join(course, 'grades.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
