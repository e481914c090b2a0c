"""Kronecker sums and the discrete Laplacian in one and two dimensions (book sections 4.5, 4.6).

Sign convention: every Laplacian here is the POSITIVE semi-definite ``-d^2/dx^2``, the matrix
``tridiag(-1, 2, -1) / h^2`` of section 4.6. Applied to an image, ``-laplacian_2d`` equals
convolution with the stencil ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]] / h^2``.

Images are ravelled row-major (NumPy's default): ``u = U.ravel()`` for ``U`` of shape ``(H, W)``.
Then ``kron(A, I_W) @ u == (A @ U).ravel()`` acts down the columns and
``kron(I_H, B) @ u == (U @ B.T).ravel()`` along the rows.
"""

import numbers

import numpy as np
import scipy.sparse

from ._validation import check_int, check_option

__all__ = ["kron_sum", "laplacian_1d", "laplacian_2d"]

_BOUNDARIES = ("zero", "periodic")


def _square_size(M, name):
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"{name} must be a square matrix; got shape {M.shape}")
    return M.shape[0]


def kron_sum(A, B):
    """The Kronecker sum ``kron(A, I_m) + kron(I_n, B)`` of square A (n x n) and B (m x m).

    On an ``n x m`` array ``U`` ravelled row-major it computes ``(A @ U + U @ B.T).ravel()``:
    A acts along the first axis and B along the second. With A and B the 1-D Laplacians this is
    the 2-D five-point Laplacian. (``scipy.sparse.kronsum(A, B)`` orders the factors the other
    way round: ``kron_sum(A, B) == scipy.sparse.kronsum(B, A)``.)

    Parameters
    ----------
    A : ndarray or scipy.sparse matrix/array, shape (n, n)
    B : ndarray or scipy.sparse matrix/array, shape (m, m)

    Returns
    -------
    K : ndarray or scipy.sparse CSR array, shape (n * m, n * m)
        Dense when both inputs are dense, sparse CSR when either is sparse.

    Raises
    ------
    ValueError
        If A or B is not a square 2-D matrix.

    See Also
    --------
    laplacian_2d : the Kronecker sum of two 1-D Laplacians.
    Book section 4.5, "Two dimensions: Kronecker products and BCCB matrices".

    Examples
    --------
    >>> kron_sum(np.array([[1, 2], [3, 4]]), np.array([[10]]))
    array([[11,  2],
           [ 3, 14]])
    >>> kron_sum(np.diag([1, 2]), np.diag([10, 20]))  # eigenvalues add: 11, 21, 12, 22
    array([[11,  0,  0,  0],
           [ 0, 21,  0,  0],
           [ 0,  0, 12,  0],
           [ 0,  0,  0, 22]])
    """
    if scipy.sparse.issparse(A) or scipy.sparse.issparse(B):
        A, B = scipy.sparse.csr_array(A), scipy.sparse.csr_array(B)
        n, m = _square_size(A, "A"), _square_size(B, "B")
        I_n = scipy.sparse.eye_array(n, dtype=A.dtype)
        I_m = scipy.sparse.eye_array(m, dtype=B.dtype)
        K = scipy.sparse.kron(A, I_m) + scipy.sparse.kron(I_n, B)  # nm,nm
        return scipy.sparse.csr_array(K)
    A, B = np.asarray(A), np.asarray(B)
    n, m = _square_size(A, "A"), _square_size(B, "B")
    # nm,nm
    return np.kron(A, np.eye(m, dtype=B.dtype)) + np.kron(np.eye(n, dtype=A.dtype), B)


def _check_spacing(h, name="h"):
    if isinstance(h, bool) or not isinstance(h, numbers.Real):
        raise TypeError(
            f"{name} must be a positive number; got {type(h).__name__} {h!r}"
        )
    if not (h > 0 and np.isfinite(h)):
        raise ValueError(f"{name} must be a positive number; got {h}")
    return float(h)


def laplacian_1d(n, h=1.0, boundary="zero", sparse=True):
    """The second-difference matrix ``tridiag(-1, 2, -1) / h^2``, a discrete ``-d^2/dx^2``.

    Row ``i`` computes ``(2 u_i - u_{i-1} - u_{i+1}) / h^2``. With ``boundary="zero"`` the values
    beyond both ends are zero and the matrix is Toeplitz (and positive definite). With
    ``boundary="periodic"`` the neighbours wrap around, ``-1`` appears in the two corners and the
    matrix is the circulant with first column ``(2, -1, 0, ..., 0, -1) / h^2`` (positive
    semi-definite: constants are in its null space). For ``n = 2`` periodic, both neighbours are
    the same point and the off-diagonal entries are ``-2 / h^2``; for ``n = 1`` the matrix is 0.

    Parameters
    ----------
    n : int
        The number of grid points, at least 1.
    h : float
        The grid spacing, positive.
    boundary : {"zero", "periodic"}
    sparse : bool
        Return a ``scipy.sparse.csr_array`` (default) or a dense float64 ndarray.

    Returns
    -------
    L : scipy.sparse.csr_array or ndarray, shape (n, n)

    Raises
    ------
    TypeError
        If ``n`` is not an int or ``h`` not a number.
    ValueError
        If ``n < 1``, ``h <= 0`` or ``boundary`` is not an allowed option.

    See Also
    --------
    laplacian_2d : the five-point Laplacian.
    coursekit.fourier.circulant : the periodic case is a circulant.
    Book section 4.1, "Circulant matrices" (boundary conditions), and 4.6, "The Laplacian".

    Examples
    --------
    >>> laplacian_1d(4, sparse=False)
    array([[ 2., -1.,  0.,  0.],
           [-1.,  2., -1.,  0.],
           [ 0., -1.,  2., -1.],
           [ 0.,  0., -1.,  2.]])
    >>> laplacian_1d(4, boundary="periodic").toarray()
    array([[ 2., -1.,  0., -1.],
           [-1.,  2., -1.,  0.],
           [ 0., -1.,  2., -1.],
           [-1.,  0., -1.,  2.]])
    """
    n = check_int(n, "n", minimum=1)
    h = _check_spacing(h)
    boundary = check_option(boundary, "boundary", _BOUNDARIES)
    i = np.arange(n)
    if boundary == "periodic":
        left, right = (i, (i - 1) % n), (i, (i + 1) % n)
    else:
        left, right = (i[1:], i[1:] - 1), (i[:-1], i[:-1] + 1)
    rows = np.concatenate([i, left[0], right[0]])  # the diagonal, then both neighbours
    cols = np.concatenate([i, left[1], right[1]])
    values = np.concatenate([np.full(n, 2.0), -np.ones(len(rows) - n)]) / h**2
    # duplicates are summed
    L = scipy.sparse.coo_array((values, (rows, cols)), shape=(n, n)).tocsr()
    return L if sparse else L.toarray()


def laplacian_2d(shape, h=1.0, boundary="zero", sparse=True):
    """The five-point Laplacian ``kron_sum(laplacian_1d(H), laplacian_1d(W))`` on an H x W grid.

    Row ``(i, j)`` computes ``(4 u_ij - u_{i-1,j} - u_{i+1,j} - u_{i,j-1} - u_{i,j+1}) / h^2`` on
    the row-major ravel of the image (for unequal spacings, each difference divided by its own
    ``h^2``). So ``-laplacian_2d(shape) @ U.ravel()`` is the convolution of ``U`` with the stencil
    ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]] / h^2``, with zero padding (``boundary="zero"``) or
    wrapping around (``"periodic"``, where the matrix is BCCB).

    Parameters
    ----------
    shape : tuple of two ints
        ``(H, W)``.
    h : float or tuple of two floats
        The grid spacing, or ``(h_rows, h_cols)``.
    boundary : {"zero", "periodic"}
    sparse : bool
        Return a ``scipy.sparse.csr_array`` (default) or a dense float64 ndarray.

    Returns
    -------
    L : scipy.sparse.csr_array or ndarray, shape (H * W, H * W)

    Raises
    ------
    TypeError
        If a size is not an int or a spacing not a number.
    ValueError
        If ``shape`` is not a pair of positive ints, a spacing is not positive or ``boundary`` is
        not an allowed option.

    See Also
    --------
    kron_sum : how the two 1-D Laplacians combine.
    Book section 4.6, "The Laplacian".

    Examples
    --------
    >>> L = laplacian_2d((3, 3))
    >>> (L @ np.eye(9)[4]).reshape(3, 3)  # the column of the centre pixel: minus the stencil
    array([[ 0., -1.,  0.],
           [-1.,  4., -1.],
           [ 0., -1.,  0.]])
    """
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(f"shape must be a pair of ints (H, W); got {shape!r}")
    H, W = (check_int(s, "shape", minimum=1) for s in shape)  # grid height, width
    if isinstance(h, (tuple, list)):
        if len(h) != 2:
            raise ValueError(f"h must be a number or a pair of numbers; got {h!r}")
        h_rows, h_cols = h
    else:
        h_rows = h_cols = h
    # HW,HW
    L = kron_sum(laplacian_1d(H, h_rows, boundary), laplacian_1d(W, h_cols, boundary))
    return L if sparse else L.toarray()
