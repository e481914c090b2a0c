"""Linear time-invariant (LTI) systems: impulses, impulse responses and numerical LTI checks.

A system maps a signal to a signal. It is linear when it respects superposition
and time invariant when delaying the input delays the output by the same amount.
Every signal is a sum of shifted impulses ``x = sum_tau x[tau] delta(. - tau)``,
so an LTI system is known once its impulse response ``h`` is: ``y = x * h``
(book part 2, "Linear time-invariant systems").

Signals here are finite NumPy arrays indexed from time 0; samples before 0 and
after the end are zero.
"""

import numpy as np

from ._validation import check_array_1d, check_int


def _signal(n, at, name):
    n = check_int(n, "n", minimum=1)
    at = check_int(at, "at", minimum=0)
    if at >= n:
        raise ValueError(
            f"at must be < n = {n} for the {name} to start inside the signal; got {at}"
        )
    return n, at


def impulse(n, at=0):
    """The unit impulse ``delta(t - at)`` for ``t = 0, ..., n - 1``.

    Parameters
    ----------
    n : int
        Length of the signal, at least 1.
    at : int, default 0
        Time of the impulse, ``0 <= at < n``.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Zeros except a one at index ``at``.

    Raises
    ------
    TypeError
        If ``n`` or ``at`` is not an int.
    ValueError
        If ``n < 1`` or ``at`` is outside ``0, ..., n - 1``.

    See Also
    --------
    step, impulse_response : book section 2.2, "The impulse response: every LTI
        system is a convolution".

    Examples
    --------
    >>> impulse(4, at=1)
    array([0., 1., 0., 0.])
    """
    n, at = _signal(n, at, "impulse")
    x = np.zeros(n)
    x[at] = 1.0
    return x


def step(n, at=0):
    """The unit step ``u(t - at)`` for ``t = 0, ..., n - 1``: zeros before ``at``, ones from ``at`` on.

    Parameters
    ----------
    n : int
        Length of the signal, at least 1.
    at : int, default 0
        Time of the jump, ``0 <= at < n``.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)

    Raises
    ------
    TypeError
        If ``n`` or ``at`` is not an int.
    ValueError
        If ``n < 1`` or ``at`` is outside ``0, ..., n - 1``.

    See Also
    --------
    impulse : the step is the running sum of the impulse (book section 2.2).

    Examples
    --------
    >>> step(4, at=1)
    array([0., 1., 1., 1.])
    """
    n, at = _signal(n, at, "step")
    x = np.zeros(n)
    x[at:] = 1.0
    return x


def shift(x, k):
    """Delay the signal ``x`` by ``k >= 0`` samples: ``y[t] = x[t - k]``, keeping every sample.

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal.
    k : int
        The delay, at least 0.

    Returns
    -------
    numpy.ndarray, shape (n + k,)
        ``k`` zeros followed by ``x``, in ``x``'s dtype.

    Raises
    ------
    TypeError
        If ``x`` is not numeric or ``k`` not an int.
    ValueError
        If ``x`` is empty or not 1-D, or ``k < 0``.

    See Also
    --------
    is_time_invariant : compares the response to a shifted input with the
        shifted response (book section 2.1, "Linearity and time invariance").

    Examples
    --------
    >>> shift([1, 2, 3], 2)
    array([0, 0, 1, 2, 3])
    """
    x = check_array_1d(x, "x")
    k = check_int(k, "k", minimum=0)
    return np.concatenate([np.zeros(k, dtype=x.dtype), x])  # n + k


class LTISystem:
    """The LTI system with impulse response ``h``: calling it on ``x`` returns ``x * h``.

    Parameters
    ----------
    h : array_like, shape (k,)
        The impulse response, ``h[0]`` at time 0.

    Attributes
    ----------
    h : numpy.ndarray, shape (k,)
        The impulse response.

    Raises
    ------
    TypeError
        If ``h`` is not numeric.
    ValueError
        If ``h`` is empty or not 1-D.

    See Also
    --------
    coursekit.convolve : computes the output (book section 2.2, "The impulse response:
        every LTI system is a convolution").

    Examples
    --------
    A two-sample moving average:

    >>> average = LTISystem([1, 1])
    >>> average([1, 2, 3])
    array([1, 3, 5, 3])
    >>> impulse_response(average, 4)
    array([1., 1., 0., 0.])
    """

    def __init__(self, h):
        self.h = check_array_1d(h, "h").copy()

    def __call__(self, x):
        """The full convolution ``x * h``, of length ``len(x) + len(h) - 1``."""
        from .polynomials import convolve

        return convolve(check_array_1d(x, "x"), self.h)

    def __repr__(self):
        return f"LTISystem(h={self.h.tolist()!r})"


def _response(system, x):
    y = np.asarray(system(x))
    if y.ndim != 1:
        raise ValueError(
            f"system must map a 1-D array to a 1-D array; got an output of shape {y.shape}"
        )
    return y


def impulse_response(system, n):
    """The first ``n`` samples of the response of ``system`` to the unit impulse at time 0.

    For an LTI system this sequence determines every output: ``system(x) = x * h``.

    Parameters
    ----------
    system : callable
        Maps a 1-D NumPy array to a 1-D array of at least the same length.
    n : int
        Number of samples, at least 1.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    TypeError
        If ``n`` is not an int.
    ValueError
        If ``n < 1``, or the system returns fewer than ``n`` samples or not a 1-D array.

    See Also
    --------
    LTISystem : the system built back from its impulse response (book section 2.2,
        "The impulse response: every LTI system is a convolution").

    Examples
    --------
    A system that adds an echo, half as loud, two samples later:

    >>> echo = lambda x: np.concatenate([x, [0, 0]]) + 0.5 * np.concatenate([[0, 0], x])
    >>> impulse_response(echo, 4)
    array([1. , 0. , 0.5, 0. ])
    """
    n = check_int(n, "n", minimum=1)
    y = _response(system, impulse(n))
    if y.shape[0] < n:
        raise ValueError(
            f"system returned {y.shape[0]} samples for an impulse of length {n}; expected at least {n}"
        )
    return y[:n]


def _close(a, b, rtol):
    """Whether ``a`` and ``b`` have one shape and agree to ``rtol`` relative to the larger of them."""
    if a.shape != b.shape:
        return False
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return bool(np.max(np.abs(a - b), initial=0.0) <= rtol * scale)


def _check_trials(n, trials, rtol):
    n = check_int(n, "n", minimum=1)
    trials = check_int(trials, "trials", minimum=1)
    if not rtol >= 0:
        raise ValueError(f"rtol must be >= 0; got {rtol!r}")
    return n, trials


def is_linear(system, n=64, trials=3, seed=0, rtol=1e-8):
    """Check superposition numerically: ``system(a x1 + b x2) == a system(x1) + b system(x2)``.

    Draws ``trials`` random pairs of standard normal signals of length ``n`` and
    random scalars ``a``, ``b``. A ``True`` answer is evidence, not a proof; a
    ``False`` answer exhibits a counterexample.

    Parameters
    ----------
    system : callable
        Maps a 1-D NumPy array of floats to a 1-D array.
    n : int, default 64
        Length of the test signals.
    trials : int, default 3
        Number of random tests.
    seed : int, default 0
        Seed of the NumPy random generator.
    rtol : float, default 1e-8
        Allowed difference, relative to the largest output sample.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        If ``n`` or ``trials`` is not an int.
    ValueError
        If ``n`` or ``trials`` is below 1, ``rtol`` negative, or the system does
        not return a 1-D array.

    See Also
    --------
    is_time_invariant : the other half of "LTI" (book section 2.1, "Linearity and time
        invariance").

    Examples
    --------
    >>> is_linear(LTISystem([1, -1])), is_linear(np.square), is_linear(lambda x: np.clip(x, -1, 1))
    (True, False, False)
    """
    n, trials = _check_trials(n, trials, rtol)
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        x1, x2 = rng.standard_normal((2, n))
        a, b = rng.standard_normal(2)
        combined = _response(system, a * x1 + b * x2)
        y1, y2 = _response(system, x1), _response(system, x2)
        if y1.shape != y2.shape or not _close(combined, a * y1 + b * y2, rtol):
            return False
    return True


def is_time_invariant(system, n=64, trials=3, seed=0, rtol=1e-8):
    """Check numerically that delaying the input by ``k`` delays the output by ``k``.

    Each trial feeds a random signal of length ``n`` followed by ``n`` zeros, and
    the same signal delayed by a random ``k`` in ``1, ..., n`` (the trailing zeros
    make room, so both inputs have length ``2n`` and nothing is cut off). The
    outputs must satisfy ``y_delayed[t] = y[t - k]`` for every ``t >= k``. Full,
    "same" and "valid" convolutions, recursive filters and memoryless maps pass;
    time-varying gains fail.

    Parameters
    ----------
    system : callable
        Maps a 1-D NumPy array of floats to a 1-D array whose length depends only
        on the input's length.
    n : int, default 64
        Length of the random part of the test signals.
    trials : int, default 3
        Number of random tests.
    seed : int, default 0
        Seed of the NumPy random generator.
    rtol : float, default 1e-8
        Allowed difference, relative to the largest output sample.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        If ``n`` or ``trials`` is not an int.
    ValueError
        If ``n`` or ``trials`` is below 1, ``rtol`` negative, or the system does
        not return a 1-D array.

    See Also
    --------
    is_linear, shift : book section 2.1, "Linearity and time invariance".

    Examples
    --------
    >>> ramp_gain = lambda x: np.arange(len(x)) * x
    >>> is_time_invariant(LTISystem([1, -1])), is_time_invariant(np.square), is_time_invariant(ramp_gain)
    (True, True, False)
    """
    n, trials = _check_trials(n, trials, rtol)
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        x = np.concatenate([rng.standard_normal(n), np.zeros(n)])  # 2n
        k = int(rng.integers(1, n + 1))
        y = _response(system, x)
        y_delayed = _response(system, shift(x, k)[: 2 * n])
        if y.shape != y_delayed.shape or not _close(
            y_delayed[k:], y[: y.shape[0] - k], rtol
        ):
            return False
    return True
