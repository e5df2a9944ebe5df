"""``nbgrader export`` with a status column, so an ungraded submission never reads as a plain 0.

It writes two files:

* ``grades.csv`` — nbgrader's columns, then ``status`` and ``status_detail``;
* ``grades_by_part.csv`` — for an LMS gradebook: one row per student, one
  column per graded part (grade cell), the total, the maximum and ``status``
  (``--StatusCsvExportPlugin.parts_to=FILE`` renames it, ``''`` turns it off).
"""
import csv
import json
import os

import nbformat
from nbgrader.api import MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import ExportPlugin
from traitlets import Unicode

from .preprocessors.grade_in_sandbox import RESULTS_SUFFIX

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score", "status", "status_detail"]


PART_COLUMNS_BEFORE = ["student_id", "last_name", "first_name", "email", "assignment"]
PART_COLUMNS_AFTER = ["score", "max_score", "status"]


class StatusCsvExportPlugin(ExportPlugin):
    """nbgrader's CSV columns, then ``status`` and ``status_detail`` for each submission.

    ``status`` is ``graded``; ``ungraded`` when some property of some part
    could not be checked (time limit, crash: the detail names the parts and
    why); ``not autograded`` when the submission has no grader results at all;
    or ``not submitted``.
    """

    def status(self, coursedir, assignment, student):
        folder = coursedir.format_path(coursedir.autograded_directory, student, assignment.name)
        problems, found = [], False
        for notebook in assignment.notebooks:
            path = os.path.join(folder, notebook.name + RESULTS_SUFFIX)
            try:
                with open(path, encoding="utf-8") as f:
                    parts = json.load(f)
            except (OSError, ValueError):
                continue
            found = True
            for name, part in sorted(parts.items()):
                if part.get("status") != "graded":
                    reasons = sorted({p["message"] for p in part.get("properties", []) if p.get("ungraded")})
                    problems.append(f"{notebook.name}/{name}: " + "; ".join(reasons)[:300])
        if not found:
            return "not autograded", self.why_not_autograded(coursedir, assignment, student)
        return ("ungraded", " | ".join(problems)) if problems else ("graded", "")

    def why_not_autograded(self, coursedir, assignment, student):
        """Why a submission has no grader results: usually a notebook nbgrader could not read."""
        folder = coursedir.format_path(coursedir.submitted_directory, student, assignment.name)
        for notebook in assignment.notebooks:
            path = os.path.join(folder, notebook.name + ".ipynb")
            if not os.path.exists(path):
                return f"{notebook.name}.ipynb is missing from the submission"
            try:
                nbformat.validate(nbformat.read(path, as_version=4))
            except Exception as exc:  # invalid JSON, unknown nbformat, binary junk
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                return f"{notebook.name}.ipynb could not be read: {first[:200]}"
        return "not graded yet, or grading failed: see the nbgrader autograde log"

    parts_to = Unicode("grades_by_part.csv", allow_none=True,
                       help="Per-part CSV for an LMS: one row per student, one column per grade cell, "
                            "and a status column. Empty: not written.").tag(config=True)

    def part_names(self, coursedir, assignment):
        """The assignment's grade cells, in notebook order (``notebook/cell`` when it has several notebooks)."""
        names = []
        for notebook in assignment.notebooks:
            cells = {c.name for c in notebook.grade_cells}
            path = os.path.join(coursedir.format_path(coursedir.release_directory, ".", assignment.name),
                                notebook.name + ".ipynb")
            try:
                order = [c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(path, as_version=4).cells
                         if c.metadata.get("nbgrader", {}).get("grade_id") in cells]
            except (OSError, ValueError, KeyError):
                order = []
            order += sorted(cells - set(order))
            prefix = notebook.name + "/" if len(assignment.notebooks) > 1 else ""
            names += [(notebook.name, cell, prefix + cell) for cell in order]
        return names

    def export_parts(self, gradebook, coursedir, dest, assignments, students):
        """One row per student and assignment: each grade cell's score, the total, the status.

        A cell that still needs a manual grade (a written answer) is left empty,
        as is every part of a submission that does not exist.
        """
        self.log.info("Exporting per-part grades to %s", dest)
        rows, header = [], list(PART_COLUMNS_BEFORE)
        for assignment in gradebook.assignments:
            if assignments and assignment.name not in assignments:
                continue
            parts = self.part_names(coursedir, assignment)
            header += [column for _, _, column in parts if column not in header]
            for student in gradebook.students:
                if students and student.id not in students:
                    continue
                row = {"student_id": student.id, "last_name": student.last_name or "",
                       "first_name": student.first_name or "", "email": student.email or "",
                       "assignment": assignment.name, "max_score": assignment.max_score}
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    row.update(score=0.0, status="not submitted")
                else:
                    for notebook, cell, column in parts:
                        try:
                            grade = gradebook.find_grade(cell, notebook, assignment.name, student.id)
                        except MissingEntry:
                            continue
                        row[column] = "" if grade.score is None else grade.score
                    penalty = submission.late_submission_penalty or 0.0
                    row.update(score=max(0.0, submission.score - penalty),
                               status=self.status(coursedir, assignment, student.id)[0])
                rows.append(row)
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, header + PART_COLUMNS_AFTER, restval="")
            writer.writeheader()
            writer.writerows(rows)

    def export(self, gradebook):
        dest = self.to or "grades.csv"
        coursedir = CourseDirectory(config=self.config)
        students = {str(s) for s in self.student}
        assignments = {str(a) for a in self.assignment}
        self.log.info("Exporting grades with a status column to %s", dest)
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, COLUMNS)
            writer.writeheader()
            for assignment in gradebook.assignments:
                if assignments and assignment.name not in assignments:
                    continue
                for student in gradebook.students:
                    if students and student.id not in students:
                        continue
                    row = {"assignment": assignment.name, "duedate": assignment.duedate or "",
                           "student_id": student.id, "last_name": student.last_name or "",
                           "first_name": student.first_name or "", "email": student.email or "",
                           "max_score": assignment.max_score}
                    try:
                        submission = gradebook.find_submission(assignment.name, student.id)
                    except MissingEntry:
                        row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0,
                                   status="not submitted", status_detail="")
                    else:
                        penalty = submission.late_submission_penalty or 0.0
                        status, detail = self.status(coursedir, assignment, student.id)
                        row.update(timestamp=submission.timestamp or "", raw_score=submission.score,
                                   late_submission_penalty=penalty,
                                   score=max(0.0, submission.score - penalty),
                                   status=status, status_detail=detail)
                    writer.writerow(row)
        if self.parts_to:
            self.export_parts(gradebook, coursedir, self.parts_to, assignments, students)
