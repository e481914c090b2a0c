r"""The CNN view of 1-D convolution: padding, stride, dilation and the output-size formula.

A convolutional layer slides its kernel ``h`` over the zero-padded input without
flipping it (a cross-correlation), jumps ``stride`` samples between positions and
leaves ``dilation - 1`` holes between the kernel's taps. The output length is

.. math:: \left\lfloor \frac{n + P_{\text{start}} + P_{\text{end}} - D(k - 1) - 1}{S} \right\rfloor + 1

for an input of length ``n``, a kernel of length ``k``, stride ``S`` and dilation ``D``
(book section 2.4, "The CNN view: padding, stride, dilation").
"""

import sys

import numpy as np

from ._validation import check_array_1d, check_int, check_pair


def _output_length(n, kernel_size, stride, padding, dilation):
    """Output length along one dimension; ``padding`` is a (start, end) pair of ints."""
    left, right = padding
    padded = n + left + right
    span = dilation * (kernel_size - 1) + 1
    if padded < span:
        raise ValueError(
            f"the padded input ({padded} = n {n} + padding {left} + {right}) is shorter than the dilated "
            f"kernel ({span} = dilation {dilation} * (kernel_size {kernel_size} - 1) + 1)"
        )
    return (padded - span) // stride + 1


def _padding_2d(padding):
    """Normalize 2-D padding to ((top, bottom), (left, right))."""
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(
                f"padding must be an int or an (H, W) pair; got {padding!r}"
            )
        return tuple(check_pair(p, "padding", minimum=0) for p in padding)
    pair = check_pair(padding, "padding", minimum=0)
    return (pair, pair)


def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1):
    """Length of the output of a convolutional layer: floor((n + 2P - D(k-1) - 1)/S) + 1.

    In 1-D ``n`` and ``kernel_size`` are ints. In 2-D (when ``n`` or ``kernel_size``
    is an ``(H, W)`` pair) every argument is an int, used for both dimensions, or an
    ``(H, W)`` pair, and the result is a pair.

    Parameters
    ----------
    n : int or (int, int)
        Length of the input (height and width in 2-D).
    kernel_size : int or (int, int)
        Length of the kernel ``k``.
    stride : int or (int, int), default 1
        Step ``S`` between two positions of the kernel, at least 1.
    padding : int or pair, default 0
        Zeros added to the input. In 1-D an int ``P`` (added at both ends) or a
        ``(start, end)`` pair for uneven padding: ``2P`` becomes ``start + end``.
        In 2-D an int or an ``(H, W)`` pair whose entries are ints or
        ``(start, end)`` pairs.
    dilation : int or (int, int), default 1
        Spacing ``D`` between kernel taps, at least 1; the kernel spans ``D(k-1)+1``
        samples.

    Returns
    -------
    int or tuple of int
        The output length (a pair in 2-D).

    Raises
    ------
    TypeError
        If an argument is not an int (or a pair of ints).
    ValueError
        If ``n`` or ``kernel_size`` is below 1, ``stride`` or ``dilation`` below 1,
        ``padding`` negative, or the padded input shorter than the dilated kernel.

    See Also
    --------
    conv1d : the 1-D layer whose output has this length.
    torch.nn.Conv2d : documents the same formula (book section 2.4, "The CNN view:
        padding, stride, dilation"; section 5.3 for 2-D layers).

    Examples
    --------
    The three cases of the worked example (n = 9, k = 3):

    >>> conv_output_size(9, 3, padding=2), conv_output_size(9, 3), conv_output_size(9, 3, stride=2, padding=1)
    (11, 7, 5)
    >>> conv_output_size(9, 3, padding=(0, 2))
    9
    >>> conv_output_size((300, 400), (4, 5), stride=1, padding=2)
    (301, 400)
    """
    if isinstance(n, (tuple, list)) or isinstance(kernel_size, (tuple, list)):
        sizes = check_pair(n, "n", minimum=1)
        kernels = check_pair(kernel_size, "kernel_size", minimum=1)
        strides = check_pair(stride, "stride", minimum=1)
        dilations = check_pair(dilation, "dilation", minimum=1)
        paddings = _padding_2d(padding)
        return tuple(map(_output_length, sizes, kernels, strides, paddings, dilations))
    return _output_length(
        check_int(n, "n", minimum=1),
        check_int(kernel_size, "kernel_size", minimum=1),
        check_int(stride, "stride", minimum=1),
        check_pair(padding, "padding", minimum=0),
        check_int(dilation, "dilation", minimum=1),
    )


def _is_tensor(value):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _check_tensor_1d(t, name):
    if t.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError(f"{name} must not be empty")
    return t


def _as_tensor_like(value, like):
    """``value`` as a tensor on ``like``'s device, in ``like``'s dtype when that is floating."""
    import torch

    if _is_tensor(value):
        return value
    dtype = like.dtype if like.is_floating_point() or like.is_complex() else None
    return torch.as_tensor(np.asarray(value), dtype=dtype, device=like.device)


def _windows(x, start, end, span, stride):
    """Every ``span``-sample window of the zero-padded ``x``, ``stride`` apart, as rows."""
    if _is_tensor(x):
        import torch.nn.functional as F

        return F.pad(x, (start, end)).unfold(0, span, stride)  # L_out, span
    from numpy.lib.stride_tricks import sliding_window_view

    return sliding_window_view(np.pad(x, (start, end)), span)[::stride]  # L_out, span


def conv1d(x, h, stride=1, padding=0, dilation=1):
    """CNN-style 1-D convolution: slide ``h`` over the zero-padded ``x`` without flipping it.

    ``y[i] = sum_j x_pad[i*S + j*D] * h[j]`` for ``i = 0, ..., L_out - 1``, where
    ``x_pad`` is ``x`` with ``start`` zeros before and ``end`` zeros after. This is
    what ``torch.nn.functional.conv1d`` computes with one input and one output
    channel: the correlation of book section 2.3, not the flipped convolution ``x * h``.

    Parameters
    ----------
    x : array_like or torch.Tensor, shape (n,)
        Input signal.
    h : array_like or torch.Tensor, shape (k,)
        Kernel (filter).
    stride : int, default 1
        Step ``S`` between two positions of the kernel.
    padding : int or (int, int), default 0
        Zeros added at both ends, or a ``(start, end)`` pair for uneven padding.
    dilation : int, default 1
        Spacing ``D`` between the kernel's taps.

    Returns
    -------
    numpy.ndarray or torch.Tensor, shape (L_out,)
        ``L_out = conv_output_size(n, k, stride, padding, dilation)``. A tensor on
        the input tensor's device if ``x`` or ``h`` is a tensor (autograd flows
        through it), else a NumPy array.

    Raises
    ------
    TypeError
        If ``x`` or ``h`` is not numeric, or an option is not an int.
    ValueError
        If ``x`` or ``h`` is empty or not 1-D, an option is out of range, or the
        padded input is shorter than the dilated kernel.

    See Also
    --------
    conv_output_size : the length of the result.
    coursekit.correlate : the same sum without padding, stride or dilation options
        (book section 2.4, "The CNN view: padding, stride, dilation").

    Examples
    --------
    >>> conv1d([1, 2, 3, 1, 2, 3, 1, 2, 3], [1, 1, 1])
    array([6, 6, 6, 6, 6, 6, 6])
    >>> conv1d([1, 2, 3, 1, 2, 3, 1, 2, 3], [1, 1, 1], stride=2, padding=1)
    array([3, 6, 6, 6, 5])
    >>> conv1d([1, 2, 3, 4, 5], [1, -1], dilation=2)
    array([-2, -2, -2])
    """
    stride = check_int(stride, "stride", minimum=1)
    dilation = check_int(dilation, "dilation", minimum=1)
    start, end = check_pair(padding, "padding", minimum=0)
    if _is_tensor(x) or _is_tensor(h):
        like = x if _is_tensor(x) else h
        x = _check_tensor_1d(_as_tensor_like(x, like), "x")
        h = _check_tensor_1d(_as_tensor_like(h, like), "h")
    else:
        x = check_array_1d(x, "x")
        h = check_array_1d(h, "h")
    n, k = x.shape[0], h.shape[0]
    # raises if the padded x is shorter than the kernel
    conv_output_size(n, k, stride, (start, end), dilation)
    windows = _windows(x, start, end, dilation * (k - 1) + 1, stride)  # L_out, D(k-1)+1
    products = windows[:, ::dilation] * h  # L_out, k
    return products.sum(-1, dtype=products.dtype)  # L_out
