"""nbgrader configuration of the conv2d course: run every nbgrader command from this folder.

Grading replaces nbgrader's ``Execute`` step with ``GradeInSandbox``: student
code runs only in bubblewrap, and the hidden checks score each grade cell from
plain data in this process. Everything else is nbgrader's own pipeline.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor  # noqa: E402
from nbconvert.preprocessors.sanitize import SanitizeHTML  # noqa: E402,F401 (configured below)
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, ClearOutput, DeduplicateIds, GetGrades,
    IgnorePattern, LimitOutput, OverwriteCells, OverwriteKernelspec, SaveAutoGrades,
)

from autograder import resume  # noqa: E402
from autograder.preprocessors.cap_outputs import CapOutputs  # noqa: E402
from autograder.preprocessors.grade_in_sandbox import GradeInSandbox  # noqa: E402
from autograder.preprocessors.repair_metadata import RepairMetadata  # noqa: E402
from autograder.preprocessors.restore_grade_cells import RestoreGradeCells  # noqa: E402
from autograder.sanitize import FeedbackCSS, FeedbackSanitizeHTML  # noqa: E402

c = get_config()  # noqa: F821 (provided by traitlets)

c.CourseDirectory.course_id = "d2l-conv2d"
c.CourseDirectory.release_directory = "assignments"

c.ClearSolutions.code_stub = {"python": "# 请在这里写你的代码\nraise NotImplementedError('请完成这一部分')"}

# A corrupt submission costs only itself: invalid nbgrader metadata is dropped
# (nbgrader would abort the whole batch on it) and deleted grade cells come back
# from the release, so every part is graded from the student's functions.
c.Autograde.sanitize_preprocessors = [
    RepairMetadata,
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    RestoreGradeCells,
    RepairMetadata,  # again: DeduplicateIds leaves `{}` on a duplicated cell, which CheckCellMetadata rejects
    CheckCellMetadata,
]

c.Autograde.autograde_preprocessors = [
    GradeInSandbox,
    CapOutputs,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    RepairMetadata,
    CheckCellMetadata,
]

# A batch killed half-way (SIGKILL, power loss) resumes with a plain re-run of
# `nbgrader autograde`: the submission that was being graded is graded again.
resume.install()

# Sandbox limits (see autograder/preprocessors/grade_in_sandbox.py for each knob).
c.GradeInSandbox.memory_limit = 4 << 30
c.GradeInSandbox.cpu_time_limit = 600
c.GradeInSandbox.max_processes = 64
c.GradeInSandbox.cell_timeout = 60
c.GradeInSandbox.notebook_timeout = 300
c.GradeInSandbox.call_timeout = 30
c.GradeInSandbox.part_time_budget = 300

# Feedback never shows a hidden-test block, and no HTML or JavaScript that a
# student's cells produced (or wrote into markdown) can run in the feedback page.
# FeedbackSanitizeHTML is SanitizeHTML with its strict defaults for every cell a
# student wrote; only the grader-written grade-cell outputs may keep the feedback
# tables (ag-* classes); FeedbackCSS styles them (autograder/sanitize.py).
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, FeedbackSanitizeHTML,
                                    CSSHTMLHeaderPreprocessor, FeedbackCSS]
c.SanitizeHTML.enabled = True
c.HTMLExporter.sanitize_html = True

# `nbgrader export` adds a status column: a submission that could not be graded
# (time limit, crash) is flagged as such, never shown as a plain 0.
c.ExportApp.plugin_class = "autograder.export.StatusCsvExportPlugin"

# `nbgrader zip_collect conv2d`: submissions downloaded from an LMS (a zip, or
# the notebooks themselves) go into downloaded/conv2d/archive/; nbgrader unpacks
# them into downloaded/conv2d/extracted/ and copies each into
# submitted/<student_id>/conv2d/. A file is named
# <student_id>_<YYYYMMDDTHHMMSS>_<notebook>.ipynb, e.g.
# ada_correct_20261126T093000_conv2d.ipynb (the timestamp becomes the
# submission time; with two files of one student the newer wins). Adapt the
# pattern to your LMS's download names; it sees the full path of each file.
c.FileNameCollectorPlugin.named_regexp = (
    r"^(?:.*/)?(?P<student_id>[A-Za-z0-9][A-Za-z0-9_.-]*?)_(?P<timestamp>\d{8}T\d{6})_"
    r"(?P<file_id>[A-Za-z0-9_-]+)\.ipynb$"
)
