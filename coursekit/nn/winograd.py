"""Winograd's minimal filtering F(m, r) and the F(m x m, 3 x 3) convolution (book section 5.7).

Computing ``m`` outputs of a correlation with an ``r``-tap filter, ``y[i] = sum_k d[i + k] g[k]``,
takes ``m r`` multiplications done directly; Winograd's F(m, r) takes ``m + r - 1``:

.. math:: y = A^T \\left[ (G g) \\odot (B^T d) \\right],

where ``d`` is a tile of ``m + r - 1`` inputs. The matrices come from multiplying
polynomials by evaluation and interpolation (Toom-Cook; the Chinese remainder theorem
with moduli ``x - a_i`` and the point at infinity): the product of ``g(x)`` (degree
``r - 1``) and ``h(x)`` (degree ``m - 1``) has ``n = m + r - 1`` coefficients, fixed by its
values at ``n - 1`` points ``a_i`` and its leading coefficient, so it costs ``n``
multiplications ``g(a_i) h(a_i)``. Correlation is that product's transpose, which
swaps the roles of evaluation and interpolation:

* ``G`` evaluates the filter: row ``i`` is ``(1, a_i, ..., a_i**(r-1)) / prod_{j != i} (a_i - a_j)``,
  the last row ``(0, ..., 0, 1)`` (its leading coefficient);
* ``B^T`` holds the Lagrange numerators: row ``i`` is the coefficient vector of
  ``prod_{j != i} (x - a_j)``, the last row that of ``prod_j (x - a_j)``;
* ``A^T`` evaluates the output polynomial: column ``i`` is ``(1, a_i, ..., a_i**(m-1))``,
  the last column ``(0, ..., 0, 1)``.

Nesting F(m, r) with itself gives F(m x m, r x r): ``Y = A^T [(G g G^T) * (B^T d B)] A``
with ``(m + r - 1)**2`` multiplications per tile instead of ``m**2 r**2``. Over a layer,
the filter transform is done once per kernel, the data transform once per tile and
channel, and the products summed over channels become ``(m + r - 1)**2`` matrix
products (Lavin and Gray, 2016). This is *not* the FFT: both evaluate polynomials at
points, but the FFT uses the complex roots of unity and wins for long filters, Winograd
uses a few small real points and wins for 3 x 3 ones; the larger the tile, the larger
the points and the float32 round-off.
"""

import functools
from fractions import Fraction

import torch

from .._validation import check_int
from ._checks import check_input
from .unfold import check_window_fits

__all__ = ["winograd_conv", "winograd_matrices", "winograd_points"]


def winograd_points(count):
    """The ``count`` finite interpolation points F(m, r) uses by default: 0, 1, -1, 1/2, -1/2, 2, -2, 1/4, ...

    Small points of both signs and their reciprocals keep the transform matrices'
    entries, and so the round-off, small.

    Parameters
    ----------
    count : int
        How many points (``m + r - 2`` for F(m, r)), at least 0.

    Returns
    -------
    list of fractions.Fraction

    Raises
    ------
    TypeError
        If ``count`` is not an int.
    ValueError
        If ``count < 0``.

    See Also
    --------
    winograd_matrices : builds F(m, r) on these points.

    Examples
    --------
    >>> [str(p) for p in winograd_points(5)]
    ['0', '1', '-1', '1/2', '-1/2']
    """
    count = check_int(count, "count", minimum=0)
    points = [Fraction(0)]
    size = Fraction(1)
    while len(points) < count:
        points.extend((size, -size, 1 / (2 * size), -1 / (2 * size)))
        size *= 2
    return points[:count]


def _poly_product(roots):
    """Coefficients (lowest degree first) of ``prod (x - root)``."""
    coefficients = [Fraction(1)]
    for root in roots:
        shifted = [Fraction(0)] + coefficients  # x * p(x)
        coefficients = [
            s - root * c for s, c in zip(shifted, coefficients + [Fraction(0)])
        ]
    return coefficients


@functools.lru_cache(maxsize=32)
def _exact_matrices(m, r, points):
    """(AT, G, BT) as lists of rows of Fractions, for the finite ``points``."""

    def powers(a, k):
        return [a**j for j in range(k)]

    def infinity(k):
        return [Fraction(0)] * (k - 1) + [Fraction(1)]

    G, BT, AT_columns = [], [], []
    for i, a in enumerate(points):
        others = points[:i] + points[i + 1 :]
        denominator = Fraction(1)
        for b in others:
            denominator *= a - b
        G.append([v / denominator for v in powers(a, r)])
        # degree n - 2, padded to n coefficients
        BT.append(_poly_product(others) + [Fraction(0)])
        AT_columns.append(powers(a, m))
    G.append(infinity(r))
    BT.append(_poly_product(points))  # degree n - 1: vanishes at every finite point
    AT_columns.append(infinity(m))
    AT = [list(row) for row in zip(*AT_columns)]
    return AT, G, BT


def winograd_matrices(m, r, points=None):
    """The transforms ``(AT, G, BT)`` of Winograd's minimal filtering algorithm F(m, r).

    For a tile ``d`` of ``m + r - 1`` inputs and a filter ``g`` of ``r`` taps,
    ``AT @ ((G @ g) * (BT @ d))`` is their valid correlation
    ``y[i] = sum_k d[i + k] g[k]``, ``i < m``, with ``m + r - 1`` multiplications.
    Built exactly (in rational arithmetic) from ``m + r - 2`` finite points and the
    point at infinity, as described in the module docstring.

    Parameters
    ----------
    m : int
        Outputs per tile, >= 1.
    r : int
        Filter taps, >= 1.
    points : sequence of numbers, optional
        ``m + r - 2`` distinct finite interpolation points (ints, fractions or floats,
        taken exactly); default :func:`winograd_points`.

    Returns
    -------
    AT : torch.Tensor
        Shape (m, m + r - 1), float64.
    G : torch.Tensor
        Shape (m + r - 1, r), float64.
    BT : torch.Tensor
        Shape (m + r - 1, m + r - 1), float64.

    Raises
    ------
    TypeError
        If ``m`` or ``r`` is not an int, or a point is not a real number.
    ValueError
        If ``m`` or ``r`` is below 1, or ``points`` has the wrong length or repeats a point.

    See Also
    --------
    winograd_conv : F(m x m, 3 x 3) over a whole layer.
    coursekit.correlate : the direct computation. Book section 5.7, "Three ways to compute
        a convolution, and Winograd", derives F(2, 3).

    Examples
    --------
    >>> AT, G, BT = winograd_matrices(2, 3)
    >>> AT
    tensor([[ 1.,  1.,  1.,  0.],
            [ 0.,  1., -1.,  1.]], dtype=torch.float64)
    >>> G
    tensor([[-1.0000,  0.0000,  0.0000],
            [ 0.5000,  0.5000,  0.5000],
            [ 0.5000, -0.5000,  0.5000],
            [ 0.0000,  0.0000,  1.0000]], dtype=torch.float64)
    >>> BT
    tensor([[-1.,  0.,  1.,  0.],
            [ 0.,  1.,  1.,  0.],
            [ 0., -1.,  1.,  0.],
            [ 0., -1.,  0.,  1.]], dtype=torch.float64)
    >>> d, g = torch.tensor([1.0, 2, 3, 4], dtype=torch.float64), torch.tensor([1.0, 0, -1], dtype=torch.float64)
    >>> AT @ ((G @ g) * (BT @ d))  # 1 - 3 and 2 - 4
    tensor([-2., -2.], dtype=torch.float64)
    """
    m = check_int(m, "m", minimum=1)
    r = check_int(r, "r", minimum=1)
    points = _check_points(points, m + r - 2)
    AT, G, BT = _exact_matrices(m, r, points)
    return tuple(
        torch.tensor([[float(v) for v in row] for row in M], dtype=torch.float64)
        for M in (AT, G, BT)
    )


def _check_points(points, count):
    if points is None:
        return tuple(winograd_points(count))
    try:
        points = tuple(Fraction(p) for p in points)
    except (TypeError, ValueError, OverflowError) as err:
        raise TypeError(f"points must be finite real numbers; got {points!r}") from err
    if len(points) != count:
        raise ValueError(
            f"points must hold m + r - 2 = {count} finite points; got {len(points)}"
        )
    if len(set(points)) != count:
        raise ValueError(f"points must be distinct; got {[str(p) for p in points]}")
    return points


@functools.lru_cache(maxsize=32)
def _layer_transforms(m, r, points, dtype, device):
    """The 2-D transforms of F(m x m, r x r) as Kronecker products, in ``dtype`` on ``device``.

    ``kron(A, B) @ vec(X) == vec(A X B^T)`` for row-major ``vec``: one matrix product
    applies a transform to the rows and columns of every tile at once.
    """
    AT, G, BT = winograd_matrices(m, r, points)
    return tuple(torch.kron(M, M).to(dtype=dtype, device=device) for M in (AT, G, BT))


def _correlate(x, weight, groups, m, points=None):
    """Valid cross-correlation of ``x`` (N, C, H, W) with square kernels (O, C/G, r, r) by F(m x m, r x r).

    Computed a block of tile rows at a time, each block's transformed tiles at most
    ``_TILE_BUDGET`` numbers: on a CPU the transforms then run in the caches, which
    makes the 224 x 224 VGG layer about twice as fast as one block.
    """
    N, C, H, W = x.shape  # batch, channels, height, width
    r = weight.shape[-1]
    # tile side, tiles down and across
    a, tH, tW = m + r - 1, -(-(H - r + 1) // m), -(-(W - r + 1) // m)
    budget = _TILE_BUDGET if x.device.type == "cpu" else _TILE_BUDGET_ACCELERATOR
    rows = max(1, budget // max(1, a * a * C * N * tW))  # tile rows per block
    if rows >= tH:
        return _correlate_block(x, weight, groups, m, points)
    blocks = [x[:, :, t * m : (t + rows) * m + r - 1] for t in range(0, tH, rows)]
    return torch.cat(
        [_correlate_block(b, weight, groups, m, points) for b in blocks], dim=2
    )


_TILE_BUDGET = 2**21  # transformed tile values per block on a CPU (8 MB in float32)
_TILE_BUDGET_ACCELERATOR = 2**27  # on a GPU, where only memory limits them


def _correlate_block(x, weight, groups, m, points):
    """:func:`_correlate` of one block: gather the tiles, transform, multiply, transform back."""
    N, C, H, W = x.shape  # batch, channels, height, width
    O, Cg, r = weight.shape[:3]  # out channels, in channels per group, kernel side
    a = m + r - 1  # tile side
    oH, oW = H - r + 1, W - r + 1
    tH, tW = -(-oH // m), -(-oW // m)  # tiles down and across
    # N,C,tH*m+r-1,tW*m+r-1
    x = torch.nn.functional.pad(x, (0, tW * m + r - 1 - W, 0, tH * m + r - 1 - H))
    # m²,a²; a²,r²; a²,a²
    AT, G, BT = _layer_transforms(m, r, points, x.dtype, x.device)
    P = N * tH * tW  # tiles per channel
    tiles = x.unfold(2, a, m).unfold(3, a, m)  # N,C,tH,tW,a,a (a view)
    d = tiles.permute(4, 5, 1, 0, 2, 3).reshape(a * a, C * P)  # a²,C*P
    V = (BT @ d).view(a * a * groups, Cg, P)  # a²*G,Cg,P
    # a²*G,Og,Cg
    U = (G @ weight.permute(2, 3, 0, 1).reshape(r * r, O * Cg)).view(
        a * a * groups, O // groups, Cg
    )
    # a²*G,Og,P: the channel sums, one product per tile point and group
    M = torch.matmul(U, V)
    Y = (AT @ M.view(a * a, O * P)).view(m, m, O, N, tH, tW)  # m,m,O,N,tH,tW
    Y = Y.permute(3, 2, 4, 0, 5, 1).reshape(N, O, tH * m, tW * m)  # N,O,tH*m,tW*m
    return Y[:, :, :oH, :oW]  # N,O,oH,oW


def winograd_conv(input, weight, m=2, groups=1, points=None):
    """Valid cross-correlation of a batch of images with square kernels by F(m x m, r x r).

    The image is cut into overlapping ``(m + r - 1)``-pixel square tiles, ``m`` apart
    (zeros complete the last ones); output tile ``(n, o)`` is
    ``AT [sum_c (G W[o, c] G^T) * (BT X[n, c] B)] A``, the sum over channels done as one
    batched matrix product per point of the transformed tile (Lavin and Gray, 2016).
    ``(m + r - 1)**2`` multiplications per tile and channel pair instead of ``m**2 r**2``.
    ``conv2d(..., method="winograd")`` is this with ``m = 2``, ``"winograd4x4"`` with ``m = 4``,
    after padding, for 3 x 3 kernels.

    Parameters
    ----------
    input : torch.Tensor
        Shape (N, C, H, W) or (C, H, W), floating point.
    weight : torch.Tensor
        Shape (O, C / groups, r, r); dtype and device of ``input``.
    m : int
        Outputs per tile side, >= 1.
    groups : int
        Number of channel groups.
    points : sequence of numbers, optional
        As for :func:`winograd_matrices` (``m + r - 2`` of them).

    Returns
    -------
    torch.Tensor
        Shape (N, O, H - r + 1, W - r + 1) (no N for an unbatched input); dtype and device
        of ``input``. Autograd flows through it.

    Raises
    ------
    TypeError, ValueError
        As :func:`coursekit.nn.functional.conv2d`; ``ValueError`` also if the kernel is
        not square, and as :func:`winograd_matrices` for ``m`` and ``points``.

    See Also
    --------
    coursekit.nn.functional.conv2d : ``method="winograd"`` and ``"winograd4x4"``.
    winograd_matrices : the 1-D transforms. Book section 5.7, "Three ways to compute a
        convolution, and Winograd", measures the float32 error as ``m`` grows.

    Examples
    --------
    >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> winograd_conv(x, torch.ones(1, 1, 3, 3))
    tensor([[[[45., 54.],
              [81., 90.]]]])
    """
    from .conv import _check_conv

    input, unbatched = check_input(input, "winograd_conv")
    weight, _, _, _, groups = _check_conv(input, weight, None, 1, 0, 1, groups)
    if weight.shape[-1] != weight.shape[-2]:
        raise ValueError(
            f"winograd_conv needs a square kernel; got {weight.shape[-2]}x{weight.shape[-1]}"
        )
    m = check_int(m, "m", minimum=1)
    points = _check_points(points, m + weight.shape[-1] - 2)
    check_window_fits(input.shape[-2:], weight.shape[-2:], (1, 1), (1, 1))
    out = _correlate(input, weight, groups, m, points)
    return out[0] if unbatched else out


# conv2d's method -> outputs per tile side, for 3 x 3 kernels
TILES = {"winograd": 2, "winograd4x4": 4}


def conv_method(x, weight, stride, dilation, groups, out_size, method="winograd"):
    """:func:`coursekit.nn.conv.conv2d`'s methods "winograd" (F(2x2, 3x3)) and "winograd4x4" (F(4x4, 3x3)).

    Takes the padded input with the signature of the other methods of
    :mod:`coursekit.nn.conv`, and refuses what F(m x m, 3 x 3) does not compute.

    Raises
    ------
    ValueError
        If the kernel is not 3 x 3 or stride or dilation is not 1, naming the methods that serve the case.
    """
    kernel = tuple(weight.shape[-2:])
    if kernel != (3, 3) or tuple(stride) != (1, 1) or tuple(dilation) != (1, 1):
        raise ValueError(
            f"method={method!r} computes stride-1, dilation-1 convolutions with 3x3 kernels; got a "
            f"{kernel[0]}x{kernel[1]} kernel, stride={tuple(stride)}, dilation={tuple(dilation)}. "
            "Methods 'im2col', 'direct', 'fft' and 'auto' serve every case"
        )
    return _correlate(x, weight, groups, TILES[method], None)
