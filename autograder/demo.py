"""The bundled demo class: build its submissions, grade them with nbgrader, print a table.

Each file in ``demo/class/`` is one student. Sections start with a line
``# %% GRADE_ID`` naming the solution cell they fill (``corr2d_solution``,
...); ``# %% append`` adds a cell at the end. Parts a student left out keep
the release's stub, exactly as a student who never touched them.

    python -m autograder.demo            # build, autograde, feedback, export, report, table
    python -m autograder.demo --zip      # the class arrives as an LMS download: nbgrader zip_collect
    python -m autograder.demo --build    # only write submitted/ (with --zip: collect it from the zip)
    python -m autograder.demo --hostile  # the demo class plus tests/corpus (hostile, broken)
"""
import argparse
import collections
import glob
import json
import os
import re
import subprocess
import sys
import zipfile

import nbformat
from tqdm import tqdm

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


def class_notebooks(course, class_dir=None, assignment=ASSIGNMENT):
    """``{student: notebook}`` for every demo student, built on the course's release."""
    class_dir = class_dir or os.path.join(ROOT, "demo", "class")
    release = os.path.join(course, "assignments", assignment, f"{assignment}.ipynb")
    notebooks = {}
    for path in sorted(glob.glob(os.path.join(class_dir, "*.py"))):
        student = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding="utf-8") as f:
            notebooks[student] = build_submission(release, f.read())
    return notebooks


def write_class(course, class_dir=None, assignment=ASSIGNMENT):
    """Write every demo student's notebook into ``course/submitted``; return the ids."""
    notebooks = class_notebooks(course, class_dir, assignment)
    for student, nb in notebooks.items():
        out = os.path.join(course, "submitted", student, assignment)
        os.makedirs(out, exist_ok=True)
        nbformat.write(nb, os.path.join(out, f"{assignment}.ipynb"))
    return list(notebooks)


#: The submission time the demo's LMS download gives every file.
DEMO_TIMESTAMP = "20261126T093000"


def lms_file_name(student, assignment=ASSIGNMENT, timestamp=DEMO_TIMESTAMP):
    """A file name as the LMS download names it; ``nbgrader_config.py``'s ``named_regexp`` parses it."""
    return f"{student}_{timestamp}_{assignment}.ipynb"


def write_class_zip(course, class_dir=None, assignment=ASSIGNMENT):
    """Write the demo class (or several class folders) as an LMS download: one zip in
    ``downloaded/<assignment>/archive/``."""
    notebooks = {}
    for folder in class_dir if isinstance(class_dir, (list, tuple)) else [class_dir]:
        notebooks.update(class_notebooks(course, folder, assignment))
    folder = os.path.join(course, "downloaded", assignment, "archive")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{assignment}_submissions.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for student, nb in notebooks.items():
            zf.writestr(lms_file_name(student, assignment), nbformat.writes(nb))
    return path, list(notebooks)


def nbgrader(*args, course=ROOT):
    """Run one standard nbgrader command from the course root."""
    print("$ nbgrader " + " ".join(args), flush=True)
    subprocess.run(["nbgrader", *args], cwd=course, check=True)


#: The log line nbgrader writes when it starts on a student's submission.
STARTS = {
    "autograde": re.compile(r"Creating/updating student with ID '([^']*)'"),
    "generate_feedback": re.compile(r"Converting notebook .*[/\\]autograded[/\\]([^/\\]+)[/\\]"),
}


def nbgrader_progress(command, *args, course=ROOT, total=None):
    """Run a long nbgrader command with a progress bar over the students.

    nbgrader's full log is appended to ``.nbgrader.log`` in the course;
    warnings about the sandbox and errors are printed above the bar, and on
    failure the last lines of the log are shown.
    """
    print("$ nbgrader " + " ".join([command, *args]), flush=True)
    proc = subprocess.Popen(["nbgrader", command, *args], cwd=course, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    start = STARTS.get(command)
    tail = collections.deque(maxlen=40)
    seen = []
    log = open(os.path.join(course, ".nbgrader.log"), "a", encoding="utf-8")
    with log, tqdm(total=total, desc=command, unit="submission", dynamic_ncols=True) as bar:
        log.write("$ nbgrader " + " ".join([command, *args]) + "\n")
        for line in proc.stdout:
            log.write(line)
            tail.append(line)
            match = start.search(line) if start else None
            if match and match.group(1) not in seen:
                if seen:
                    bar.update(1)
                seen.append(match.group(1))
                bar.set_postfix_str(match.group(1))
            elif "| ERROR]" in line or "sandbox:" in line and "WARNING" in line:
                bar.write(line.rstrip()[:300])
        if seen and proc.wait() == 0:
            bar.update(1)
    if proc.wait() != 0:
        sys.stdout.write("".join(tail))
        raise subprocess.CalledProcessError(proc.returncode, ["nbgrader", command, *args])
    print(f"  (nbgrader's log: {os.path.join(course, '.nbgrader.log')})", flush=True)


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
    parser.add_argument("--zip", action="store_true",
                        help="deliver the class as an LMS download (a zip in downloaded/) and "
                             "collect it with nbgrader zip_collect")
    parser.add_argument("--hostile", action="store_true",
                        help="mix the hostile and broken corpus of tests/corpus into the class")
    parser.add_argument("--no-report", action="store_true", help="skip the instructor report")
    args = parser.parse_args(argv)
    course = os.path.abspath(args.course)
    nbgrader("generate_assignment", ASSIGNMENT, "--force", course=course)
    class_dirs = [None] + ([os.path.join(ROOT, "tests", "corpus")] if args.hostile else [])
    if args.zip:
        archive, students = write_class_zip(course, class_dirs)
        print(f"LMS download: {archive}", flush=True)
        nbgrader("zip_collect", ASSIGNMENT, "--force", course=course)
    else:
        students = [s for d in class_dirs for s in write_class(course, d)]
    print(f"demo class: {', '.join(students)}", flush=True)
    if args.build:
        return 0
    nbgrader_progress("autograde", ASSIGNMENT, "--force", course=course, total=len(students))
    nbgrader_progress("generate_feedback", ASSIGNMENT, "--force", course=course, total=len(students))
    nbgrader("export", course=course)
    report = None
    if not args.no_report:
        from . import report as report_module
        report = report_module.build(course, ASSIGNMENT)
    print()
    print(table(course, students))
    print()
    print("Where to look:")
    print(f"  feedback pages   {os.path.join(course, 'feedback')}/<student>/{ASSIGNMENT}/{ASSIGNMENT}.html"
          "  (open in a browser: per part the score, every property, the smallest failing example)")
    print(f"  grades           {os.path.join(course, 'grades.csv')}  (nbgrader's columns + status)")
    print(f"  per-part grades  {os.path.join(course, 'grades_by_part.csv')}  (one column per part, for an LMS)")
    if report:
        print(f"  report           {report}  (score distributions, common failures, ungraded, timing)")
    print(f"  grader results   {os.path.join(course, 'autograded')}/<student>/{ASSIGNMENT}/"
          f"{ASSIGNMENT}{RESULTS_SUFFIX}")
    if args.zip:
        print(f"  LMS download     {os.path.join(course, 'downloaded', ASSIGNMENT)}  (archive/ -> extracted/ -> submitted/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
