"""Put back grade cells that a submission deleted, so every part is still graded."""
import copy
import os

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade


def grade_id(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id") if isinstance(meta, dict) else None


class RestoreGradeCells(NbGraderPreprocessor):
    """Copy each grade cell missing from the submission back in from the release.

    The hidden checks test the student's functions, not the test cell, so a
    deleted test cell must not turn a working part into a zero nbgrader cannot
    even show. The cell returns after the cell that precedes it in the release
    (or at the end), and ``OverwriteCells`` has already restored edited ones.
    """

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        if not {"assignment", "notebook"} <= set(info):
            return nb, resources
        coursedir = CourseDirectory(config=self.config)
        release = os.path.join(
            coursedir.format_path(coursedir.release_directory, ".", info["assignment"]),
            info["notebook"] + ".ipynb")
        try:
            master = nbformat.read(release, as_version=4)
        except (OSError, ValueError) as exc:
            self.log.warning("cannot restore grade cells: %s", exc)
            return nb, resources
        present = {grade_id(cell) for cell in nb.cells} - {None}
        previous = None
        for cell in master.cells:
            gid = grade_id(cell)
            if gid and is_grade(cell) and gid not in present:
                self.log.warning("grade cell %r was missing; restored from the release", gid)
                ids = [grade_id(c) for c in nb.cells]
                at = ids.index(previous) + 1 if previous in ids else len(nb.cells)
                nb.cells.insert(at, copy.deepcopy(cell))
                present.add(gid)
            if gid:
                previous = gid
        return nb, resources
