"""Grade a whole class concurrently, with nbgrader still the only writer of the gradebook.

``python -m autograder grade ASSIGNMENT --jobs N`` works in two phases:

1. **Concurrent grading.** For every submission, this process applies
   nbgrader's own sanitising preprocessors (the notebook ``GradeInSandbox``
   will receive, locked cells restored from the gradebook, which is only
   read), hashes it, and hands it to a worker: a local process pool, or the
   workers of a Dask cluster (``--scheduler``). Each worker grades with
   ``GradeInSandbox.grade`` (one sandbox per submission, TensorFlow imported
   once per worker) and returns plain JSON; this process writes it as a cache
   entry (``autograder/cache.py``) in the course folder.
2. **One writer.** ``nbgrader autograde ASSIGNMENT`` runs as usual, serially,
   with ``--GradeInSandbox.use_cache=True``: each submission whose entry
   matches its notebook and the grader exactly takes it; any other is graded
   in-line. Gradebook, autograded notebooks, feedback and export are
   nbgrader's, exactly as after a serial run.
"""
import ast
import fnmatch
import glob
import json
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

#: One grading at a time per process: pytest, hypothesis and TensorFlow are
#: not made for concurrent use in one interpreter (Dask workers may run tasks
#: on several threads).
_GRADING = threading.Lock()


# -- configuration -------------------------------------------------------------------
def parse_overrides(args):
    """``--Class.trait=value`` command-line options as nested dicts (as nbgrader reads them)."""
    out = {}
    for arg in args:
        if not arg.startswith("--") or "=" not in arg or "." not in arg.split("=", 1)[0]:
            raise SystemExit(f"unsupported option {arg!r}: only --Class.trait=value is passed to nbgrader")
        key, value = arg[2:].split("=", 1)
        cls, trait = key.rsplit(".", 1)
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            pass
        out.setdefault(cls, {})[trait] = value
    return out


def load_config(course, overrides=()):
    """The course's nbgrader configuration, with command-line overrides on top."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    path = os.path.join(course, "nbgrader_config.py")
    if os.path.exists(path):
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=course).load_config())
    config.merge(Config(parse_overrides(overrides)))
    config.CourseDirectory.root = course
    return config


def grader_options(config):
    """GradeInSandbox's option values for this configuration (plain data for the workers)."""
    from .cache import options
    from .preprocessors.grade_in_sandbox import GradeInSandbox
    return options(GradeInSandbox(config=config))


# -- phase 0: what nbgrader will hand to GradeInSandbox --------------------------------
def submissions(config, assignment, student="*"):
    """``[(student, notebook_id, path)]`` of submitted notebooks the gradebook knows."""
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    out = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        known = {nb.name for nb in gb.find_assignment(assignment).notebooks}
    pattern = os.path.join(coursedir.format_path(coursedir.submitted_directory, "*", assignment), "*.ipynb")
    for path in sorted(glob.glob(pattern)):
        name = os.path.basename(os.path.dirname(os.path.dirname(path)))
        notebook = os.path.splitext(os.path.basename(path))[0]
        if fnmatch.fnmatchcase(name, student or "*") and notebook in known:
            out.append((name, notebook, path))
    return out


def up_to_date(config, assignment, student, notebook):
    """nbgrader's rule without --force: a submission already autograded, and not resubmitted since, is skipped."""
    from nbgrader.coursedir import CourseDirectory
    coursedir = CourseDirectory(config=config)
    dest = coursedir.format_path(coursedir.autograded_directory, student, assignment)
    src = coursedir.format_path(coursedir.submitted_directory, student, assignment)
    if not os.path.exists(os.path.join(dest, notebook + ".ipynb")):
        return False
    src_time = coursedir.get_existing_timestamp(src)
    dest_time = coursedir.get_existing_timestamp(dest)
    return not (src_time is not None and dest_time is not None and src_time > dest_time)


def sanitized(config, assignment, student, notebook, path):
    """The notebook exactly as nbgrader autograde gives it to GradeInSandbox."""
    import nbformat
    from nbconvert.exporters import NotebookExporter
    from nbgrader.converters.autograde import Autograde
    from nbgrader.coursedir import CourseDirectory

    exporter = NotebookExporter(config=config)
    for pp in Autograde(config=config).sanitize_preprocessors:
        exporter.register_preprocessor(pp)
    coursedir = CourseDirectory(config=config)
    resources = {"unique_key": notebook, "output_files_dir": f"{notebook}_files",
                 "nbgrader": {"student": student, "assignment": assignment, "notebook": notebook,
                              "db_url": coursedir.db_url}}
    output, _ = exporter.from_filename(path, resources=resources)
    return nbformat.reads(output, as_version=4)


# -- phase 1: the workers' task -------------------------------------------------------
def grade_task(course, nb_json, options, expected_fingerprint):
    """Grade one sanitized notebook (JSON text) in a sandbox; runs in a worker process.

    Returns plain data: the cache entry, or an error. A worker whose grader
    differs from the coordinator's (code, limits, environment) refuses, so the
    submission is graded in-line by nbgrader instead.
    """
    if course not in sys.path:
        sys.path.insert(0, course)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import nbformat

    from . import cache
    from .preprocessors.grade_in_sandbox import GradeInSandbox

    with _GRADING:
        started = time.monotonic()
        pp = GradeInSandbox(**options)
        pp.log.setLevel(logging.WARNING)
        fp = cache.fingerprint(pp)
        if fp != expected_fingerprint:
            return {"error": "this worker's grader differs from the coordinator's "
                             "(autograder code, limits or package versions)"}
        nb = nbformat.reads(nb_json, as_version=4)
        digest = cache.notebook_digest(nb)
        graded, results = pp.grade(nb)
        entry = cache.make_entry(digest, fp, graded, results)
        entry["seconds"] = round(time.monotonic() - started, 3)
        return {"entry": entry}


# -- executors ----------------------------------------------------------------------
def _worker_init(course):
    if course not in sys.path:
        sys.path.insert(0, course)


class _DaskPool:
    """A Dask cluster seen as a concurrent.futures executor."""

    def __init__(self, scheduler, jobs, course):
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler in (None, "local"):
            # One task per worker process: the grading is not thread-safe.
            self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            self.client = Client(scheduler)
        # Workers import this package from the course folder (a shared filesystem),
        # and so does the scheduler: it unpickles each task, which names
        # autograder.parallel.grade_task. (A builtin is sent, since nothing of ours
        # can be unpickled there before this has run.)
        add_path = f"import sys\nif {course!r} not in sys.path: sys.path.insert(0, {course!r})"
        self.client.run(exec, add_path)
        self.client.run_on_scheduler(exec, add_path)
        self.executor = self.client.get_executor(pure=False)

    def submit(self, *args, **kwargs):
        return self.executor.submit(*args, **kwargs)

    def shutdown(self):
        self.executor.shutdown(wait=True)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(jobs, scheduler, course, use_dask):
    if use_dask or scheduler:
        return _DaskPool(scheduler, jobs, course)
    import multiprocessing
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init, initargs=(course,))


def summary(results):
    score = sum(p["score"] for p in results.values())
    total = sum(p["max_points"] for p in results.values())
    ungraded = [name for name, p in results.items() if p["status"] != "graded"]
    return f"{score:g}/{total:g}" + (f" (ungraded: {', '.join(ungraded)})" if ungraded else "")


def phase1(course, config, assignment, jobs, scheduler=None, use_dask=False, student="*",
           force=False, progress=True, out=sys.stderr):
    """Grade every submission concurrently into the cache; returns ``{student: status}``."""
    from tqdm import tqdm

    from . import cache
    from .preprocessors.grade_in_sandbox import GradeInSandbox

    pp = GradeInSandbox(config=config)
    fp = cache.fingerprint(pp)
    options = cache.options(pp)
    cache_dir = os.path.join(course, pp.cache_directory)
    todo = [(name, notebook, path) for name, notebook, path in submissions(config, assignment, student)
            if force or not up_to_date(config, assignment, name, notebook)]
    status = {}
    if not todo:
        return status
    executor = make_executor(min(jobs, len(todo)), scheduler, course, use_dask)
    bar = tqdm(total=len(todo), desc="grading", unit="sub", disable=not progress, file=out)

    def done(student, message):
        status[student] = message
        bar.set_postfix_str(f"{student}: {message}"[:70])
        bar.update()
        if progress:
            bar.write(f"  {student}: {message}", file=out)

    try:
        # Each notebook goes out as soon as it is sanitised: workers start at once.
        futures = {}
        for name, notebook, path in todo:
            try:
                nb_json = json.dumps(sanitized(config, assignment, name, notebook, path), ensure_ascii=False)
            except Exception as exc:  # nbgrader will meet (and report) the same problem
                done(name, f"not graded ahead ({type(exc).__name__}: {exc}); left to nbgrader")
                continue
            futures[executor.submit(grade_task, course, nb_json, options, fp)] = (name, notebook)
        for future in as_completed(futures):
            name, notebook = futures[future]
            try:
                reply = future.result()
            except Exception as exc:  # a worker failure: nbgrader grades this one in-line
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            if "entry" in reply:
                cache.write_entry(cache.entry_path(cache_dir, name, assignment, notebook), reply["entry"])
                done(name, f"{summary(reply['entry']['results'])} in {reply['entry']['seconds']:.0f} s")
            else:
                done(name, f"not graded ahead ({reply['error']}); nbgrader grades it in-line")
    finally:
        bar.close()
        executor.shutdown()
    return status


# -- phase 2: nbgrader, the single writer ------------------------------------------------
def phase2(course, assignment, overrides=(), student="*", force=False, progress=True, out=sys.stderr):
    """``nbgrader autograde`` taking the cache; returns (exit code, log text)."""
    from tqdm import tqdm

    args = ["nbgrader", "autograde", assignment, "--GradeInSandbox.use_cache=True", *overrides]
    if force:
        args.append("--force")
    if student and student != "*":
        args.append(f"--student={student}")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.Popen(args, cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    log = []
    bar = tqdm(desc="gradebook", unit="sub", disable=not progress, file=out)
    for line in proc.stdout:
        log.append(line)
        if "Autograding " in line:
            bar.update()
    bar.close()
    return proc.wait(), "".join(log)


def grade(course, assignment, jobs=None, scheduler=None, use_dask=False, overrides=(), student="*",
          force=False, progress=True, out=sys.stderr):
    """Both phases; returns nbgrader's exit code."""
    course = os.path.abspath(course)
    jobs = jobs or os.cpu_count() or 1
    config = load_config(course, overrides)
    started = time.monotonic()
    status = phase1(course, config, assignment, jobs, scheduler, use_dask, student, force, progress, out)
    middle = time.monotonic()
    code, log = phase2(course, assignment, overrides, student, force, progress, out)
    used = log.count("cache: results computed ahead")
    if progress:
        print(f"graded ahead: {len(status)} submissions in {middle - started:.1f} s with "
              f"{jobs} {'Dask workers' if use_dask or scheduler else 'processes'}; nbgrader took "
              f"{used} from the cache and wrote the gradebook in {time.monotonic() - middle:.1f} s",
              file=out)
    if code != 0:
        print(log, file=out)
    return code
