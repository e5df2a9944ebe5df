"""``nbgrader export`` with a status column, so an ungraded submission never reads as a plain 0."""
import csv
import json
import os

import nbformat
from nbgrader.api import MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import ExportPlugin

from .preprocessors.grade_in_sandbox import RESULTS_SUFFIX

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score", "status", "status_detail"]


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
