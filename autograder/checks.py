"""The vocabulary of the hidden checks: points, settings, calls and staged comparisons.

Every exercise module builds its checks from these pieces, so that all parts
score, shrink and explain themselves the same way. A failed check raises
``Mismatch`` whose message is what the student reads: the smallest failing
example (hypothesis shrinks it before the last raise), what was expected and
what came back. Nothing here ever shows the source of a check.
"""
import functools
import re
import threading

import numpy as np
from hypothesis import HealthCheck, Phase, seed, settings

from .session import StudentError

#: The seed of every property's examples. With a fixed seed and no database,
#: every student faces the same examples, a regrade repeats them exactly, and
#: properties drawing from the same strategy draw the same examples, so one
#: call into the student's code (memoised) serves all of them.
SEED = 20261126

#: One set of settings for every property: no example database, no deadline
#: (time limits live in the sandbox), one bug reported per property, and no
#: "explain" phase, whose report quotes lines of the check's source.
GRADING = settings(
    derandomize=False,
    database=None,
    deadline=None,
    max_examples=100,
    print_blob=False,
    report_multiple_bugs=False,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
)


def _key(value):
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    return (type(value).__name__, repr(value))


def memoized(function, maxsize=20000):
    """Remember ``function``'s results by the exact bytes of its arguments.

    Every submission faces the same examples, so a batch computes each
    reference once instead of once per student.
    Only for pure functions of numpy arrays and plain values; array results
    are handed out as copies, so no caller can change what is remembered.
    """
    memo = {}

    @functools.wraps(function)
    def remembered(*args, **kwargs):
        key = (tuple(_key(a) for a in args), tuple((k, _key(v)) for k, v in sorted(kwargs.items())))
        if key not in memo:
            if len(memo) >= maxsize:
                memo.clear()
            memo[key] = function(*args, **kwargs)
        result = memo[key]
        return result.copy() if isinstance(result, np.ndarray) else result
    return remembered


def points(value):
    """Declare how many points a property is worth (and pin its examples to ``SEED``)."""
    def mark(check):
        check = seed(SEED)(check)
        check.points = value
        return check
    return mark


def hint(text):
    """A pointer for the student when this property fails (e.g. the notebook section to reread)."""
    def mark(check):
        check.hint = text
        return check
    return mark


def veto(check):
    """Mark a check whose failure costs the whole part (e.g. a banned built-in)."""
    check.veto = True
    check.points = 0
    return check


#: Arrays with more entries than this are shown as text only, never as tables.
TABLE_LIMIT = 400


def table_data(value):
    """An array as plain, JSON-ready data for feedback tables, or None when too big.

    ``{"shape": [...], "dtype": "float32", "values": [[...], ...]}``, at most
    two dimensions (a vector is one row); non-finite entries become strings.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "biuf" or array.ndim > 2 or array.size > TABLE_LIMIT:
        return None
    rows = array.reshape(1, -1) if array.ndim < 2 else array
    values = [[v.item() if np.isfinite(v) else str(v.item()) for v in row] for row in rows]
    return {"shape": list(array.shape), "dtype": str(array.dtype), "values": values}


_shown = threading.local()


def _remember(text, values):
    recent = getattr(_shown, "recent", [])
    recent.append((text, values))
    _shown.recent = recent[-16:]


def _inputs_in(message):
    """The inputs rendered by ``show`` whose text the message quotes: the failing example."""
    found = {}
    for text, values in sorted(getattr(_shown, "recent", []), key=lambda tv: message.find(tv[0])):
        if text and text in message:
            for name, value in values.items():
                found.setdefault(name, value)
    return found or None


class Mismatch(AssertionError):
    """A property failed; the message is written for the student.

    Besides the text, a mismatch may carry plain data for the feedback page:
    ``example`` (the inputs, by name, as ``table_data`` or ``{"repr": ...}``;
    taken from the ``show`` calls the message quotes unless given), and
    ``expected``/``actual`` (``table_data``) with ``wrong``, the indices of the
    entries that differ.
    """

    def __init__(self, message, *, expected=None, actual=None, wrong=None, example=None):
        super().__init__(message)
        self.expected, self.actual, self.wrong = expected, actual, wrong
        self.example = example if example is not None else _inputs_in(str(message))


def fmt(array, precision=4):
    """A small, readable rendering of an array for feedback."""
    array = np.asarray(array)
    if array.dtype.kind in "iub":
        return np.array2string(array, separator=", ", max_line_width=100, threshold=200)
    return np.array2string(array, precision=precision, separator=", ", suppress_small=True,
                           max_line_width=100, threshold=200, floatmode="maxprec")


def show(**values):
    """Render named inputs, e.g. ``show(X=X, K=K)``, one per line."""
    lines, data = [], {}
    for name, value in values.items():
        if isinstance(value, np.ndarray):
            text = fmt(value).replace("\n", "\n" + " " * (len(name) + 3))
            lines.append(f"{name} = {text}   # shape {value.shape}, {value.dtype}")
            data[name] = table_data(value) or {"repr": fmt(value)}
        else:
            lines.append(f"{name} = {value!r}")
            data[name] = {"repr": repr(value)}
    text = "\n".join(lines)
    _remember(text, data)
    return text


#: Terminal escapes and other control characters have no place in feedback.
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]")


def call(student, probe, description, **inputs):
    """Run a probe, turning an exception in the student's code into a ``Mismatch``."""
    try:
        return student.call(probe, **inputs)
    except StudentError as exc:
        if exc.error_type == "NotImplementedError":
            raise Mismatch(f"{description}→ 还没有实现（抛出了 NotImplementedError）。") from None
        raise Mismatch(f"{description}→ 抛出了异常：{CONTROL.sub('', exc.message)}") from None


ARRAY_TYPES = ("numpy.ndarray", "tf.Tensor", "tf.Variable")


def returned_array(result, key, description, allowed=ARRAY_TYPES):
    """Stage 1 (type): the value came back as a tensor, variable or array."""
    kind = result.get(key + "_type", "nothing")
    if kind not in allowed or key not in result:
        raise Mismatch(f"{description}→ 返回了 {kind}；应当返回 tf.Tensor、tf.Variable 或 numpy 数组。")
    return result[key]


def expect_array(actual, expected, description, rtol=1e-4, atol=1e-4, explain_shape=""):
    """Stages 2-4: shape, dtype, then values; stop at the first difference."""
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        raise Mismatch(f"{description}→ 结果的形状是 {actual.shape}，应当是 {expected.shape}"
                       f"{explain_shape}。", expected=table_data(expected), actual=table_data(actual))
    if actual.dtype.kind not in "iuf":
        raise Mismatch(f"{description}→ 结果的数据类型是 {actual.dtype}，应当是浮点数（例如 float32）。")
    actual64 = actual.astype(np.float64)
    if not np.all(np.isfinite(actual64)):
        raise Mismatch(f"{description}→ 结果含有 NaN 或 inf：\n{fmt(actual)}",
                       expected=table_data(expected), actual=table_data(actual),
                       wrong=[[int(i) for i in idx] for idx in np.argwhere(~np.isfinite(actual64))])
    close = np.isclose(actual64, expected, rtol=rtol, atol=atol)
    if not close.all():
        wrong = np.argwhere(~close)
        where = ", ".join(str(tuple(int(i) for i in idx)) for idx in wrong[:5])
        more = f" 等 {len(wrong)} 处" if len(wrong) > 5 else ""
        raise Mismatch(
            f"{description}→ 结果的数值不对（位置 {where}{more} 不同）。\n"
            f"应当是：\n{fmt(expected)}\n实际是：\n{fmt(actual)}",
            expected=table_data(expected), actual=table_data(actual),
            wrong=[[int(i) for i in idx] for idx in wrong[:TABLE_LIMIT]])
    return actual64
