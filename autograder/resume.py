"""Let ``nbgrader autograde`` pick up a batch that was killed half-way.

nbgrader decides whether to grade a submission from its autograded folder: if
the folder exists (and is not older than the submission), it is skipped. A
grader killed with SIGKILL leaves the folder of the submission it was grading
(holding the sanitised notebook, or nothing yet), so a plain re-run would skip
that student for good. ``install()`` (called from ``nbgrader_config.py``)
writes a marker once every notebook of a submission has been autograded and
its grades saved, and makes nbgrader treat a folder without the marker as
unfinished: it is removed (it holds only the grader's own output) and the
submission is graded again. Finished students are skipped as before, and the
gradebook keeps one row per grade cell, so nothing is graded twice.
"""
import os

from nbgrader.converters.autograde import Autograde
from nbgrader.utils import rmtree

MARKER = ".autograde-finished"


def install():
    if getattr(Autograde, "_resumes", False):
        return
    init_destination, set_permissions = Autograde.init_destination, Autograde.set_permissions

    def resuming_init_destination(self, assignment_id, student_id):
        dest = os.path.normpath(self._format_dest(assignment_id, student_id))
        if os.path.isdir(dest) and not self.force and not os.path.exists(os.path.join(dest, MARKER)):
            self.log.warning("Grading of %s was interrupted; grading it again", dest)
            rmtree(dest)
        return init_destination(self, assignment_id, student_id)

    def marking_set_permissions(self, assignment_id, student_id):
        # nbgrader calls this once all notebooks of the submission are written.
        set_permissions(self, assignment_id, student_id)
        dest = os.path.normpath(self._format_dest(assignment_id, student_id))
        with open(os.path.join(dest, MARKER), "w", encoding="utf-8") as f:
            f.write("every notebook of this submission was autograded\n")

    Autograde.init_destination = resuming_init_destination
    Autograde.set_permissions = marking_set_permissions
    Autograde._resumes = True
