"""Benchmark: grading time per submission, this project against stock nbgrader and plain execution.

Grades cohorts made from the demo class (``--sizes 7 20 200``: that many
submissions, cycling through its students) several ways, on the same
notebooks, in one run:

* plain:        executing each notebook with nbclient, one after another (the
                floor: no sandbox, no checks), and the same with ``--jobs``
                notebooks at a time;
* stock:        ``nbgrader autograde`` with nbgrader's default pipeline (its
                ``Execute`` preprocessor; only the visible tests run);
* ours serial:  ``nbgrader autograde`` with this course's configuration
                (sandbox + hidden checks at full strength);
* ours --jobs:  ``python -m autograder grade --jobs N`` (and with ``--dask``,
                the same on an embedded Dask LocalCluster).

For each: total time, time per submission, throughput, the ratio to plain
serial execution, and peak memory (the largest sum of the resident memory of
every process the pipeline ran, sampled, and the largest single process).

    python -m autograder.bench --sizes 7 20 --jobs 2     # make bench BENCH_ARGS="--sizes 20"

A benchmark, not a test: it prints figures, it asserts nothing.
"""
import argparse
import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import nbformat
from nbclient import NotebookClient

from . import demo

ROOT = demo.ROOT
STOCK_CONFIG = '''c = get_config()
c.CourseDirectory.course_id = "bench-stock"
c.CourseDirectory.release_directory = "assignments"
'''


def make_course(path, stock):
    os.makedirs(path)
    for name in ("source", "assignments"):
        shutil.copytree(os.path.join(ROOT, name), os.path.join(path, name))
    if stock:
        with open(os.path.join(path, "nbgrader_config.py"), "w") as f:
            f.write(STOCK_CONFIG)
    else:
        shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), path)
        shutil.copytree(os.path.join(ROOT, "autograder"), os.path.join(path, "autograder"),
                        ignore=shutil.ignore_patterns("__pycache__"))
    return path


def cohort(course, size):
    """Write ``size`` submissions into ``course/submitted``, cycling through the demo class."""
    release = os.path.join(course, "assignments", demo.ASSIGNMENT, f"{demo.ASSIGNMENT}.ipynb")
    class_dir = os.path.join(ROOT, "demo", "class")
    students = []
    for name in sorted(os.listdir(class_dir)):
        if name.endswith(".py"):
            with open(os.path.join(class_dir, name), encoding="utf-8") as f:
                students.append((name[:-3], demo.build_submission(release, f.read())))
    paths = []
    for i in range(size):
        name, nb = students[i % len(students)]
        out = os.path.join(course, "submitted", f"{name}_{i // len(students)}", demo.ASSIGNMENT)
        os.makedirs(out)
        path = os.path.join(out, f"{demo.ASSIGNMENT}.ipynb")
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def _env():
    return dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])


def run_nbgrader(course, *args):
    subprocess.run(["nbgrader", *args], cwd=course, env=_env(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_parallel(course, *args):
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", demo.ASSIGNMENT, *args],
                          cwd=course, env=_env(), check=True, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    # Its last line splits the time: grading ahead, then nbgrader writing the gradebook.
    summary = [line for line in proc.stderr.splitlines() if line.startswith("graded ahead:")]
    print("    " + (summary[-1] if summary else "(no summary)"), flush=True)


class MemorySampler:
    """Peak resident memory of every process below this one, sampled every ``interval`` s."""

    def __init__(self, interval=0.5):
        import psutil
        self._psutil = psutil
        self.interval = interval
        self.peak_total = 0
        self.peak_single = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = self._psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in me.children(recursive=True):
                try:
                    rss = proc.memory_info().rss
                except self._psutil.Error:
                    continue
                total += rss
                self.peak_single = max(self.peak_single, rss)
            self.peak_total = max(self.peak_total, total)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def timed(fn):
    with MemorySampler() as memory:
        start = time.monotonic()
        fn()
        seconds = time.monotonic() - start
    return seconds, memory.peak_total, memory.peak_single


def quiet_stderr(fn):
    """Run ``fn`` with file descriptor 2 sent to /dev/null (kernels inherit it: TF's log lines)."""
    def run():
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            fn()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
    return run


def _execute(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": os.path.dirname(path)}}).execute()


def plain_execution(paths, jobs=1):
    if jobs == 1:
        for path in paths:
            _execute(path)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(_execute, paths))


def part_times(course):
    """``{part: [(check seconds, of which waiting for the student's code), ...]}`` and
    ``[notebook seconds, ...]`` from the grader's results files."""
    times, notebooks = {}, []
    for path in glob.glob(os.path.join(course, "autograded", "*", demo.ASSIGNMENT, "*.autograder.json")):
        with open(path, encoding="utf-8") as f:
            parts = json.load(f)
        for name, part in parts.items():
            times.setdefault(name, []).append((part["seconds"], part.get("student_seconds", 0.0)))
        notebooks.append(max((p.get("notebook_seconds", 0.0) for p in parts.values()), default=0.0))
    return times, notebooks


def mean(values):
    return sum(values) / len(values) if values else 0.0


def print_part_times(course):
    """Where a submission's time goes: the notebook, then each part's checks split
    into the student's own code answering (the floor at this strength) and the
    grader's work around it. Returns the student's share, seconds per submission."""
    times, notebooks = part_times(course)
    print(f"\n{'per submission (serial run), mean s':36} {'checks':>7} {'student':>8} {'grader':>7} {'max':>6}")
    print(f"{'notebook executed in the sandbox':36} {mean(notebooks):7.2f} {'':>8} {'':>7} "
          f"{max(notebooks, default=0):6.2f}")
    total = [0.0, 0.0]
    for name, values in sorted(times.items()):
        checks, student = mean([v[0] for v in values]), mean([v[1] for v in values])
        total[0] += checks
        total[1] += student
        print(f"{name:36} {checks:7.2f} {student:8.2f} {checks - student:7.2f} "
              f"{max(v[0] for v in values):6.2f}")
    print(f"{'all hidden checks':36} {total[0]:7.2f} {total[1]:8.2f} {total[0] - total[1]:7.2f}")
    return total[1]


def scores(course):
    """``{student: {part: score}}`` from the results files, to check that pipelines agree."""
    out = {}
    for path in glob.glob(os.path.join(course, "autograded", "*", demo.ASSIGNMENT, "*.autograder.json")):
        student = path.split(os.sep)[-3]
        with open(path, encoding="utf-8") as f:
            out[student] = {name: part["score"] for name, part in json.load(f).items()}
    return out


def bench_size(work, size, jobs, pipelines):
    """One cohort of ``size`` submissions through every pipeline; returns the rows."""
    folder = os.path.join(work, f"n{size}")
    courses = {}

    def course(label, stock=False):
        path = make_course(os.path.join(folder, label), stock=stock)
        run_nbgrader(path, "generate_assignment", demo.ASSIGNMENT, "--force")
        paths = cohort(path, size)
        courses[label] = path
        return path, paths

    runs = []
    if "plain" in pipelines:
        _, paths = course("plain", stock=True)
        runs.append(("plain execution (nbclient, no checks), serial",
                     quiet_stderr(lambda: plain_execution(paths))))
        if jobs > 1:
            runs.append((f"plain execution, {jobs} at a time",
                         quiet_stderr(lambda: plain_execution(paths, jobs))))
    if "stock" in pipelines:
        stock, _ = course("stock", stock=True)
        runs.append(("stock nbgrader autograde (visible tests only), serial",
                     lambda: run_nbgrader(stock, "autograde", demo.ASSIGNMENT, "--force")))
    if "serial" in pipelines:
        ours, _ = course("serial")
        runs.append(("this project: nbgrader autograde, serial",
                     lambda: run_nbgrader(ours, "autograde", demo.ASSIGNMENT, "--force")))
    if "jobs" in pipelines:
        par, _ = course("jobs")
        runs.append((f"this project: python -m autograder grade --jobs {jobs}",
                     lambda: run_parallel(par, "--jobs", str(jobs), "--force")))
    if "dask" in pipelines:
        dsk, _ = course("dask")
        runs.append((f"this project: python -m autograder grade --dask --jobs {jobs}",
                     lambda: run_parallel(dsk, "--dask", "--jobs", str(jobs), "--force")))
    rows = []
    for label, fn in runs:
        print(f"  running: {label} ...", flush=True)
        rows.append((label, *timed(fn)))
    graded = {label: scores(path) for label, path in courses.items() if label in ("serial", "jobs", "dask")}
    if len(graded) > 1:
        first = next(iter(graded.values()))
        same = all(g == first for g in graded.values())
        print(f"  scores identical across {', '.join(graded)}: {same}")
    student = None
    if "serial" in courses:
        student = print_part_times(courses["serial"])
    return rows, student


def print_rows(size, rows, student=None):
    """The table; with plain execution and the serial run, also the floor: what
    no grader can go below at this strength, plain execution plus the time the
    student's own code takes to answer the hidden examples."""
    base = rows[0][1] if rows and rows[0][0].startswith("plain execution (") else None
    print(f"\ncohort of {size} submissions")
    print(f"{'pipeline':62} {'total s':>8} {'s/sub':>6} {'sub/min':>7} {'x plain':>7} "
          f"{'peak MiB':>8} {'1 proc':>7}")
    for label, seconds, total, single in rows:
        ratio = f"{seconds / base:7.2f}" if base else f"{'-':>7}"
        print(f"{label:62} {seconds:8.1f} {seconds / size:6.2f} {60 * size / seconds:7.1f} {ratio} "
              f"{total / 2**20:8.0f} {single / 2**20:7.0f}")
    if base and student is not None:
        floor = base / size + student
        print(f"floor, serial (plain execution + the student's code answering the checks): "
              f"{floor:.2f} s/sub, {floor * size / base:.2f} x plain")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grading time: this project against stock nbgrader.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[7],
                        help="cohort sizes, submissions cycling through the demo class (default 7)")
    parser.add_argument("--copies", type=int, default=None,
                        help="(old form) one cohort of COPIES x the demo class")
    parser.add_argument("--jobs", type=int, default=2, help="concurrency of the parallel pipelines (default 2)")
    parser.add_argument("--pipelines", default="plain,stock,serial,jobs",
                        help="comma-separated subset of plain,stock,serial,jobs,dask (default: all but dask)")
    args = parser.parse_args(argv)
    sizes = [7 * args.copies] if args.copies else args.sizes
    pipelines = set(args.pipelines.split(","))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
          f"Python {platform.python_version()}; load average at start {os.getloadavg()[0]:.1f}", flush=True)
    work = tempfile.mkdtemp(prefix="autograder-bench-")
    try:
        for size in sizes:
            print(f"\ncohort of {size}:", flush=True)
            rows, student = bench_size(work, size, args.jobs, pipelines)
            print_rows(size, rows, student)
            sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
