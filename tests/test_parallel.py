"""``python -m autograder grade`` (process pool and Dask) against serial ``nbgrader autograde``.

One small class (a correct solution in another style, a typical mistake, a
blank stub) is graded four times in four copies of the course: serially by
nbgrader, with ``--jobs 2``, on an embedded Dask LocalCluster, and on a Dask
cluster started apart (``dask scheduler`` and ``dask worker`` processes, the
way an instructor runs one) through ``--scheduler``. Grades in the gradebook,
the per-part results and the feedback pages must be the same.
"""
import json
import os
import socket
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import exercises

from .conftest import VENV_BIN, nbgrader

STUDENTS = ("ben_numpy_style", "cai_flipped_kernel", "fei_blank")


def build_class(course):
    from autograder.demo import build_submission
    nbgrader(course, "generate_assignment", "conv2d", "--force")
    release = os.path.join(course, "assignments", "conv2d", "conv2d.ipynb")
    for student in STUDENTS:
        with open(os.path.join(course, "demo", "class", student + ".py"), encoding="utf-8") as f:
            nb = build_submission(release, f.read())
        os.makedirs(os.path.join(course, "submitted", student, "conv2d"))
        nbformat.write(nb, os.path.join(course, "submitted", student, "conv2d", "conv2d.ipynb"))
    return course


def grade_parallel(course, *args):
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ["PATH"])
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "conv2d", *args],
                          cwd=course, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stderr


@pytest.fixture(scope="module")
def serial(course_factory):
    course = build_class(course_factory("serial"))
    nbgrader(course, "autograde", "conv2d")
    nbgrader(course, "generate_feedback", "conv2d")
    return course


@pytest.fixture(scope="module")
def jobs2(course_factory):
    course = build_class(course_factory("jobs2"))
    log = grade_parallel(course, "--jobs", "2")
    nbgrader(course, "generate_feedback", "conv2d")
    return course, log


@pytest.fixture(scope="module")
def dask(course_factory):
    course = build_class(course_factory("dask"))
    log = grade_parallel(course, "--dask", "--jobs", "2")
    nbgrader(course, "generate_feedback", "conv2d")
    return course, log


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler(course_factory, tmp_path_factory):
    """A cluster of its own processes: one scheduler, two single-threaded workers."""
    from distributed import Client
    course = build_class(course_factory("scheduler"))
    address = f"tcp://127.0.0.1:{free_port()}"
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ["PATH"])
    dask = os.path.join(VENV_BIN, "dask")
    work = tmp_path_factory.mktemp("dask-workers")  # workers start outside the course folder
    logs = open(work / "cluster.log", "w")
    cluster = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                 "--no-dashboard"], env=env, cwd=work, stdout=logs, stderr=logs)]
    try:
        cluster.append(subprocess.Popen([dask, "worker", address, "--nworkers", "2", "--nthreads", "1",
                                         "--no-dashboard", "--local-directory", str(work)],
                                        env=env, cwd=work, stdout=logs, stderr=logs))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        log = grade_parallel(course, "--scheduler", address)
        nbgrader(course, "generate_feedback", "conv2d")
        yield course, log
    finally:
        for proc in reversed(cluster):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        logs.close()


def scores(course):
    """Every grade cell's score in gradebook.db, per student."""
    out = {}
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        for student in STUDENTS:
            nb = gb.find_submission_notebook("conv2d", "conv2d", student)
            out[student] = {g.name: (g.auto_score, g.needs_manual_grade) for g in nb.grades}
    return out


def results(course, student):
    with open(os.path.join(course, "autograded", student, "conv2d", "conv2d.autograder.json")) as f:
        data = json.load(f)
    # Timings ("seconds", "notebook_seconds") differ from run to run.
    return {k: {kk: vv for kk, vv in v.items() if not kk.endswith("seconds")} for k, v in data.items()}


def feedback(course, student):
    with open(os.path.join(course, "feedback", student, "conv2d", "conv2d.html"), encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("pipeline", ["jobs2", "dask", "scheduler"])
def test_same_grades_and_feedback_as_serial(serial, pipeline, request):
    course, log = request.getfixturevalue(pipeline)
    # Every submission came from the cache: nbgrader graded none of them again.
    assert f"took {len(STUDENTS)} from the cache" in log, log
    assert scores(course) == scores(serial)
    for student in STUDENTS:
        assert results(course, student) == results(serial, student), student
        assert feedback(course, student) == feedback(serial, student), student
    full = {n: exercises.max_points(exercises.load(n)) for n in exercises.names()}
    assert {n: scores(course)["ben_numpy_style"][n][0] for n in full} == full


@pytest.fixture(scope="module")
def entry_and_notebook(jobs2):
    """A cache entry written by the parallel run, and the notebook it was computed for."""
    from autograder import cache, parallel
    from autograder.preprocessors.grade_in_sandbox import GradeInSandbox
    course, _ = jobs2
    config = parallel.load_config(course)
    path = os.path.join(course, "submitted", "cai_flipped_kernel", "conv2d", "conv2d.ipynb")
    nb = parallel.sanitized(config, "conv2d", "cai_flipped_kernel", "conv2d", path)
    entry = cache.entry_path(os.path.join(course, ".autograder-cache"), "cai_flipped_kernel", "conv2d", "conv2d")
    return entry, nb, GradeInSandbox(config=config)


def test_a_matching_entry_is_used(entry_and_notebook):
    from autograder import cache
    path, nb, pp = entry_and_notebook
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    found = cache.apply_entry(path, nb, cache.fingerprint(pp))
    assert found is not None and found["corr2d"]["score"] < 10
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_an_entry_for_a_changed_notebook_is_not_used(entry_and_notebook):
    from autograder import cache
    path, nb, pp = entry_and_notebook
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "corr2d_solution")
    cell.source = cell.source.replace("K", "K ")
    before = json.dumps(nb)
    assert cache.apply_entry(path, nb, cache.fingerprint(pp)) is None
    assert json.dumps(nb) == before, "a rejected entry must leave the notebook untouched"


def test_an_entry_from_another_grader_is_not_used(entry_and_notebook):
    from autograder import cache
    from autograder.preprocessors.grade_in_sandbox import GradeInSandbox
    path, nb, pp = entry_and_notebook
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    other = GradeInSandbox(config=pp.config, call_timeout=pp.call_timeout + 1)
    assert cache.fingerprint(other) != cache.fingerprint(pp)
    assert cache.apply_entry(path, nb, cache.fingerprint(other)) is None


def test_the_fingerprint_covers_the_grader_code(entry_and_notebook, tmp_path, monkeypatch):
    from autograder import cache
    _, _, pp = entry_and_notebook
    before = cache.fingerprint(pp)
    copy = tmp_path / "autograder"
    import shutil
    shutil.copytree(cache.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / "exercises" / "corr2d.py", "a") as f:
        f.write("\n# a changed check\n")
    monkeypatch.setattr(cache, "PACKAGE_DIR", str(copy))
    assert cache.fingerprint(pp) != before


def test_serial_nbgrader_ignores_the_cache_unless_asked(jobs2):
    from autograder.preprocessors.grade_in_sandbox import GradeInSandbox
    assert GradeInSandbox().use_cache is False


@pytest.mark.skipif(os.geteuid() != 0, reason="per-sandbox uids are for a grader running as root")
def test_concurrent_sandboxes_run_as_distinct_unprivileged_uids():
    """Each running sandbox has its own uid, so RLIMIT_NPROC is a budget per sandbox."""
    from autograder.session import Session

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nprint(os.getuid(), os.getgid())")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    with Session(nb) as first, Session(nb) as second:
        ids = []
        for session in (first, second):
            executed = session.start()
            assert session.dead is None, session.dead
            ids.append(tuple(int(n) for n in executed.cells[0].outputs[0]["text"].split()))
        assert ids[0] != ids[1]
        assert all(uid != 0 and gid != 0 for uid, gid in ids)
        assert first._slot.uid == ids[0][0] and second._slot.uid == ids[1][0]
