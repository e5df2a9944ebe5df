"""How ``grading`` accounts for a submission's time: the student's code versus the grader's work."""
import time

from autograder import grading
from autograder.local import LocalStudent

from .conftest import notebook_cells


class CountingSession:
    """Stands in for a sandbox: answers through trusted local code, a little slowly."""

    DELAY = 0.003

    def __init__(self, local):
        self.local, self.dead, self.calls = local, None, 0

    def call(self, probe, what=None, **inputs):
        self.calls += 1
        time.sleep(self.DELAY)
        return self.local.call(probe, **inputs)


def test_time_waiting_for_the_student_is_measured_per_part():
    cells = notebook_cells()
    local = LocalStudent(cells["imports"] + "\n" + cells["receptive_field_solution"])
    session = CountingSession(local)
    part = grading.grade(grading.SandboxedStudent(session, local.cells), ["receptive_field"])["receptive_field"]
    assert part.score == part.max_points
    # Every call that reached the "sandbox" is counted, and only those.
    assert part.student_calls == session.calls > 0
    assert part.student_seconds >= session.calls * CountingSession.DELAY
    assert part.student_seconds < part.seconds
    assert part.to_json()["student_seconds"] == round(part.student_seconds, 3)
