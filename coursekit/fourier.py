"""Circulant matrices, the Fourier matrix and the convolution rule (book part 4).

Two conventions meet in this module, and every docstring says which one it uses.

* The book's Fourier matrix ``F`` (section 4.2) has entries ``w**(j*k)`` with ``w = exp(2j*pi/n)``.
  NumPy's ``fft`` uses ``exp(-2j*pi/n)``, so ``np.fft.fft(x) == conj(F) @ x``.
* Some texts write a circulant as ``C = c0 I + c1 P + c2 P^2 + ...`` with ``P`` the
  up-shift, so ``c`` is its first ROW and its eigenvalues are ``F @ c``. SciPy's
  ``scipy.linalg.circulant(c)`` takes ``c`` as the first COLUMN; that matrix is
  ``c0 I + c1 S + c2 S^2 + ...`` with ``S = P.T`` the down-shift, and its eigenvalues are
  ``conj(F) @ c = np.fft.fft(c)``. :func:`circulant` and the book follow SciPy.

In both conventions the columns of ``F`` are the eigenvectors, and the convolution rule holds
with either transform: ``F @ cyclic(c, d) == (F @ c) * (F @ d)`` and
``fft(cyclic(c, d)) == fft(c) * fft(d)``.

Periodic filtering of images (:func:`blur`, :func:`deconvolve`) uses a kernel whose origin is
its centre element ``kernel[(kh - 1) // 2, (kw - 1) // 2]``, the element that
``scipy.signal.fftconvolve(..., mode="same")`` lines up with each pixel; :func:`bccb` and
:func:`convolution_operator_basis` state their origin in their docstrings.
"""

import numpy as np
import scipy.fft

from ._fft import centered, fftconvolve_numpy, fftconvolve_torch
from ._validation import check_int, check_option

__all__ = [
    "fourier_matrix",
    "shift_matrix",
    "circulant",
    "circulant_eigenvalues",
    "fft_convolve",
    "bccb",
    "blur",
    "deconvolve",
    "convolution_operator_basis",
]

_MODES = ("full", "same", "valid")
_BOUNDARIES = ("zero", "periodic")

# An eigenvalue of a blur counts as zero below 8 eps log2(N) times the largest: the FFT
# computes the exact zeros of a kernel's spectrum (box kernels, differences) as about
# eps log2(N) max|K| (measured: at most 0.3 times that), while genuinely small ones, such
# as those of a Gaussian blur, are far above (1.8e-12 of the largest for the 15 x 15,
# sigma = 2 kernel on 300 x 256, where the limit is 2.9e-14).
_VANISHING = 8 * np.finfo(np.float64).eps


def _is_tensor(x):
    return hasattr(x, "detach") and hasattr(x, "device")


def fourier_matrix(n):
    """The n x n Fourier matrix ``F[j, k] = w**(j*k)`` with ``w = exp(2 pi i / n)``.

    This is the book's sign (section 4.2). NumPy's FFT uses the conjugate root, so
    ``np.fft.fft(x) == F.conj() @ x`` and ``np.fft.ifft(X) == F @ X / n``.
    The columns are orthogonal with squared length ``n``: ``F @ F.conj().T == n * I``.

    Parameters
    ----------
    n : int
        The size, at least 1.

    Returns
    -------
    F : ndarray of complex128, shape (n, n)
        Symmetric; column ``k`` is the eigenvector ``(1, w**k, w**(2k), ...)`` of every
        circulant matrix.

    Raises
    ------
    TypeError
        If ``n`` is not an int.
    ValueError
        If ``n < 1``.

    See Also
    --------
    circulant_eigenvalues : eigenvalues in the order of F's columns.
    numpy.fft.fft : multiplies by ``F.conj()`` in N log N steps.
    Book section 4.2, "The Fourier matrix diagonalizes every circulant".

    Examples
    --------
    >>> np.round(fourier_matrix(4).imag).astype(int)  # F = [[1,1,1,1],[1,i,-1,-i],...]
    array([[ 0,  0,  0,  0],
           [ 0,  1,  0, -1],
           [ 0,  0,  0,  0],
           [ 0, -1,  0,  1]])
    >>> np.round(fourier_matrix(2).real).astype(int)
    array([[ 1,  1],
           [ 1, -1]])
    """
    n = check_int(n, "n", minimum=1)
    # n,n; reducing mod n keeps the angles small
    jk = np.outer(np.arange(n), np.arange(n)) % n
    return np.exp(2j * np.pi * jk / n)


def shift_matrix(n):
    """The cyclic up-shift P: ``(P @ x)[i] == x[(i + 1) % n]``.

    With this P the first-row circulant ``C = c[0] I + c[1] P + c[2] P^2 + ...`` has ``c`` as its
    first row. Its transpose is the down-shift ``S``, and SciPy's ``circulant(c)`` (first column
    ``c``) equals ``c[0] I + c[1] S + c[2] S^2 + ...``. Column ``k`` of :func:`fourier_matrix` is an
    eigenvector of P with eigenvalue ``w**k``.

    Parameters
    ----------
    n : int
        The size, at least 1.

    Returns
    -------
    P : ndarray of int64, shape (n, n)
        The permutation matrix with ones at ``(i, (i + 1) % n)``.

    Raises
    ------
    TypeError
        If ``n`` is not an int.
    ValueError
        If ``n < 1``.

    See Also
    --------
    circulant : SciPy's first-column circulant, a polynomial in ``P.T``.
    Book section 4.1, "Circulant matrices".

    Examples
    --------
    >>> P = shift_matrix(3)
    >>> P
    array([[0, 1, 0],
           [0, 0, 1],
           [1, 0, 0]])
    >>> P @ np.array([10, 20, 30])
    array([20, 30, 10])
    >>> 1 * np.eye(3, dtype=int) + 2 * P + 3 * P @ P  # first row (1, 2, 3)
    array([[1, 2, 3],
           [3, 1, 2],
           [2, 3, 1]])
    """
    n = check_int(n, "n", minimum=1)
    return np.roll(np.eye(n, dtype=np.int64), 1, axis=1)


def circulant(c):
    """The circulant matrix whose first COLUMN is ``c``, as ``scipy.linalg.circulant(c)``.

    ``C[i, j] = c[(i - j) % n]``: each column is the previous one shifted down cyclically. For a
    1-D ``c``, ``C @ d`` is the cyclic convolution of ``c`` and ``d``.

    Parameters
    ----------
    c : array_like or torch.Tensor, shape (..., n)
        The first column. Leading dimensions are a batch, as in SciPy. A torch tensor gives a
        tensor on the same device with the same dtype.

    Returns
    -------
    C : ndarray or torch.Tensor, shape (..., n, n)
        Same dtype as ``c``.

    Raises
    ------
    ValueError
        If ``c`` is empty along its last axis.

    See Also
    --------
    scipy.linalg.circulant : the reference this function matches.
    shift_matrix : the first-row form ``c0 I + c1 P + ...``.
    circulant_eigenvalues : the eigenvalues ``np.fft.fft(c)``.
    Book section 4.1, "Circulant matrices".

    Examples
    --------
    >>> circulant([1, 2, 3])
    array([[1, 3, 2],
           [2, 1, 3],
           [3, 2, 1]])
    >>> circulant([3, 1]) @ np.array([1, 2])  # (3 + x)(1 + 2x) mod x^2 - 1 = 5 + 7x
    array([5, 7])
    """
    if not _is_tensor(c):
        c = np.atleast_1d(np.asarray(c))
    n = c.shape[-1]
    if n == 0:
        raise ValueError(f"c must have at least one entry; got shape {tuple(c.shape)}")
    index = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n  # n,n
    if _is_tensor(c):
        import torch

        index = torch.as_tensor(index, device=c.device)
    return c[..., index]  # ...,n,n


def circulant_eigenvalues(c):
    """The eigenvalues of ``circulant(c)``, in the order of the columns of ``fourier_matrix(n)``.

    ``circulant(c) @ F[:, k] == lam[k] * F[:, k]`` with ``lam = conj(F) @ c``, which is
    ``np.fft.fft(c)``; it is computed by the FFT. (The first-row circulant
    ``c0 I + c1 P + ...`` has eigenvalues ``F @ c`` instead: the transpose of SciPy's.)

    Parameters
    ----------
    c : array_like or torch.Tensor, shape (..., n)
        The first column of the circulant; leading dimensions are a batch.

    Returns
    -------
    lam : ndarray or torch.Tensor of complex dtype, shape (..., n)

    Raises
    ------
    ValueError
        If ``c`` is empty along its last axis.

    See Also
    --------
    circulant : the matrix.
    fourier_matrix : its columns are the eigenvectors.
    Book section 4.2, "The Fourier matrix diagonalizes every circulant".

    Examples
    --------
    >>> np.round(circulant_eigenvalues([2, 1, 0, 1]).real, 12)  # 2 + 2 cos(2 pi k / 4)
    array([4., 2., 0., 2.])
    >>> np.round(circulant_eigenvalues([0, 1, 0, 0]), 12)  # the down-shift: powers of conj(w) = -i
    array([ 1.+0.j,  0.-1.j, -1.+0.j,  0.+1.j])
    """
    if _is_tensor(c):
        import torch

        if c.shape[-1] == 0:
            raise ValueError(
                f"c must have at least one entry; got shape {tuple(c.shape)}"
            )
        return torch.fft.fft(c, dim=-1)
    c = np.atleast_1d(np.asarray(c))
    if c.shape[-1] == 0:
        raise ValueError(f"c must have at least one entry; got shape {c.shape}")
    return scipy.fft.fft(c, axis=-1)


def _valid_swap(s1, s2, axes):
    """Whether "valid" mode needs the inputs swapped (SciPy's rule), raising if neither fits."""
    x_fits = all(s1[a] >= s2[a] for a in axes)
    h_fits = all(s2[a] >= s1[a] for a in axes)
    if not (x_fits or h_fits):
        raise ValueError(
            "mode='valid' needs one input at least as large as the other in every dimension; "
            f"got x of shape {tuple(s1)} and h of shape {tuple(s2)}"
        )
    return not x_fits


def fft_convolve(x, h, mode="full"):
    """Linear convolution of N-D arrays by the FFT, as ``scipy.signal.fftconvolve(x, h, mode)``.

    ``out[n] = sum_k x[k] h[n - k]`` (N-D indices), computed by the convolution rule: zero-pad
    both inputs to a fast length at least ``len(x) + len(h) - 1`` along each axis, multiply their
    FFTs (real FFTs for real input), transform back and cut out the requested part. Axes where
    either input has length 1 broadcast instead, as in SciPy.

    Parameters
    ----------
    x, h : array_like or torch.Tensor
        Inputs with the same number of dimensions. If either is a torch tensor, the other is
        moved to its device, the FFTs are ``torch.fft`` ones and autograd flows through.
    mode : {"full", "same", "valid"}
        "full": every overlap, length ``len(x) + len(h) - 1`` per axis. "same": the shape of
        ``x``, centred on the full result as SciPy does. "valid": only full overlaps, length
        ``max - min + 1`` per axis; one input must be at least as large as the other in every
        dimension.

    Returns
    -------
    out : ndarray or torch.Tensor
        Real when both inputs are real (float64 for integer NumPy input), complex otherwise.

    Raises
    ------
    ValueError
        If ``mode`` is not an allowed option, if ``x`` and ``h`` differ in dimensionality, or in
        "valid" mode if neither input is at least as large as the other in every dimension.

    See Also
    --------
    scipy.signal.fftconvolve : the reference this function matches.
    coursekit.convolve : the direct N^2 method (section 1.1); its "auto" sums directly.

    Notes
    -----
    Accuracy: the FFT's rounding error is relative to the largest output, not to each one:
    about ``eps log2(N) max |out|`` on every output (``eps`` of the computing dtype,
    ``N`` the padded size; bounded by ``eps log2(N) ||x||_2 ||h||_2`` up to a small
    constant, Percival, Math. Comp. 72, 2003). Outputs far smaller than the largest, such
    as those of inputs whose non-zero magnitudes are far apart, lose digits or drown in
    that error, and exact zeros come out as rounding noise.

    Non-finite values: every output depends on every input through the transforms, so a
    single NaN or infinity makes every output NaN (as in :func:`scipy.signal.fftconvolve`).
    :func:`coursekit.convolve` computes 1-D convolutions with NumPy's rule instead.

    Examples
    --------
    >>> np.round(fft_convolve([3, 1], [1, 2]), 12)  # (3 + x)(1 + 2x) = 3 + 7x + 2x^2
    array([3., 7., 2.])
    >>> np.round(fft_convolve([1, 2, 3, 4], [1, 1, 1], mode="valid"), 12)
    array([6., 9.])
    >>> np.round(fft_convolve(np.ones((3, 3)), np.ones((2, 2)), mode="same"), 12)
    array([[1., 2., 2.],
           [2., 4., 4.],
           [2., 4., 4.]])
    """
    mode = check_option(mode, "mode", _MODES)
    torch_mode = _is_tensor(x) or _is_tensor(h)
    if torch_mode:
        x, h = _as_float_tensors(x, h)
    else:
        x, h = np.asarray(x), np.asarray(h)
    if x.ndim == h.ndim == 0:
        return x * h
    if x.ndim != h.ndim:
        raise ValueError(
            f"x and h must have the same number of dimensions; got {x.ndim} (shape {tuple(x.shape)}) "
            f"and {h.ndim} (shape {tuple(h.shape)})"
        )
    s1, s2 = tuple(x.shape), tuple(h.shape)
    if 0 in s1 or 0 in s2:
        return x.new_zeros(0) if torch_mode else np.array([])
    # the others broadcast
    axes = [a for a in range(x.ndim) if s1[a] != 1 and s2[a] != 1]
    if mode == "valid" and _valid_swap(s1, s2, axes):
        x, h, s1, s2 = h, x, s2, s1
    if not axes:
        full = x * h
    elif torch_mode:
        full = fftconvolve_torch(x, h, axes)
    else:
        full = fftconvolve_numpy(x, h, axes)
    if mode == "same":
        out = centered(full, s1, range(full.ndim))
    elif mode == "valid":
        shape = [
            s1[a] - s2[a] + 1 if a in axes else full.shape[a] for a in range(full.ndim)
        ]
        out = centered(full, shape, range(full.ndim))
    else:
        out = full
    return out if torch_mode else out.copy()


def _as_float_tensors(*arrays):
    """Tensors on the device of the first tensor among ``arrays``; integers become float."""
    import torch

    dev = next(a.device for a in arrays if _is_tensor(a))
    tensors = [torch.as_tensor(a, device=dev) for a in arrays]
    return [
        t
        if (t.is_floating_point() or t.is_complex())
        else t.to(torch.get_default_dtype())
        for t in tensors
    ]


def bccb(kernel, shape):
    """The block-circulant matrix with circulant blocks of periodic 2-D convolution.

    For an image ``u`` of shape ``(H, W)``, ``bccb(kernel, (H, W)) @ u.ravel()`` is the row-major
    ravel of the periodic convolution ``z[i, j] = sum_{a, b} kernel[a, b] u[(i - a) % H, (j - b) % W]``.
    The kernel's origin is its element ``[0, 0]``: that weight multiplies the pixel itself.
    ``M[(i, j), (p, q)] = K[(i - p) % H, (j - q) % W]`` with ``K`` the kernel zero-padded to
    ``(H, W)``, so the first column is ``K.ravel()``; the matrix is block circulant (blocks indexed
    by rows) with circulant ``W x W`` blocks. Its eigenvectors are the 2-D Fourier modes
    ``kron(F_H, F_W)`` columns, and its eigenvalues are ``scipy.fft.fft2(K)`` (ravelled).

    Parameters
    ----------
    kernel : array_like, shape (kh, kw)
        The kernel, origin at ``[0, 0]``; ``kh <= H`` and ``kw <= W``.
    shape : tuple of two ints
        The image shape ``(H, W)``.

    Returns
    -------
    M : ndarray, shape (H * W, H * W)
        Same dtype as ``kernel``.

    Raises
    ------
    ValueError
        If ``kernel`` is not 2-D, if ``shape`` is not two positive ints, or if the kernel is larger
        than ``shape``.

    See Also
    --------
    circulant : the 1-D case; ``bccb(k[None, :], (1, n)) == circulant(pad(k, n))``.
    blur : the same periodic convolution by the FFT, with a centred kernel.
    Book section 4.5, "Two dimensions: Kronecker products and BCCB matrices".

    Examples
    --------
    >>> bccb([[1, 2]], (2, 2))  # two circulant blocks [[1, 2], [2, 1]] and zero blocks
    array([[1, 2, 0, 0],
           [2, 1, 0, 0],
           [0, 0, 1, 2],
           [0, 0, 2, 1]])
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be 2-D; got an array of shape {kernel.shape}")
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(f"shape must be a pair of ints (H, W); got {shape!r}")
    H, W = (check_int(s, "shape", minimum=1) for s in shape)  # image height, width
    if kernel.shape[0] > H or kernel.shape[1] > W:
        raise ValueError(
            f"kernel must fit in shape {(H, W)}; got a kernel of shape {kernel.shape}"
        )
    K = np.zeros((H, W), dtype=kernel.dtype)  # H,W
    K[: kernel.shape[0], : kernel.shape[1]] = kernel
    rows = (np.arange(H)[:, None] - np.arange(H)[None, :]) % H  # H,H: (i - p) % H
    cols = (np.arange(W)[:, None] - np.arange(W)[None, :]) % W  # W,W: (j - q) % W
    # H,W,H,W indexed (i, j, p, q)
    M = K[rows[:, None, :, None], cols[None, :, None, :]]
    return M.reshape(H * W, H * W)


def _check_image_kernel(image, kernel):
    image, kernel = np.asarray(image), np.asarray(kernel)
    if image.ndim == 0 or image.size == 0:
        raise ValueError(f"image must be a non-empty array; got shape {image.shape}")
    if kernel.ndim != image.ndim:
        raise ValueError(
            f"kernel must have as many dimensions as image ({image.ndim}); got kernel of shape {kernel.shape}"
        )
    if kernel.size == 0 or any(k > s for k, s in zip(kernel.shape, image.shape)):
        raise ValueError(
            f"kernel must be non-empty and fit in the image of shape {image.shape}; got kernel of shape {kernel.shape}"
        )
    return image, kernel


def _transfer_function(kernel, shape, real):
    """FFT of the centred kernel placed periodically on a grid of ``shape`` (origin moved to 0)."""
    psf = np.zeros(shape, dtype=np.result_type(kernel, np.float64))
    psf[tuple(slice(0, k) for k in kernel.shape)] = kernel
    psf = np.roll(
        psf, [-((k - 1) // 2) for k in kernel.shape], axis=tuple(range(len(shape)))
    )
    return scipy.fft.rfftn(psf) if real else scipy.fft.fftn(psf)


def _periodic_filter(image, kernel, response):
    """Apply ``response(K)`` pointwise in the Fourier domain, K the kernel's transfer function."""
    real = not (np.iscomplexobj(image) or np.iscomplexobj(kernel))
    K = _transfer_function(kernel, image.shape, real)
    if real:
        return scipy.fft.irfftn(response(K) * scipy.fft.rfftn(image), image.shape)
    return scipy.fft.ifftn(response(K) * scipy.fft.fftn(image))


def blur(image, kernel):
    """Periodic convolution of an image with a centred kernel, by the FFT.

    ``out[i] = sum_a kernel[a] image[(i + c - a) % shape]`` with ``c = (kernel.shape - 1) // 2``
    the kernel's centre (for odd sizes the middle element). Away from the borders this equals
    ``fft_convolve(image, kernel, mode="same")``; at the borders the image wraps around instead
    of being padded with zeros. Any kernel works (blur, edge, sharpen); :func:`deconvolve`
    inverts exactly this operation.

    Parameters
    ----------
    image : array_like, N-D (usually 2-D)
        The signal or image.
    kernel : array_like
        As many dimensions as ``image`` and no larger along any axis.

    Returns
    -------
    out : ndarray, shape of ``image``
        float64 (or complex128 for complex input).

    Raises
    ------
    ValueError
        If the dimensions differ or the kernel is larger than the image.

    See Also
    --------
    deconvolve : the regularised inverse.
    bccb : the same operator as a matrix (with the kernel's origin at ``[0, 0]``).
    fft_convolve : its Notes give the FFT's accuracy and its rule for NaN and infinity.
    Book section 4.7, "Deblurring and Tikhonov regularization".

    Examples
    --------
    >>> np.round(blur([0, 0, 3, 0, 0], [1, 1, 1]) / 3, 12)
    array([0., 1., 1., 1., 0.])
    >>> np.round(blur([3, 0, 0, 3, 6], [1, 1, 1]), 12)  # out[0] = 6 + 3 + 0 wraps around
    array([ 9.,  3.,  3.,  9., 12.])
    """
    image, kernel = _check_image_kernel(image, kernel)
    return _periodic_filter(image, kernel, lambda K: K)


def deconvolve(image, kernel, alpha):
    """Tikhonov-regularised periodic deconvolution: undo :func:`blur` by the FFT.

    Returns the minimiser of ``||blur(u, kernel) - image||^2 + alpha ||u||^2``. Both terms are
    diagonal in the Fourier basis, so ``U = conj(K) B / (|K|^2 + alpha)`` with ``B`` the FFT of
    ``image`` and ``K`` the transfer function of the centred kernel (the eigenvalues of the
    circulant or BCCB blur matrix). ``alpha = 0`` is naive inversion ``U = B / K``: exact without
    noise, but it multiplies noise by ``1 / |K|``, which is huge where the blur is strong.

    Parameters
    ----------
    image : array_like, N-D
        The blurred (and perhaps noisy) image.
    kernel : array_like
        The blur kernel, centred as in :func:`blur`.
    alpha : float
        The regularisation weight, ``alpha >= 0``.

    Returns
    -------
    u : ndarray, shape of ``image``

    Raises
    ------
    ValueError
        If ``alpha`` is negative or not finite, if the kernel does not fit the image, or if
        ``alpha = 0`` and the kernel's transfer function vanishes at some frequency:
        ``min |K| <= 8 eps log2(N) max |K|``, with ``eps = 2**-52`` and ``N`` the number of
        pixels (see Notes).
    TypeError
        If ``alpha`` is not a real number.

    See Also
    --------
    blur : the forward operator.
    Book section 4.7, "Deblurring and Tikhonov regularization".

    Notes
    -----
    The eigenvalues ``K`` come from an FFT, whose error is relative to the largest one:
    an exact zero of the spectrum (a box kernel of width ``w`` on a length that ``w``
    divides, a difference ``[1, -1]`` at frequency 0, ``[1, 2, 1]`` at the Nyquist
    frequency) comes out as about ``eps log2(N) max |K|`` instead (at most 0.3 times that
    in measurements). ``alpha = 0`` therefore treats every eigenvalue at most
    ``8 eps log2(N) max |K|`` as zero and refuses the kernel: dividing by such an
    eigenvalue would amplify rounding errors by ``1e15`` or more. Eigenvalues above that
    limit are inverted, however small: a Gaussian blur's are, and without noise they are
    undone to about ``eps / (min |K| / max |K|)``.

    Examples
    --------
    >>> u = np.array([1.0, 4.0, 2.0, 0.0, 3.0])
    >>> np.round(deconvolve(blur(u, [1, 2, 1]), [1, 2, 1], alpha=0), 12)
    array([1., 4., 2., 0., 3.])
    """
    if isinstance(alpha, bool) or not np.isscalar(alpha) or not np.isreal(alpha):
        raise TypeError(
            f"alpha must be a real number; got {type(alpha).__name__} {alpha!r}"
        )
    alpha = float(alpha)
    if not (alpha >= 0 and np.isfinite(alpha)):
        raise ValueError(f"alpha must be a finite number >= 0; got {alpha}")
    image, kernel = _check_image_kernel(image, kernel)
    if alpha == 0:
        real = not (np.iscomplexobj(image) or np.iscomplexobj(kernel))
        magnitude = np.abs(_transfer_function(kernel, image.shape, real))
        tolerance = _VANISHING * np.log2(max(image.size, 2)) * magnitude.max()
        if magnitude.min() <= tolerance:
            raise ValueError(
                "alpha = 0 needs a kernel whose transfer function never vanishes; "
                f"got min |K| = {magnitude.min():.3g} <= {tolerance:.3g} "
                f"(8 eps log2(N) max |K|, max |K| = {magnitude.max():.3g}). Use alpha > 0"
            )
    return _periodic_filter(
        image, kernel, lambda K: K.conj() / (np.abs(K) ** 2 + alpha)
    )


def convolution_operator_basis(kernel_size, n, boundary="zero"):
    """The matrix Q with ``K(theta) = mat(Q @ theta)``: convolution as a linear function of its kernel.

    ``K(theta)`` is the matrix of ``z_i = sum_j theta_j y_{i - j}`` on a signal (or image) of
    size ``n``, with the stencil index ``j`` counted from the kernel's centre
    ``c = (kernel_size - 1) // 2`` (so ``theta[c]`` is the diagonal). Outside the signal the
    values ``y`` are zero (``boundary="zero"``: K is Toeplitz, and ``K(theta) @ y ==
    np.convolve(y, theta, "same")``) or wrap around (``"periodic"``: K is circulant, and
    ``K(theta) @ y == blur(y, theta)``). In 2-D the same holds with multi-indices on the
    row-major ravel of the image. ``mat`` is the row-major reshape to ``(N, N)``, ``N = prod(n)``.
    Because K is linear in theta, its Jacobian is Q itself: ``J v = mat(Q v)`` and
    ``J^T w = Q.T @ vec(w)``.

    Parameters
    ----------
    kernel_size : int or tuple of ints
        The stencil size ``p`` (or ``(kh, kw)``); ``theta`` is ravelled row-major.
    n : int or tuple of ints
        The signal length (or image shape), as many entries as ``kernel_size``.
    boundary : {"zero", "periodic"}
        What the stencil sees beyond the edges.

    Returns
    -------
    Q : ndarray of float64, shape (N * N, prod(kernel_size))
        Dense: fine for the small examples it is meant for.

    Raises
    ------
    TypeError
        If a size is not an int.
    ValueError
        If a size is below 1, if ``kernel_size`` and ``n`` have different lengths, or if
        ``boundary`` is not an allowed option.

    See Also
    --------
    circulant : the periodic ``K(theta)`` is ``circulant(np.roll(pad(theta), -c))``.
    Book section 4.8, "Convolution as a parametric model".

    Examples
    --------
    >>> Q = convolution_operator_basis(3, 4)
    >>> (Q @ np.array([1, 2, 3])).reshape(4, 4)  # Toeplitz: theta_2 on the diagonal
    array([[2., 1., 0., 0.],
           [3., 2., 1., 0.],
           [0., 3., 2., 1.],
           [0., 0., 3., 2.]])
    >>> (convolution_operator_basis(3, 4, "periodic") @ np.array([1, 2, 3])).reshape(4, 4)
    array([[2., 1., 0., 3.],
           [3., 2., 1., 0.],
           [0., 3., 2., 1.],
           [1., 0., 3., 2.]])
    """
    boundary = check_option(boundary, "boundary", _BOUNDARIES)
    kernel_size = _int_tuple(kernel_size, "kernel_size")
    shape = _int_tuple(n, "n")
    if len(kernel_size) != len(shape):
        raise ValueError(
            f"kernel_size and n must have the same number of entries; got {kernel_size} and {shape}"
        )
    d = len(shape)
    N, p = int(np.prod(shape)), int(np.prod(kernel_size))  # unknowns, parameters
    centre = np.array([(k - 1) // 2 for k in kernel_size])
    out = np.indices(shape).reshape(d, N)  # d,N: output positions i
    offset = np.indices(kernel_size).reshape(d, p)  # d,p: stencil positions
    # d,N,p: input positions i - j
    src = out[:, :, None] + (centre[:, None] - offset)[:, None, :]
    size = np.array(shape)[:, None, None]
    inside = np.all((src >= 0) & (src < size), axis=0)  # N,p
    if boundary == "periodic":
        src, inside = src % size, np.ones_like(inside)
    row = np.broadcast_to(np.arange(N)[:, None], (N, p))  # N,p
    col = np.ravel_multi_index(tuple(np.clip(src, 0, size - 1)), shape)  # N,p
    param = np.broadcast_to(np.arange(p)[None, :], (N, p))  # N,p
    Q = np.zeros((N * N, p))
    np.add.at(Q, ((row * N + col)[inside], param[inside]), 1.0)
    return Q


def _int_tuple(value, name):
    values = value if isinstance(value, (tuple, list)) else (value,)
    if len(values) == 0:
        raise ValueError(
            f"{name} must be an int or a non-empty tuple of ints; got {value!r}"
        )
    return tuple(check_int(v, name, minimum=1) for v in values)
