"""Let ``nbgrader autograde`` pick up a batch that was killed half-way.

nbgrader decides whether to grade a submission from its autograded folder: if
the folder exists (and is not older than the submission), it is skipped. A
grader killed with SIGKILL leaves the folder of the submission it was grading,
with no notebook or a half-written one, so a plain re-run would skip that
student for good. ``install()`` (called from ``nbgrader_config.py``) makes
nbgrader treat such a folder as unfinished: it is removed (it holds only the
grader's own output) and the submission is graded again. Finished students are
skipped as before, and the gradebook has one row per grade cell, so nothing is
graded twice.
"""
import glob
import os

import nbformat
from nbgrader.converters.autograde import Autograde
from nbgrader.utils import rmtree


def finished(dest, source):
    """Whether every notebook of ``source`` has a readable autograded copy in ``dest``."""
    for path in glob.glob(os.path.join(glob.escape(source), "*.ipynb")):
        out = os.path.join(dest, os.path.basename(path))
        try:
            nbformat.read(out, as_version=4)
        except Exception:  # missing, truncated by the kill, or otherwise unreadable
            return False
    return True


def install():
    if getattr(Autograde.init_destination, "resumes", False):
        return
    original = Autograde.init_destination

    def init_destination(self, assignment_id, student_id):
        dest = os.path.normpath(self._format_dest(assignment_id, student_id))
        source = os.path.normpath(self._format_source(assignment_id, student_id))
        if os.path.isdir(dest) and not self.force and not finished(dest, source):
            self.log.warning("Grading of %s was interrupted; grading it again", dest)
            rmtree(dest)
        return original(self, assignment_id, student_id)

    init_destination.resumes = True
    Autograde.init_destination = init_destination
