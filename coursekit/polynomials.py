"""Polynomial multiplication is convolution (book part 1, "Polynomial multiplication").

Multiplying ``c(x) = c_0 + c_1 x + ... + c_{p-1} x^{p-1}`` by ``d(x)`` (``q``
coefficients) and collecting powers of ``x`` gives the ``p + q - 1`` coefficients

.. math:: (c * d)_k = \\sum_i c_i \\, d_{k-i}.

This module computes that sum three ways (direct sums, a Toeplitz matrix, the FFT),
its cyclic version (``x^n = 1``), correlation, and the exact product of long integers
(an integer is a polynomial evaluated at its base). Arguments follow
:func:`numpy.convolve` and :func:`scipy.linalg.convolution_matrix`.
"""

import cmath
import contextlib
import functools
import math

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import as_strided

from ._compiled import compiled_sum
from ._fft import fast_length
from ._validation import check_array_1d, check_int, check_option

MODES = ("full", "same", "valid")
METHODS = ("auto", "direct", "matrix", "fft")
_FAST_DTYPES = "?bhilqBHILQefdgFDG"  # NumPy arrays of these need no conversion: bool, integers, floats, complex

# Cost model of ``method="auto"``, in seconds, fitted to timings of each method on
# the course's 2-core machine (AMD EPYC, OpenBLAS) for lengths 16 to 1e6.
_LOOP_OVERHEAD = 7e-7  # the call of the compiled loop (Numba), validation
_LOOP_PER_OUTPUT = 1.5e-10  # zeroing and storing an output
_LOOP_PER_MAC = (
    6e-11  # one multiply-add, in SIMD lanes (four real ones for complex numbers)
)
_SLIDING_OVERHEAD = 3e-6  # validation, the padded copy, one call
_SLIDING_PER_MAC = (
    5e-10  # copying the windows, one multiply-add of the matrix-vector product
)
_TAPS_PER_CALL = 2e-6  # one axpy call
_TAPS_PER_MAC = 2.5e-10  # one multiply-add of axpy, memory-bound, on OpenBLAS's threads
_DIRECT_OVERHEAD = 3e-5  # validation, the block matrix, the window copy, one BLAS call
_DIRECT_PER_OUTPUT = 5e-9  # copying the windows and the output
_DIRECT_PER_MAC = 1.5e-10  # one multiply-add of the blocked product
_FFT_OVERHEAD = 1.6e-5  # three FFT calls, the padding, the check of the samples
_FFT_PER_POINT = (
    1e-10  # per N log2(N)**2: N log2 N operations, slower as N leaves the caches
)

# Direct kernels: the window view for at most this many multiply-adds; one axpy per tap
# for float filters of at most this many taps; else blocks.
_SLIDING_MAX_MACS = 2**17
_SLIDING_NO_COPY_MACS = 1024
_SLIDING_ALWAYS_MACS = (
    25_000  # _SLIDING_OVERHEAD + _SLIDING_PER_MAC * this < _FFT_OVERHEAD
)
_TAPS_MAX = 128

# Above this many multiply-adds the blocked product runs BLAS on one thread: OpenBLAS
# would split it over threads, and on a busy 2-core machine those threads wait for
# each other (measured: 512 x 512 took 48 ms on two threads, 0.18 ms on one).
_ONE_THREAD_ABOVE = 2**17

# The float64 FFT of integer sequences is rounded back to integers only when its
# error is far below 1/2: Percival's bound (Math. Comp. 72, 2003) on the largest
# error is about 10 eps log2(N) ||c||_2 ||d||_2 with eps = 2**-53, and this limit keeps
# it below 10/64 = 0.16 (typical errors are orders of magnitude smaller than the bound).
_FFT_EXACT_LIMIT = 2.0**47

# The FFT's rounding error is relative to the largest sample: about eps log2(N) of it
# (measured: at most 0.2 eps log2(N) max|c * d|). "auto" keeps the FFT's value of a
# sample only if it is at least this fraction of the largest one (so that its relative
# error stays below about 2**20 eps log2(N)); it sums the smaller ones directly.
_FFT_RANGE = 2.0**-20


def _mode_range(p, q, mode):
    """Indices ``start, stop`` of the full convolution (length ``p + q - 1``) that ``mode`` keeps."""
    if mode == "full":
        return 0, p + q - 1
    short, long = min(p, q), max(p, q)
    if mode == "same":
        start = (short - 1) // 2
        return start, start + long
    return short - 1, long


def _block_size(q):
    """Outputs per block of the direct method for a filter of ``q`` taps (measured best: about q/2)."""
    return min(max(q // 2, 16), 128)


def _direct_cost(kernel, n_long, q, n_out, dtype):
    if kernel is _loop:  # products: q for each output that overlaps long
        macs = min(n_out, n_long) * q * (4 if dtype.kind == "c" else 1)
        return _LOOP_OVERHEAD + _LOOP_PER_OUTPUT * n_out + _LOOP_PER_MAC * macs
    if kernel is _sliding:
        return _SLIDING_OVERHEAD + _SLIDING_PER_MAC * n_out * q
    if kernel is _taps:
        return q * (_TAPS_PER_CALL + _TAPS_PER_MAC * n_long)
    return _DIRECT_OVERHEAD + n_out * (
        _DIRECT_PER_OUTPUT + _DIRECT_PER_MAC * (_block_size(q) + q - 1)
    )


def _fft_cost(n_full):
    n = fast_length(n_full)
    return _FFT_OVERHEAD + _FFT_PER_POINT * n * math.log2(max(n, 2)) ** 2


def _fft_is_exact(c, d):
    """Whether rounding the float64 FFT convolution of integer arrays gives the exact integers."""
    n = fast_length(len(c) + len(d) - 1)
    norms = math.sqrt(
        np.square(c, dtype=np.float64).sum() * np.square(d, dtype=np.float64).sum()
    )
    return bool(norms * math.log2(max(n, 2)) < _FFT_EXACT_LIMIT)


def _windows(x, width, step=1):
    """Read-only view of the windows ``x[i*step : i*step + width]`` of a 1-D array, one per row."""
    count = (len(x) - width) // step + 1
    return as_strided(
        x, (count, width), (step * x.strides[0], x.strides[0]), writeable=False
    )  # count, width


def _toeplitz(h, n, start, stop):
    """Rows ``start:stop`` of the full convolution matrix of ``h`` with ``n`` columns: ``T[i, j] = h[i - j]``."""
    m = len(h)
    padded = np.zeros(m + 2 * (n - 1), dtype=h.dtype)  # n - 1 zeros, h, n - 1 zeros
    padded[n - 1 : n - 1 + m] = h
    full = _windows(padded, n)[
        :, ::-1
    ]  # m + n - 1, n: row i is h[i], h[i - 1], ..., h[i - n + 1]
    return full[start:stop].copy()  # stop - start, n


def _sliding(long, short, start, stop):
    """Entries ``start:stop`` of the full convolution as one product of sliding windows with ``short``.

    Row ``k`` of the view is the window ``long[k-q+1 : k+1]`` reversed (zeros outside
    ``long``): ``long[k], long[k-1], ...``, so its dot product with ``short`` is the sum
    itself. The view costs no copy; :func:`numpy.dot` copies it (``q`` numbers per
    output) for one BLAS matrix-vector product, except for tiny products, which
    :func:`numpy.matmul` runs on the view itself. For short outputs, where calls cost
    more than arithmetic.
    """
    q, size = len(short), long.itemsize
    padded = np.zeros(
        len(long) + 2 * (q - 1), dtype=long.dtype
    )  # q - 1 zeros, long, q - 1 zeros
    padded[q - 1 : q - 1 + len(long)] = long
    rows = np.ndarray(
        (stop - start, q), long.dtype, padded, (start + q - 1) * size, (size, -size)
    )  # n_out, q
    if (
        rows.size <= _SLIDING_NO_COPY_MACS
    ):  # NumPy's own loop, without the copy and the BLAS call
        return np.matmul(rows, short)  # n_out
    return np.dot(rows, short)  # n_out


def _loop_serves(dtype):
    """Whether the compiled loop computes the direct sums of ``dtype``: float or complex, native byte order."""
    return compiled_sum is not None and dtype.char in "fdFD" and dtype.isnative


def _loop(long, short, start, stop):
    """Entries ``start:stop`` of the full convolution by the sum itself, compiled (:mod:`coursekit._compiled`).

    Float and complex dtypes, where Numba is installed. Only the products of each sum
    are formed, so NaN and infinities need no further care.
    """
    out = np.empty(stop - start, dtype=long.dtype)
    compiled_sum(long, short, start, out)
    return out  # stop - start


@functools.cache
def _axpy(char):
    """BLAS ``y += a x`` (``?axpy``) for the dtype with character code ``char``."""
    from scipy.linalg import blas

    return blas.get_blas_funcs("axpy", dtype=np.dtype(char))


def _taps(long, short, start, stop):
    """Entries ``start:stop`` of the full convolution as ``sum_j short[j] * (long shifted by j)``.

    One BLAS ``axpy`` (``y += a x``, one pass over the output, which OpenBLAS splits
    over its threads) per tap. Float and complex dtypes only.
    """
    n, q = len(long), len(short)
    axpy = _axpy(long.dtype.char)
    long = np.ascontiguousarray(long)
    full = np.zeros(n + q - 1, dtype=long.dtype)
    for j, tap in enumerate(short.tolist()):
        full = axpy(long, full, a=tap, offy=j)  # in place
    return full[start:stop]


def _blocked(long, short, start, stop):
    """Entries ``start:stop`` of the full convolution, by blocks of sliding windows times a Toeplitz matrix.

    Output ``k`` is the dot product of ``short`` reversed with the window
    ``long[k-q+1 : k+1]`` (zeros outside ``long``). ``B`` consecutive outputs share one
    window of ``B + q - 1`` inputs, and their ``B`` dot products are the product of that
    window with the ``B x (B + q - 1)`` "valid" convolution matrix of ``short``. All the
    windows, copied as the rows of one matrix, make one matrix product (BLAS for floats).
    """
    q = len(short)
    n_out = stop - start
    B = min(_block_size(q), n_out)
    n_blocks = -(-n_out // B)
    segment = np.zeros(
        n_blocks * B + q - 1, dtype=long.dtype
    )  # the padded input that the windows read
    lo, hi = max(start - q + 1, 0), min(stop, len(long))
    segment[lo - start + q - 1 : hi - start + q - 1] = long[lo:hi]
    windows = _windows(
        segment, B + q - 1, step=B
    ).copy()  # n_blocks, B + q - 1: contiguous, as BLAS needs
    matrix = _toeplitz(short, B + q - 1, q - 1, B + q - 1).T  # B + q - 1, B
    threads = (
        _one_blas_thread()
        if windows.size * B > _ONE_THREAD_ABOVE
        else contextlib.nullcontext()
    )
    with (
        threads,
        np.errstate(invalid="ignore", over="ignore"),
    ):  # NaN and inf are handled by the caller
        blocks = windows @ matrix  # n_blocks, B
    return blocks.reshape(-1)[:n_out]  # n_out


def _direct_kernel(n_long, q, n_out, dtype):
    """Which implementation of the direct sums is fastest (measured): see :func:`convolve`."""
    if _loop_serves(dtype):
        return _loop
    if n_out * q <= _SLIDING_MAX_MACS:
        return _sliding
    if q <= _TAPS_MAX and dtype.char in "fdFD":  # the dtypes of BLAS
        return _taps
    return _blocked


@functools.cache
def _blas_threads():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _one_blas_thread():
    """Context in which BLAS (OpenBLAS, MKL...) runs on a single thread."""
    return _blas_threads().limit(limits=1, user_api="blas")


def _fft_full(c, d):
    """Full linear convolution of 1-D float or complex arrays of one dtype by the convolution rule.

    The 1-D case of :func:`coursekit._fft.fftconvolve_numpy` with the 1-D transforms of
    :mod:`numpy.fft`: the same pocketfft as :mod:`scipy.fft`, with the same results,
    and about 10 microseconds less per convolution for short inputs.
    """
    n_full = len(c) + len(d) - 1
    n = fast_length(n_full)
    if c.dtype.kind == "c":  # c and d share their dtype
        spectrum = np.fft.fft(c, n)
        spectrum *= np.fft.fft(d, n)
        return np.fft.ifft(spectrum, n)[:n_full]  # n_full
    spectrum = np.fft.rfft(c, n)  # n // 2 + 1
    spectrum *= np.fft.rfft(d, n)
    return np.fft.irfft(spectrum, n)[:n_full]  # n_full


_NO_INDICES = np.zeros(0, dtype=np.intp)


def _nonfinite(x):
    """Indices of the NaN and infinite entries of the float or complex array ``x`` (empty when none).

    The sum of squared magnitudes (one BLAS dot product, no copy) answers for almost
    every array: it is finite exactly when ``x`` is, unless the squares overflow; only
    then, or when ``x`` holds a non-finite value, are the entries tested one by one.
    Sums of squares raise no floating-point warning.
    """
    if math.isfinite(np.vdot(x, x).real):
        return _NO_INDICES
    return np.flatnonzero(~np.isfinite(x))


def _zeroed(x, bad):
    """``x`` with its entries at the indices ``bad`` set to zero: ``x`` itself when there are none."""
    if not bad.size:
        return x
    x = x.copy()
    x[bad] = 0
    return x


def _add_nonfinite_products(out, x, bad, y, start):
    """Add to ``out`` (entries ``start:start + len(out)`` of the full convolution) the products ``x[bad] y_j``.

    Only the entries that those products reach are touched: a shifted copy of ``y``
    per index of ``bad``, or, when ``bad`` is longer than ``y``, a scattered copy of
    ``x[bad]`` per entry of ``y``. The products are NaN or infinite, so one counted
    twice (both factors non-finite, added from both sides) changes nothing:
    ``inf + inf``, ``-inf + -inf`` and ``nan + nan`` are themselves.
    """
    stop = start + len(out)
    if len(bad) <= len(y):
        for i in bad.tolist():
            lo, hi = max(i, start), min(i + len(y), stop)
            if lo < hi:
                out[lo - start : hi - start] += x[i] * y[lo - i : hi - i]
        return
    values = x[bad]
    for j in range(len(y)):
        k = bad + j  # full indices of the products x[bad] y_j
        keep = (k >= start) & (k < stop)
        out[k[keep] - start] += values[keep] * y[j]


def _has_nonzero_term(x, other_length, k):
    """For each full index in ``k``: whether ``x_i != 0`` for some ``i`` with ``0 <= k - i < other_length``."""
    if np.count_nonzero(x) == len(x):  # no zero at all: every window holds a non-zero
        return np.ones(len(k), dtype=bool)
    counts = np.zeros(len(x) + 1, dtype=np.int64)  # counts[i]: non-zeros among x[:i]
    np.cumsum(x != 0, out=counts[1:])
    return (
        counts[np.minimum(k + 1, len(x))] > counts[np.maximum(k - other_length + 1, 0)]
    )


def _fft_resolved(long, short, start, stop):
    """Entries ``start:stop`` of the full convolution by the FFT, with its unresolved samples summed directly.

    The FFT's error is about ``eps log2(N)`` times the largest sample. Samples below
    ``_FFT_RANGE`` of the largest are replaced: by exact zeros where no product is
    non-zero, by the direct sums elsewhere (one call per run of consecutive samples,
    or one call for all of them when that costs less).
    """
    with np.errstate(invalid="ignore", over="ignore"):  # 0 * inf in the spectra
        full = _fft_full(long, short)  # p + q - 1
    out = full[start:stop]
    if full.dtype.kind == "c":
        magnitude = np.abs(full)
        floor = _FFT_RANGE * magnitude.max()
        small = magnitude[start:stop] < floor
    else:  # two reductions and two comparisons, no array of magnitudes
        floor = _FFT_RANGE * max(full.max(), -full.min())
        small = out < floor
        small &= out > -floor
    if not math.isfinite(floor):
        return None  # an input holds a NaN or an infinity (or the sums overflow): the FFT cannot tell
    k = start + np.flatnonzero(small)  # full indices of the samples to replace
    if not k.size:
        return out
    n, q = len(long), len(short)
    zero = ~(_has_nonzero_term(long, q, k) & _has_nonzero_term(short, n, k))
    out[k[zero] - start] = 0
    k = k[~zero]
    if not k.size:
        return out
    breaks = np.flatnonzero(np.diff(k) > 1)
    firsts, lasts = (
        k[np.r_[0, breaks + 1]],
        k[np.r_[breaks, k.size - 1]] + 1,
    )  # the runs [first, last)
    whole = _direct_kernel(n, q, stop - start, long.dtype)
    if len(firsts) * _DIRECT_OVERHEAD + k.size * q * _DIRECT_PER_MAC > _direct_cost(
        whole, n, q, stop - start, long.dtype
    ):
        return whole(long, short, start, stop)
    reversed_short = None
    for first, last in zip(firsts.tolist(), lasts.tolist()):
        if last - first > _DOTS_MAX_RUN:
            out[first - start : last - start] = _direct_kernel(
                n, q, last - first, long.dtype
            )(long, short, first, last)
            continue
        if reversed_short is None:
            reversed_short = np.ascontiguousarray(short[::-1])
        for k in range(first, last):  # a short run: one dot product per sample
            lo, hi = max(k - q + 1, 0), min(k + 1, n)
            out[k - start] = np.dot(
                long[lo:hi], reversed_short[q - 1 - k + lo : q - 1 - k + hi]
            )
    return out


# Runs of at most this many samples that the FFT cannot resolve are summed by one dot
# product each (no padded copy of the inputs, no block matrix)
_DOTS_MAX_RUN = 8


def _matrix(long, short, start, stop):
    """Entries ``start:stop`` of the full convolution as the product of the whole Toeplitz matrix of ``long``."""
    return (_toeplitz(long, len(short), 0, len(long) + len(short) - 1) @ short)[
        start:stop
    ]


def _convolve(c, d, start, stop, method):
    """Entries ``start:stop`` of the full convolution of validated arrays ``c`` and ``d``."""
    if c.dtype != d.dtype:
        dtype = np.result_type(c, d)
        c, d = c.astype(dtype), d.astype(dtype)
    dtype = c.dtype
    if (
        dtype.char == "e"
    ):  # float16: sums of float32 products (BLAS, FFT), rounded once, as numpy.convolve rounds
        return _convolve(
            c.astype(np.float32), d.astype(np.float32), start, stop, method
        ).astype(dtype)
    long, short = (c, d) if len(c) >= len(d) else (d, c)
    n, q, n_out = len(long), len(short), stop - start
    inexact = dtype.kind in "fc"
    if method == "matrix":
        kernel = _matrix
    elif _loop_serves(
        dtype
    ):  # _direct_kernel's first answer: short inputs are all calls
        kernel = _loop
    else:
        kernel = _direct_kernel(n, q, n_out, dtype)
    # "auto": no FFT costs less than its overhead, so small inputs skip the estimates,
    # and direct sums that cost less skip the FFT's
    if (
        method == "auto"
        and n_out * q > _SLIDING_ALWAYS_MACS
        and (direct := _direct_cost(kernel, n, q, n_out, dtype)) > _FFT_OVERHEAD
        and _fft_cost(n + q - 1) < direct
    ):
        if not inexact:
            method = "fft"
        else:
            out = _fft_resolved(long, short, start, stop)
            if out is not None:
                return out
            # an input holds a NaN or an infinity, and the FFT spread it to every output: sum directly
    if method == "fft":
        if inexact:
            return _fft_full(c, d)[start:stop].astype(dtype, copy=False)
        if _fft_is_exact(c, d):
            full = np.rint(
                _fft_full(c.astype(np.float64), d.astype(np.float64))
            ).astype(np.int64)
            return full[start:stop].astype(
                dtype
            )  # exact integers; narrower dtypes then wrap as in NumPy
    if not inexact or kernel is _loop:  # exact, or only the products of the sums
        return kernel(long, short, start, stop)
    return _direct_inexact(kernel, long, short, start, stop)


@np.errstate(invalid="ignore", over="ignore")  # silent, as numpy.convolve is
def _direct_inexact(kernel, long, short, start, stop):
    """Entries ``start:stop`` of the full convolution of float or complex arrays by ``kernel``, NaN and inf included.

    The kernels multiply ``short`` by zeros that are not in the sums (padding, the zeros
    of a Toeplitz matrix), the blocked one ``long`` too, and BLAS's axpy skips zero
    taps: a NaN or an infinity there makes NaNs that numpy.convolve does not
    (``0 * inf`` is NaN), or loses some (``0 * NaN`` is NaN). Each kernel's result is
    first checked as cheaply as it allows, the inputs being scanned at most once:

    * windows and the Toeplitz matrix: every output multiplies every entry of
      ``short``, so a finite first output rules out a non-finite one there; and a
      finite ``short`` times zeros makes no NaN;
    * one axpy per tap: each tap multiplies the whole of ``long``, so only a zero tap
      (skipped) can hide a non-finite entry of ``long``;
    * blocks: every product the matrix product forms is finite when all its outputs are.

    Only where that fails are the inputs scanned. Then the kernel runs again with the
    non-finite entries set to zero (in a copy of the array that holds them) and their
    products are added to the outputs they reach.
    """
    out = kernel(long, short, start, stop)
    if kernel is _sliding or kernel is _matrix:
        if cmath.isfinite(out[0]):
            return out
        bad_short = _nonfinite(short)
        if not bad_short.size:
            return out
        bad_long = _nonfinite(long)
    elif kernel is _taps:
        if short.all():  # no zero tap
            return out
        bad_long = _nonfinite(long)
        if not bad_long.size:
            return out
        bad_short = _nonfinite(short)
    else:
        if math.isfinite(np.vdot(out, out).real):
            return out
        bad_long, bad_short = _nonfinite(long), _nonfinite(short)
        if not (bad_long.size or bad_short.size):
            return out  # the sums overflowed: as numpy.convolve's do
    out = kernel(_zeroed(long, bad_long), _zeroed(short, bad_short), start, stop)
    _add_nonfinite_products(out, long, bad_long, short, start)
    _add_nonfinite_products(out, short, bad_short, long, start)
    return out


def convolve(c, d, mode="full", method="auto"):
    """Discrete linear convolution ``c * d``: the coefficients of the product of two polynomials.

    ``(c * d)_k = sum_i c_i d_{k-i}``, the coefficient of ``x^k`` in ``c(x) d(x)``.
    Same modes, result and result dtype as :func:`numpy.convolve`, NaN and infinities
    included (see Notes).

    Parameters
    ----------
    c, d : array_like or torch.Tensor
        Non-empty 1-D sequences (coefficients, lowest power first) of ``p`` and ``q``
        numbers: bool, integer, float or complex. A number (0-d) is a sequence of
        length 1, as in :func:`numpy.convolve`. Tensors are copied to NumPy.
    mode : {"full", "same", "valid"}
        ``"full"``: all ``p + q - 1`` coefficients. ``"same"``: the ``max(p, q)``
        central ones. ``"valid"``: the ``max(p, q) - min(p, q) + 1`` in which the
        shorter sequence overlaps the longer one completely.
    method : {"auto", "direct", "matrix", "fft"}
        ``"direct"``: the sums themselves, ``p q`` multiplications. Float and complex
        sequences (float32, float64 and their complex types, native byte order): a loop
        over the products compiled by Numba (:mod:`coursekit._compiled`). Integers,
        bool, long double, or without Numba: one of three NumPy kernels: for short
        outputs, one matrix-vector product of the (copied) sliding windows with the
        reversed shorter sequence; for float or complex filters of at most 128 taps, one
        BLAS ``axpy`` per tap
        (``out[j:j+p] += d_j c``); otherwise blocks of sliding windows times a small
        Toeplitz matrix (one BLAS call).
        ``"matrix"``: the whole Toeplitz matrix ``convolution_matrix(c, q) @ d`` (``c``
        the longer sequence), for teaching: it stores ``(p + q - 1) q`` numbers.
        ``"fft"``: the convolution rule (book section 4.3), ``O(N log N)`` with
        ``N = p + q - 1``; its error is relative to the largest output (Notes).
        ``"auto"``: direct or FFT by the cost model below, then the direct sums for
        every output the FFT cannot resolve.

    Returns
    -------
    numpy.ndarray
        The convolution, of dtype ``numpy.result_type(c, d)``: integers stay exact
        integers (wrapping on overflow exactly as :func:`numpy.convolve` does);
        float16 is computed in float32 and rounded once.

    Raises
    ------
    TypeError
        If ``c`` or ``d`` is not an array of numbers, or is a tensor of a dtype that
        NumPy lacks (bfloat16: convert it with ``.float()``).
    ValueError
        If ``c`` or ``d`` is empty or has more than one dimension, or
        ``mode``/``method`` is unknown.

    See Also
    --------
    convolution_matrix : the Toeplitz matrix ``T(c)`` with ``T(c) @ d == convolve(c, d)``.
    cyclic_convolve : the same sum with indices modulo ``n``.
    numpy.convolve, scipy.signal.fftconvolve : the references this function is tested against.

    Notes
    -----
    Book section 1.1, "Coefficients and the convolution sum".

    Non-finite values: an output is NaN or infinite exactly when one of the products
    ``c_i d_{k-i}`` that define it is (``0 * inf`` is NaN), with the value
    :func:`numpy.convolve` gives, for every method but ``"fft"``. The FFT mixes every
    input into every output, so with ``method="fft"`` a single NaN or infinity makes
    every output NaN (as with :func:`scipy.signal.fftconvolve`). ``"auto"`` never returns
    such outputs: a non-finite input makes the FFT's largest output non-finite, which
    "auto" tests anyway, and it then sums directly. The compiled loop forms only the
    products of each sum, so it needs no check. The NumPy kernels check their own
    results (a finite first output, no zero tap, a finite matrix product), so finite
    inputs are never scanned for NaN; where a check fails, each input is scanned once,
    its non-finite entries are set to zero in a copy, and their products are added to
    the outputs they reach.

    Accuracy: the direct sums have the error of ordinary summation, at most about
    ``q eps sum_i |c_i d_{k-i}|`` on output ``k`` (``eps = numpy.finfo(dtype).eps``,
    ``q`` the shorter length). The FFT's error is relative to the largest output, not to each one:
    about ``eps log2(N) max_k |(c * d)_k|`` on every output (bounded by
    ``eps log2(N) ||c||_2 ||d||_2`` up to a small constant; Percival, Math. Comp. 72,
    2003), so outputs far smaller than the largest lose digits or drown, as they do
    for inputs whose non-zero magnitudes are far apart. ``"auto"`` therefore keeps
    an FFT output only if it is at least ``2**-20`` of the largest (its relative
    error then stays below about ``2**20 eps log2(N)``, ``5e-9`` for float64 at
    ``N = 10**6``); it sets the others to the exact zero where none of their products
    is non-zero and sums the rest directly (all of them at once when that costs
    less). For inputs of a wide dynamic range that is the cost of the direct method.

    Cost model of ``method="auto"`` (seconds, fitted to timings on the course's
    2-core machine), with ``n`` and ``q`` the longer and shorter lengths and
    ``n_out`` the output length. The direct method costs, by kernel: the compiled
    loop ``7e-7 + 1.5e-10 n_out + 6e-11 m``, with ``m = min(n_out, n) q`` the
    multiply-adds (four times as many for complex numbers); windows (when
    ``n_out q <= 2**17``) ``3e-6 + 5e-10 n_out q``; one axpy per tap
    ``q (2e-6 + 2.5e-10 n)``; blocks ``3e-5 + n_out (5e-9 + 1.5e-10 (B + q - 1))``
    with the block size ``B`` (``q / 2`` clipped to ``[16, 128]``). The FFT costs
    ``1.6e-5 + 1e-10 N log2(N)**2``, with ``N`` the fast FFT length >= ``p + q - 1``
    (``N log2 N`` operations, each slower once the arrays leave the caches). The
    cheaper one runs. So short filters stay direct on long signals, and two float
    sequences both longer than about 720 go to the FFT (about 120 without Numba,
    whose NumPy kernels pay for calls and copies: there :func:`numpy.convolve`, one
    C loop, is 2 to 3 times faster on short inputs).

    Integer (and bool) inputs never lose exactness: the FFT result is rounded to
    integers only when Percival's error bound ``~10 eps log2(N) ||c||_2 ||d||_2``
    is below 0.16 (``||c||_2 ||d||_2 log2 N < 2**47``); otherwise the direct method,
    exact in integer arithmetic, is used even when ``method="fft"``.

    Examples
    --------
    (3 + x)(1 + 2x) = 3 + 7x + 2x^2:

    >>> convolve([3, 1], [1, 2])
    array([3, 7, 2])
    >>> convolve([1, 2, 3], [0, 1, 1], mode="same")
    array([1, 3, 5])
    >>> convolve([1, 2, 3], [1, 1], mode="valid", method="fft")
    array([3, 5])
    >>> convolve(1289, 4567)
    array([5886863])

    A NaN reaches only the outputs whose products it enters:

    >>> convolve([1.0, 2.0], [1.0, np.nan])
    array([ 1., nan, nan])
    """
    if not (
        type(c) is type(d) is np.ndarray
        and c.ndim == d.ndim == 1
        and c.size
        and d.size
        and c.dtype.char in _FAST_DTYPES
        and d.dtype.char in _FAST_DTYPES
    ):  # anything but non-empty 1-D NumPy arrays of numbers: convert and check
        c = check_array_1d(c, "c", scalar=True)
        d = check_array_1d(d, "d", scalar=True)
    if (
        mode.__class__ is not str or mode not in MODES
    ):  # the test costs less than the call
        check_option(mode, "mode", MODES)
    if method.__class__ is not str or method not in METHODS:
        check_option(method, "method", METHODS)
    start, stop = _mode_range(len(c), len(d), mode)
    return _convolve(c, d, start, stop, method)


def correlate(x, h, mode="full", method="auto"):
    """Cross-correlation ``z_k = sum_n x_{n+k} conj(h_n)``: ``x`` convolved with ``h`` reversed.

    Same result and dtype as :func:`numpy.correlate`, except that the default mode
    here is ``"full"`` (NumPy's is ``"valid"``). Correlation is what CNN libraries
    call "convolution" (book section 5.2): the filter slides over ``x`` without flipping.

    Parameters
    ----------
    x, h : array_like or torch.Tensor
        Non-empty 1-D sequences of numbers; ``h`` is conjugated when complex.
    mode : {"full", "same", "valid"}
        As in :func:`convolve`. For ``"same"`` with ``h`` longer than ``x`` and an even
        ``len(x)``, the kept window is one place later, as in :func:`numpy.correlate`
        (which swaps its arguments and reverses the output).
    method : {"auto", "direct", "matrix", "fft"}
        As in :func:`convolve`, with the same accuracy and the same rule for NaN and
        infinities. The error of ``"fft"`` is relative to the largest output, not to
        each one: about ``eps log2(N) max_k |z_k|`` on every output (``N`` the FFT
        length, ``eps`` the dtype's), and a single NaN or infinity makes every output
        NaN. The other methods, ``"auto"`` included, round each output relative to its
        own products and make an output non-finite exactly when one of them is.

    Returns
    -------
    numpy.ndarray
        The correlation, of dtype ``numpy.result_type(x, h)``.

    Raises
    ------
    TypeError
        If ``x`` or ``h`` is not an array of numbers.
    ValueError
        If ``x`` or ``h`` is empty or not 1-D (NumPy refuses numbers here too), or
        ``mode``/``method`` is unknown.

    See Also
    --------
    convolve : correlation with ``h`` flipped; its Notes give the accuracy of each method.
    numpy.correlate : the reference this function is tested against.

    Notes
    -----
    Book section 1.1; section 2.3, "Convolution or correlation?", contrasts
    convolution (commutative) with correlation (not).

    Examples
    --------
    >>> correlate([1, 2, 3], [0, 1, 2])
    array([2, 5, 8, 3, 0])
    >>> correlate([1, 2, 3], [0, 1, 2], mode="valid")
    array([8])
    """
    x = check_array_1d(x, "x")
    h = check_array_1d(h, "h")
    check_option(mode, "mode", MODES)
    check_option(method, "method", METHODS)
    h = np.conj(h[::-1]) if np.iscomplexobj(h) else h[::-1]
    start, stop = _mode_range(len(x), len(h), mode)
    if mode == "same" and len(h) > len(x):
        shift = 1 - len(x) % 2  # NumPy rounds the centre the other way when it swaps
        start, stop = start + shift, stop + shift
    return _convolve(x, h, start, stop, method)


def convolution_matrix(h, n, mode="full"):
    """The Toeplitz matrix ``T(h)`` of convolution with ``h``: ``T(h) @ x == convolve(h, x, mode)``.

    Entry ``(i, j)`` of the full matrix is ``h[i - j]`` (zero outside ``h``): each
    column is ``h`` shifted down by one more place, so every diagonal is constant.
    Same result as :func:`scipy.linalg.convolution_matrix`.

    Parameters
    ----------
    h : array_like or torch.Tensor
        Non-empty 1-D sequence of ``m`` numbers.
    n : int
        Length of the vectors ``x`` the matrix multiplies (its number of columns), >= 1.
    mode : {"full", "same", "valid"}
        Which rows to keep, as the entries of :func:`convolve`: ``m + n - 1``,
        ``max(m, n)`` or ``max(m, n) - min(m, n) + 1`` rows.

    Returns
    -------
    numpy.ndarray
        A new array of shape ``(rows, n)`` and the dtype of ``h``.

    Raises
    ------
    TypeError
        If ``h`` is not an array of numbers or ``n`` not an int.
    ValueError
        If ``h`` is empty or not 1-D, ``n < 1`` or ``mode`` is unknown.

    See Also
    --------
    convolve : the product ``T(h) @ x`` without storing ``T(h)``.
    scipy.linalg.convolution_matrix : the reference this function is tested against.

    Notes
    -----
    Book section 1.2, "Toeplitz matrices" (the 8 x 6 matrix ``T(x)`` of a length-3
    ``x``); section 4.1, "Circulant matrices", wraps it around into a circulant.

    Examples
    --------
    >>> convolution_matrix([1, 2, 3], 2)
    array([[1, 0],
           [2, 1],
           [3, 2],
           [0, 3]])
    >>> convolution_matrix([1, 2, 3], 4, mode="valid")
    array([[3, 2, 1, 0],
           [0, 3, 2, 1]])
    """
    h = check_array_1d(h, "h")
    n = check_int(n, "n", minimum=1)
    check_option(mode, "mode", MODES)
    start, stop = _mode_range(len(h), n, mode)
    return _toeplitz(h, n, start, stop)


def cyclic_convolve(c, d, method="auto"):
    """Cyclic convolution of two length-``n`` sequences: ``(c * d)_k = sum_i c_i d_{(k - i) mod n}``.

    The product of ``c(x) d(x)`` when ``x^n = 1``, as for ``x = w = exp(2 pi i / n)``:
    the powers ``x^n, x^{n+1}, ...`` of the linear convolution fold back onto
    ``1, x, ...``. It is the product with the circulant matrix of ``c`` (book section 4.1).

    Parameters
    ----------
    c, d : array_like or torch.Tensor
        Non-empty 1-D sequences of numbers of the same length ``n`` (a number is a
        sequence of length 1, as in :func:`convolve`).
    method : {"auto", "direct", "matrix", "fft"}
        How the linear convolution that is then folded is computed, as in
        :func:`convolve`, with its accuracy and its rule for NaN and infinities. The
        error of ``"fft"`` is relative to the largest output of that convolution, not
        to each one: about ``eps log2(N) max_k |(c * d)_k|`` on every output (``N`` the
        FFT length, ``eps`` the dtype's; the largest is at most ``||c||_2 ||d||_2``),
        and a single NaN or infinity makes every output NaN. The other methods,
        ``"auto"`` included, make an output non-finite exactly when one of the
        products it sums is.

    Returns
    -------
    numpy.ndarray
        The ``n`` cyclic coefficients, of dtype ``numpy.result_type(c, d)``; exact for integers.

    Raises
    ------
    TypeError
        If ``c`` or ``d`` is not an array of numbers.
    ValueError
        If ``c`` or ``d`` is empty or has more than one dimension, their lengths
        differ, or ``method`` is unknown.

    See Also
    --------
    convolve : linear (non-cyclic) convolution.
    coursekit.fourier.circulant : the circulant matrix ``C`` with ``C @ d == cyclic_convolve(c, d)``.

    Notes
    -----
    Book section 1.3, "Cyclic convolution"; section 4.2 diagonalizes it with the
    Fourier matrix.

    Examples
    --------
    (3 + x)(1 + 2x) = 3 + 7x + 2x^2, and with x^2 = 1 that is 5 + 7x:

    >>> cyclic_convolve([3, 1], [1, 2])
    array([5, 7])
    """
    c = check_array_1d(c, "c", scalar=True)
    d = check_array_1d(d, "d", scalar=True)
    n = len(c)
    if len(d) != n:
        raise ValueError(
            f"c and d must have the same length for cyclic convolution; got {n} and {len(d)}"
        )
    full = convolve(c, d, method=method)  # 2n - 1
    cyclic = full[:n].copy()  # n
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: NaN, silently
        cyclic[: n - 1] += full[n:]  # x^(n + k) = x^k
    return cyclic


# Limb widths tried by multiply_integers, widest first: multiples of 4 bits, so that the
# limbs are groups of hexadecimal digits of int.to_bytes and products pack back into bytes.
_LIMB_WIDTHS = (16, 12, 8, 4)


def _limb_bits(a, b):
    """Widest limbs in ``_LIMB_WIDTHS`` whose float64 FFT convolution is exact in the worst case.

    Limbs of ``w`` bits are below ``2**w``, so ``||limbs||_2 < 2**w sqrt(len)`` and the
    bound of :func:`_fft_is_exact` holds for every number of that size.
    """
    for bits in _LIMB_WIDTHS:
        n_a, n_b = -(-a.bit_length() // bits), -(-b.bit_length() // bits)
        n = fast_length(n_a + n_b - 1)
        if 4.0**bits * math.sqrt(n_a * n_b) * math.log2(max(n, 2)) < _FFT_EXACT_LIMIT:
            return bits
    return _LIMB_WIDTHS[-1]


def _limbs(value, bits):
    """Digits of the int ``value > 0`` in base ``2**bits`` (``bits`` in ``_LIMB_WIDTHS``), lowest first, as float64."""
    per_limb = bits // 4  # hexadecimal digits per limb
    count = -(-value.bit_length() // bits)
    raw = np.frombuffer(
        value.to_bytes(-(-count * per_limb // 2), "little"), dtype=np.uint8
    )  # bytes
    hexits = np.empty(
        (len(raw), 2), dtype=np.uint8
    )  # bytes, 2: low and high hexadecimal digit
    np.bitwise_and(raw, 15, out=hexits[:, 0])
    np.right_shift(raw, 4, out=hexits[:, 1])
    hexits = hexits.reshape(-1)[: count * per_limb].reshape(
        count, per_limb
    )  # limbs, per_limb
    limbs = hexits[:, -1].astype(
        np.float64
    )  # limbs: Horner's rule, highest hexadecimal digit first
    for j in range(per_limb - 2, -1, -1):
        limbs *= 16.0
        limbs += hexits[:, j]
    return limbs


def _digit_bytes(digits, bits):
    """Little-endian bytes of the base-``2**bits`` digit string ``digits`` (``bits`` in 8, 16, 24)."""
    if bits != 24:
        return digits.astype(f"<u{bits // 8}").tobytes()
    quads = np.zeros(-(-len(digits) // 4) * 4, dtype=np.uint32)
    quads[: len(digits)] = digits
    quads = quads.reshape(
        -1, 4
    )  # groups, 4: four 24-bit digits fill three 32-bit words
    words = np.empty((len(quads), 3), dtype=np.uint32)  # groups, 3
    words[:, 0] = quads[:, 0] | (quads[:, 1] << 24)
    words[:, 1] = (quads[:, 1] >> 8) | (quads[:, 2] << 16)
    words[:, 2] = (quads[:, 2] >> 16) | (quads[:, 3] << 8)
    return words.astype("<u4", copy=False).tobytes()


def _from_coefficients(coefficients, bits):
    """The int ``sum_k coefficients[k] 2**(bits k)`` for int64 ``coefficients`` in ``[0, 2**48)``.

    Python's big-integer addition propagates the carries: pairs of coefficients (when
    ``bits`` is not a whole number of bytes) make ``P_m`` below ``2**60`` at weights
    ``2**(G m)`` with ``G`` in 8, 16, 24; the bits ``[G t, G (t+1))`` of every ``P_m``
    form an ordinary base-``2**G`` digit string, and those few ints, shifted by ``G t``
    bits, add up to the result.
    """
    if bits % 8:
        pairs = coefficients[0::2].copy()  # ceil(len / 2)
        pairs[: len(coefficients) // 2] += coefficients[1::2] << bits
        coefficients, bits = pairs, 2 * bits
    total = 0
    for t in range(-(-int(coefficients.max()).bit_length() // bits)):
        digits = (coefficients >> (bits * t)) & ((1 << bits) - 1)
        total += int.from_bytes(_digit_bytes(digits, bits), "little") << (bits * t)
    return total


def multiply_integers(a, b):
    """Exact product of two Python ints, by convolving their digits and carrying.

    An integer is a polynomial evaluated at its base: ``123 = 3 + 2*10 + 1*10**2``. So
    the digits of ``a * b`` are the convolution of the digits of ``a`` and ``b``,
    followed by carries. Here the digits ("limbs") are base ``2**w``, groups of
    hexadecimal digits of ``int.to_bytes``: ``w = 16`` for numbers up to some 10**4
    decimal digits, then 12, 8 or 4 bits (12 at 10**6 digits) so that the float64 FFT of
    the limbs still rounds to the exact integers in the worst case (the bound of
    :func:`convolve`). The convolution rule multiplies them: one real FFT of a fast
    length per operand (one only when ``a == b``), a pointwise product, one inverse
    FFT, ``O(N log N)`` against the ``O(N**1.58)`` of CPython's Karatsuba. The rounded
    coefficients are cut into whole bytes, and adding the few resulting ints (Python's
    linear-time addition) propagates every carry.

    Parameters
    ----------
    a, b : int
        Integers of any size and sign (``bool`` is refused).

    Returns
    -------
    int
        ``a * b``, exactly.

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not an int, or is a bool.

    See Also
    --------
    convolve : the digit convolution.

    Notes
    -----
    Book section 1.4, "Multiplying big integers"; section 4.4 explains why the
    FFT makes it fast. Python's
    ``*`` is never applied to the operands: the only big-integer operations are
    conversions to and from bytes, shifts and additions.

    Examples
    --------
    >>> multiply_integers(123, 456)
    56088
    >>> multiply_integers(-(2**100), 3) == -3 * 2**100
    True
    """
    a = check_int(a, "a")
    b = check_int(b, "b")
    negative = (a < 0) != (b < 0)
    a, b = abs(a), abs(b)
    if a == 0 or b == 0:
        return 0
    bits = _limb_bits(a, b)
    limbs_a = _limbs(a, bits)
    n_full = len(limbs_a) + -(-b.bit_length() // bits) - 1
    n = fast_length(n_full)
    if a == b:
        spectrum = scipy.fft.rfft(limbs_a, n)  # n // 2 + 1
        np.square(spectrum, out=spectrum)
    else:
        limbs_b = _limbs(b, bits)
        both = np.zeros(
            (2, n)
        )  # 2, n: one batch, whose two transforms run on two cores
        both[0, : len(limbs_a)] = limbs_a
        both[1, : len(limbs_b)] = limbs_b
        spectrum, spectrum_b = scipy.fft.rfft(
            both, overwrite_x=True, workers=-1
        )  # 2 x (n // 2 + 1)
        spectrum *= spectrum_b
    coefficients = np.rint(scipy.fft.irfft(spectrum, n)[:n_full]).astype(
        np.int64
    )  # n_full, exact
    product = _from_coefficients(coefficients, bits)
    return -product if negative else product
