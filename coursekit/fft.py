"""The fast Fourier transform built from scratch (book section 4.4, "The FFT from scratch").

``fft(x)`` multiplies the last axis of ``x`` by the conjugate Fourier matrix,
``X[k] = sum_j x[j] exp(-2 pi i j k / n)`` (NumPy's sign and normalization), in
``O(n log n)`` operations instead of the matrix's ``n**2``:

* for ``n`` a power of two, by the radix-2 Cooley-Tukey algorithm: the even- and
  odd-indexed halves are transformed on their own and combined by ``n / 2``
  *butterflies* ``(a, b) -> (a + w b, a - w b)``. Unrolled, the recursion first puts
  the input in bit-reversed order, then runs ``log2 n`` stages of butterflies; each
  stage is a few whole-array operations over every butterfly and every batch row;
* for any other ``n``, by Bluestein's algorithm: ``j k = (j**2 + k**2 - (k - j)**2) / 2``
  turns the transform into a convolution with a *chirp*, which is computed as a
  cyclic convolution of power-of-two length by the radix-2 FFT.

``ifft`` is ``conj(fft(conj(X))) / n``. The functions take NumPy arrays or torch
tensors (on any device; autograd flows through them) and never call ``numpy.fft``
or ``torch.fft``.
"""

import functools
import sys

import numpy as np

__all__ = ["bit_reversal", "fft", "fft_recursive", "ifft"]


def bit_reversal(n):
    """The bit-reversal permutation of ``range(n)``, for ``n`` a power of two.

    Index ``j`` with binary digits ``b_{k-1} ... b_1 b_0`` goes to ``b_0 b_1 ... b_{k-1}``:
    the order in which the radix-2 recursion's even/odd splits leave the input.

    Parameters
    ----------
    n : int
        A power of two.

    Returns
    -------
    ndarray of int64, shape (n,)
        ``x[bit_reversal(n)]`` is ``x`` in bit-reversed order; the permutation is its own inverse.

    Raises
    ------
    TypeError
        If ``n`` is not an int.
    ValueError
        If ``n`` is not a power of two.

    See Also
    --------
    fft : uses it before its butterfly stages. Book section 4.4, "The FFT from scratch".

    Examples
    --------
    >>> bit_reversal(8)
    array([0, 4, 2, 6, 1, 5, 3, 7])
    """
    return _bit_reversal(_check_power_of_two(n, "n")).copy()


@functools.lru_cache(maxsize=64)
def _bit_reversal(n):
    bits = n.bit_length() - 1
    j = np.arange(n)
    rev = np.zeros(n, dtype=np.int64)
    for b in range(bits):
        rev |= ((j >> b) & 1) << (bits - 1 - b)
    return rev


def _check_power_of_two(n, name):
    from ._validation import check_int

    n = check_int(n, name, minimum=1)
    if n & (n - 1):
        raise ValueError(f"{name} must be a power of two; got {n}")
    return n


def _roots(k, n):
    """``exp(-2 pi i k / n)`` for an integer array ``k``, from angles in the first octant.

    ``k`` is reduced to ``[0, n / 2]`` by the symmetries of the circle in exact integer
    arithmetic, and the cosine and sine of an angle beyond pi / 4 are taken as the sine
    and cosine of the complementary angle, so every root is accurate to an ulp and the
    roots at multiples of a quarter turn are exact (``exp(-i pi / 2) == -1j``).
    """
    k = np.asarray(k, dtype=np.int64) % n
    upper = 2 * k > n
    k = np.where(upper, n - k, k)  # angle 2 pi k / n in [0, pi]
    angle = 2 * np.pi * k / n
    cos, sin = np.cos(angle), np.sin(angle)
    mid = (8 * k > n) & (8 * k <= 3 * n)  # pi/4 < angle <= 3 pi/4: pi/2 - angle
    complement = 2 * np.pi * (n - 4 * k) / (4 * n)
    cos, sin = (
        np.where(mid, np.sin(complement), cos),
        np.where(mid, np.cos(complement), sin),
    )
    high = 8 * k > 3 * n  # angle > 3 pi/4: pi - angle
    supplement = 2 * np.pi * (n - 2 * k) / (2 * n)
    cos, sin = (
        np.where(high, -np.cos(supplement), cos),
        np.where(high, np.sin(supplement), sin),
    )
    return cos - 1j * np.where(upper, -sin, sin)


@functools.lru_cache(maxsize=64)
def _twiddles(n):
    """``exp(-2 pi i j / n)`` for ``j < n / 2``, complex128; stage ``h`` uses every ``n / (2 h)``-th."""
    return _roots(np.arange(n // 2), n)


@functools.lru_cache(maxsize=64)
def _chirp(n):
    """Bluestein's chirp ``c[j] = exp(-i pi j**2 / n)`` and the FFT of its conjugate, wrapped to length ``M``.

    ``j**2`` is reduced modulo ``2 n`` first, so the angle stays small and exact.
    """
    j = np.arange(n, dtype=np.int64)
    c = _roots(j * j % (2 * n), 2 * n)
    M = 1 << (2 * n - 2).bit_length()  # power of two >= 2 n - 1
    b = np.zeros(M, dtype=complex)
    b[:n] = c.conj()
    # b[-m] = conj(c[m]): the kernel seen cyclically
    b[M - n + 1 :] = c[1:][::-1].conj()
    return c, _radix2(b, _NUMPY)


class _Backend:
    """The few array operations the FFT needs, for NumPy arrays or torch tensors."""

    def __init__(self, butterflies, concatenate, constant, take):
        self.butterflies, self.concatenate, self.constant, self.take = (
            butterflies,
            concatenate,
            constant,
            take,
        )


def _numpy_butterflies(a, b):
    """``a + b`` and ``a - b`` stacked along a new axis ``-2``, computed into one new array (no stacking copy)."""
    out = np.empty((*a.shape[:-1], 2, a.shape[-1]), dtype=a.dtype)
    np.add(a, b, out=out[..., 0, :])
    np.subtract(a, b, out=out[..., 1, :])
    return out


def _torch_butterflies(a, b):
    """``a + b`` and ``a - b`` stacked along a new axis ``-2`` (autograd follows it)."""
    import torch

    return torch.stack([a + b, a - b], -2)


def _numpy_constant(values, like):
    return values.astype(like.dtype, copy=False)


def _torch_constant(values, like):
    import torch

    return torch.from_numpy(values).to(device=like.device, dtype=like.dtype)


def _torch_take(x, index):
    import torch

    # x[..., index] is 1000x slower
    return x.index_select(-1, torch.from_numpy(index).to(x.device))


def _torch_backend():
    import torch

    return _Backend(_torch_butterflies, torch.cat, _torch_constant, _torch_take)


_NUMPY = _Backend(
    _numpy_butterflies,
    np.concatenate,
    _numpy_constant,
    lambda x, index: x[..., index],
)

_NUMPY_COMPLEX64 = (np.float16, np.float32, np.complex64)


def _prepare(x, name="x"):
    """``x`` as a complex array of the FFT's output dtype, and its backend; validates it."""
    # a tensor means torch is imported; NumPy users never import it
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        if x.dtype in (torch.float16, torch.bfloat16, torch.complex32):
            raise TypeError(
                f"{name} must be float32, float64, complex or integer; got {x.dtype} "
                "(convert it to float32 first)"
            )
        if x.dtype in (torch.float64, torch.complex128):
            dtype = torch.complex128
        elif x.dtype in (torch.float32, torch.complex64):
            dtype = torch.complex64
        else:  # integers and bools follow torch.fft: the default dtype's complex type
            dtype = (
                torch.complex128
                if torch.get_default_dtype() == torch.float64
                else torch.complex64
            )
        backend = _torch_backend()
    else:
        x = np.asarray(x)
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool) or x.dtype in (
            np.longdouble,
            np.clongdouble,
        ):
            raise TypeError(
                f"{name} must be an array of float32, float64, complex or integer numbers; "
                f"got dtype {x.dtype}"
            )
        dtype = np.complex64 if x.dtype in _NUMPY_COMPLEX64 else np.complex128
        backend = _NUMPY
    if x.ndim == 0:
        raise ValueError(
            f"{name} must have at least one axis; got a 0-d {type(x).__name__}"
        )
    if x.shape[-1] == 0:
        raise ValueError(
            f"the last axis of {name} must have length >= 1; got shape {tuple(x.shape)}"
        )
    return x.astype(dtype) if backend is _NUMPY else x.to(dtype), backend


def _radix2(x, backend):
    """Iterative radix-2 FFT along the last axis of complex ``x`` (length a power of 2).

    After the bit-reversal permutation, stage ``h = 1, 2, 4, ...`` views the array as
    ``(..., n / 2h, 2, h)``: blocks of two halves of length ``h``, each half the FFT of
    ``h`` samples. A butterfly combines entry ``j`` of both halves into the FFT of
    length ``2 h``: ``(a, b) -> (a + w**j b, a - w**j b)`` with
    ``w = exp(-2 pi i / 2h)``.
    """
    n = x.shape[-1]
    lead = tuple(x.shape[:-1])
    y = backend.take(x, _bit_reversal(n))  # ...,n
    twiddles = backend.constant(_twiddles(n), y) if n > 1 else None
    h = 1
    while h < n:
        y = y.reshape(*lead, n // (2 * h), 2, h)  # ...,blocks,2,h
        a, b = y[..., 0, :], y[..., 1, :]
        if h > 1:  # the first stage's twiddle factor is 1
            b = b * twiddles[:: n // (2 * h)]
        y = backend.butterflies(a, b)  # a + b, a - b: ...,blocks,2,h
        h *= 2
    return y.reshape(*lead, n)


def _bluestein(x, backend):
    """FFT of any length ``n`` along the last axis as a chirp convolution of power-of-two length ``M``.

    ``X[k] = c[k] sum_j (x[j] c[j]) conj(c[k - j])`` with ``c[j] = exp(-i pi j**2 / n)``:
    a linear convolution of length ``2 n - 1``, computed cyclically with ``M >= 2 n - 1``.
    """
    n = x.shape[-1]
    c, spectrum = _chirp(n)
    M = spectrum.shape[0]
    c, spectrum = backend.constant(c, x), backend.constant(spectrum, x)
    a = x * c  # ...,n
    zeros = backend.constant(np.zeros((*x.shape[:-1], M - n)), x)
    a = backend.concatenate([a, zeros], -1)  # ...,M
    product = _radix2(a, backend) * spectrum  # ...,M
    convolution = _radix2(product.conj(), backend).conj() / M  # the inverse FFT, ...,M
    return convolution[..., :n] * c


def _transform(x, backend):
    n = x.shape[-1]
    return _radix2(x, backend) if n & (n - 1) == 0 else _bluestein(x, backend)


def fft(x):
    """The discrete Fourier transform along the last axis, by the radix-2 FFT or Bluestein's algorithm.

    ``X[..., k] = sum_j x[..., j] exp(-2 pi i j k / n)``, as ``numpy.fft.fft(x)``.

    Parameters
    ----------
    x : array_like or torch.Tensor
        Real, complex, integer or boolean values, shape (..., n) with ``n >= 1``;
        leading axes are a batch.

    Returns
    -------
    ndarray or torch.Tensor
        Shape of ``x``; the type of ``x`` (a tensor stays on its device and keeps
        autograd). Complex dtype as NumPy's and torch's FFT: complex64 for float32
        (and NumPy's float16) and complex64 input, complex128 for float64 and complex128;
        integers give complex128 in NumPy and torch's default complex dtype.

    Raises
    ------
    TypeError
        If ``x`` is not numeric, or of a dtype without a complex counterpart here
        (float16/bfloat16 tensors, long double arrays).
    ValueError
        If ``x`` has no axis or its last axis is empty.

    See Also
    --------
    ifft : the inverse.
    fft_recursive : the textbook recursion, for powers of two.
    numpy.fft.fft : the reference. Book section 4.4, "The FFT from scratch", derives both
        algorithms.

    Notes
    -----
    Radix-2: ``(n / 2) log2 n`` butterflies. Bluestein: three radix-2 FFTs of length
    ``M``, the power of two ``>= 2 n - 1`` (one of them, the chirp's, cached). The
    relative round-off grows like ``log2 n`` times the unit round-off.

    Examples
    --------
    >>> fft(np.array([1.0, 2.0, 3.0, 4.0]))
    array([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j])
    >>> np.round(abs(fft([1, 1, 1])), 12)  # length 3: Bluestein
    array([3., 0., 0.])
    """
    x, backend = _prepare(x)
    return _transform(x, backend)


def ifft(x):
    """The inverse discrete Fourier transform along the last axis: ``x[j] = (1/n) sum_k X[k] exp(2 pi i j k / n)``.

    Computed as ``conj(fft(conj(X))) / n``, NumPy's normalization.

    Parameters
    ----------
    x : array_like or torch.Tensor
        Shape (..., n) with ``n >= 1``.

    Returns
    -------
    ndarray or torch.Tensor
        As :func:`fft`.

    Raises
    ------
    TypeError, ValueError
        As :func:`fft`.

    See Also
    --------
    fft : the forward transform.
    numpy.fft.ifft : the reference. Book section 4.4, "The FFT from scratch".

    Examples
    --------
    >>> ifft(np.array([10, -2 + 2j, -2, -2 - 2j]))
    array([1.+0.j, 2.+0.j, 3.+0.j, 4.+0.j])
    """
    x, backend = _prepare(x)
    return _transform(x.conj(), backend).conj() / x.shape[-1]


def fft_recursive(x):
    """The radix-2 FFT as the textbook recursion: transform the even and odd samples, then combine.

    ``X[k] = E[k] + w**k O[k]`` and ``X[k + n/2] = E[k] - w**k O[k]`` for ``k < n / 2``,
    where ``E`` and ``O`` are the FFTs of ``x[0::2]`` and ``x[1::2]`` and ``w = exp(-2 pi i / n)``.
    The same butterflies as :func:`fft`, computed depth first; for reading, not for speed.

    Parameters
    ----------
    x : array_like or torch.Tensor
        Shape (..., n), ``n`` a power of two.

    Returns
    -------
    ndarray or torch.Tensor
        As :func:`fft`.

    Raises
    ------
    TypeError
        As :func:`fft`.
    ValueError
        As :func:`fft`, and if ``n`` is not a power of two.

    See Also
    --------
    fft : the iterative version with bit reversal. Book section 4.4, "The FFT from scratch".

    Examples
    --------
    >>> fft_recursive(np.array([1.0, 2.0, 3.0, 4.0]))
    array([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j])
    """
    x, backend = _prepare(x)
    n = _check_power_of_two(x.shape[-1], "the length of the last axis of x")
    return _recurse(x, backend, n)


def _recurse(x, backend, n):
    if n == 1:
        return x
    even = _recurse(x[..., 0::2], backend, n // 2)  # ...,n/2
    odd = _recurse(x[..., 1::2], backend, n // 2)  # ...,n/2
    odd = odd * backend.constant(_twiddles(n), x)  # times the twiddle factors
    return backend.concatenate([even + odd, even - odd], -1)  # ...,n
