"""Feedback pages: student markup stays inert, the grader's feedback markup keeps its tables and colours.

``nbgrader generate_feedback`` runs nbconvert's ``SanitizeHTML`` (see
``nbgrader_config.py``). ``FeedbackSanitizeHTML`` keeps its strict defaults
for every cell a student wrote or ran, and allows a few more tags, ``ag-*``
classes and in-page links only in the outputs of code grade cells: those
outputs are written by the grader (``autograder.feedback``), never by the
kernel, and the HTML in them is built with every student-derived string
escaped. The sanitiser runs on them anyway, as a second line of defence.
nbconvert's template then applies its own ``clean_html`` (div, span, pre,
code, a, b, ...; ``class`` and ``id``), which the feedback markup survives
unchanged (it uses no ``<table>``: see ``feedback._table``).

``FeedbackCSS`` adds the stylesheet for those classes to the page's header
(the grader's own CSS, in ``resources["inlining"]["css"]``, which the
feedback template inlines), so the page needs no network and no inline
``style`` attributes, which the sanitisers would strip.
"""
import re

from nbconvert.preprocessors import Preprocessor
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool

from .feedback import TAGS

_CLASSES = re.compile(r"^ag-[a-z-]+( ag-[a-z-]+)*$")
_ID = re.compile(r"^ag-[a-z0-9_-]+$")
_ANCHOR = re.compile(r"^#[A-Za-z0-9_-]+$")


def grader_attribute(tag, name, value):
    """Only ``ag-*`` classes and ids, and links to anchors in the same page."""
    if name == "class":
        return bool(_CLASSES.match(value))
    if name == "id":
        return bool(_ID.match(value))
    return tag == "a" and name == "href" and bool(_ANCHOR.match(value))


def written_by_grader(cell):
    """A code grade cell that is not a solution cell: ``GradeInSandbox`` wrote all its outputs."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


class FeedbackSanitizeHTML(SanitizeHTML):
    """``SanitizeHTML``; the grader's feedback outputs may keep the feedback markup."""

    def preprocess_cell(self, cell, resources, cell_index):
        if not written_by_grader(cell):
            return super().preprocess_cell(cell, resources, cell_index)
        strict = (self.tags, self.attributes)
        self.tags, self.attributes = list(TAGS), grader_attribute
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        finally:
            self.tags, self.attributes = strict


CSS = """
.ag-part { border: 1px solid #d0d7de; border-radius: 6px; margin: 0.5em 0; padding: 0.6em 0.8em;
           font-family: -apple-system, "Segoe UI", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
.ag-part.ag-full { border-left: 6px solid #2da44e; }
.ag-part.ag-partial { border-left: 6px solid #d4a72c; }
.ag-part.ag-zero { border-left: 6px solid #cf222e; }
.ag-part.ag-ungraded { border-left: 6px solid #8250df; }
.ag-head { display: flex; justify-content: space-between; font-size: 1.15em; font-weight: 600;
           margin-bottom: 0.4em; }
.ag-score { white-space: nowrap; margin-left: 1em; }
.ag-full .ag-score { color: #1a7f37; } .ag-zero .ag-score { color: #cf222e; }
.ag-partial .ag-score { color: #9a6700; } .ag-ungraded .ag-score { color: #8250df; }
.ag-reason { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 4px; padding: 0.4em 0.6em;
             margin: 0.3em 0 0.5em; }
.ag-prop { padding: 0.25em 0; border-top: 1px solid #eaeef2; }
.ag-mark { display: inline-block; width: 1.5em; font-weight: bold; }
.ag-pass .ag-mark { color: #1a7f37; } .ag-fail .ag-mark { color: #cf222e; }
.ag-ungraded .ag-mark { color: #8250df; }
.ag-pts { display: inline-block; min-width: 3.5em; color: #57606a; font-family: monospace; }
.ag-example { margin: 0.4em 0 0.3em 2em; padding: 0.4em 0.6em; background: #f6f8fa; border-radius: 4px; }
.ag-label { font-weight: 600; }
.ag-call, .ag-verdict { margin: 0.3em 0; white-space: pre-wrap; }
.ag-verdict { color: #cf222e; }
.ag-row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; margin: 0.3em 0; }
.ag-caption { font-size: 0.9em; margin-bottom: 0.2em; }
.ag-shape { color: #57606a; }
.ag-array { display: inline-table; border-collapse: collapse; margin: 0; font-family: monospace;
             font-size: 0.95em; }
.ag-tr { display: table-row; }
.ag-td { display: table-cell; border: 1px solid #afb8c1; padding: 0.15em 0.45em; text-align: right;
         min-width: 2em; background: #ffffff; }
.ag-expected .ag-td { background: #f0fff4; }
.ag-diff, .ag-td.ag-diff { background: #ffd7d5 !important; color: #a40e26; font-weight: bold;
                           outline: 2px solid #cf222e; }
.ag-legend { font-size: 0.9em; color: #57606a; }
.ag-hint { margin: 0.4em 0 0.2em 0; padding: 0.3em 0.6em; background: #ddf4ff; border-radius: 4px; }
.ag-why { margin: 0.2em 0 0.4em 2em; color: #8250df; white-space: pre-wrap; }
pre.ag-message, pre.ag-repr { white-space: pre-wrap; margin: 0.2em 0; background: none; border: none; }
"""


class FeedbackCSS(Preprocessor):
    """Add the feedback classes' stylesheet to the page header (after ``CSSHTMLHeaderPreprocessor``)."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        resources.setdefault("inlining", {}).setdefault("css", []).append(CSS)
        return nb, resources
