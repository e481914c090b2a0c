"""Pooling: summarize each window of a feature map by its maximum or its mean (book section 5.4).

Pooling slides a ``kH x kW`` window like a convolution but has no weights: max
pooling keeps the largest value (and, for unpooling and for the gradient, *where*
it was), average pooling the mean. ``ceil_mode`` lets a last, partial window in,
which is how a 7 x 7 map pools to 4 x 4 with 2 x 2 windows.
"""

import torch

from .._validation import check_int
from ._checks import (
    check_dtype,
    check_input,
    check_padding_pair,
    check_positive_pair,
    check_tensor,
)
from .unfold import pad, windows


def pool_output_length(
    length, kernel_size, stride, padding=0, dilation=1, ceil_mode=False
):
    """Number of pooling windows along one axis, PyTorch's rule.

    ``floor`` (or with ``ceil_mode``, ``ceil``) of ``(length + 2 p - d (k - 1) - 1) / s``,
    plus one; in ceil mode the last window must start inside the input or the left padding.

    >>> pool_output_length(7, 2, 2), pool_output_length(7, 2, 2, ceil_mode=True)
    (3, 4)
    >>> pool_output_length(32, 2, 2)
    16
    """
    span = length + 2 * padding - dilation * (kernel_size - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= length + padding:
        out -= 1
    return out


def _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, op):
    """Normalize pooling arguments; return them with the output size and the padded input's extra bottom/right."""
    kernel_size = check_positive_pair(kernel_size, "kernel_size")
    stride = (
        kernel_size
        if stride is None or (isinstance(stride, (tuple, list)) and not stride)
        else stride
    )
    stride = check_positive_pair(stride, "stride")
    padding = check_padding_pair(padding)
    dilation = check_positive_pair(dilation, "dilation")
    if any(2 * p > k for p, k in zip(padding, kernel_size)):
        raise ValueError(
            f"pad should be smaller than or equal to half of kernel size, but got padding={padding} "
            f"and kernel_size={kernel_size}"
        )
    out_size = tuple(
        pool_output_length(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(
            input.shape[-2:], kernel_size, stride, padding, dilation
        )
    )
    if min(out_size) < 1:
        raise ValueError(
            f"Given input size: {tuple(input.shape[-3:])}. Calculated output size: {out_size}. "
            f"Output size is too small for {op}"
        )
    extra = tuple(
        max(0, (o - 1) * s + d * (k - 1) + 1 - n - 2 * p)
        for o, s, d, k, n, p in zip(
            out_size, stride, dilation, kernel_size, input.shape[-2:], padding
        )
    )
    return kernel_size, stride, padding, dilation, out_size, extra


def _lowest(dtype):
    """The value that loses every max: -inf for floating types, the minimum for integers."""
    return float("-inf") if dtype.is_floating_point else torch.iinfo(dtype).min


def _starts(out_length, stride, padding, device):
    """First input index of each window along an axis (may be negative: in the padding)."""
    return torch.arange(out_length, device=device) * stride - padding


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    Each output pixel is the maximum over a ``kH x kW`` window (padding counts as
    ``-inf``). Ties go to the first maximum in row-major scan order, as in torch,
    and so does the gradient.

    Parameters
    ----------
    input : torch.Tensor
        Shape (N, C, H, W) or (C, H, W); N may be 0. Floating or integer.
    kernel_size : int or tuple of one or two ints
        Window size; a 1-tuple ``(k,)`` means ``k`` on both axes, as in torch (so for
        every size argument).
    stride : int or tuple of one or two ints, optional
        Step between windows; defaults to ``kernel_size``.
    padding : int or tuple of one or two ints
        Implicit ``-inf`` padding on both sides; at most half the (dilated) window.
    dilation : int or tuple of one or two ints
        Spacing of a window's elements.
    ceil_mode : bool
        Round the output size up: a partial last window counts if it starts inside
        the input or the left padding.
    return_indices : bool
        Also return where each maximum was, as a flat index into its input's H*W plane.

    Returns
    -------
    torch.Tensor or (torch.Tensor, torch.Tensor)
        The pooled map (N, C, oH, oW) and, with ``return_indices``, int64 indices of its shape.

    Raises
    ------
    TypeError
        If ``input`` is not a tensor, is bool or complex, or a size is not an int.
    ValueError
        If a size is out of range, the padding exceeds half the window, or the output is empty.

    See Also
    --------
    max_unpool2d : puts the maxima back where they were.
    torch.nn.functional.max_pool2d : the reference. Book section 5.4 pools the "X" feature maps.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[[2.0, 3, 4, 0], [1, 5, 3, 2], [0, 4, 2, 3], [1, 0, 6, 1]]]])
    >>> max_pool2d(x, 2)
    tensor([[[[5., 4.],
              [4., 6.]]]])
    >>> max_pool2d(x, 2, return_indices=True)[1]
    tensor([[[[ 5,  2],
              [ 9, 14]]]])
    """
    input, unbatched = check_input(input, "max_pool2d")
    check_dtype(input, "max_pool2d", complex=False)
    kernel_size, stride, padding, dilation, out_size, extra = _pool_args(
        input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d"
    )
    N, C, H, W = input.shape  # batch, channels, height, width
    (kH, kW), (oH, oW) = kernel_size, out_size
    if not (return_indices or any(padding) or any(extra)):
        # every window lies inside the input: the first maximum of each window view,
        # differentiated by autograd (the gradient goes to that first maximum)
        # the first maximum of each window row, then the first of those: the first
        # maximum in row-major order, with no copy of the windows
        win = windows(input, kernel_size, stride, dilation, out_size)
        out = win.max(-1).values.max(-1).values  # N,C,oH,oW
        return out[0] if unbatched else out
    with torch.no_grad():
        x = pad(
            input,
            (padding[0], padding[0] + extra[0], padding[1], padding[1] + extra[1]),
            _lowest(input.dtype),
        )
        win = windows(x, kernel_size, stride, dilation, out_size).reshape(
            N, C, oH, oW, kH * kW
        )  # N,C,oH,oW,kH*kW
        arg = win.argmax(-1)  # N,C,oH,oW: the first maximum in scan order
        row = (
            _starts(oH, stride[0], padding[0], input.device).view(-1, 1)
            + (arg // kW) * dilation[0]
        )
        col = (
            _starts(oW, stride[1], padding[1], input.device) + (arg % kW) * dilation[1]
        )
        # a window whose maximum is -inf may pick a padded cell; torch reports its first real one
        outside = (row < 0) | (row >= H) | (col < 0) | (col >= W)
        first_row = _first_inside(
            oH, stride[0], padding[0], dilation[0], input.device
        ).view(-1, 1)
        first_col = _first_inside(oW, stride[1], padding[1], dilation[1], input.device)
        indices = torch.where(
            outside, first_row * W + first_col, row * W + col
        )  # N,C,oH,oW
        # with dilation a window can miss the input entirely: torch gives -inf and an index past it
        empty = (first_row >= H) | (first_col >= W)  # oH,oW
    out = (
        input.flatten(2)
        .gather(2, indices.clamp(max=H * W - 1).flatten(2))
        .view(N, C, oH, oW)
    )  # N,C,oH,oW
    out = out.masked_fill(empty, _lowest(input.dtype))
    if unbatched:
        out, indices = out[0], indices[0]
    return (out, indices) if return_indices else out


def _first_inside(out_length, stride, padding, dilation, device):
    """Index of each window's first element that lies inside the input along an axis."""
    starts = _starts(out_length, stride, padding, device)
    skip = (-starts).clamp(min=0)
    return starts + (skip + dilation - 1) // dilation * dilation


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    Each output pixel is the sum over its window divided by ``divisor_override`` if
    given, else by the window's size counting the zero padding (``count_include_pad``)
    or only the input pixels it covers. A partial window of ``ceil_mode`` never counts
    the part beyond the padding. Integer inputs keep their dtype: the sum (in int64)
    is divided and truncated towards zero, as in torch. Half precision sums in float32.

    Parameters
    ----------
    input : torch.Tensor
        Shape (N, C, H, W) or (C, H, W); N may be 0. Floating, complex or integer.
    kernel_size : int or tuple of one or two ints
        Window size.
    stride : int or tuple of one or two ints, optional
        Defaults to ``kernel_size``.
    padding : int or tuple of one or two ints
        Zero padding on both sides, at most half the window.
    ceil_mode : bool
        Round the output size up (see :func:`max_pool2d`).
    count_include_pad : bool
        Whether padded zeros count in the divisor.
    divisor_override : int, optional
        Divide every sum by this instead; not 0.

    Returns
    -------
    torch.Tensor
        Shape (N, C, oH, oW), the input's dtype.

    Raises
    ------
    TypeError, ValueError
        As :func:`max_pool2d` (but complex inputs are averaged), and for a zero ``divisor_override``.

    See Also
    --------
    max_pool2d : the other summary.
    torch.nn.functional.avg_pool2d : the reference. Book section 5.4.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[[2.0, 3, 4, 0], [1, 5, 3, 2], [0, 4, 2, 3], [1, 0, 6, 1]]]])
    >>> avg_pool2d(x, 2)
    tensor([[[[2.7500, 2.2500],
              [1.2500, 3.0000]]]])
    >>> avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
    tensor([[[[2.7500, 2.8333],
              [1.8333, 2.8889]]]])
    >>> avg_pool2d(torch.tensor([[[[1, 2], [4, 4]]]]), 2)  # 11 / 4, truncated
    tensor([[[[2]]]])
    """
    input, unbatched = check_input(input, "avg_pool2d")
    check_dtype(input, "avg_pool2d")
    if (
        divisor_override is not None
        and check_int(divisor_override, "divisor_override") == 0
    ):
        raise ValueError("divisor_override must not be 0")
    kernel_size, stride, padding, _, out_size, extra = _pool_args(
        input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d"
    )
    x = pad(
        input, (padding[0], padding[0] + extra[0], padding[1], padding[1] + extra[1])
    )
    exact = not (input.is_floating_point() or input.is_complex())
    total = _ACCUMULATOR.get(input.dtype, torch.int64 if exact else input.dtype)
    out = windows(x, kernel_size, stride, (1, 1), out_size).sum(
        (-2, -1), dtype=total
    )  # N,C,oH,oW
    if divisor_override is not None:
        divisor = divisor_override
    else:
        counts = []
        for o, s, p, k, n in zip(
            out_size, stride, padding, kernel_size, input.shape[-2:]
        ):
            start = _starts(o, s, p, input.device)
            end = (start + k).clamp(
                max=n + p
            )  # a ceil-mode window stops at the padding's end
            counts.append(
                end - start
                if count_include_pad
                else end.clamp(max=n) - start.clamp(min=0)
            )
        divisor = counts[0].view(-1, 1) * counts[1]  # oH,oW
    out = torch.div(out, divisor, rounding_mode="trunc" if exact else None)  # N,C,oH,oW
    if (
        out.dtype != input.dtype
    ):  # half precision and integers were summed in a wider dtype
        out = out.to(input.dtype)
    return out[0] if unbatched else out


# half precision is summed in float32, as torch's kernels do; integers are summed in int64
_ACCUMULATOR = {torch.float16: torch.float32, torch.bfloat16: torch.float32}


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max pooling up to the lost values, as ``torch.nn.functional.max_unpool2d``.

    Every value goes back to the position its index names; everything else is zero.

    Parameters
    ----------
    input : torch.Tensor
        Pooled map, shape (N, C, H, W) or (C, H, W).
    indices : torch.Tensor
        int64 flat indices into each output plane, as :func:`max_pool2d` returns them.
    kernel_size, stride, padding : int or tuple of one or two ints
        Those of the pooling; ``stride`` defaults to ``kernel_size``.
    output_size : sequence of ints, optional
        (oH, oW) or the full shape, when the pooled size was ambiguous; within a
        stride of the default ``(H - 1) s - 2 p + k``.

    Returns
    -------
    torch.Tensor
        Shape (N, C, oH, oW).

    Raises
    ------
    TypeError, ValueError
        If arguments have the wrong type or shape, ``output_size`` is out of range,
        or an index falls outside the output plane.

    See Also
    --------
    max_pool2d : produces the indices. Book section 5.4 unpools a feature map.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[[2.0, 3, 4, 0], [1, 5, 3, 2], [0, 4, 2, 3], [1, 0, 6, 1]]]])
    >>> pooled, where = max_pool2d(x, 2, return_indices=True)
    >>> max_unpool2d(pooled, where, 2)
    tensor([[[[0., 0., 4., 0.],
              [0., 5., 0., 0.],
              [0., 4., 0., 0.],
              [0., 0., 6., 0.]]]])
    """
    input, unbatched = check_input(input, "max_unpool2d")
    check_tensor(indices, "indices")
    indices = indices.unsqueeze(0) if unbatched else indices
    if indices.dtype != torch.int64 or indices.shape != input.shape:
        raise ValueError(
            f"indices must be an int64 tensor of the shape of input {list(input.shape)}; "
            f"got {indices.dtype} of size {list(indices.shape)}"
        )
    kernel_size = check_positive_pair(kernel_size, "kernel_size")
    stride = (
        kernel_size
        if stride is None or (isinstance(stride, (tuple, list)) and not stride)
        else stride
    )
    stride = check_positive_pair(stride, "stride")
    padding = check_padding_pair(padding)
    size = [
        (n - 1) * s + k - 2 * p
        for n, s, k, p in zip(input.shape[-2:], stride, kernel_size, padding)
    ]
    if output_size is not None:
        output_size = (
            [int(v) for v in output_size][-2:]
            if len(output_size) in (2, 3, 4)
            else output_size
        )
        if len(output_size) != 2 or not all(
            s - st < o < s + st for o, s, st in zip(output_size, size, stride)
        ):
            bounds = ", ".join(f"({s - st}, {s + st})" for s, st in zip(size, stride))
            raise ValueError(
                f"output_size must have 2 sizes within {bounds} (exclusive); got {list(output_size)}"
            )
        size = output_size
    N, C = input.shape[:2]  # batch, channels
    plane = size[0] * size[1]
    if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= plane):
        raise ValueError(
            f"indices must lie in [0, {plane}) for an output of size {size}; got {int(indices.max())}"
        )
    out = input.new_zeros(N, C, plane).scatter(
        2, indices.flatten(2), input.flatten(2)
    )  # N,C,oH*oW
    out = out.view(N, C, *size)  # N,C,oH,oW
    return out[0] if unbatched else out
