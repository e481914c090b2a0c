"""Convolution layers written from scratch: three ways to compute the same cross-correlation.

A CNN's "convolution" is a cross-correlation: output pixel ``(o, y, x)`` is

.. math:: \\mathrm{out}[n, o, y, x] = b_o + \\sum_{c, i, j} W[o, c, i, j]\\,
          X_{\\mathrm{pad}}[n, c, s_H y + d_H i, s_W x + d_W j],

summed over the input channels ``c`` of the group of ``o``. This module computes it

* ``"direct"``: one term per kernel offset ``(i, j)``, each a strided slice of the
  input times a ``C x O`` matrix, accumulated;
* ``"im2col"``: all windows gathered into one matrix (:func:`~coursekit.nn.unfold.unfold`),
  then one matrix product per group (per image for a single input channel);
* ``"fft"``: the convolution rule (book section 4.3) with the flipped kernel, channels summed
  in the frequency domain;
* ``"winograd"``, ``"winograd4x4"``: Winograd's minimal filtering F(2x2, 3x3) and
  F(4x4, 3x3) for stride-1 3x3 kernels (:mod:`coursekit.nn.winograd`);

and ``"auto"`` picks the cheapest by a cost model, or, in benchmark mode
(:mod:`coursekit.nn.autotune`), by timing them once per configuration. The backward
pass is a transposed convolution (:func:`conv_transpose2d`) and a correlation of the
input with the output gradient (:func:`conv2d_backward`).

Every method takes floating, complex and integer tensors (not bool) and returns the
input's dtype, as torch does; integers on the CPU only, as CUDA has no integer matrix
product. Half precision (float16, bfloat16) is computed in float32 and rounded once at
the end; no other dtype is converted. Integers are computed exactly (wrapping around on overflow
like torch's integer kernels): "fft" and the Winograd methods hand them to "im2col",
since their floating-point transforms would round them. An empty batch (N = 0) gives an
empty output and zero weight gradients; "fft" and Winograd hand it to "direct".

Non-finite values: "direct" and "im2col" make an output NaN or inf exactly when one of
the products that define it is, as torch does. The transforms mix many inputs into
each transformed value, so with "fft" a NaN or inf reaches every output of its image,
with the Winograd methods every output of its tile; "auto" never returns a transform's
output for an input or a weight that holds one: such an output is not finite, and
"auto" then computes it again by "im2col".
"""

import functools
import math

import torch

from .. import _fft
from .._validation import check_int, check_option
from . import autotune, winograd
from ._checks import (
    check_dtype,
    check_groups,
    check_input,
    check_like,
    check_padding_pair,
    check_positive_pair,
    check_tensor,
)
from .unfold import check_window_fits, pad, windows

METHODS = ("auto", "direct", "im2col", "fft", "winograd", "winograd4x4")


def _channels_last(x):
    """``x`` (N, C, H, W) with its channels stored innermost (a copy unless already so)."""
    return x.contiguous(memory_format=torch.channels_last)


def _columns(x, kernel_size, stride, dilation, groups, out_size):
    """The im2col matrix of a padded input, one per group: shape (G, N*oH*oW, kH*kW*C/G)."""
    N, C = x.shape[:2]  # batch, channels
    kH, kW = kernel_size
    cols = windows(
        _channels_last(x), kernel_size, stride, dilation, out_size
    )  # N,C,oH,oW,kH,kW
    cols = cols.unflatten(1, (groups, C // groups)).permute(
        1, 0, 3, 4, 5, 6, 2
    )  # G,N,oH,oW,kH,kW,Cg
    return cols.reshape(
        groups, N * out_size[0] * out_size[1], kH * kW * (C // groups)
    )  # G,M,K


def _im2col(x, weight, stride, dilation, groups, out_size, keep=False):
    """Cross-correlation as products of the im2col matrix with the kernel: per group (per image for one channel).

    The column matrix is laid out so that its copy runs along contiguous rows:
    (pixels, taps x channels) from a channels-last input, where each window row is
    ``kW C`` consecutive numbers, or (taps, pixels) from the NCHW input for a single
    channel per group, where each output row reads consecutive pixels. (With two or
    three channels the channels-last copy measured faster too: AlexNet's first layer,
    three channels at stride 4, 9.4 -> 6.5 ms.) A single input channel takes one
    (taps, pixels) matrix per image, whose products land in NCHW order with no
    transpose. One matrix for the whole batch took 0.31 to 0.99 ms on LeNet-5's C1
    (64 images) from one process to the next, against 0.20 to 0.24 ms one image at a
    time: its rows of ``64 * 28 * 28`` floats, a multiple of 4 KiB, collide in the
    caches in some processes and not in others.
    A column matrix of more than ``_COLUMN_BUDGET`` elements is formed only where
    one output row needs more: the output is computed a block of rows at a time. This
    bounds memory (a 31x31 kernel over a 16-channel 256x256 image would otherwise
    need a 4 GB matrix) and keeps each block's copy and product near the CPU's
    caches, which on a 2-core machine made the VGG 3x3 layer 2.5x and the 31x31 case
    3x faster than one block (measured with a budget of ``2**22``).

    With ``keep``, returns ``(output, column matrix)``, the matrix being ``None``
    unless it was formed in one block (see :func:`_im2col_block`).
    """
    blocks = list(_row_blocks(x, weight.shape, stride, dilation, out_size))
    if len(blocks) == 1:
        return _im2col_block(x, weight, stride, dilation, groups, out_size, keep)
    out = torch.cat(
        [
            _im2col_block(xb, weight, stride, dilation, groups, (r1 - r0, out_size[1]))
            for r0, r1, xb in blocks
        ],
        dim=2,
    )
    return (out, None) if keep else out


def _rows_per_block(device, batch, out_width, channels, kernel_size):
    """Output rows whose column matrix (``batch * rows * out_width`` by ``channels * kH * kW``) fits the budget."""
    budget = _COLUMN_BUDGET if device.type == "cpu" else _COLUMN_BUDGET_ACCELERATOR
    return max(
        1,
        budget
        // max(1, batch * out_width * channels * kernel_size[0] * kernel_size[1]),
    )  # 1 if empty


def _row_blocks(x, weight_shape, stride, dilation, out_size):
    """Yield ``(r0, r1, rows of x)``: output rows ``r0:r1`` and the input rows they see, under the budget."""
    kH = weight_shape[-2]
    (oH, oW), (sH, _), (dH, _) = out_size, stride, dilation
    rows = _rows_per_block(x.device, x.shape[0], oW, x.shape[1], weight_shape[-2:])
    if rows >= oH:
        yield 0, oH, x
        return
    for r0 in range(0, oH, rows):
        r1 = min(r0 + rows, oH)
        yield r0, r1, x[:, :, r0 * sH : (r1 - 1) * sH + dH * (kH - 1) + 1]


# elements of the largest column matrix formed at once on a CPU (8 MB in float32): on
# the 2-core machine, 64- and 128-channel 3x3 layers took 0.75-0.9 of their time with
# 2**22 (AlexNet's first layer 0.83), 512 channels at 28 x 28 1.2 (two blocks, not one)
_COLUMN_BUDGET = 2**21
_COLUMN_BUDGET_ACCELERATOR = (
    2**27
)  # on a GPU, where large products pay and only memory limits them


def _im2col_block(x, weight, stride, dilation, groups, out_size, keep=False):
    """:func:`_im2col` on an input whose column matrix fits the budget.

    With ``keep``, returns ``(output, column matrix)``: (N, 1, K, oH oW) for a single
    input channel, (G, K, M) for one channel per group of several, both copied along
    image rows, and (G, M, K) otherwise (see :func:`_weight_grad_from_columns`).
    """
    N, C = x.shape[:2]  # batch, channels
    O, Cg, kH, kW = weight.shape  # out channels, in channels per group, kernel
    if Cg < _FEW_CHANNELS:
        cols = windows(
            x.contiguous(), (kH, kW), stride, dilation, out_size
        )  # N,C,oH,oW,kH,kW
        w = weight.reshape(groups, O // groups, -1)  # G,Og,K
        if groups == 1:
            # one product per image, (O, K) x (K, oH oW), written straight into NCHW
            cols = cols.permute(0, 1, 4, 5, 2, 3).reshape(
                N, 1, kH * kW, out_size[0] * out_size[1]
            )  # N,1,K,P
            out = torch.matmul(w, cols).view(N, O, *out_size)  # N,O,oH,oW
            return (out, cols) if keep else out
        cols = cols.unflatten(1, (groups, Cg)).permute(
            1, 2, 5, 6, 0, 3, 4
        )  # G,Cg,kH,kW,N,oH,oW
        cols = cols.reshape(
            groups, Cg * kH * kW, N * out_size[0] * out_size[1]
        )  # G,K,M
        out = torch.matmul(w, cols)  # G,Og,M
        out = out.view(O, N, *out_size).transpose(0, 1)  # N,O,oH,oW
        return (out, cols) if keep else out
    cols = _columns(x, (kH, kW), stride, dilation, groups, out_size)  # G,M,K
    w = weight.view(groups, O // groups, Cg, kH, kW).permute(
        0, 3, 4, 2, 1
    )  # G,kH,kW,Cg,Og
    out = torch.matmul(cols, w.reshape(groups, kH * kW * Cg, O // groups))  # G,M,Og
    out = out.permute(1, 0, 2).reshape(N, *out_size, O)  # N,oH,oW,O
    out = out.permute(0, 3, 1, 2)  # N,O,oH,oW
    return (out, cols) if keep else out


def _weight_grad_from_columns(cols, dy, weight_shape, groups):
    """``dL/dW`` from the column matrix that the forward pass formed: one product with ``dy``.

    ``cols`` is (N, 1, K, oH oW) for a single input channel, (G, K, M) with K ordered
    (Cg, kH, kW) for one channel per group of several, else (G, M, K) with K ordered
    (kH, kW, Cg), as :func:`_im2col_block` makes them; M is ordered (N, oH, oW) in the
    last two.
    """
    O, Cg, kH, kW = weight_shape  # out channels, in channels per group, kernel
    Og = O // groups
    if cols.dim() == 4:  # N,1,K,P: one input channel, one product per image
        grad = torch.matmul(
            dy.reshape(cols.shape[0], 1, O, cols.shape[-1]), cols.transpose(-2, -1)
        )  # N,1,O,K
        return grad.sum(0).reshape(O, Cg, kH, kW)
    dyt = dy.unflatten(1, (groups, Og)).permute(1, 2, 0, 3, 4)  # G,Og,N,oH,oW
    dyt = dyt.reshape(groups, Og, -1)  # G,Og,M
    if Cg < _FEW_CHANNELS:
        grad = torch.matmul(dyt, cols.transpose(1, 2))  # G,Og,K
        return grad.reshape(O, Cg, kH, kW)
    return _kernel_from_taps_last(torch.matmul(dyt, cols), weight_shape)


def _kernel_from_taps_last(grad, weight_shape):
    """A weight gradient ``(G, Og, kH kW Cg)`` in :func:`_columns`' order as a kernel ``(O, Cg, kH, kW)``."""
    O, Cg, kH, kW = weight_shape  # out channels, in channels per group, kernel
    return grad.view(O, kH, kW, Cg).permute(0, 3, 1, 2).contiguous()


_FEW_CHANNELS = (
    2  # below this many channels per group (one), im2col copies along image rows
)


def _direct(x, weight, stride, dilation, groups, out_size):
    """Cross-correlation as a sum over kernel offsets of (strided slice) x (channel matrix)."""
    O, Cg, kH, kW = weight.shape  # out channels, in channels per group, kernel
    (sH, sW), (dH, dW), (oH, oW) = stride, dilation, out_size
    xs = (
        _channels_last(x).permute(0, 2, 3, 1).unflatten(3, (groups, Cg))
    )  # N,Hp,Wp,G,Cg
    w = weight.view(groups, O // groups, Cg, kH, kW)  # G,Og,Cg,kH,kW
    out = 0
    for i in range(kH):
        for j in range(kW):
            rows = slice(i * dH, i * dH + (oH - 1) * sH + 1, sH)
            cols = slice(j * dW, j * dW + (oW - 1) * sW + 1, sW)
            out = out + torch.einsum(
                "nhwgc,goc->nhwgo", xs[:, rows, cols], w[..., i, j]
            )  # N,oH,oW,G,Og
    return out.flatten(3).permute(0, 3, 1, 2)  # N,O,oH,oW


def _dilate(weight, dilation):
    """Insert ``dilation - 1`` zeros between the kernel's taps along the last two axes."""
    dH, dW = dilation
    if (dH, dW) == (1, 1):
        return weight
    kH, kW = weight.shape[-2:]
    out = weight.new_zeros(*weight.shape[:-2], dH * (kH - 1) + 1, dW * (kW - 1) + 1)
    out[..., ::dH, ::dW] = weight
    return out


def _fourier(x, weight, stride, dilation, groups, out_size):
    """Cross-correlation by the convolution rule: FFT, multiply, sum channels, inverse FFT.

    Correlating with ``W`` is convolving with ``W`` flipped. A cyclic convolution of
    length ``F >= Hp`` equals the linear one at the valid positions (the wrap-around
    only reaches the first ``kH - 1`` outputs), so the FFT length is that of the
    padded input, not input plus kernel. The small kernel is transformed one axis at
    a time, so its many zeros are never stored. Real inputs keep half the spectrum
    (``fW/2 + 1`` columns), complex ones all ``fW``.
    """
    N, C, Hp, Wp = x.shape  # batch, channels, padded height and width
    O, Cg = weight.shape[:2]  # out channels, in channels per group
    h = _dilate(weight, dilation).flip((-2, -1))  # O,Cg,eH,eW
    eH, eW = h.shape[-2:]
    fH, fW = _fft.fast_length(Hp), _fft.fast_length(Wp)
    real = not x.is_complex()
    fft2, fft_w, ifft2 = (
        (torch.fft.rfft2, torch.fft.rfft, torch.fft.irfft2)
        if real
        else (torch.fft.fft2, torch.fft.fft, torch.fft.ifft2)
    )
    # frequencies stored (column, row): the kernel's FFT along H then runs on contiguous rows
    X = (
        fft2(x, s=(fH, fW)).transpose(-2, -1).unflatten(1, (groups, Cg))
    )  # N,G,Cg,fW/2+1,fH
    H = torch.fft.fft(fft_w(h, n=fW).transpose(-2, -1), n=fH)  # O,Cg,fW/2+1,fH
    H = H.unflatten(0, (groups, O // groups))  # G,Og,Cg,fW/2+1,fH
    differentiated = torch.is_grad_enabled() and (x.requires_grad or h.requires_grad)
    # a batched matrix product per frequency pays off for many images, and always
    # under autograd: the loop's backward would build a zero gradient of the whole
    # kernel spectrum for each channel's slice (minutes for a 512-channel layer)
    if N >= 8 or differentiated:
        Y = torch.einsum("ngcuv,gocuv->ngouv", X, H)  # N,G,Og,fW/2+1,fH
    else:  # a few large multiply-adds, one per input channel
        Y = X[:, :, None, 0] * H[None, :, :, 0]
        for c in range(1, Cg):
            Y = Y.addcmul_(X[:, :, None, c], H[None, :, :, c])  # N,G,Og,fW/2+1,fH
    y = ifft2(Y.flatten(1, 2).transpose(-2, -1), s=(fH, fW))  # N,O,fH,fW
    (sH, sW), (oH, oW) = stride, out_size
    return y[
        ..., eH - 1 : eH + (oH - 1) * sH : sH, eW - 1 : eW + (oW - 1) * sW : sW
    ]  # N,O,oH,oW


def _weight_grad(x, dy, weight_shape, stride, dilation, groups):
    """``dL/dW`` of the valid correlation of padded ``x``: the column matrix times ``dy``, a row block at a time."""
    O, Cg, kH, kW = weight_shape  # out channels, in channels per group, kernel
    grad = 0
    for r0, r1, xb in _row_blocks(x, weight_shape, stride, dilation, dy.shape[-2:]):
        cols = _columns(
            xb, (kH, kW), stride, dilation, groups, (r1 - r0, dy.shape[-1])
        )  # G,M,K
        dyb = (
            dy[:, :, r0:r1]
            .permute(0, 2, 3, 1)
            .reshape(-1, groups, O // groups)
            .transpose(0, 1)
        )  # G,M,Og
        grad = grad + torch.matmul(dyb.transpose(1, 2), cols)  # G,Og,K
    return _kernel_from_taps_last(grad, weight_shape)  # O,Cg,kH,kW


def _input_grad(dy, weight, padded_size, stride, dilation, groups):
    """``dL/dX`` of the valid correlation of a padded input: col2im, the adjoint of im2col.

    ``dy`` times the kernel gives, for every output pixel, the gradient of each value
    of its window (the column matrix's gradient, a block of rows at a time); each
    kernel tap then adds its column into the input pixels it read, a strided slice.
    No zeros are inserted for strides, so a stride-4 layer costs no more than a
    stride-1 one. Where that would mean very many small additions (large kernels
    over many row blocks), each tap's product is formed and added on its own instead.
    """
    N, O, oH, oW = dy.shape  # batch, out channels, output size
    Cg, kH, kW = weight.shape[1:]  # in channels per group, kernel
    (sH, sW), (dH, dW), Og = stride, dilation, O // groups
    dys = _channels_last(dy).permute(0, 2, 3, 1)  # N,oH,oW,O
    grad = dy.new_zeros(N, *padded_size, groups, Cg)  # N,Hp,Wp,G,Cg
    rows = _rows_per_block(dy.device, N, oW, Cg * groups, (kH, kW))
    if -(-oH // rows) * kH * kW <= _MAX_SCATTERS:
        w = (
            weight.view(groups, Og, Cg, kH, kW)
            .permute(0, 1, 3, 4, 2)
            .reshape(groups, Og, -1)
        )  # G,Og,K
        for r0 in range(0, oH, rows):
            r1 = min(r0 + rows, oH)
            d = dys[:, r0:r1].reshape(-1, groups, Og).transpose(0, 1)  # G,M,Og
            g = torch.matmul(d, w).view(
                groups, N, r1 - r0, oW, kH, kW, Cg
            )  # G,N,h,oW,kH,kW,Cg
            g = g.permute(1, 2, 3, 0, 4, 5, 6)  # N,h,oW,G,kH,kW,Cg
            for i in range(kH):
                r = slice(
                    r0 * sH + i * dH, r0 * sH + i * dH + (r1 - r0 - 1) * sH + 1, sH
                )
                for j in range(kW):
                    grad[:, r, j * dW : j * dW + (oW - 1) * sW + 1 : sW] += g[
                        :, :, :, :, i, j
                    ]
    else:
        dys = dys.unflatten(3, (groups, Og))  # N,oH,oW,G,Og
        w = weight.view(groups, Og, Cg, kH, kW)  # G,Og,Cg,kH,kW
        for i in range(kH):
            r = slice(i * dH, i * dH + (oH - 1) * sH + 1, sH)
            for j in range(kW):
                tap = torch.einsum(
                    "nhwgo,goc->nhwgc", dys, w[..., i, j]
                )  # N,oH,oW,G,Cg
                grad[:, r, j * dW : j * dW + (oW - 1) * sW + 1 : sW] += tap
    return grad.flatten(3).permute(0, 3, 1, 2)  # N,C,Hp,Wp


_MAX_SCATTERS = 2048  # col2im's strided additions (blocks x taps) before one product per tap is cheaper


class _Im2colCorrelation(torch.autograd.Function):
    """The valid correlation of a padded input by im2col, differentiated by the explicit formulas.

    ``dW`` is :func:`conv2d_backward`'s (the column matrix times ``dY``); ``dX`` is the
    same sum as its transposed convolution, computed by col2im without zero insertion.
    For complex tensors the other factor is conjugated, torch's convention.
    Autograd through the window view would keep every window's pixels and scatter
    them back one by one; this keeps only the input and the kernel.
    """

    @staticmethod
    def forward(ctx, x, weight, stride, dilation, groups, out_size):
        ctx.options = stride, dilation, groups
        if not ctx.needs_input_grad[1]:
            ctx.save_for_backward(x, weight, None)
            return _im2col(x, weight, stride, dilation, groups, out_size)
        # a column matrix formed in one block (at most the budget) is kept for dW, as
        # torch's own CPU convolution keeps its column matrix, rather than copied again
        out, cols = _im2col(x, weight, stride, dilation, groups, out_size, keep=True)
        ctx.save_for_backward(x, weight, cols)
        return out

    @staticmethod
    def backward(ctx, dy):
        x, weight, cols = ctx.saved_tensors
        stride, dilation, groups = ctx.options
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_x = _input_grad(
                dy, weight.conj(), x.shape[-2:], stride, dilation, groups
            )
        if ctx.needs_input_grad[1]:
            if cols is not None and not torch.is_grad_enabled():
                # (with create_graph, dW is recomputed from x so that it depends on x)
                grad_w = _weight_grad_from_columns(
                    cols.conj(), dy, weight.shape, groups
                )
            else:
                grad_w = _weight_grad(
                    x.conj(), dy, weight.shape, stride, dilation, groups
                )
        return grad_x, grad_w, None, None, None, None


def _im2col_autograd(x, weight, stride, dilation, groups, out_size):
    """:func:`_im2col`, differentiated by the explicit formulas when a gradient is needed."""
    if torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad):
        return _Im2colCorrelation.apply(x, weight, stride, dilation, groups, out_size)
    return _im2col(x, weight, stride, dilation, groups, out_size)


_IMPLEMENTATIONS = {
    "direct": _direct,
    "im2col": _im2col_autograd,
    "fft": _fourier,
    "winograd": winograd.conv_method,
    "winograd4x4": functools.partial(winograd.conv_method, method="winograd4x4"),
}


def choose_conv_method(input, weight, stride=1, padding=0, dilation=1, groups=1):
    """The method ``conv2d(..., method="auto")`` uses for these arguments.

    A cost model in floating-point operations: ``"im2col"`` costs one pass over the
    ``(N oH oW) x (C kH kW)`` column matrix plus a ``2 N oH oW C kH kW O / groups``-flop
    matrix product; ``"fft"`` costs ``N C + O C / G + N O`` real FFTs of the padded
    image (``F log F`` each) plus ``N O C / G`` complex products per frequency; for
    stride-1, undilated 3x3 kernels, ``"winograd"`` (F(2x2, 3x3), book section 5.7)
    costs 16 products per 2 x 2 output tile and channel pair (a direct sum needs 36)
    plus 16 transformed values per tile and channel. Copies, FFT points, transformed
    values and products are weighted by rough measured costs relative to a large
    matrix product's flop: large kernels with few channels favour the FFT, 3x3 layers
    with a hundred channels or more favour Winograd. ``"winograd4x4"`` is never
    chosen: its float32 error is an order of magnitude larger.

    Parameters
    ----------
    input, weight : torch.Tensor
        As for :func:`conv2d`: their shapes, their dtype and whether they hold a NaN
        or an infinity matter.
    stride, padding, dilation, groups
        As for :func:`conv2d`.

    Returns
    -------
    str
        ``"im2col"``, ``"fft"`` or ``"winograd"`` (``"direct"`` never wins on a CPU,
        where one large matrix product beats ``kH kW`` small ones). Integer inputs
        always get ``"im2col"`` (exact), and so do tensors that hold a NaN or an
        infinity (a transform would spread it to every output of its image or tile).

    See Also
    --------
    conv2d : the convolution this chooses for; book section 5.7 times the three methods.

    Examples
    --------
    >>> import torch
    >>> choose_conv_method(torch.zeros(1, 1, 256, 256), torch.zeros(1, 1, 31, 31))
    'fft'
    >>> choose_conv_method(torch.zeros(1, 64, 56, 56), torch.zeros(64, 64, 3, 3), padding=1)
    'im2col'
    >>> choose_conv_method(torch.zeros(1, 256, 56, 56), torch.zeros(256, 256, 3, 3), padding=1)
    'winograd'
    >>> choose_conv_method(torch.full((1, 1, 256, 256), float("nan")), torch.zeros(1, 1, 31, 31))
    'im2col'
    """
    input, _ = check_input(input, "conv2d")
    weight, stride, padding4, dilation, groups = _check_conv(
        input, weight, None, stride, padding, dilation, groups
    )
    padded = (
        input.shape[-2] + padding4[0] + padding4[1],
        input.shape[-1] + padding4[2] + padding4[3],
    )
    out_size = check_window_fits(padded, weight.shape[-2:], stride, dilation)
    return _choose("auto", input, weight, padded, out_size, groups, stride, dilation)


def _choose(
    method, input, weight, padded, out_size, groups, stride, dilation, check=True
):
    """The method that computes ``method``: "auto" by the cost model, transforms only where they serve.

    Integers go to "im2col", whose integer products are exact (a floating-point FFT or
    Winograd transform would round them); empty tensors to "direct" (an FFT library
    refuses an empty batch). With ``check`` (for "auto", chosen for the user), tensors
    holding a NaN or an infinity go to "im2col" too: a transform would spread them
    beyond the products they enter. (:func:`conv2d` checks the transform's output
    instead, which is cheaper: see :func:`_conv2d`.)
    """
    if method == "auto":
        method = _cost_model(
            input.shape, weight.shape, padded, out_size, groups, stride, dilation
        )
    if method not in _TRANSFORMS:
        return method
    if not (input.is_floating_point() or input.is_complex()):
        return "im2col"
    if input.numel() == 0 or weight.numel() == 0:
        return "direct"
    if check and not _finite(input, weight):
        return "im2col"
    return method


_TRANSFORMS = (
    "fft",
    "winograd",
    "winograd4x4",
)  # methods that mix every input of an image (or a tile)


def _finite(*tensors):
    """Whether no tensor holds a NaN or an infinity: one pass over each."""
    return all(bool(torch.isfinite(t).all()) for t in tensors)


def _cost_model(input_shape, weight_shape, padded, out_size, groups, stride, dilation):
    """ "im2col", "fft" or "winograd", whichever the flop-count model says is cheapest."""
    N, C = input_shape[:2]  # batch, channels
    O, Cg, kH, kW = weight_shape  # out channels, in channels per group, kernel
    L, K = out_size[0] * out_size[1], Cg * kH * kW  # output pixels, taps per output
    costs = {"im2col": 2.0 * N * L * K * O + _COPY_COST * N * L * K * groups}
    F = _fft.fast_length(padded[0]) * _fft.fast_length(padded[1])
    transforms = (N * C + O * Cg + N * O) * _FFT_COST * F * math.log2(max(F, 2))
    costs["fft"] = transforms + _PRODUCT_COST * N * O * Cg * F / 2
    if (kH, kW) == (3, 3) and tuple(stride) == tuple(dilation) == (1, 1):
        # F(2x2, 3x3): 16 products per 2 x 2 tile and channel pair (36 directly),
        # as 16 batched products, and 16 transformed values per tile and channel
        tiles = N * -(-out_size[0] // 2) * -(-out_size[1] // 2)
        costs["winograd"] = (
            _WINOGRAD_PRODUCT_COST * 2.0 * tiles * 16 * Cg * O
            + _WINOGRAD_TRANSFORM_COST * tiles * 16 * (C + O)
        )
    return min(costs, key=costs.get)


# costs in units of one flop of a large matrix product (measured roughly on a 2-core x86 CPU)
_COPY_COST = 10.0  # copying one element into the column matrix
_FFT_COST = 12.5  # one point of a real 2-D FFT, per log2 of its size
_PRODUCT_COST = 40.0  # one complex multiply-add of the spectra
# Winograd, fitted to VGG-16's 3x3 layers (2-core AMD EPYC): its 16 products per tile
# are smaller matrix products than im2col's one, and its transforms are memory-bound
_WINOGRAD_PRODUCT_COST = 1.6  # one flop of the 16 batched products
_WINOGRAD_TRANSFORM_COST = 60.0  # one transformed input or output value


def _single(value, name, minimum):
    """An int, or a 1-tuple of one int (as conv1d's arguments may be given)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(
                f"{name} must be an int or a 1-tuple of an int; got {value!r}"
            )
        value = value[0]
    return check_int(value, name, minimum)


def _resolve_padding(padding, kernel_size, stride, dilation):
    """Padding as (top, bottom, left, right): ints, pairs, "valid" or torch's "same"."""
    if isinstance(padding, str):
        check_option(padding, "padding", ("valid", "same"))
        if padding == "valid":
            return (0, 0, 0, 0)
        if stride != (1, 1):
            raise ValueError(
                f"padding='same' is not supported for strided convolutions; got stride={stride}"
            )
        pads = []
        for k, d in zip(kernel_size, dilation):
            total = d * (k - 1)
            pads += [
                total // 2,
                total - total // 2,
            ]  # the extra one goes after, as in torch
        return tuple(pads)
    pH, pW = check_padding_pair(padding)
    return (pH, pH, pW, pW)


def _check_conv(
    input, weight, bias, stride, padding, dilation, groups, transposed=False
):
    """Validate conv arguments for a batched ``input``; return them normalized."""
    check_dtype(input, "a convolution")
    if input.device.type == "cuda" and not (
        input.is_floating_point() or input.is_complex()
    ):
        raise TypeError(
            f"input of dtype {input.dtype} is convolved on the CPU only, by every method (CUDA has no integer "
            f"matrix product); got it on {input.device}"
        )
    check_tensor(weight, "weight")
    if weight.dim() != input.dim():
        raise ValueError(
            f"weight must be a {input.dim()}-D tensor (out_channels, in_channels/groups, *kernel_size); "
            f"got a {weight.dim()}-D tensor of size {list(weight.shape)}"
        )
    check_like(weight, "weight", input)
    groups = check_groups(groups)
    stride = check_positive_pair(stride, "stride")
    dilation = check_positive_pair(dilation, "dilation")
    if weight.shape[0] < groups:
        raise ValueError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {list(weight.shape)} instead"
        )
    if weight.shape[0] % groups:
        raise ValueError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size {list(weight.shape)} instead"
        )
    channels = weight.shape[0] if transposed else weight.shape[1] * groups
    if input.shape[1] != channels:
        raise ValueError(
            f"Given {'transposed=1' if transposed else f'groups={groups}'}, weight of size {list(weight.shape)}, "
            f"expected input{list(input.shape)} to have {channels} channels, "
            f"but got {input.shape[1]} channels instead"
        )
    out_channels = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None:
        check_like(bias, "bias", input)
        if bias.shape != (out_channels,):
            raise ValueError(
                f"bias must be a 1-D tensor of {out_channels} elements (out_channels); got size {list(bias.shape)}"
            )
    kernel_size = (1, 1, *weight.shape[2:])[-2:]  # conv1d's kernel is 1 x k
    padding4 = (
        None if transposed else _resolve_padding(padding, kernel_size, stride, dilation)
    )
    return weight, stride, padding4, dilation, groups


def _conv2d(input, weight, bias, stride, padding4, dilation, groups, method):
    """conv2d on checked, batched arguments; ``padding4`` may hold negative amounts (crops)."""
    dtype = input.dtype
    half = dtype in _HALF_PRECISION
    if half:
        input, weight = input.float(), weight.float()
        bias = None if bias is None else bias.float()
    x = pad(input, padding4)
    out_size = check_window_fits(x.shape[-2:], weight.shape[-2:], stride, dilation)
    auto = method == "auto"
    if (
        auto
        and autotune.benchmark_mode()
        and x.is_floating_point()
        and x.numel()
        and weight.numel()
    ):
        # with a gradient to track (autograd, forward mode, torch.func), methods may run
        # another way (Winograd's transforms)
        tracked = winograd._differentiated(x) or winograd._differentiated(weight)
        key = (
            tuple(x.shape),
            tuple(weight.shape),
            stride,
            dilation,
            groups,
            x.dtype,
            x.device,
            tracked,
        )
        methods = autotune.candidates(weight.shape[-2:], stride, dilation)
        method = autotune.fastest(  # time the methods once per configuration
            lambda m: _IMPLEMENTATIONS[m](
                x, weight, stride, dilation, groups, out_size
            ),
            methods,
            key,
            x.device,
            tracked,
        )
    method = _choose(
        method, input, weight, x.shape[-2:], out_size, groups, stride, dilation, False
    )
    out = _IMPLEMENTATIONS[method](
        x, weight, stride, dilation, groups, out_size
    )  # N,O,oH,oW
    if auto and method in _TRANSFORMS and not bool(out.detach().sum().isfinite()):
        # A NaN or an infinity in the input or the kernel reaches every output of its
        # image (FFT) or tile (Winograd), so a transform's output is finite only if
        # what it read was: one sum of the output, smaller than the input and the
        # kernel of a deep layer, decides. Otherwise sum directly, as torch does.
        out = _IMPLEMENTATIONS["im2col"](x, weight, stride, dilation, groups, out_size)
    if bias is not None:
        out = out + bias.view(-1, 1, 1)
    return out.to(dtype) if half else out


# Half precision is computed in float32 and rounded once at the end, as torch's kernels accumulate it.
# Only these dtypes take the cast: any other one would pay two no-op conversions per call.
_HALF_PRECISION = (torch.float16, torch.bfloat16)


def conv2d(
    input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, method="im2col"
):
    """2-D cross-correlation of a batch of images with a bank of kernels, as ``torch.nn.functional.conv2d``.

    ``out[n, o] = bias[o] + sum_c weight[o, c] * input[n, g(o) C/G + c]`` where ``*``
    slides the kernel over the (padded) image with the given stride and dilation.

    Parameters
    ----------
    input : torch.Tensor
        Shape (N, C_in, H, W), or (C_in, H, W) for one image; N may be 0. Floating,
        complex or integer (see the module docstring for how each is computed).
    weight : torch.Tensor
        Shape (C_out, C_in / groups, kH, kW); same dtype and device as ``input``.
    bias : torch.Tensor, optional
        Shape (C_out,).
    stride, dilation : int or tuple of one or two ints
        Step between windows; spacing between a kernel's taps. Each >= 1. A 1-tuple
        ``(s,)`` means ``s`` on both axes, as in torch.
    padding : int, tuple of one or two ints, "valid" or "same"
        Zeros added on both sides. "same" (stride 1 only) pads ``d (k - 1)`` in all,
        the odd one on the bottom/right, so the output has the input's size.
    groups : int
        Input and output channels split into this many independent groups.
    method : {"im2col", "direct", "fft", "winograd", "winograd4x4", "auto"}
        How to compute it; all agree to rounding. "direct" and "im2col" round like
        any sum of products, each output relative to its own terms. The error of
        "fft" is bounded by norms instead: at most about ``eps log2(fH fW)`` times
        ``||x||_2 ||W||_2`` (one padded image's and one kernel's), on every output
        alike, so outputs far below the largest lose their relative accuracy; and a
        NaN or inf anywhere in an image spreads to all of that image's outputs.
        "winograd" (F(2x2, 3x3) tiles, 2.25x fewer multiplications than direct) and
        "winograd4x4" (F(4x4, 3x3), 4x fewer, a larger float32 error) serve stride-1,
        dilation-1 3x3 kernels only; a NaN or inf spreads through its tile. "auto"
        asks :func:`choose_conv_method`, or times the methods in benchmark mode
        (:func:`coursekit.nn.functional.benchmark_mode`); when ``input`` or ``weight``
        holds a NaN or an inf it never returns the output of "fft" or a Winograd
        method (that output is not finite, one sum tells, and "im2col" computes it
        again), so that an output is NaN or inf exactly when one of the products
        that define it is, as with torch.

    Returns
    -------
    torch.Tensor
        Shape (N, C_out, oH, oW), ``oH = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1``;
        the input's dtype and device. Autograd flows through it.

    Raises
    ------
    TypeError
        If an argument is not a tensor, an int argument is not an int, dtypes differ,
        or ``input`` is bool.
    ValueError
        If shapes, channels, groups, sizes or devices do not fit, ``method`` is unknown,
        or a Winograd method is asked for another kernel size, stride or dilation.

    See Also
    --------
    conv2d_backward : the gradients by the explicit formulas.
    torch.nn.functional.conv2d : the reference. Book section 5.2, "2-D cross-correlation
        and channels", explains it.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(9.0).reshape(1, 1, 3, 3)
    >>> w = torch.arange(4.0).reshape(1, 1, 2, 2)
    >>> conv2d(x, w)
    tensor([[[[19., 25.],
              [37., 43.]]]])
    >>> conv2d(x, w, padding="same", method="fft").round()
    tensor([[[[19., 25., 10.],
              [37., 43., 16.],
              [ 7.,  8.,  0.]]]])
    >>> conv2d(torch.tensor([[[[2**25 + 1]]]]), torch.ones(1, 1, 1, 1, dtype=torch.long), method="fft")
    tensor([[[[33554433]]]])
    >>> conv2d(torch.zeros(0, 1, 3, 3), w).shape
    torch.Size([0, 1, 2, 2])
    """
    input, unbatched = check_input(input, "conv2d")
    method = check_option(method, "method", METHODS)
    weight, stride, padding4, dilation, groups = _check_conv(
        input, weight, bias, stride, padding, dilation, groups
    )
    out = _conv2d(input, weight, bias, stride, padding4, dilation, groups, method)
    return out[0] if unbatched else out


def conv1d(
    input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, method="im2col"
):
    """1-D cross-correlation of a batch of signals, as ``torch.nn.functional.conv1d``.

    Computed as :func:`conv2d` of images of height 1.

    Parameters
    ----------
    input : torch.Tensor
        Shape (N, C_in, L), or (C_in, L) for one signal.
    weight : torch.Tensor
        Shape (C_out, C_in / groups, k).
    bias : torch.Tensor, optional
        Shape (C_out,).
    stride, padding, dilation : int
        As for :func:`conv2d`; ``padding`` may also be "valid" or "same".
    groups : int
        Number of channel groups.
    method : {"im2col", "direct", "fft", "auto"}
        As for :func:`conv2d` (the Winograd methods need 3x3 kernels).

    Returns
    -------
    torch.Tensor
        Shape (N, C_out, floor((L + 2 p - d (k - 1) - 1) / s) + 1).

    Raises
    ------
    TypeError, ValueError
        As :func:`conv2d`.

    See Also
    --------
    conv2d : the 2-D version. Book section 2.4, "The CNN view: padding,
        stride, dilation", works the 1-D example.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[1.0, 2, 3, 1, 2, 3, 1, 2, 3]]])
    >>> conv1d(x, torch.ones(1, 1, 3), stride=2, padding=1)
    tensor([[[3., 6., 6., 6., 5.]]])
    """
    input, unbatched = check_input(input, "conv1d", spatial=1)
    method = check_option(method, "method", METHODS)
    stride = (1, _single(stride, "stride", 1))
    dilation = (1, _single(dilation, "dilation", 1))
    padding = (
        padding if isinstance(padding, str) else (0, _single(padding, "padding", 0))
    )
    weight, stride, padding4, dilation, groups = _check_conv(
        input, weight, bias, stride, padding, dilation, groups
    )
    out = _conv2d(
        input.unsqueeze(2),
        weight.unsqueeze(2),
        bias,
        stride,
        padding4,
        dilation,
        groups,
        method,
    )
    out = out.squeeze(2)  # N,O,oL
    return out[0] if unbatched else out


def _transposed(input, weight, stride, top_left, out_size, dilation, groups, method):
    """Adjoint of a convolution: scatter ``input`` back through ``weight`` (O, C/G, kH, kW).

    ``weight`` is the *forward* convolution's kernel. Output pixel ``q`` of the forward
    input (``top_left`` is that input's top/left padding) receives
    ``sum input[y] weight[i]`` over ``s y + d i = q + p``. Computed as zero insertion
    plus a correlation with the flipped, transposed kernel.
    """
    N, O, H, W = input.shape  # batch, forward out channels, height, width
    Og, Cg, kH, kW = O // groups, weight.shape[1], *weight.shape[-2:]
    (sH, sW), (dH, dW) = stride, dilation
    z = input
    if (sH, sW) != (1, 1):
        z = input.new_zeros(N, O, (H - 1) * sH + 1, (W - 1) * sW + 1)
        z[..., ::sH, ::sW] = input  # N,O,(H-1)sH+1,(W-1)sW+1
    w = (
        weight.view(groups, Og, Cg, kH, kW)
        .transpose(1, 2)
        .reshape(groups * Cg, Og, kH, kW)
        .flip((-2, -1))
    )
    pads = []
    for k, d, s, n, p, size in zip(
        (kH, kW), (dH, dW), (sH, sW), (H, W), top_left, out_size
    ):
        pads += [d * (k - 1) - p, size - (n - 1) * s - 1 + p]
    return _conv2d(z, w, None, (1, 1), tuple(pads), (dH, dW), groups, method)


def conv_transpose2d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
    method="im2col",
):
    """Transposed convolution ("deconvolution"), as ``torch.nn.functional.conv_transpose2d``.

    The adjoint of :func:`conv2d`: every input pixel scatters a scaled copy of the kernel
    into the output, ``s`` pixels apart. It maps an image of size ``H`` to
    ``(H - 1) s - 2 p + d (k - 1) + output_padding + 1``.

    Parameters
    ----------
    input : torch.Tensor
        Shape (N, C_in, H, W), or (C_in, H, W).
    weight : torch.Tensor
        Shape (C_in, C_out / groups, kH, kW) (note: in channels first, as in torch).
    bias : torch.Tensor, optional
        Shape (C_out,).
    stride, padding, dilation : int or tuple of one or two ints
        Those of the convolution this transposes.
    output_padding : int or tuple of one or two ints
        Extra rows/columns on the bottom/right; smaller than the stride or the dilation.
    groups : int
        Number of channel groups.
    method : {"im2col", "direct", "fft", "winograd", "winograd4x4", "auto"}
        Method of the underlying correlation (after zero insertion); the Winograd
        methods serve 3x3 kernels without dilation.

    Returns
    -------
    torch.Tensor
        Shape (N, C_out, oH, oW).

    Raises
    ------
    TypeError, ValueError
        As :func:`conv2d`, and if ``output_padding`` is too large.

    See Also
    --------
    conv2d_backward : uses it for the input gradient.
    torch.nn.functional.conv_transpose2d : the reference. Book section 5.6, "Convolution as a
        matrix; transposed convolution", draws the upsampling.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> conv_transpose2d(x, torch.ones(1, 1, 2, 2), stride=2)
    tensor([[[[1., 1., 2., 2.],
              [1., 1., 2., 2.],
              [3., 3., 4., 4.],
              [3., 3., 4., 4.]]]])
    """
    input, unbatched = check_input(input, "conv_transpose2d")
    method = check_option(method, "method", METHODS)
    weight, stride, _, dilation, groups = _check_conv(
        input, weight, bias, stride, padding, dilation, groups, transposed=True
    )
    padding = check_padding_pair(padding)
    output_padding = check_padding_pair(output_padding, "output_padding")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(
            f"output_padding must be smaller than either stride or dilation; got output_padding={output_padding}, "
            f"stride={stride}, dilation={dilation}"
        )
    out_size = [
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, s, p, d, k, op in zip(
            input.shape[-2:],
            stride,
            padding,
            dilation,
            weight.shape[-2:],
            output_padding,
        )
    ]
    if min(out_size) < 1:
        raise ValueError(
            f"conv_transpose2d's output size would be {out_size}; it must be at least 1 x 1"
        )
    out = _transposed(
        input, weight, stride, padding, out_size, dilation, groups, method
    )
    if bias is not None:
        out = out + bias.view(-1, 1, 1)
    return out[0] if unbatched else out


def conv2d_backward(
    grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1
):
    """Gradients of :func:`conv2d` by the explicit formulas, without autograd.

    With ``Y = conv2d(X, W, b)`` and ``dY`` the gradient of the loss with respect to ``Y``:

    * ``dX`` is the *full* convolution of ``dY`` with ``W`` (correlation with ``W`` flipped),
      i.e. the transposed convolution of ``dY`` (zero-inserted for strides);
    * ``dW[o, c, i, j] = sum_{n, y, x} dY[n, o, y, x] X_pad[n, c, s y + d i, s x + d j]``,
      the correlation of the input with ``dY`` (the im2col matrix times ``dY``);
    * ``db[o] = sum_{n, y, x} dY[n, o, y, x]``.

    Parameters
    ----------
    grad_output : torch.Tensor
        ``dY``, shape of conv2d's output.
    input, weight, stride, padding, dilation, groups
        The arguments of the forward :func:`conv2d`.

    Returns
    -------
    grad_input, grad_weight, grad_bias : torch.Tensor
        Shapes of ``input``, ``weight`` and (C_out,).

    Raises
    ------
    TypeError, ValueError
        As :func:`conv2d`, and if ``grad_output`` does not have conv2d's output shape.

    See Also
    --------
    conv_transpose2d : computes ``dX``. Book section 5.5, "Backpropagation
        through convolution and pooling", derives the formulas on a 3 x 3 example.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(9.0).reshape(1, 1, 3, 3)
    >>> w = torch.arange(4.0).reshape(1, 1, 2, 2)
    >>> dx, dw, db = conv2d_backward(torch.ones(1, 1, 2, 2), x, w)
    >>> dx
    tensor([[[[0., 1., 1.],
              [2., 6., 4.],
              [2., 5., 3.]]]])
    >>> dw
    tensor([[[[ 8., 12.],
              [20., 24.]]]])
    >>> db
    tensor([4.])
    """
    input, unbatched = check_input(input, "conv2d")
    weight, stride, padding4, dilation, groups = _check_conv(
        input, weight, None, stride, padding, dilation, groups
    )
    check_like(grad_output, "grad_output", input)
    x = pad(input, padding4)
    out_size = check_window_fits(x.shape[-2:], weight.shape[-2:], stride, dilation)
    N, O = input.shape[0], weight.shape[0]  # batch, out channels
    expected = (O, *out_size) if unbatched else (N, O, *out_size)
    if tuple(grad_output.shape) != expected:
        raise ValueError(
            f"grad_output must have the shape of conv2d's output {list(expected)}; got {list(grad_output.shape)}"
        )
    dy, w = (
        (grad_output.unsqueeze(0) if unbatched else grad_output),
        weight,
    )  # N,O,oH,oW
    half = input.dtype in _HALF_PRECISION
    if half:
        dy, x, w = dy.float(), x.float(), w.float()
    grad_input = _transposed(
        dy,
        w.conj(),
        stride,
        padding4[::2],
        input.shape[-2:],
        dilation,
        groups,
        "im2col",
    )
    grad_weight = _weight_grad(
        x.conj(), dy, weight.shape, stride, dilation, groups
    )  # O,Cg,kH,kW
    grad_bias = dy.sum((0, 2, 3))  # O
    grads = (grad_input[0] if unbatched else grad_input), grad_weight, grad_bias
    return tuple(g.to(input.dtype) for g in grads) if half else grads
