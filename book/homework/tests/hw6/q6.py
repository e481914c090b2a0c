from otter.test_files import test_case

"""Comparison helpers that the build copies verbatim into every test file.

A test file runs inside the student's kernel, after the student's code. Anything the tests import
from there (numpy, a helper module) may have been replaced by the submission, so these helpers use
only the Python language itself: they turn a result into nested lists of Python numbers, compare
those with expected values written as literals in the test, and call student code under a time
limit. ``homework build`` inserts this file after the ``from otter.test_files import test_case``
line of each generated test file; the tests then use ``call``, ``plain`` and ``close``.
"""

import signal as _signal

LIMIT_SECONDS = 2.0


class CallTimeout(Exception):
    """Raised inside student code that runs longer than ``LIMIT_SECONDS``."""


def _expired(signum, frame):
    raise CallTimeout(
        f"the call did not return within {LIMIT_SECONDS} s (an infinite loop?)"
    )


def call(fn, *args, **kwargs):
    """Call a student's function with a wall-clock limit; fail clearly if it is missing."""
    if fn is None:
        raise AssertionError(
            "the function is not defined: run the cell that defines it"
        )
    if not callable(fn):
        raise AssertionError(f"expected a function, got {type(fn).__name__}")
    timed = hasattr(_signal, "setitimer")
    if timed:
        previous = _signal.signal(_signal.SIGALRM, _expired)
        _signal.setitimer(_signal.ITIMER_REAL, LIMIT_SECONDS)
    try:
        return fn(*args, **kwargs)
    finally:
        if timed:
            _signal.setitimer(_signal.ITIMER_REAL, 0)
            _signal.signal(_signal.SIGALRM, previous)


def plain(value):
    """``value`` as nested lists of Python ints, floats, complex numbers or bools."""
    if value is None:
        raise AssertionError(
            "got None: the function returns nothing (is its body still `...`?)"
        )
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    for kind in (bool, int, float, complex):
        if isinstance(value, kind):
            return kind(value)
    raise AssertionError(
        f"expected numbers or arrays of numbers, got {type(value).__name__}"
    )


def _short(value):
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + " ..."


def _compare(got, expected, tol, where):
    if isinstance(expected, list):
        if not isinstance(got, list):
            raise AssertionError(
                f"{where}: expected a sequence, got the number {_short(got)}"
            )
        if len(got) != len(expected):
            raise AssertionError(
                f"{where}: expected length {len(expected)}, got length {len(got)}"
            )
        for index, (g, e) in enumerate(zip(got, expected)):
            _compare(g, e, tol, f"{where}[{index}]")
        return
    if isinstance(got, list):
        raise AssertionError(
            f"{where}: expected a number, got a sequence of length {len(got)}"
        )
    if not abs(got - expected) <= tol * (1 + abs(expected)):
        raise AssertionError(f"{where}: expected {expected!r}, got {got!r}")


def close(got, expected, tol=1e-6, what="result"):
    """Fail unless ``got`` equals the literal ``expected`` entry by entry, up to ``tol``."""
    converted = plain(got)
    try:
        _compare(converted, plain(expected), tol, what)
    except AssertionError as error:
        raise AssertionError(
            f"{error}\n  expected {_short(plain(expected))}\n  got      {_short(converted)}"
        ) from None


def shape(value):
    """The shape of nested lists (as produced by ``plain``), as a tuple."""
    value = plain(value)
    dims = []
    while isinstance(value, list):
        dims.append(len(value))
        value = value[0] if value else None
    return tuple(dims)


def forms(*args):
    """The argument lists ``args`` as given (nested lists) and with every list made a NumPy array.

    The prompts say that array arguments are array-likes, so a test calls the student's function
    both ways: ``for given in forms(x, h): close(call(conv1d, *given), want)``. NumPy is imported
    here only to build inputs; the comparison never uses it.
    """
    import numpy

    as_array = [
        numpy.array(arg, dtype=float) if isinstance(arg, list) else arg for arg in args
    ]
    return [list(args), as_array]


OK_FORMAT = False

name = "q6"
points = 2

@test_case(points=0, hidden=False)
def test_q6_macs_is_set(env):
    value = env.get('q6_macs', ...)
    assert value is not ..., 'assign your answer to q6_macs'
    assert isinstance(value, int), f'q6_macs has the wrong type: {type(value).__name__}'

