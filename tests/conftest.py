"""Shared fixtures: a throwaway copy of the course, and the nbgrader commands run in it."""
import os
import shutil
import subprocess
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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
