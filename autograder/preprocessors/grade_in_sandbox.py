"""Execute a submission in a sandbox and score its grade cells with the hidden checks."""
import copy
import json
import os
import time

from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from nbgrader.utils import is_grade
from traitlets import Bool, Float, Integer, Unicode

from .. import cache, exercises, grading
from ..feedback import render_part, render_unknown
from ..sandbox.bwrap import Limits
from ..session import SandboxConfig, Session, prestart

RESULTS_SUFFIX = ".autograder.json"


class GradeInSandbox(NbGraderPreprocessor):
    """Run the notebook in bubblewrap, then write each grade cell's score and feedback."""

    memory_limit = Integer(4 << 30, help="Address-space limit of every sandboxed process, in bytes.").tag(config=True)
    cpu_time_limit = Integer(600, help="CPU seconds each sandboxed process may use.").tag(config=True)
    max_processes = Integer(64, help="Processes (and threads) the sandbox may run at once.").tag(config=True)
    max_file_size = Integer(256 << 20, help="Largest file the sandbox may write, in bytes.").tag(config=True)
    cell_timeout = Float(60, help="Seconds one notebook cell may run before it is interrupted.").tag(config=True)
    notebook_timeout = Float(300, help="Wall-clock seconds for executing the whole notebook.").tag(config=True)
    call_timeout = Float(30, help="Seconds one call into the student's code may take during the checks.").tag(config=True)
    part_time_budget = Float(300, help="Wall-clock seconds for all checks of one part.").tag(config=True)
    prestart = Bool(True, help="Start the next submission's sandbox (kernel up, TensorFlow imported) "
                    "while this one's hidden checks run, so it is ready when that notebook arrives.").tag(config=True)
    use_cache = Bool(False, help="Take the result `python -m autograder grade` computed ahead for exactly "
                     "this notebook and this grader (autograder/cache.py), instead of grading again.").tag(config=True)
    cache_directory = Unicode(".autograder-cache", help="Where those results live, relative to the "
                              "course root (no sandbox sees it).").tag(config=True)

    def sandbox_config(self):
        return SandboxConfig(
            limits=Limits(memory_bytes=self.memory_limit, cpu_seconds=self.cpu_time_limit,
                          max_processes=self.max_processes, max_file_bytes=self.max_file_size),
            cell_timeout=self.cell_timeout, notebook_timeout=self.notebook_timeout,
            call_timeout=self.call_timeout)

    def preprocess(self, nb, resources):
        results = self.load_cached(nb, resources) if self.use_cache else None
        if results is None:
            nb, results = self.grade(nb)
        self.save_results(results, resources)
        return nb, resources

    def cache_entry_path(self, resources):
        info = resources.get("nbgrader", {})
        if not {"student", "assignment", "notebook"} <= set(info):
            return None
        coursedir = CourseDirectory(config=self.config)
        return cache.entry_path(os.path.join(coursedir.root, self.cache_directory),
                                info["student"], info["assignment"], info["notebook"])

    def load_cached(self, nb, resources):
        """Outputs and results computed ahead for this very notebook, or None (see cache.py)."""
        path = self.cache_entry_path(resources)
        results = cache.apply_entry(path, nb, cache.fingerprint(self), self.log) if path else None
        if results is not None:
            self.log.info("cache: results computed ahead for this notebook (%s)", path)
        return results

    def grade(self, nb):
        """Execute ``nb`` in a sandbox and score it: ``(nb with outputs, {part: result JSON})``."""
        graded = {cell.metadata.nbgrader["grade_id"]: cell for cell in nb.cells
                  if cell.cell_type == "code" and is_grade(cell)}
        names = [name for name in graded if exercises.load(name) is not None]
        # The kernel never sees the hidden-test blocks, only the visible tests.
        runnable = ClearHiddenTests().preprocess(copy.deepcopy(nb), {})[0]
        config = self.sandbox_config()
        session = Session(runnable, config, log=self.log)
        started = time.monotonic()
        try:
            executed = session.start()
            notebook_seconds = time.monotonic() - started
            if self.prestart:
                prestart(config)
            self.log.info("sandbox: notebook executed in %.1f s", notebook_seconds)
            self.copy_outputs(executed, nb)
            if session.dead:
                self.log.warning("sandbox: %s\n%s", session.dead, session.stderr_tail())
            if session.dead:
                # The notebook never reached its end, so there is no kernel to ask.
                results = {name: grading.PartResult.ungraded_part(exercises.load(name), session.dead)
                           for name in names}
            else:
                student = grading.SandboxedStudent(
                    session, [c.source for c in nb.cells if c.cell_type == "code"])
                results = grading.grade(student, names, self.part_time_budget)
            self.log.info("hidden checks: %s", ", ".join(
                f"{name} {result.score:g}/{result.max_points:g} in {result.seconds:.1f} s "
                f"({result.student_seconds:.1f} s in {result.student_calls} calls to the student's code)"
                for name, result in results.items()))
        finally:
            session.close()
        for name, cell in graded.items():
            if name in results:
                cell.outputs = render_part(results[name])
            else:
                cell.outputs = render_unknown(name)
            cell.execution_count = None
        # Each part also records the time the notebook took to run in the sandbox
        # (shared by all parts), for the instructor's report.
        return nb, {name: dict(result.to_json(), notebook_seconds=round(notebook_seconds, 3))
                    for name, result in results.items()}

    def copy_outputs(self, executed, nb):
        """Take the kernel's outputs for the student's own cells, never their source."""
        if executed is None or len(executed.cells) != len(nb.cells):
            return
        for mine, theirs in zip(nb.cells, executed.cells):
            if mine.cell_type != "code" or theirs.cell_type != "code" or mine.get("id") != theirs.get("id"):
                continue
            mine.outputs = theirs.get("outputs", [])
            mine.execution_count = theirs.get("execution_count")

    def save_results(self, data, resources):
        """Write the per-part results (JSON) beside the autograded notebook, for export and reports."""
        info = resources.get("nbgrader", {})
        if not {"student", "assignment", "notebook"} <= set(info):
            return
        names = [info["student"], info["assignment"], info["notebook"]]
        if any(not isinstance(n, str) or n in ("", ".", "..") or "/" in n or "\0" in n for n in names):
            raise ValueError(f"refusing to write results for unsafe names {names!r}")
        coursedir = CourseDirectory(config=self.config)
        path = coursedir.format_path(coursedir.autograded_directory, info["student"], info["assignment"])
        notebook = info["notebook"]
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, notebook + RESULTS_SUFFIX), "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
