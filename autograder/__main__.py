"""The course's own commands, run from the course root.

    python -m autograder grade conv2d                  # --jobs = number of cores
    python -m autograder grade conv2d --jobs 8
    python -m autograder grade conv2d --dask --jobs 4  # an embedded Dask LocalCluster
    python -m autograder grade conv2d --scheduler tcp://scheduler:8786

Grades every submission concurrently, then lets ``nbgrader autograde`` write
the gradebook from the results (see ``autograder/parallel.py``). Options of
the form ``--Class.trait=value`` go to nbgrader too, e.g.
``--GradeInSandbox.cell_timeout=30``.
"""
import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="autograde an assignment concurrently; nbgrader writes the gradebook")
    g.add_argument("assignment")
    g.add_argument("--jobs", "-j", type=int, default=None,
                   help="submissions graded at once (default: the number of cores; "
                        "with --dask, the LocalCluster's workers)")
    g.add_argument("--scheduler", default=None,
                   help="address of a dask.distributed scheduler (tcp://host:8786), or 'local' "
                        "for an embedded LocalCluster")
    g.add_argument("--dask", action="store_true", help="use an embedded Dask LocalCluster")
    g.add_argument("--student", default="*", help="only these students (a glob, as nbgrader's --student)")
    g.add_argument("--force", action="store_true", help="regrade submissions already autograded")
    g.add_argument("--course", default=os.getcwd(), help="course root (default: the current folder)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    args, extra = parser.parse_known_args(argv)
    from . import parallel

    parallel.parse_overrides(extra)  # refuse anything nbgrader would not take as an option
    scheduler = None if args.scheduler == "local" else args.scheduler
    return parallel.grade(args.course, args.assignment, jobs=args.jobs, scheduler=scheduler,
                          use_dask=args.dask or args.scheduler == "local", overrides=extra,
                          student=args.student, force=args.force, progress=not args.quiet)


if __name__ == "__main__":
    sys.exit(main())
