"""Shared fixtures: a throwaway copy of the course, and the nbgrader commands run in it."""
import os
import shutil
import subprocess
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # as in the sandbox: the same float32 sums

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: A correct, fast corr2d (numpy sliding windows), for submissions built in the tests.
CORRECT_CORR2D = """\
def corr2d(X, K):
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)
    return np.einsum("ijkl,kl->ij", windows, K)
"""
VENV_BIN = os.path.dirname(sys.executable)


def make_course(path):
    """A course folder like the repository's, without its generated state."""
    os.makedirs(path, exist_ok=True)
    for name in ("source", "assignments", "demo"):
        shutil.copytree(os.path.join(ROOT, name), os.path.join(path, name))
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), path)
    shutil.copytree(os.path.join(ROOT, "autograder"), os.path.join(path, "autograder"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    return path


def nbgrader(course, *args):
    """Run a standard nbgrader command from the course root; fail loudly with its log."""
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run(["nbgrader", *args], cwd=course, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def course_factory(tmp_path_factory):
    def make(name):
        return make_course(str(tmp_path_factory.mktemp(name) / "course"))
    return make


# -- grading code in this process (tests/exercises) ----------------------------------
SOURCE_NOTEBOOK = os.path.join(ROOT, "source", "conv2d", "conv2d.ipynb")


def notebook_cells():
    """The source notebook's nbgrader cells by grade_id, solution markers removed."""
    import nbformat

    cells = {}
    for cell in nbformat.read(SOURCE_NOTEBOOK, as_version=4).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id:
            lines = [line for line in cell.source.splitlines()
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line]
            cells[grade_id] = "\n".join(lines) + "\n"
    return cells


@pytest.fixture(scope="session")
def solutions():
    """``{grade_id: source}`` of the source notebook (imports, *_solution cells, tests)."""
    return notebook_cells()


@pytest.fixture(scope="session")
def grade_part(solutions):
    """``grade_part(code, exercise)``: the PartResult of ``imports + code`` graded in-process.

    Memoised for the session, so a submission shared by several tests is graded once.
    """
    from autograder import grading
    from autograder.local import LocalStudent
    from autograder.session import StudentError

    class MemoisedStudent(LocalStudent):
        """Answers a repeated probe call from memory, as ``grading.SandboxedStudent`` does."""

        def __init__(self, source):
            super().__init__(source)
            self._memo = {}

        def call(self, probe, what=None, **inputs):
            key = grading._memo_key(probe, inputs)
            if key not in self._memo:
                try:
                    self._memo[key] = super().call(probe, **inputs)
                except StudentError as exc:
                    self._memo[key] = exc
            if isinstance(self._memo[key], StudentError):
                raise self._memo[key]
            return dict(self._memo[key])

    cache = {}

    def grade(code, exercise):
        source = solutions["imports"] + "\n" + code
        key = (source, exercise)
        if key not in cache:
            cache[key] = grading.grade(MemoisedStudent(source), [exercise])[exercise]
        return cache[key]
    return grade
