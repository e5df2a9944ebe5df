"""Start a command inside bubblewrap with the grader's limits.

What the sandbox sees: a read-only view of the system directories and of the
Python installation, ``/opt/autograder`` (the few files in ``inside/``, none of
them secret), a private writable ``/scratch`` that holds one notebook, and
nothing else of the host: not the course folder, not ``gradebook.db``, not
other students. No network (a fresh network namespace with only loopback), a
fresh PID namespace that dies with the sandbox, and rlimits on memory, CPU
time, processes and file size. When the grader runs as root, the sandbox runs
as an unprivileged user so that the process limit applies.
"""
import fcntl
import os
import pwd
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass

INSIDE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inside")
MOUNT_POINT = "/opt/autograder"
SCRATCH = "/scratch"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces on this machine."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox; see ``GradeInSandbox`` for the knobs."""

    memory_bytes: int = 4 << 30
    cpu_seconds: int = 600
    max_processes: int = 64
    max_file_bytes: int = 256 << 20


def python_roots():
    """Directories the sandbox needs to run this interpreter and its packages."""
    roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    roots.add(os.path.dirname(os.path.realpath(sys.executable)))
    return sorted(r for r in roots if not r.startswith(tuple(d + "/" for d in SYSTEM_DIRS)))


#: As root, each running sandbox gets its own unprivileged uid (and gid),
#: ``SLOT_UID_BASE + slot``, so that concurrent sandboxes have separate
#: RLIMIT_NPROC budgets (the limit counts every process of the uid). A slot is
#: held with an exclusive lock on a file in ``SLOT_DIR`` (outside every
#: sandbox's view), so graders in several processes on one machine (a process
#: pool, Dask workers) never share a uid. Uids that belong to an account in
#: /etc/passwd, or that still own processes, are skipped.
SLOT_UID_BASE = int(os.environ.get("AUTOGRADER_SLOT_UID_BASE", "61000"))
MAX_SLOTS = 1000
SLOT_DIR = "/run/autograder-slots"


class Slot:
    """An exclusive sandbox uid on this machine while the slot is held (as root only)."""

    def __init__(self, index, fd):
        self.index = index
        self.uid = self.gid = SLOT_UID_BASE + index
        self._fd = fd

    @property
    def user(self):
        return self.uid, self.gid

    def release(self):
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def _uid_in_use(uid):
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return _count_processes(uid) > 0


def acquire_slot():
    """A free sandbox slot as root, or None for an unprivileged grader (user namespaces)."""
    if os.geteuid() != 0:
        return None
    os.makedirs(SLOT_DIR, mode=0o700, exist_ok=True)
    for index in range(MAX_SLOTS):
        fd = os.open(os.path.join(SLOT_DIR, f"{index}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if _uid_in_use(SLOT_UID_BASE + index):
            os.close(fd)
            continue
        return Slot(index, fd)
    raise SandboxUnavailable(f"all {MAX_SLOTS} sandbox uids are in use")


def sandbox_user():
    """The (uid, gid) a sandbox runs as without a slot (nobody as root), or None."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def check_available():
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`, or run `make setup`")


def _parents(path, made):
    """bwrap arguments creating the parents of a mount point, world-traversable.

    Left to itself, bwrap creates them as root-only directories, which the
    unprivileged user inside could not traverse.
    """
    args = []
    parts = path.strip("/").split("/")
    for depth in range(1, len(parts)):
        parent = "/" + "/".join(parts[:depth])
        if parent not in made and parent not in SYSTEM_DIRS:
            made.add(parent)
            args += ["--perms", "0755", "--dir", parent]
    return args


_DEFAULT = object()


def command(argv, scratch, env, user=_DEFAULT):
    """The full command line that runs ``argv`` in a sandbox around ``scratch``."""
    check_available()
    user = sandbox_user() if user is _DEFAULT else user
    cmd = ["bwrap", "--die-with-parent", "--new-session"]
    if user is None:
        cmd += ["--unshare-all", "--cap-drop", "ALL"]
    else:
        # As root, bwrap needs no user namespace; the command inside drops to
        # an unprivileged uid itself (below), which keeps RLIMIT_NPROC in force.
        cmd += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try"]
    cmd += ["--hostname", "sandbox"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            cmd += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            cmd += ["--ro-bind", path, path]
    # /tmp lives in the scratch folder (on disk, under RLIMIT_FSIZE), not in a
    # tmpfs whose pages no rlimit would count. It is mounted before the Python
    # installation, which may itself live under /tmp (a clone in /tmp/...).
    cmd += ["--proc", "/proc", "--dev", "/dev", "--bind", os.path.join(scratch, ".tmp"), "/tmp"]
    made = set()
    for root in python_roots():
        cmd += _parents(root, made) + ["--ro-bind", root, root]
    cmd += _parents(MOUNT_POINT, made) + ["--ro-bind", INSIDE, MOUNT_POINT]
    cmd += ["--bind", scratch, SCRATCH, "--chdir", SCRATCH, "--clearenv"]
    for key, value in sorted(env.items()):
        cmd += ["--setenv", key, value]
    cmd.append("--")
    if user is not None:
        uid, gid = user
        cmd += ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return cmd + list(argv)


def _count_processes(uid):
    count = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def _set_limits(limits, nproc):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_file_bytes, limits.max_file_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def prepare_scratch(scratch, user=_DEFAULT):
    """Make ``scratch`` writable by the sandbox user (and nobody else but the grader)."""
    user = sandbox_user() if user is _DEFAULT else user
    for root, dirs, files in os.walk(scratch):
        for name in [root] + [os.path.join(root, n) for n in dirs + files]:
            if user is not None:
                os.chown(name, *user)
    os.chmod(scratch, 0o700)


def start(argv, scratch, env, limits, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
          user=_DEFAULT):
    """Start ``argv`` in a sandbox; returns the Popen (its own process group)."""
    user = sandbox_user() if user is _DEFAULT else user
    # RLIMIT_NPROC counts every process of the user: for an unprivileged grader
    # that includes its own session, so the budget is on top of what runs now.
    nproc = limits.max_processes + (_count_processes(os.geteuid()) if user is None else 0)
    return subprocess.Popen(
        command(argv, scratch, env, user), stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
        preexec_fn=_set_limits(limits, nproc), start_new_session=True, close_fds=True,
    )
