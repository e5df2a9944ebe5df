"""The data-only channel between the grader and a sandboxed kernel.

A frame is a 4-byte big-endian header length, a JSON header, then raw ``.npy``
blobs whose names and sizes the header lists. Nothing else crosses: no pickles,
no code from the sandbox side. Both sides import this file; the grader treats
every frame it receives as hostile data and checks sizes before parsing.

This module is bind-mounted read-only into the sandbox, so it imports nothing
that is not in the standard library or numpy.
"""
import io
import json
import struct

import numpy as np

MAX_HEADER_BYTES = 1 << 20
#: What a single reply may carry in arrays, all blobs together.
MAX_BLOB_BYTES = 64 << 20
#: Array dtypes that may cross: booleans, integers and floats. Object,
#: structured, string and complex arrays are refused before they are read.
ALLOWED_KINDS = "biuf"


class WireError(Exception):
    """A frame that is malformed, too large, or carries something not allowed."""


def _recv_exactly(sock, n):
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise EOFError("channel closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def encode_array(array):
    """Serialise one array as ``.npy`` bytes, refusing object arrays."""
    array = np.asarray(array)
    if array.dtype.kind not in ALLOWED_KINDS:
        raise WireError(f"arrays of dtype {array.dtype} cannot be sent")
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def decode_array(blob):
    """Parse ``.npy`` bytes without ever unpickling, and check the dtype."""
    buf = io.BytesIO(blob)
    try:
        version = np.lib.format.read_magic(buf)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(buf)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(buf)
    except Exception as exc:  # numpy raises ValueError, SyntaxError, ...
        raise WireError(f"unreadable array header: {exc}") from None
    if dtype.kind not in ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"arrays of dtype {dtype} are not accepted")
    count = 1
    for dim in shape:
        count *= dim
    if count * dtype.itemsize != len(blob) - buf.tell():
        raise WireError("array payload does not match its header")
    buf.seek(0)
    try:
        return np.lib.format.read_array(buf, allow_pickle=False)
    except Exception as exc:
        raise WireError(f"unreadable array: {exc}") from None


def _check_blob_bytes(total):
    if total > MAX_BLOB_BYTES:
        raise WireError(f"the returned arrays take {total} bytes, more than the {MAX_BLOB_BYTES} allowed")


def send(sock, header, arrays=None):
    """Send one frame: ``header`` (JSON-able dict) plus named arrays."""
    arrays = {name: np.asarray(value) for name, value in (arrays or {}).items()}
    # Refused before a byte is sent, so the sender can still reply with an error;
    # and checked before encoding too: serialising a 300 MB array only to refuse
    # it costs seconds per call, and hypothesis calls it again while shrinking.
    _check_blob_bytes(sum(array.nbytes for array in arrays.values()))
    blobs = [(name, encode_array(value)) for name, value in arrays.items()]
    header = dict(header, blobs=[[name, len(blob)] for name, blob in blobs])
    head = json.dumps(header, allow_nan=False).encode()
    if len(head) > MAX_HEADER_BYTES:
        raise WireError("header too large")
    _check_blob_bytes(sum(len(blob) for _, blob in blobs))  # the .npy headers count too
    sock.sendall(struct.pack(">I", len(head)) + head + b"".join(blob for _, blob in blobs))


def recv(sock, max_blob_bytes=MAX_BLOB_BYTES):
    """Receive one frame as ``(header, arrays)``, validating sizes first."""
    (length,) = struct.unpack(">I", _recv_exactly(sock, 4))
    if length > MAX_HEADER_BYTES:
        raise WireError(f"header of {length} bytes is too large")
    try:
        header = json.loads(_recv_exactly(sock, length).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise WireError("header is not an object")
    specs = header.pop("blobs", [])
    if not isinstance(specs, list) or not all(
        isinstance(s, list) and len(s) == 2 and isinstance(s[0], str)
        and isinstance(s[1], int) and s[1] >= 0 for s in specs
    ):
        raise WireError("malformed blob list")
    if sum(size for _, size in specs) > max_blob_bytes:
        raise WireError("reply carries more array data than allowed")
    arrays = {}
    for name, size in specs:
        arrays[name] = decode_array(_recv_exactly(sock, size))
    return header, arrays
