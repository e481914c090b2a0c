"""Padding: the pixels a convolution reads beyond the border of its input (book section 5.3).

``pad`` widens (or, with negative amounts, crops) the last axes of a tensor. The
constant mode surrounds the input with one value. The other modes read input
pixels again, each by an index map along every padded axis: output position
``i`` (counted from ``-before``) reads input position

* ``"reflect"``: ``n - 1 - |n - 1 - |i||``, the mirror image without repeating the edge;
* ``"replicate"``: ``clamp(i, 0, n - 1)``, the edge pixel repeated;
* ``"circular"``: ``i mod n``, the input repeated periodically (the cyclic convolution
  of book section 4.1 pads this way).
"""

import torch

from .._validation import check_int, check_option
from ._checks import check_tensor

MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad the last axes of a tensor, as ``torch.nn.functional.pad``.

    ``pad`` lists ``(before, after)`` amounts from the last axis backwards:
    ``(left, right)`` pads the last axis, ``(left, right, top, bottom)`` the last two.
    A negative amount crops instead.

    Parameters
    ----------
    input : torch.Tensor
        Any shape for ``"constant"``; for the other modes, the padded axes (1, 2 or 3)
        plus one or two leading axes (channels, or batch and channels).
    pad : sequence of ints
        An even number of amounts, at most two per axis of ``input``.
    mode : {"constant", "reflect", "replicate", "circular"}
        What the new pixels hold (see the module docstring). "circular" first crops
        the negative amounts, then wraps what is left, at most once, as torch does.
    value : number, optional
        The fill of ``"constant"`` (default 0); the other modes take none.

    Returns
    -------
    torch.Tensor
        ``input`` with each padded axis of size ``n`` grown to ``n + before + after``;
        its dtype and device. Autograd flows through it.

    Raises
    ------
    TypeError
        If ``input`` is not a tensor, ``pad`` is not a sequence of ints.
    ValueError
        If ``pad`` has an odd length or too many entries, ``mode`` is unknown, ``value``
        is given to a mode other than "constant", the input has the wrong number of
        axes for the mode, or the amounts do not fit it: "reflect" needs each smaller
        than the axis, "circular" at most the axis left after cropping, and every
        non-constant mode an output of at least one element on a non-empty axis.

    See Also
    --------
    coursekit.nn.Conv2d : its ``padding_mode`` pads with this function.
    torch.nn.functional.pad : the reference. Book section 5.3 pads images before convolving them.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[1, 2, 3]])
    >>> pad(x, (2, 1), value=9)
    tensor([[9, 9, 1, 2, 3, 9]])
    >>> pad(x, (2, 2), mode="reflect"), pad(x, (2, 2), mode="replicate"), pad(x, (2, 2), mode="circular")
    (tensor([[3, 2, 1, 2, 3, 2, 1]]), tensor([[1, 1, 1, 2, 3, 3, 3]]), tensor([[2, 3, 1, 2, 3, 1, 2]]))
    >>> pad(x, (-1, 0))
    tensor([[2, 3]])
    """
    check_tensor(input, "input")
    pad = _check_pad(pad, input)
    mode = check_option(mode, "mode", MODES)
    if mode == "constant":
        return _constant(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(
            f"value applies to mode='constant' only; got value={value!r} with mode={mode!r}"
        )
    axes = len(pad) // 2
    if axes not in (1, 2, 3) or input.dim() not in (axes + 1, axes + 2):
        raise ValueError(
            f"mode={mode!r} pads the last 1, 2 or 3 axes of an input with one or two more axes in front; "
            f"got pad of length {len(pad)} for input of size {list(input.shape)}"
        )
    if mode != "circular" and 0 in input.shape[-axes - 1 :]:
        raise ValueError(
            f"mode={mode!r} needs every axis of input but the batch axis non-empty; got size {list(input.shape)}"
        )
    out = input
    for k in range(axes):
        axis = input.dim() - 1 - k
        index = _index(
            mode, pad[2 * k], input.shape[axis], pad[2 * k + 1], axis, input.device
        )
        out = out.index_select(axis, index)
    return out


def _check_pad(pad, input):
    """``pad`` as a tuple of ints of even length, at most twice ``input``'s number of axes."""
    if not isinstance(pad, (tuple, list, torch.Size)):
        raise TypeError(
            f"pad must be a tuple of ints; got {type(pad).__name__} {pad!r}"
        )
    if not all(type(p) is int for p in pad):  # the common case needs no conversion
        pad = tuple(check_int(p, "pad") for p in pad)
    if len(pad) % 2:
        raise ValueError(
            f"pad must have an even length (before, after pairs); got {len(pad)} entries: {tuple(pad)}"
        )
    if len(pad) > 2 * input.dim():
        raise ValueError(
            f"pad may have at most 2 entries per axis of input ({2 * input.dim()} for size {list(input.shape)}); "
            f"got {len(pad)}"
        )
    return pad


def _constant(input, pad, value):
    """Crop the negative amounts, then copy into a tensor filled with ``value``.

    The kept block of ``input`` goes into one strided view of the new (contiguous)
    tensor: one fill and one copy, whatever the number of padded axes. Along the
    padded axes, last first, the view starts ``max(before, 0)`` rows in, each row as
    long as the axes after it.
    """
    shape, kept = list(input.shape), list(input.shape)
    offset, row = (
        0,
        1,
    )  # where the kept block starts in the new tensor; elements per index of the axis
    for k in range(len(pad) // 2):
        axis = len(shape) - 1 - k
        n, before, after = shape[axis], pad[2 * k], pad[2 * k + 1]
        size = kept[axis] = n + min(before, 0) + min(after, 0)
        if size < 0 or n + before + after < 0:
            raise ValueError(
                f"pad ({before}, {after}) crops more than the {n} elements of input's axis {axis}"
            )
        if size < n:
            input = input.narrow(axis, max(-before, 0), size)
        shape[axis] = n + before + after
        offset += max(before, 0) * row
        row *= shape[axis]
    out = input.new_full(shape, value)
    out.as_strided(kept, out.stride(), offset).copy_(input)
    return out


def _index(mode, before, n, after, axis, device):
    """The input positions that output positions ``-before, ..., n + after - 1`` read along one axis."""
    if mode == "reflect" and max(before, after) >= n:
        raise ValueError(
            f"mode='reflect' needs each pad smaller than the axis it reflects; got ({before}, {after}) "
            f"for input's axis {axis} of size {n}"
        )
    if mode == "circular":
        kept = (
            n + min(before, 0) + min(after, 0)
        )  # what is left after cropping, then wrapped
        if max(before, after, 0) > max(kept, 0) or kept < 0:
            raise ValueError(
                f"mode='circular' wraps around at most once: pad ({before}, {after}) on input's axis {axis} "
                f"of size {n} needs each amount at most the {max(kept, 0)} elements left after cropping"
            )
        i = torch.arange(-max(before, 0), kept + max(after, 0), device=device)
        return i % max(kept, 1) + max(-before, 0)
    if n + before + after < 1:
        raise ValueError(
            f"mode={mode!r} must leave at least 1 element; pad ({before}, {after}) leaves "
            f"{n + before + after} of the {n} of input's axis {axis}"
        )
    i = torch.arange(-before, n + after, device=device)
    if mode == "reflect":
        return n - 1 - (n - 1 - i.abs()).abs()
    return i.clamp(0, n - 1)
