"""Run the hidden checks of some exercises against one submission, with pytest.

``grade(student, names)`` runs pytest in this (the grader's) process on the
exercise modules, hands each check the ``student`` fixture, and collects one
``PartResult`` per exercise: each property's points, pass or fail, and the
student-facing message of its smallest failing example. A property that could
not be graded (the sandbox hit a limit or died) scores zero and says why; the
part is then flagged, never shown as a plain zero.
"""
import time
from dataclasses import dataclass, field

import pytest

from . import exercises
from .checks import Mismatch
from .session import SandboxGone, StudentError


@dataclass
class PropertyResult:
    name: str
    title: str
    points: float
    passed: bool
    message: str = ""
    ungraded: bool = False
    veto: bool = False
    #: Where to look when this property fails (the check's ``@hint``, else the part's).
    hint: str = ""
    #: The smallest failing example as plain data for the feedback page (see
    #: ``checks.Mismatch``): inputs by name, expected and actual arrays, and
    #: the indices of the entries that differ.
    example: dict = None
    expected: dict = None
    actual: dict = None
    wrong: list = None


@dataclass
class PartResult:
    exercise: str
    title: str
    max_points: float
    properties: list = field(default_factory=list)
    seconds: float = 0.0
    #: Of ``seconds``, the time spent waiting for the student's code to answer
    #: (measured here, round trip included); the rest is the grader's own work
    #: (generating examples, references, messages).
    student_seconds: float = 0.0
    #: Calls made into the student's code (a repeated call is answered from memory).
    student_calls: int = 0
    #: The notebook section to reread, and the anchor of the solution cell in the feedback page.
    hint: str = ""
    anchor: str = ""

    @classmethod
    def for_module(cls, module):
        name = module.EXERCISE
        return cls(name, getattr(module, "TITLE", name), exercises.max_points(module),
                   hint=getattr(module, "HINT", ""),
                   anchor=getattr(module, "SOLUTION_CELL", f"{name}_solution"))

    @classmethod
    def ungraded_part(cls, module, reason):
        """A part none of whose properties could be checked."""
        part = cls.for_module(module)
        part.properties = [PropertyResult(check.__name__, _title(check), getattr(check, "points", 0),
                                          passed=False, ungraded=True, veto=getattr(check, "veto", False),
                                          message=f"无法评分：{reason}")
                           for check in exercises.checks(module)]
        return part

    @property
    def status(self):
        """``graded``, or ``ungraded`` when some property could not be checked."""
        return "ungraded" if self.ungraded else "graded"

    def to_json(self):
        return {"exercise": self.exercise, "title": self.title, "score": self.score,
                "max_points": self.max_points, "status": self.status,
                "seconds": round(self.seconds, 3), "student_seconds": round(self.student_seconds, 3),
                "hint": self.hint, "anchor": self.anchor,
                "properties": [vars(p) for p in self.properties]}

    @property
    def ungraded(self):
        return [p for p in self.properties if p.ungraded]

    @property
    def vetoed(self):
        return [p for p in self.properties if p.veto and not p.passed and not p.ungraded]

    @property
    def score(self):
        if self.vetoed:
            return 0.0
        return float(sum(p.points for p in self.properties if p.passed and not p.veto))


def _title(check):
    doc = (getattr(check, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else check.__name__


class _Collector:
    """A pytest plugin: provides the ``student`` fixture and records outcomes."""

    def __init__(self, student, names, part_budget):
        self._student = student
        self.names = names
        self.part_budget = part_budget
        self.results = {}
        self._current = None

    @pytest.fixture(scope="session")
    def student(self):
        return self._student

    def pytest_collection_modifyitems(self, session, config, items):
        items[:] = [i for i in items if getattr(i.module, "EXERCISE", None) in self.names]

    def pytest_runtest_setup(self, item):
        name = item.module.EXERCISE
        if name != self._current:
            self._current = name
            self._started = time.monotonic()
            self._student.begin_part(name, self.part_budget)
            module = item.module
            self.results[name] = PartResult.for_module(module)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "setup" and report.failed or report.when == "call":
            part = self.results[item.module.EXERCISE]
            check = item.obj
            error = call.excinfo.value if call.excinfo is not None else None
            result = PropertyResult(item.name, _title(check), getattr(check, "points", 0),
                                    passed=error is None, veto=getattr(check, "veto", False))
            gone = _find(error, SandboxGone)
            if isinstance(error, Mismatch):
                result.message = str(error)
                result.hint = getattr(check, "hint", "") or part.hint
                result.example, result.expected = error.example, error.expected
                result.actual, result.wrong = error.actual, error.wrong
            elif gone is not None:
                result.ungraded, result.message = True, f"无法评分：{gone}"
            elif error is not None:
                # A bug in a check or a failure of the grader itself is never the
                # student's fault: flag it for the instructor, do not call it wrong.
                result.ungraded = True
                result.message = f"评分器内部错误（{type(error).__name__}）：请联系助教重新评分。"
            part.properties.append(result)
            part.seconds = time.monotonic() - self._started
            part.student_seconds = getattr(self._student, "part_seconds", 0.0)
            part.student_calls = getattr(self._student, "part_calls", 0)


def _find(error, cls, depth=0):
    """``error`` or the first ``cls`` inside it: hypothesis wraps a sandbox that died
    half-way through an example in ``FlakyFailure`` (the replay did not fail the same way)."""
    if error is None or depth > 5:
        return None
    if isinstance(error, cls):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = _find(inner, cls, depth + 1)
        if found is not None:
            return found
    return _find(error.__cause__, cls, depth + 1)


def grade(student, names, part_budget=300.0):
    """Run the checks of the exercises ``names`` against ``student``.

    ``student`` needs ``cells`` (the code cells' sources), ``call(probe,
    **inputs)`` and ``begin_part(name, budget)``. Returns ``{name: PartResult}``.
    """
    names = [n for n in names if exercises.load(n) is not None]
    if not names:
        return {}
    modules = [exercises.load(n) for n in names]
    collector = _Collector(student, set(names), part_budget)
    args = [m.__file__ for m in modules] + [
        "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:logging",
        "-p", "no:warnings", "-p", "no:stepwise", "-p", "no:doctest", "--noconftest",
        "-o", "python_functions=test_*", "-o", "addopts=", "-o", "testpaths=",
        "-W", "ignore",
    ]
    code = pytest.main(args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the hidden checks could not run (pytest exit code {code})")
    for name, module in zip(names, modules):
        collector.results.setdefault(name, PartResult.for_module(module))
    return {name: collector.results[name] for name in names}


class SandboxedStudent:
    """A submission as the checks see it: its code cells and calls into its sandbox.

    A part starts with a live sandbox: if an earlier part left it dead (a time
    limit, a crash), the notebook is executed again in a fresh one, so one
    broken part does not take the others down. Each part also has a wall-clock
    budget, after which its remaining calls are not made.
    """

    def __init__(self, session, cells):
        self.session = session
        self.cells = cells
        self.deadline = float("inf")
        self.budget = None
        # Properties and shrinking ask the same question again and again (the
        # simplest examples above all); every call starts from the same seeds,
        # so a repeated call would get the same answer.
        self._memo = {}
        self.part_seconds = 0.0
        self.part_calls = 0

    def begin_part(self, name, budget):
        if self.session.dead:
            self.session.start()
        self.budget = budget
        self.deadline = time.monotonic() + budget
        self.part_seconds = 0.0
        self.part_calls = 0

    def call(self, probe, **inputs):
        key = _memo_key(probe, inputs)
        if key in self._memo:
            cached = self._memo[key]
            if isinstance(cached, StudentError):
                raise cached
            return dict(cached)
        if time.monotonic() > self.deadline:
            raise SandboxGone(f"本部分的评分时间（{self.budget:g} 秒）已用完，其余性质未能检查")
        started = time.monotonic()
        try:
            result = self.session.call(probe, **inputs)
        except StudentError as exc:
            self._memo[key] = exc
            raise
        finally:
            self.part_seconds += time.monotonic() - started
            self.part_calls += 1
        self._memo[key] = result
        return dict(result)


def _memo_key(probe, inputs):
    parts = [probe.__module__, probe.__name__]
    for name in sorted(inputs):
        value = inputs[name]
        if hasattr(value, "dtype"):
            parts.append((name, str(value.dtype), value.shape, value.tobytes()))
        else:
            parts.append((name, repr(value)))
    return tuple(parts)
