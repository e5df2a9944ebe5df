"""Execute a student's notebook inside the sandbox, then serve probes from its kernel.

Usage (only ever run by the grader, inside bubblewrap)::

    python run_notebook.py NOTEBOOK EXECUTED SOCKET CELL_TIMEOUT

The executed notebook is rewritten after every cell, so a submission that
hangs or kills its kernel half-way still leaves the outputs it produced. When
the last cell has run, the kernel connects to the grader's socket and answers
probe requests (see ``kernel_server.py``) until the grader says goodbye.
"""
import asyncio
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


def merge_streams(cell):
    """Join adjacent stream outputs of the same name.

    How a cell's prints are split into messages depends on timing (the
    kernel flushes its buffers on a clock); joined, the outputs are the same
    on every run, so a regrade or a parallel run shows identical feedback.
    """
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


async def run(notebook, executed, socket_path, cell_timeout):
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        record_timing=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(notebook))}},
    )
    async with client.async_setup_kernel():
        for index, cell in enumerate(nb.cells):
            try:
                await client.async_execute_cell(cell, index)
            except CellTimeoutError:
                cell.outputs.append(nbformat.v4.new_output(
                    "error", ename="TimeoutError", evalue=f"cell took longer than {cell_timeout} s",
                    traceback=[f"TimeoutError: cell took longer than {cell_timeout} s"]))
            except DeadKernelError:
                save(nb, executed)
                print("kernel died", file=sys.stderr)
                return 3
            merge_streams(cell)
            save(nb, executed)
        # Serve probes until the grader closes the channel; the reply to this
        # request only comes when serve() returns.
        msg_id = client.kc.execute(SERVE.format(here=HERE, socket=socket_path), store_history=False)
        while True:
            msg = await client.kc.get_shell_msg(timeout=None)
            if msg["parent_header"].get("msg_id") == msg_id:
                break
    return 0


def main():
    notebook, executed, socket_path, cell_timeout = sys.argv[1:5]
    sys.exit(asyncio.run(run(notebook, executed, socket_path, float(cell_timeout))))


if __name__ == "__main__":
    main()
