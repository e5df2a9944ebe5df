"""The data-only channel: what it carries, and what it refuses before sending."""
import socket
import time

import numpy as np
import pytest

from autograder.sandbox.inside import wire


def test_arrays_cross_and_come_back_equal():
    a, b = socket.socketpair()
    with a, b:
        wire.send(a, {"ok": True}, {"y": np.arange(6, dtype=np.float32).reshape(2, 3)})
        header, arrays = wire.recv(b)
    assert header == {"ok": True}
    assert arrays["y"].dtype == np.float32 and arrays["y"].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_object_arrays_are_refused():
    a, b = socket.socketpair()
    with a, b, pytest.raises(wire.WireError, match="dtype object"):
        wire.send(a, {}, {"y": np.array([object()])})


def test_an_oversized_reply_is_refused_before_it_is_serialised(monkeypatch):
    # A 288 MB array (the hostile corpus's huge_return) used to be encoded in full
    # before the size check: seconds per call, repeated by every shrinking step, which
    # ran the part out of time and left it ungraded instead of failed with a message.
    monkeypatch.setattr(wire, "encode_array", lambda value: pytest.fail("encoded an oversized array"))
    huge = np.broadcast_to(np.float64(0), (6000, 6000))  # 288 MB as seen by nbytes, none allocated
    a, b = socket.socketpair()
    started = time.monotonic()
    with a, b, pytest.raises(wire.WireError, match="more than the"):
        wire.send(a, {}, {"y": huge})
    assert time.monotonic() - started < 1
