"""The exercises: one module each, holding its reference, strategies, probe and checks.

A module ``autograder/exercises/NAME.py`` grades the source notebook's grade
cell whose nbgrader ``grade_id`` is ``NAME``. It defines ``EXERCISE = NAME``,
a ``TITLE`` for feedback, and pytest + hypothesis checks named ``test_*``
with their points (``@points``) beside them; the points of a module add up
to the grade cell's points (``tests/test_release.py`` checks that).
"""
import importlib
import pkgutil


def names():
    """Every exercise module's name, in a stable order."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load(name):
    """The exercise module for a grade cell's ``grade_id``, or None."""
    if name not in names():
        return None
    return importlib.import_module(f"{__name__}.{name}")


def _first_line(check):
    # A hypothesis test wraps the function it was given; order by that one's line.
    inner = getattr(getattr(check, "hypothesis", None), "inner_test", check)
    return inner.__code__.co_firstlineno


def checks(module):
    """The module's checks, in source order."""
    return sorted((getattr(module, n) for n in dir(module) if n.startswith("test_")), key=_first_line)


def max_points(module):
    return sum(getattr(check, "points", 0) for check in checks(module))
