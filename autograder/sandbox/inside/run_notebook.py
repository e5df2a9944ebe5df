"""Execute a student's notebook inside the sandbox, then serve probes from its kernel.

Usage (only ever run by the grader, inside bubblewrap)::

    python run_notebook.py NOTEBOOK EXECUTED SOCKET CELL_TIMEOUT

The executed notebook is rewritten after every cell, so a submission that
hangs half-way still leaves the outputs it produced. A cell that kills its
kernel (``os._exit``, a crash) or keeps running after the interrupt that ends
its time (a loop that swallows ``KeyboardInterrupt``) costs only that cell:
the runner starts a fresh kernel, runs the cells before it again, and goes on
without it, so the parts defined elsewhere can still be graded. The kernel
is started and warmed (TensorFlow imported) before the notebook arrives, so
a sandbox can be started ahead of need. When the last cell has run, the
kernel connects to the grader's socket and answers probe requests (see
``kernel_server.py``) until the grader closes the channel and stops the sandbox.
"""
import asyncio
import json
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

HERE = os.path.dirname(os.path.abspath(__file__))

SERVE = (
    "import sys as _ag_sys\n"
    "_ag_sys.path.insert(0, {here!r})\n"
    "import kernel_server as _ag_server\n"
    "_ag_sys.path.remove({here!r})\n"
    "_ag_server.serve({socket!r})\n"
)

#: Output a cell may keep in the executed notebook. The grader caps again what it
#: shows; this bound keeps a print loop from filling the runner's memory and disk.
MAX_CELL_OUTPUT_BYTES = 1 << 20
#: Seconds an interrupted cell has to give control back before its kernel is replaced.
INTERRUPT_GRACE = 5.0
#: Fresh kernels one notebook may need before the runner gives up on the rest.
MAX_RESTARTS = 3


class CellKilledKernel(Exception):
    """The cell ended its kernel, or would not stop when interrupted."""


class CappedClient(NotebookClient):
    """nbclient that keeps at most ``MAX_CELL_OUTPUT_BYTES`` of each cell's output."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_bytes = {}
        self.dropped_bytes = {}

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        used = self.output_bytes.get(cell_index, 0) + size
        self.output_bytes[cell_index] = used
        if used > MAX_CELL_OUTPUT_BYTES and msg["msg_type"] != "error":
            self.dropped_bytes[cell_index] = self.dropped_bytes.get(cell_index, 0) + size
            return None
        return super().output(outs, msg, display_id, cell_index)


def error_output(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def merge_streams(cell):
    """Join adjacent stream outputs of the same name.

    How a cell's prints are split into messages depends on timing (the
    kernel flushes its buffers on a clock); joined, the outputs are the same
    on every run, so a regrade or a parallel run shows identical feedback.
    """
    if cell.get("cell_type") != "code":
        return  # a markdown cell must not gain an "outputs" key: the notebook would not validate
    merged = []
    for output in cell.get("outputs", []):
        last = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and last is not None
                and last.get("output_type") == "stream" and last.get("name") == output.get("name")):
            last["text"] += output.get("text", "")
        else:
            merged.append(output)
    cell["outputs"] = merged


def save(nb, path):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.replace(tmp, path)


async def answered(client, code, seconds):
    """Run ``code`` silently; whether the kernel replied within ``seconds``."""
    msg_id = client.kc.execute(code, store_history=False, silent=True)
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return False
        try:
            msg = await client.kc.get_shell_msg(timeout=remaining)
        except Exception:  # queue.Empty on timeout; anything else means no answer either
            return False
        if msg["parent_header"].get("msg_id") == msg_id:
            return True


async def responsive(client, seconds):
    """Whether the kernel answers a no-op within ``seconds`` (after an interrupt)."""
    return await answered(client, "pass", seconds)


async def run_cell(client, cell, index, cell_timeout):
    """Execute one cell; raise ``CellKilledKernel`` when its kernel cannot go on."""
    try:
        await client.async_execute_cell(cell, index)
    except CellTimeoutError:
        cell.outputs.append(error_output(
            "TimeoutError", f"this cell ran longer than {cell_timeout:g} s and was interrupted"))
        await client.km.interrupt_kernel()
        if not await responsive(client, INTERRUPT_GRACE):
            cell.outputs[-1] = error_output(
                "TimeoutError", f"this cell ran longer than {cell_timeout:g} s and did not stop "
                "when interrupted; the grader skipped it")
            raise CellKilledKernel()
    except DeadKernelError:
        cell.outputs.append(error_output(
            "KernelDied", "the kernel stopped while running this cell (os._exit, a crash, or the "
            "memory limit); the grader skipped it"))
        raise CellKilledKernel()
    dropped = client.dropped_bytes.pop(index, 0)
    if dropped:
        cell.outputs.append(nbformat.v4.new_output(
            "stream", name="stdout", text=f"\n[... {dropped} bytes of output omitted ...]\n"))
    merge_streams(cell)


def new_client(nb, notebook, cell_timeout):
    return CappedClient(
        nb,
        timeout=cell_timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=False,  # run_cell interrupts, then checks the kernel recovered
        record_timing=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(notebook))}},
    )


#: What every kernel imports before the notebook's first cell, without binding a
#: name: the notebook's own imports then cost nothing, and a sandbox started
#: ahead of need (``session.prestart``) is ready the moment its notebook arrives.
#: Every kernel is warmed the same way, ahead or not, so outputs never depend on it.
WARM_UP = "__import__('numpy'); __import__('tensorflow')"


async def warm(client, seconds=120.0):
    """Import the heavy libraries in the kernel, silently (no output, no execution count).

    A warm-up that fails or does not answer in time is not an error: the
    notebook's own imports then do the work (and report any problem).
    """
    await answered(client, WARM_UP, seconds)


async def arrival(notebook, poll=0.02):
    """The notebook, once the grader has put it in place (it renames it in, whole)."""
    while not os.path.exists(notebook):
        await asyncio.sleep(poll)
    return nbformat.read(notebook, as_version=4)


async def run(notebook, executed, socket_path, cell_timeout):
    nb = None
    skipped = set()
    for _ in range(MAX_RESTARTS + 1):
        client = new_client(nb if nb is not None else nbformat.v4.new_notebook(), notebook, cell_timeout)
        async with client.async_setup_kernel():
            await warm(client)
            if nb is None:
                nb = client.nb = await arrival(notebook)
            try:
                for index, cell in enumerate(nb.cells):
                    if index not in skipped:
                        await run_cell(client, cell, index, cell_timeout)
                    save(nb, executed)
            except CellKilledKernel:
                # The cells before it run again in a fresh kernel; this one never does.
                skipped.add(index)
                save(nb, executed)
                continue
            await serve(client, socket_path)
            return 0
    print("kernel died too often", file=sys.stderr)
    return 3


async def serve(client, socket_path):
    """Serve probes until the grader closes the channel; the reply only comes when serve() returns."""
    msg_id = client.kc.execute(SERVE.format(here=HERE, socket=socket_path), store_history=False)
    while True:
        msg = await client.kc.get_shell_msg(timeout=None)
        if msg["parent_header"].get("msg_id") == msg_id:
            break


def main():
    notebook, executed, socket_path, cell_timeout = sys.argv[1:5]
    sys.exit(asyncio.run(run(notebook, executed, socket_path, float(cell_timeout))))


if __name__ == "__main__":
    main()
