"""What student code can and cannot do inside the sandbox."""
import os

import nbformat
import numpy as np
import pytest

from autograder.session import SandboxConfig, SandboxGone, Session, StudentError

from .conftest import ROOT


def notebook(*sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def outputs(executed, index):
    return "".join(o.get("text", "") + o.get("ename", "") + o.get("evalue", "")
                   for o in executed.cells[index].outputs)


@pytest.fixture(scope="module")
def probe_session():
    nb = notebook("def double(x):\n    return 2 * x\n",
                  "def slow(x):\n    while True:\n        pass\n")
    with Session(nb, SandboxConfig(call_timeout=3)) as session:
        session.start()
        yield session


def double_probe(ns, x):
    return export(lookup(ns, "double")(x), "y")


def slow_probe(ns, x):
    return export(lookup(ns, "slow")(x), "y")


def missing_probe(ns, x):
    return export(lookup(ns, "nothing_here")(x), "y")


def test_probe_round_trip(probe_session):
    result = probe_session.call(double_probe, x=np.arange(3.0))
    assert result["y_type"] == "numpy.ndarray"
    np.testing.assert_array_equal(result["y"], [0.0, 2.0, 4.0])


def test_student_exception_is_data(probe_session):
    with pytest.raises(StudentError) as err:
        probe_session.call(missing_probe, x=np.zeros(1))
    assert err.value.error_type == "NameError"
    assert "nothing_here" in err.value.message


def test_call_timeout_kills_the_sandbox():
    nb = notebook("def slow(x):\n    while True:\n        pass\n")
    with Session(nb, SandboxConfig(call_timeout=2)) as session:
        session.start()
        with pytest.raises(SandboxGone, match="time limit"):
            session.call(slow_probe, x=np.zeros(1))
        assert session.proc is None or session.proc.poll() is not None


def test_no_network_no_course_files_read_only_system():
    secret = os.path.join(ROOT, "nbgrader_config.py")
    nb = notebook(
        "import socket\ntry:\n    socket.create_connection(('pypi.org', 443), timeout=3)\n    print('NET OPEN')\n"
        "except OSError as e:\n    print('net blocked', e)",
        f"import os\nprint('source visible' if os.path.exists({secret!r}) else 'course hidden')",
        "try:\n    open('/usr/evil', 'w')\n    print('SYSTEM WRITABLE')\nexcept OSError as e:\n    print('read-only', e)",
        "import os\nprint(os.getcwd(), sorted(os.listdir('.')))",
        "open('/scratch/mine.txt', 'w').write('ok'); print('scratch writable')",
    )
    with Session(nb) as session:
        executed = session.start()
    assert "net blocked" in outputs(executed, 0)
    assert "course hidden" in outputs(executed, 1)
    assert "read-only" in outputs(executed, 2)
    assert "submission.ipynb" in outputs(executed, 3)
    assert "scratch writable" in outputs(executed, 4)


def test_memory_limit_stops_the_notebook_not_the_grader():
    from autograder.sandbox.bwrap import Limits
    nb = notebook("import numpy as np\nx = np.ones((1 << 30,), dtype=np.float64)\nprint('ALLOC-OK')",
                  "print('after')")
    with Session(nb, SandboxConfig(limits=Limits(memory_bytes=2 << 30))) as session:
        executed = session.start()
    text = outputs(executed, 0)
    assert "ALLOC-OK" not in text and "MemoryError" in text
    assert "after" in outputs(executed, 1)


def test_processes_are_gone_after_close():
    nb = notebook("import subprocess\np = subprocess.Popen(['sleep', '1000'])\nprint(p.pid)")
    session = Session(nb)
    session.start()
    pid = session.proc.pid
    session.close()
    assert not os.path.exists(f"/proc/{pid}")
    # No process of the sandbox user runs `sleep 1000` any more.
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    assert f.read() != b"sleep\x001000\x00"
            except OSError:
                pass


def test_python_installed_under_tmp_stays_visible(monkeypatch, tmp_path):
    """A course cloned into /tmp keeps its venv there: the sandbox's own /tmp must not hide it."""
    from autograder.sandbox import bwrap
    extra = tmp_path / "fake-venv"
    extra.mkdir()
    (extra / "marker.txt").write_text("visible")
    extra.chmod(0o755)
    for parent in extra.parents:
        if str(parent) == "/tmp":
            break
        parent.chmod(0o755)
    original = bwrap.python_roots
    monkeypatch.setattr(bwrap, "python_roots", lambda: original() + [str(extra)])
    nb = notebook(f"print(open({str(extra / 'marker.txt')!r}).read())")
    with Session(nb) as session:
        executed = session.start()
    assert session.dead is None or "did not" not in session.dead
    assert "visible" in outputs(executed, 0)


def value_probe(ns, name):
    return export(lookup(ns, name), "y")


def test_a_cell_that_kills_its_kernel_costs_only_that_cell():
    nb = notebook("a = 1.0", "import os\nos._exit(1)", "b = 2.0", "print('after', a, b)")
    with Session(nb, SandboxConfig(call_timeout=5)) as session:
        executed = session.start()
        assert session.dead is None
        assert session.call(value_probe, name="b")["y"] == 2.0
    assert "KernelDied" in outputs(executed, 1)
    assert "after 1.0 2.0" in outputs(executed, 3)


def test_a_cell_that_ignores_interrupts_is_skipped():
    nb = notebook(
        "a = 1.0",
        "import time\nwhile True:\n    try:\n        time.sleep(0.2)\n    except KeyboardInterrupt:\n        pass",
        "import time\ntry:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    print('interrupted')\nc = 3.0",
        "print('after', a, c)")
    with Session(nb, SandboxConfig(cell_timeout=3, notebook_timeout=60, call_timeout=5)) as session:
        executed = session.start()
        assert session.dead is None
        assert session.call(value_probe, name="c")["y"] == 3.0
    assert "did not stop" in outputs(executed, 1)
    assert "interrupted" in outputs(executed, 2)   # an interrupt it handles: the cell goes on
    assert "after 1.0 3.0" in outputs(executed, 3)


def test_huge_output_is_capped_in_the_executed_notebook():
    nb = notebook("for _ in range(40):\n    print('x' * 1_000_000)", "print('after')")
    with Session(nb) as session:
        executed = session.start()
        assert session.dead is None
    text = outputs(executed, 0)
    assert len(text) < 2_000_000 and "bytes of output omitted" in text
    assert "after" in outputs(executed, 1)


def test_outputs_of_every_code_cell_come_back_around_markdown():
    nb = notebook("print('first')", "print('second')")
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("# between"))
    with Session(nb) as session:
        executed = session.start()
    assert executed is not None, "the executed notebook did not validate"
    assert "first" in outputs(executed, 0) and "second" in outputs(executed, 2)


def test_a_sandbox_started_ahead_serves_the_next_notebook_and_leaves_no_trace():
    from autograder import session as session_module
    config = SandboxConfig(call_timeout=10)
    # What the student's first cells can see is the same, ahead or not: no warm-up
    # names in the namespace, execution counts from 1, outputs of their own cells only.
    nb = notebook("print(sorted(k for k in globals() if not k.startswith('_')))",
                  "import sys\nprint('tensorflow' in sys.modules)",
                  "def double(x):\n    return 2 * x\n")
    with Session(nb, config) as cold:
        cold_run = cold.start()
    session_module.prestart(config)
    spare = session_module._spare
    spare_pid, spare_scratch = spare.proc.pid, spare.scratch
    try:
        with Session(nb, config) as warm:
            warm_run = warm.start()
            assert warm.proc.pid == spare_pid and session_module._spare is None
            assert warm.call(double_probe, x=np.arange(2.0))["y"].tolist() == [0.0, 2.0]
        for index in range(3):
            assert warm_run.cells[index].outputs == cold_run.cells[index].outputs
        assert "True" in outputs(warm_run, 1)  # imported by the warm-up, before the notebook arrived
        assert warm_run.cells[0].execution_count == 1
        assert not os.path.exists(f"/proc/{spare_pid}") and not os.path.exists(spare_scratch)
        # A spare made for other limits is not used, and closing it leaves nothing behind.
        session_module.prestart(config)
        other_pid, other_scratch = session_module._spare.proc.pid, session_module._spare.scratch
        with Session(nb, SandboxConfig(call_timeout=11)) as session:
            session.start()
            assert session.proc.pid != other_pid
        assert session_module._spare is None
        assert not os.path.exists(f"/proc/{other_pid}") and not os.path.exists(other_scratch)
    finally:
        session_module.close_spare()
    assert session_module._spare is None
