"""One submission, executed in a sandbox and then driven through a data-only channel.

``Session.start()`` runs the student's notebook inside bubblewrap and returns
the executed notebook (read back as JSON and validated); ``Session.call()``
sends a probe and its inputs to the kernel that ran the notebook and returns
what came back as plain data. A call that hangs or a kernel that dies marks
the session dead with a reason the student can read; ``restart()`` gives the
next part of the grading a fresh sandbox.
"""
import atexit
import inspect
import multiprocessing.util
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field

import nbformat

from .sandbox import bwrap
from .sandbox.inside import wire

SCRATCH_CONTROL = ".autograder"
NOTEBOOK_NAME = "submission.ipynb"


class SandboxGone(Exception):
    """The sandbox stopped answering: time limit, crash, memory or exit."""


class StudentError(Exception):
    """The student's code raised while a probe ran it."""

    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


@dataclass
class SandboxConfig:
    """How a submission is executed; ``GradeInSandbox`` fills it from traitlets."""

    limits: bwrap.Limits = field(default_factory=bwrap.Limits)
    cell_timeout: float = 60.0
    notebook_timeout: float = 300.0
    call_timeout: float = 30.0
    max_notebook_bytes: int = 50 << 20
    python: str = sys.executable


def sandbox_env(config):
    venv_bin = os.path.dirname(config.python)
    return {
        "HOME": bwrap.SCRATCH,
        "TMPDIR": bwrap.SCRATCH + "/.tmp",
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MPLCONFIGDIR": bwrap.SCRATCH + "/.config/matplotlib",
        # Quiet, single-threaded and reproducible TensorFlow: the same numbers on
        # every machine, and no thread pools to multiply the process count.
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": "",
    }


def read_untrusted(directory, relpath, max_bytes):
    """Read a file the sandbox wrote, refusing symlinks, non-files and huge files."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in relpath.split("/")[:-1]:
            new = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = new
        ffd = os.open(relpath.split("/")[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    finally:
        os.close(fd)
    with os.fdopen(ffd, "rb") as f:
        st = os.fstat(f.fileno())
        if not (st.st_mode & 0o170000 == 0o100000):
            raise OSError(f"{relpath} is not a regular file")
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise OSError(f"{relpath} is larger than {max_bytes} bytes")
    return data


class Session:
    """A student's notebook running in a sandbox, answering probes."""

    def __init__(self, nb, config=None, log=None):
        self.nb = nb
        self.config = config or SandboxConfig()
        self.log = log
        self.dead = "not started"
        self.proc = None
        self.scratch = None
        self.channel = None
        self._listener = None
        self._defined = set()
        self.starts = 0
        self.executed = None
        self._slot = None
        self._user = None
        self._stderr = None

    # -- lifecycle -------------------------------------------------------
    def launch(self):
        """Start a sandbox whose kernel warms up (TensorFlow imported) and waits for a notebook."""
        self.scratch = tempfile.mkdtemp(prefix="autograder-")
        control = os.path.join(self.scratch, SCRATCH_CONTROL)
        os.makedirs(os.path.join(self.scratch, ".tmp"))
        os.makedirs(os.path.join(self.scratch, ".config", "matplotlib"))
        os.makedirs(control)
        sock_path = os.path.join(control, "channel.sock")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(sock_path)
        self._listener.listen(1)
        os.chmod(sock_path, 0o666)
        # As root, a uid of its own for this sandbox (see bwrap.acquire_slot).
        self._slot = bwrap.acquire_slot()
        self._user = self._slot.user if self._slot is not None else None
        bwrap.prepare_scratch(self.scratch, self._user)
        inside = f"{bwrap.SCRATCH}/{SCRATCH_CONTROL}"
        argv = [self.config.python, f"{bwrap.MOUNT_POINT}/run_notebook.py",
                f"{bwrap.SCRATCH}/{NOTEBOOK_NAME}", f"{inside}/executed.ipynb",
                f"{inside}/channel.sock", str(self.config.cell_timeout)]
        # The sandbox's own stderr (runner and kernel, TF logs included) goes to a
        # grader-side file: useful in the log when a sandbox fails, never graded.
        self._stderr = tempfile.TemporaryFile()
        self.proc = bwrap.start(argv, self.scratch, sandbox_env(self.config), self.config.limits,
                                stderr=self._stderr, user=self._user)
        return self

    def _adopt(self, spare):
        """Take over a sandbox launched ahead of need by ``prestart``."""
        for name in ("scratch", "_listener", "_slot", "_user", "_stderr", "proc"):
            setattr(self, name, getattr(spare, name))
            setattr(spare, name, None)

    def _deliver(self):
        """Put the notebook where the waiting runner looks for it, whole (written, then renamed in)."""
        path = os.path.join(self.scratch, NOTEBOOK_NAME)
        with open(path + ".part", "w", encoding="utf-8") as f:
            nbformat.write(self.nb, f)
        if self._user is not None:
            os.chown(path + ".part", *self._user)
        os.replace(path + ".part", path)

    def start(self):
        """Execute the notebook in a new sandbox; return the executed notebook or None."""
        self.close()
        self.starts += 1
        self._defined = set()
        spare = take_spare(self.config)
        if spare is not None:
            self._adopt(spare)
        else:
            self.launch()
        started = time.monotonic()
        self._deliver()
        self.dead = self._wait_for_kernel(started + self.config.notebook_timeout)
        self.executed = self._read_executed()
        self.elapsed = time.monotonic() - started
        return self.executed

    def _wait_for_kernel(self, deadline):
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill()
                return (f"the notebook did not finish running within "
                        f"{self.config.notebook_timeout:g} s (an endless loop, or far too slow)")
            ready, _, _ = select.select([self._listener], [], [], min(remaining, 0.1))
            if ready:
                self.channel, _ = self._listener.accept()
                return None
            if self.proc.poll() is not None:
                return self._exit_reason("while the notebook was running")

    def _exit_reason(self, when):
        code = self.proc.returncode
        if code is not None and code < 0:
            sig = signal.Signals(-code).name
            return f"the sandbox was stopped by {sig} {when} (memory, CPU-time or process limit)"
        if code == 3:
            return f"the notebook's kernel died {when} (it crashed, ran out of memory or exited)"
        return f"the notebook's kernel stopped {when} (exit status {code})"

    def stderr_tail(self, limit=4000):
        """The last bytes the sandbox wrote to stderr, for the grader's log."""
        if getattr(self, "_stderr", None) is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - limit))
        return self._stderr.read().decode("utf-8", "replace")

    def _read_executed(self):
        """The executed notebook, validated, or None if it is missing or corrupt."""
        try:
            data = read_untrusted(self.scratch, f"{SCRATCH_CONTROL}/executed.ipynb",
                                  self.config.max_notebook_bytes)
            nb = nbformat.reads(data.decode("utf-8"), as_version=4)
            nbformat.validate(nb)
        except Exception as exc:  # anything wrong with it means: no outputs to show
            if self.log:
                self.log.warning("could not read the executed notebook: %s", exc)
            return None
        return nb

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def close(self):
        """Stop every process of the sandbox at once and delete its scratch folder."""
        # Nothing more is needed from the sandbox (the executed notebook was read
        # when it finished): a polite goodbye and a wait for the kernel to shut
        # down cost 1.3-1.8 s per submission, measured.
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.proc is not None:
            self._kill()
            self.proc = None
        if self._slot is not None:
            self._slot.release()
            self._slot = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
        self.dead = self.dead or "closed"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- probes ------------------------------------------------------------
    def _exchange(self, request, arrays, timeout, what):
        if self.dead:
            raise SandboxGone(self.dead)
        try:
            self.channel.settimeout(timeout)
            wire.send(self.channel, request, arrays)
            reply, out = wire.recv(self.channel)
        except socket.timeout:
            self.dead = f"time limit: {what} took longer than {timeout:g} s"
        except (EOFError, ConnectionError, OSError):
            self.proc.poll()
            self.dead = self._exit_reason(f"during {what}") if self.proc.returncode is not None \
                else f"the notebook's kernel stopped answering during {what} (crash, memory or exit)"
        except wire.WireError as exc:
            self.dead = f"the sandbox sent back data that could not be read ({exc})"
        else:
            return reply, out
        self._kill()
        raise SandboxGone(self.dead)

    def call(self, probe, what="a call to your code", **kwargs):
        """Run ``probe(namespace, **kwargs)`` in the kernel; return its plain-data result."""
        key = f"{probe.__module__}.{probe.__name__}"
        if key not in self._defined:
            source = textwrap.dedent(inspect.getsource(probe))
            reply, _ = self._exchange({"op": "define", "key": key, "name": probe.__name__,
                                       "source": source}, {}, self.config.call_timeout, what)
            if not reply.get("ok"):
                raise RuntimeError(f"probe {key} could not be defined: {reply.get('error')}")
            self._defined.add(key)
        arrays = {k: v for k, v in kwargs.items() if hasattr(v, "dtype")}
        plain = {k: v for k, v in kwargs.items() if k not in arrays}
        reply, out = self._exchange({"op": "call", "probe": key, "kwargs": plain, "seed": 0},
                                    arrays, self.config.call_timeout, what)
        if not reply.pop("ok", False):
            raise StudentError(str(reply.get("error_type", "Error"))[:100],
                               str(reply.get("error", ""))[:2000])
        reply.update(out)
        return reply


# -- sandboxes started ahead of need ----------------------------------------------
#: At most one sandbox, launched while the previous submission's checks run (its
#: ping-pong with the kernel leaves a core idle), and adopted by the next
#: ``Session.start()`` with the same configuration. It has no student code in
#: it until then; each submission still gets a sandbox of its own.
_spare = None
_spare_lock = threading.Lock()


def prestart(config):
    """Launch a sandbox for the next ``Session.start()`` with this ``config``."""
    global _spare
    with _spare_lock:
        if _spare is not None and (_spare.config != config or _spare.proc.poll() is not None):
            _spare.close()
            _spare = None
        if _spare is None:
            _spare = Session(None, config).launch()


def _pop_spare():
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    return spare


def take_spare(config):
    """The waiting sandbox if it fits ``config`` and is alive, else None."""
    spare = _pop_spare()
    if spare is None:
        return None
    if spare.config == config and spare.proc.poll() is None:
        return spare
    spare.close()
    return None


def close_spare():
    """Stop the waiting sandbox, if any (at exit, and in tests)."""
    spare = _pop_spare()
    if spare is not None:
        spare.close()


atexit.register(close_spare)
# Pool workers end with os._exit, which skips atexit; multiprocessing's own
# exit hook still runs (--die-with-parent would stop the sandbox, not delete its folder).
multiprocessing.util.Finalize(None, close_spare, exitpriority=10)
