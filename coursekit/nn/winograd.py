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
    makes the 224 x 224 VGG layer about twice as fast as one block. On a CPU, for
    F(2 x 2, r x r), where no gradient is tracked (by autograd, forward-mode AD or a
    ``torch.func`` transform such as vmap) and the blocks hold
    ``_SEPARABLE_MIN_VALUES`` transformed values or more, the transforms are sums of
    shifted views (:func:`_correlate_inference`); otherwise matrix products with the
    Kronecker squares of the transforms (:func:`_correlate_block`), which autograd
    differentiates. (F(4 x 4, 3 x 3)'s transforms have more nonzeros:
    on VGG layers the sums were 0.8 to 1.8 times the products' time, against 0.72 to
    0.96 for F(2 x 2, 3 x 3); a GPU would pay a kernel launch per pass, unmeasured.)
    """
    N, C, H, W = x.shape  # batch, channels, height, width
    r = weight.shape[-1]
    # tile side, tiles down and across
    a, tH, tW = m + r - 1, -(-(H - r + 1) // m), -(-(W - r + 1) // m)
    budget = _TILE_BUDGET if x.device.type == "cpu" else _TILE_BUDGET_ACCELERATOR
    rows = max(1, budget // max(1, a * a * C * N * tW))  # tile rows per block
    values = a * a * C * N * tW * min(rows, tH)  # transformed values per block
    separable = m == 2 and x.device.type == "cpu" and values >= _SEPARABLE_MIN_VALUES
    if separable and not (_differentiated(x) or _differentiated(weight)):
        return _correlate_inference(x, weight, groups, m, points, rows)
    if rows >= tH:
        return _correlate_block(x, weight, groups, m, points)
    blocks = [x[:, :, t * m : (t + rows) * m + r - 1] for t in range(0, tH, rows)]
    return torch.cat(
        [_correlate_block(b, weight, groups, m, points) for b in blocks], dim=2
    )


_TILE_BUDGET = 2**21  # transformed tile values per block on a CPU (8 MB in float32)
_TILE_BUDGET_ACCELERATOR = 2**27  # on a GPU, where only memory limits them
# transformed values per block from which the separable transforms beat the Kronecker
# products: they take about 40 passes over them against the products' 5, each with a
# fixed cost (64 channels, one 28 x 28 image, 2e5 values: 0.62 against 0.36 ms;
# 8 images, 1.6e6 values: 2.7 against 3.0 ms; 512 channels, one 14 x 14 image,
# 4e5 values: 6.2 against 5.3 ms, 8 of them: 28.5 against 31.1 ms)
_SEPARABLE_MIN_VALUES = 2**19


def _differentiated(t):
    """Whether autograd, forward-mode AD or a functorch transform (vmap, grad) tracks ``t``.

    The separable transforms write into preallocated tensors (``out=``), which none of
    them can follow.
    """
    if torch.is_grad_enabled() and t.requires_grad:
        return True
    if torch.autograd.forward_ad.unpack_dual(t).tangent is not None:
        return True
    wrapped = getattr(torch._C._functorch, "is_functorch_wrapped_tensor", None)
    return bool(wrapped is not None and wrapped(t))


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
    U = _kernel_transform(weight, G, groups)
    # a²*G,Og,P: the channel sums, one product per tile point and group
    M = torch.matmul(U, V)
    Y = (AT @ M.view(a * a, O * P)).view(m, m, O, N, tH, tW)  # m,m,O,N,tH,tW
    Y = Y.permute(3, 2, 4, 0, 5, 1).reshape(N, O, tH * m, tW * m)  # N,O,tH*m,tW*m
    return Y[:, :, :oH, :oW]  # N,O,oH,oW


def _kernel_transform(weight, G, groups):
    """``G g G^T`` of every kernel as (a² groups, O/groups, C/groups) matrices for the channel sums.

    ``G`` is the Kronecker square of F(m, r)'s filter transform, (a², r²).
    """
    O, Cg, r = weight.shape[:3]  # out channels, in channels per group, kernel side
    a2 = G.shape[0]  # a², with G the Kronecker square of the 1-D G
    return (G @ weight.permute(2, 3, 0, 1).reshape(r * r, O * Cg)).view(
        a2 * groups, O // groups, Cg
    )


def _correlate_inference(x, weight, groups, m, points, rows):
    """:func:`_correlate` without autograd: separable transforms, written into one output.

    ``B^T d B`` is applied to every tile of a block of tile rows at once, as sums of
    shifted views (of the image's rows, then of the result's columns), skipping the
    zeros of ``B^T``; ``A^T M A`` likewise, written straight into the output tensor.
    The sums over channels stay matrix products. No tile is gathered and nothing is
    concatenated: for F(2 x 2, 3 x 3) on the 64-channel 56 x 56 VGG layer (8 images),
    one block's input transform took 0.5 ms against 1.2 ms for gathering its tiles
    and multiplying them by the 16 x 16 Kronecker square of ``B^T``, and the whole
    layer 0.7-0.9 of im2col's time instead of 0.9-1.1 (separate runs).
    """
    N, C, H, W = x.shape  # batch, channels, height, width
    O, r = weight.shape[0], weight.shape[-1]  # out channels, kernel side
    a = m + r - 1  # tile side
    tH, tW = -(-(H - r + 1) // m), -(-(W - r + 1) // m)  # tiles down and across
    AT, BT = _transform_coefficients(m, r, points)  # the 1-D A^T and B^T, as lists
    Gk = _layer_transforms(m, r, points, weight.dtype, weight.device)[1]
    U = _kernel_transform(weight, Gk, groups)  # a²*G,Og,Cg
    # tiles reach tH*m + r - 1 rows and tW*m + r - 1 columns: zeros complete the last ones
    pad = (0, tW * m + r - 1 - W, 0, tH * m + r - 1 - H)
    if any(pad):
        x = torch.nn.functional.pad(x, pad)
    out = x.new_empty(N, O, tH * m, tW * m)
    for t0 in range(0, tH, rows):
        t1 = min(t0 + rows, tH)
        V = _input_transform(x[:, :, t0 * m : t1 * m + r - 1], BT, m, tW)
        P = N * (t1 - t0) * tW  # tiles per channel in this block
        M = torch.matmul(U, V.view(a * a * groups, C // groups, P))  # a²*G,Og,P
        _output_transform(
            M.view(a * a, O, N, t1 - t0, tW), AT, m, out[:, :, t0 * m : t1 * m]
        )
    return out[:, :, : H - r + 1, : W - r + 1]  # N,O,oH,oW


@functools.lru_cache(maxsize=32)
def _transform_coefficients(m, r, points):
    """``A^T`` and ``B^T`` of F(m, r) as nested lists of floats, for :func:`_combine`."""
    AT, _, BT = winograd_matrices(m, r, points)
    return AT.tolist(), BT.tolist()


def _combine(terms, out):
    """Write ``sum(b * v for b, v in terms)`` into ``out``, skipping zero coefficients.

    A coefficient 1 goes first, so that ``v0 + b1 v1`` is one pass (``B^T`` and ``A^T`` of
    F(2, 3) hold only 0 and +-1 and have a 1 in every row).
    """
    terms = sorted(((b, v) for b, v in terms if b != 0), key=lambda t: t[0] != 1)
    (b0, v0), rest = terms[0], terms[1:]
    if b0 == 1 and rest:
        (b1, v1), rest = rest[0], rest[1:]
        torch.add(v0, v1, alpha=b1, out=out)
    elif b0 == 1:
        out.copy_(v0)
    else:
        torch.mul(v0, b0, out=out)
    for b, v in rest:
        out.add_(v, alpha=b)
    return out


def _input_transform(x, BT, m, tW):
    """``B^T d B`` for every ``a x a`` tile ``d`` of ``x`` (N, C, tH m + a - m, >= tW m + a - m), ``m`` apart.

    The columns are first split by their phase modulo ``m`` (one copy of ``x``), so
    that every later pass reads whole rows of consecutive numbers: ``B^T`` on the tiles'
    rows, then on their columns (on the 64-channel VGG layer, 0.48 ms a block against
    0.64 ms reading every other number). Returns (a², C, N, tH, tW), point ``(i, j)`` first.
    """
    N, C, H, W = x.shape
    a = len(BT)
    tH, L = (H - a) // m + 1, -(-W // m)  # tiles down, columns per phase
    xd = x.new_empty(m, C, N, H, L)  # xd[p, c, n, :, l] = x[n, c, :, l m + p]
    for p in range(m):
        count = len(range(p, W, m))
        xd[p, ..., :count] = x[..., p::m].transpose(0, 1)
        xd[p, ..., count:] = 0  # past the image: computed with, never read into V
    V = x.new_empty(a * a, C, N, tH, tW)
    R = x.new_empty(m, C, N, tH, L)  # one row of B^T applied to every tile's rows
    taps = [xd[..., k : k + (tH - 1) * m + 1 : m, :] for k in range(a)]  # m,C,N,tH,L
    for i in range(a):
        _combine(zip(BT[i], taps), R)
        # tile column k of tile tx is x's column tx m + k: phase k % m, index tx + k // m
        cols = [R[k % m, ..., k // m : k // m + tW] for k in range(a)]
        for j in range(a):
            _combine(zip(BT[j], cols), V[i * a + j])
    return V


def _output_transform(M, AT, m, out):
    """``A^T M A`` for the products ``M`` (a², O, N, tH, tW), written into ``out`` (N, O, tH m, tW m)."""
    O, N, tH, tW = M.shape[1:]
    a = len(AT[0])
    M = M.view(a, a, O, N, tH, tW)
    S = M.new_empty(a, O, N, tH, tW)  # one row of A^T applied to every tile's rows
    Y = out.view(N, O, tH, m, tW, m).permute(1, 0, 2, 4, 3, 5)  # O,N,tH,tW,m,m
    for i in range(m):
        for k in range(a):
            _combine(zip(AT[i], M[:, k]), S[k])
        for j in range(m):
            _combine(zip(AT[j], S), Y[..., i, j])


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
        Shape (N, C, H, W) or (C, H, W), floating point or complex.
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
        As :func:`coursekit.nn.functional.conv2d`; ``TypeError`` also for an integer
        input (the transforms hold fractions), ``ValueError`` also if the kernel is
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
    if not (input.is_floating_point() or input.is_complex()):
        # G holds fractions (1/2 for F(2, 3)): integer transforms would truncate them
        raise TypeError(
            f"winograd_conv takes a floating or complex input; got input of dtype {input.dtype} "
            "(conv2d(..., method='winograd') hands integers to 'im2col', which computes them exactly)"
        )
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
