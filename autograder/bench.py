"""Benchmark: grading time per submission, this project against stock nbgrader.

Grades a cohort of N copies of the demo class three ways, on the same
notebooks, in one run:

* plain:  executing each notebook with nbclient, one after another (the floor:
          no sandbox, no checks);
* stock:  ``nbgrader autograde`` with nbgrader's default pipeline (its
          ``Execute`` preprocessor; only the visible tests run);
* ours:   ``nbgrader autograde`` with this course's configuration (sandbox +
          hidden checks at full strength).

    python -m autograder.bench --copies 1      # make bench BENCH_ARGS="--copies 3"

A benchmark, not a test: it prints figures, it asserts nothing.
"""
import argparse
import glob
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

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


def cohort(course, copies):
    """Write ``copies`` copies of the demo class into ``course/submitted``."""
    release = os.path.join(course, "assignments", demo.ASSIGNMENT, f"{demo.ASSIGNMENT}.ipynb")
    class_dir = os.path.join(ROOT, "demo", "class")
    paths = []
    for name in sorted(os.listdir(class_dir)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(class_dir, name), encoding="utf-8") as f:
            nb = demo.build_submission(release, f.read())
        for i in range(copies):
            out = os.path.join(course, "submitted", f"{name[:-3]}_{i}", demo.ASSIGNMENT)
            os.makedirs(out)
            path = os.path.join(out, f"{demo.ASSIGNMENT}.ipynb")
            nbformat.write(nb, path)
            paths.append(path)
    return paths


def run_nbgrader(course, *args):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    subprocess.run(["nbgrader", *args], cwd=course, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(fn):
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def plain_execution(paths):
    # The kernels inherit this process's stderr: keep TensorFlow's log lines
    # out of the benchmark's report.
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        _execute_all(paths)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _execute_all(paths):
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": os.path.dirname(path)}}).execute()


def print_part_times(course):
    """Time spent in each part's hidden checks, from the grader's results files."""
    times = {}
    for path in glob.glob(os.path.join(course, "autograded", "*", demo.ASSIGNMENT, "*.autograder.json")):
        with open(path, encoding="utf-8") as f:
            for name, part in json.load(f).items():
                times.setdefault(name, []).append(part["seconds"])
    print(f"\n{'hidden checks per part':30} {'mean s':>7} {'max s':>7}")
    for name, values in sorted(times.items()):
        print(f"{name:30} {sum(values) / len(values):7.2f} {max(values):7.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grading time: this project against stock nbgrader.")
    parser.add_argument("--copies", type=int, default=1, help="copies of the demo class (default 1)")
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="autograder-bench-")
    try:
        stock = make_course(os.path.join(work, "stock"), stock=True)
        ours = make_course(os.path.join(work, "ours"), stock=False)
        for course in (stock, ours):
            run_nbgrader(course, "generate_assignment", demo.ASSIGNMENT, "--force")
        paths = cohort(stock, args.copies)
        cohort(ours, args.copies)
        n = len(paths)
        print(f"cohort: {n} submissions ({args.copies} x demo class); machine: "
              f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        figures = {
            "plain execution (nbclient, no checks)": timed(lambda: plain_execution(paths)),
            "stock nbgrader autograde (visible tests only)":
                timed(lambda: run_nbgrader(stock, "autograde", demo.ASSIGNMENT, "--force")),
            "this project: nbgrader autograde (sandbox + hidden checks)":
                timed(lambda: run_nbgrader(ours, "autograde", demo.ASSIGNMENT, "--force")),
        }
        plain = figures["plain execution (nbclient, no checks)"]
        print(f"{'':60} {'total s':>8} {'s/sub':>7} {'x plain':>8}")
        for label, seconds in figures.items():
            print(f"{label:60} {seconds:8.1f} {seconds / n:7.2f} {seconds / plain:8.2f}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory of one child process: {peak:.0f} MiB")
        print_part_times(ours)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
