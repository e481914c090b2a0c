"""The convolution sum as a loop compiled by Numba, where Numba is installed (book section 1.1).

:func:`numpy.convolve` forms ``(c * d)_k = sum_i c_i d_{k-i}`` in one C loop. Built
from NumPy's vectorized operations instead, the same sums touch zero padding or pay a
microsecond per call, or both (a matrix-vector product of sliding windows, one BLAS
``axpy`` per tap: the kernels of :mod:`coursekit.polynomials` without Numba). This
module writes the loop in Python and has Numba (Lam, Pitrou and Seibert, 2015) compile
it to machine code, so that coursekit's own direct method runs as one compiled call:
the products of the sum and nothing else, in a fixed order.

Numba is a dependency of the course, but the package runs without it:
``compiled_sum`` is then ``None`` and :mod:`coursekit.polynomials` uses its NumPy kernels.
"""

try:
    import numba
except ImportError:  # the package's NumPy kernels take over
    numba = None


def convolution_sum(long, short, start, out):
    """Write into ``out`` the entries ``start:start + len(out)`` of the full convolution of ``long`` and ``short``.

    The sum itself, one pass over the output per tap ``short[j]``:
    ``out[i + j - start] += long[i] short[j]`` for the ``i`` whose output falls in
    ``out``. Every output is the sum of exactly its products ``long[i] short[k - i]``
    (no multiplication by padding, so NaN and infinities reach the outputs
    :func:`numpy.convolve` gives them), added in the order of ``j``. The outputs of
    one tap are independent, so the compiler runs them in SIMD lanes; the outputs go
    by blocks of 2048, each set to zero and then passed over by every tap while it
    stays in the cache, four taps (or two) per pass wherever each of them reaches
    the whole block (``y = (((y + x0 t0) + x1 t1) + x2 t2) + x3 t3``: the same sums,
    rounded the same way, with fewer loads and stores of ``y``).

    Parameters
    ----------
    long, short : numpy.ndarray
        Non-empty 1-D arrays of one float or complex dtype, ``len(long) >= len(short)``
        (``p`` and ``q`` numbers).
    start : int
        The index in the full convolution (length ``p + q - 1``) of ``out[0]``,
        ``0 <= start``, ``start + len(out) <= p + q - 1``.
    out : numpy.ndarray
        1-D, of the inputs' dtype, to receive the sums; its values are overwritten.
        The caller allocates it (with :func:`numpy.empty`): a NumPy array returned by
        compiled code costs more than that call (measured: 0.4 against 0.1
        microseconds).

    Notes
    -----
    This Python function is the source of ``compiled_sum``; called as it is, it runs
    the same loop in the interpreter.

    Examples
    --------
    >>> import numpy as np
    >>> out = np.empty(3)
    >>> convolution_sum(np.array([3.0, 1.0]), np.array([1.0, 2.0]), 0, out)
    >>> out
    array([3., 7., 2.])
    """
    n, q = long.shape[0], short.shape[0]
    stop = start + out.shape[0]
    for block in range(start, stop, 2048):  # outputs block .. end - 1
        end = min(block + 2048, stop)
        y = out[block - start : end - start]
        y[:] = 0
        j = 0  # the next tap
        while j < q:
            # taps j .. j + 3 at once where each reaches every output of the block: the same
            # additions in the same order as one at a time, a quarter of the loads and stores
            if j + 4 <= q and block - j - 3 >= 0 and end - j <= n:
                t0, t1, t2, t3 = short[j], short[j + 1], short[j + 2], short[j + 3]
                x0 = long[block - j : end - j]
                x1 = long[block - j - 1 : end - j - 1]
                x2 = long[block - j - 2 : end - j - 2]
                x3 = long[block - j - 3 : end - j - 3]
                # indices from 0: no test for negative ones, so SIMD
                for i in range(end - block):
                    s = (y[i] + x0[i] * t0) + x1[i] * t1
                    y[i] = (s + x2[i] * t2) + x3[i] * t3
                j += 4
            elif j + 2 <= q and block - j - 1 >= 0 and end - j <= n:
                t0, t1 = short[j], short[j + 1]
                x0, x1 = long[block - j : end - j], long[block - j - 1 : end - j - 1]
                for i in range(end - block):
                    y[i] = (y[i] + x0[i] * t0) + x1[i] * t1
                j += 2
            else:  # one tap, over the outputs of the block that its inputs reach
                tap = short[j]
                lo, hi = max(block - j, 0), min(end - j, n)
                x, z = long[lo:hi], out[lo + j - start : hi + j - start]
                for i in range(hi - lo):
                    z[i] += x[i] * tap
                j += 1


def _compile(function):
    """``function`` compiled by Numba for the CPU at hand, or ``None`` without Numba.

    Numba compiles once per signature (dtype, memory layout, read-only or not) at its
    first call (0.3 to 0.6 seconds), and keeps
    the machine code in its cache next to this file, or in the user's cache directory;
    where neither can be written (a read-only sandbox), it compiles in memory for each
    process. Without ``fastmath``, so every product and sum is rounded as written:
    the results do not depend on the CPU's vector width.
    """
    if numba is None:
        return None
    try:
        return numba.njit(nogil=True, boundscheck=False, cache=True)(function)
    except RuntimeError:  # no cache directory can be written
        return numba.njit(nogil=True, boundscheck=False)(function)


#: :func:`convolution_sum` compiled, or ``None`` where Numba is not installed.
compiled_sum = _compile(convolution_sum)
