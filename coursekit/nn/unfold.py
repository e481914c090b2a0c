"""Sliding windows over an image: the im2col matrix behind convolution and pooling.

A window of size ``kH x kW`` with stride ``s`` and dilation ``d`` visits
``floor((H + 2p - d (k - 1) - 1) / s) + 1`` positions along each axis. Every
window is a strided *view* of the (padded) input, so collecting all of them
costs one copy, and a convolution becomes one matrix product
(book section 5.6, "Convolution as a matrix; transposed convolution").
"""

from ._checks import check_input, check_padding_pair, check_positive_pair
from .padding import _constant


def pad(input, padding, value=0):
    """Pad (or, with negative amounts, crop) the last two axes with ``value``, as :func:`~.padding.pad`.

    ``padding`` is ``(top, bottom, left, right)``, checked ints; returns ``input`` itself when all are zero.
    """
    top, bottom, left, right = padding
    if not any(padding):
        return input
    return _constant(input, (left, right, top, bottom), value)


def windows(input, kernel_size, stride, dilation, out_size):
    """All ``kH x kW`` windows of a 4-D tensor as a strided view, shape (N, C, oH, oW, kH, kW).

    Works for any memory layout of ``input`` (NCHW or channels last); nothing is copied.
    """
    N, C = input.shape[:2]  # batch, channels
    sN, sC, sH, sW = input.stride()
    (kH, kW), (dH, dW), (pH, pW) = kernel_size, stride, dilation
    # N,C,oH,oW,kH,kW
    return input.as_strided(
        (N, C, *out_size, kH, kW),
        (sN, sC, sH * dH, sW * dW, sH * pH, sW * pW),
        input.storage_offset(),
    )


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks (im2col), exactly as ``torch.nn.functional.unfold``.

    Parameters
    ----------
    input : torch.Tensor
        Shape (N, C, H, W) or unbatched (C, H, W).
    kernel_size : int or tuple of one or two ints
        Block size ``(kH, kW)``.
    dilation, padding, stride : int or tuple of one or two ints
        Spacing of the block's elements, zero padding on both sides, step between blocks.

    Returns
    -------
    torch.Tensor
        Shape (N, C * kH * kW, L) with ``L = oH * oW`` blocks; row ``c * kH * kW + i * kW + j``
        holds element ``(i, j)`` of channel ``c`` of every block.

    Raises
    ------
    TypeError
        If ``input`` is not a tensor or an int argument is not an int.
    ValueError
        If ``input`` has the wrong number of dimensions, a size is out of range, or
        the block is larger than the padded input.

    See Also
    --------
    coursekit.nn.functional.conv2d : convolution as ``unfold`` plus one matrix product.
    torch.nn.functional.unfold : the reference. Book section 5.6 draws it.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(9.0).reshape(1, 1, 3, 3)
    >>> unfold(x, 2)
    tensor([[[0., 1., 3., 4.],
             [1., 2., 4., 5.],
             [3., 4., 6., 7.],
             [4., 5., 7., 8.]]])
    """
    input, unbatched = check_input(input, "unfold")
    kernel_size = check_positive_pair(kernel_size, "kernel_size")
    dilation = check_positive_pair(dilation, "dilation")
    stride = check_positive_pair(stride, "stride")
    pH, pW = check_padding_pair(padding)
    x = pad(input, (pH, pH, pW, pW))
    out_size = check_window_fits(x.shape[-2:], kernel_size, stride, dilation)
    N, C = input.shape[:2]  # batch, channels
    cols = windows(x, kernel_size, stride, dilation, out_size)  # N,C,oH,oW,kH,kW
    # values per block, blocks
    rows, L = C * kernel_size[0] * kernel_size[1], out_size[0] * out_size[1]
    cols = cols.permute(0, 1, 4, 5, 2, 3).reshape(N, rows, L)  # N,C*kH*kW,L
    return cols[0] if unbatched else cols


def check_window_fits(padded_size, kernel_size, stride, dilation):
    """Output size (oH, oW) of windows over a padded input; raise if a window does not fit."""
    extent = [d * (k - 1) + 1 for k, d in zip(kernel_size, dilation)]
    if any(e > n for e, n in zip(extent, padded_size)):
        raise ValueError(
            f"Calculated padded input size per channel: ({padded_size[0]} x {padded_size[1]}). "
            f"Kernel size: ({extent[0]} x {extent[1]}). Kernel size can't be greater than actual input size"
        )
    return tuple((n - e) // s + 1 for n, e, s in zip(padded_size, extent, stride))
