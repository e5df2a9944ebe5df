"""Grade code in this process, without a sandbox: for the framework's own tests only.

``LocalStudent`` runs trusted code (reference solutions, deliberate mutants)
in a plain namespace and answers probes the way the sandboxed kernel does,
including the round trip through the wire format, so the checks can be
tested quickly against many implementations.
"""
import inspect
import io
import textwrap

from .sandbox.inside import kernel_server, wire
from .session import StudentError


class _Loopback:
    """A socket stand-in that hands a frame straight back."""

    def __init__(self):
        self.buffer = io.BytesIO()

    def sendall(self, data):
        self.buffer.write(data)

    def recv(self, n):
        return self.buffer.read(n)

    def rewind(self):
        self.buffer.seek(0)


class LocalStudent:
    """Trusted code, executed here, answering probes like a sandboxed kernel."""

    def __init__(self, source, cells=None):
        self.namespace = {"__name__": "__student__"}
        exec(compile(source, "<student>", "exec"), self.namespace)
        self.cells = list(cells) if cells is not None else [source]
        self._helpers = {"export": kernel_server.export, "make_input": kernel_server.make_input,
                         "lookup": kernel_server.lookup, "tripwires": kernel_server.tripwires,
                         "np": kernel_server.np}
        self._probes = {}

    def begin_part(self, name, budget):
        """Nothing to restart here: the code runs in this process."""

    def call(self, probe, what=None, **kwargs):
        key = f"{probe.__module__}.{probe.__name__}"
        if key not in self._probes:
            scope = dict(self._helpers)
            exec(textwrap.dedent(inspect.getsource(probe)), scope)
            self._probes[key] = scope[probe.__name__]
        kernel_server.seed_everything(0)
        try:
            with kernel_server._Quiet():
                result = self._probes[key](self.namespace, **kwargs)
        except Exception as exc:
            raise StudentError(type(exc).__name__, f"{type(exc).__name__}: {exc}") from None
        header, arrays = kernel_server._plain(result)
        loop = _Loopback()
        wire.send(loop, header, arrays)
        loop.rewind()
        header, arrays = wire.recv(loop)
        header.update(arrays)
        return header
