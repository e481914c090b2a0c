"""Layers built on :mod:`coursekit.nn.functional`, drop-in twins of ``torch.nn``'s.

Constructor arguments, defaults, parameter names and shapes, ``state_dict`` keys,
initialization and ``repr`` are torch's, so weights move both ways with
``load_state_dict``. The convolutions take one more keyword, ``method``, that picks
how :func:`~coursekit.nn.functional.conv2d` computes (book section 5.7 compares them).
"""

import math

import torch

from .._validation import check_int, check_option
from . import functional
from .conv import METHODS, _resolve_padding

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value, n, name, minimum):
    """An int or a sequence of ``n`` ints, as an ``n``-tuple (torch's ``_single``/``_pair``)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(values) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints; got {value!r}")
    return tuple(check_int(v, name, minimum) for v in values)


class _ConvNd(torch.nn.Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: arguments, parameters, init, repr."""

    def __init__(
        self,
        dims,
        transposed,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        groups,
        bias,
        padding_mode,
        output_padding=0,
        device=None,
        dtype=None,
        method="im2col",
    ):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.out_channels = check_int(out_channels, "out_channels", minimum=1)
        self.groups = check_int(groups, "groups", minimum=1)
        if in_channels % groups:
            raise ValueError(
                f"in_channels must be divisible by groups; got in_channels={in_channels}, groups={groups}"
            )
        if out_channels % groups:
            raise ValueError(
                f"out_channels must be divisible by groups; got out_channels={out_channels}, groups={groups}"
            )
        self.kernel_size = _tuple(kernel_size, dims, "kernel_size", 1)
        self.stride = _tuple(stride, dims, "stride", 1)
        self.dilation = _tuple(dilation, dims, "dilation", 1)
        self.padding = (
            padding if isinstance(padding, str) else _tuple(padding, dims, "padding", 0)
        )
        if isinstance(padding, str):
            _resolve_padding(
                padding,
                (1,) * (2 - dims) + self.kernel_size,
                (1,) * (2 - dims) + self.stride,
                (1, 1),
            )
        self.output_padding = _tuple(output_padding, dims, "output_padding", 0)
        self.transposed = transposed
        self.padding_mode = check_option(padding_mode, "padding_mode", PADDING_MODES)
        if transposed and padding_mode != "zeros":
            raise ValueError(
                f"Only 'zeros' padding mode is supported for {type(self).__name__}; got {padding_mode!r}"
            )
        self.method = check_option(method, "method", METHODS)
        shape = (
            (in_channels, out_channels // groups)
            if transposed
            else (out_channels, in_channels // groups)
        )
        factory = {"device": device, "dtype": dtype}
        self.weight = torch.nn.Parameter(
            torch.empty(*shape, *self.kernel_size, **factory)
        )
        if bias:
            self.bias = torch.nn.Parameter(torch.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """torch's default: weight ~ kaiming_uniform(a=sqrt(5)), bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        torch.nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                torch.nn.init.uniform_(self.bias, -bound, bound)

    def _padded(self, input):
        """``input`` padded by ``padding_mode`` when it is not "zeros" (then the conv pads nothing)."""
        dims = len(self.kernel_size)
        kernel = (1,) * (2 - dims) + self.kernel_size
        dilation = (1,) * (2 - dims) + self.dilation
        if isinstance(self.padding, str):
            pads = _resolve_padding(self.padding, kernel, (1, 1), dilation)
        else:
            pads = tuple(p for p in (0,) * (2 - dims) + self.padding for _ in range(2))
        top, bottom, left, right = pads
        return functional.pad(
            input, (left, right, top, bottom)[: 2 * dims], mode=self.padding_mode
        )

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        if self.method != "im2col":
            s += ", method={method}"
        return s.format(**self.__dict__)


class Conv2d(_ConvNd):
    """2-D convolution layer, as ``torch.nn.Conv2d``, computed by :func:`coursekit.nn.functional.conv2d`.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of input and output; both divisible by ``groups``.
    kernel_size, stride, dilation : int or tuple of two ints
        As for :func:`~coursekit.nn.functional.conv2d`.
    padding : int, tuple of two ints, "valid" or "same"
        As for :func:`~coursekit.nn.functional.conv2d`.
    groups : int
        Number of channel groups.
    bias : bool
        Whether to learn an additive bias.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        How to pad; other than "zeros" pads with :func:`coursekit.nn.functional.pad` first.
    device, dtype : optional
        Where and in which type to create the parameters.
    method : {"im2col", "direct", "fft", "winograd", "winograd4x4", "auto"}
        How to compute the convolution.

    Attributes
    ----------
    weight : torch.nn.Parameter
        Shape (out_channels, in_channels / groups, kH, kW).
    bias : torch.nn.Parameter or None
        Shape (out_channels,).

    See Also
    --------
    torch.nn.Conv2d : the twin. Book section 5.9 builds model2 from these layers.

    Examples
    --------
    >>> import torch
    >>> conv = Conv2d(1, 8, 5)
    >>> conv
    Conv2d(1, 8, kernel_size=(5, 5), stride=(1, 1))
    >>> conv(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 8, 24, 24])
    >>> sum(p.numel() for p in conv.parameters())
    208
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
        method="im2col",
    ):
        super().__init__(
            2,
            False,
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
            method=method,
        )

    def forward(self, input):
        if self.padding_mode != "zeros":
            return functional.conv2d(
                self._padded(input),
                self.weight,
                self.bias,
                self.stride,
                0,
                self.dilation,
                self.groups,
                self.method,
            )
        return functional.conv2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            self.method,
        )


class Conv1d(_ConvNd):
    """1-D convolution layer, as ``torch.nn.Conv1d``; arguments as :class:`Conv2d` with ints.

    See Also
    --------
    torch.nn.Conv1d : the twin. Book section 2.4 uses 1-D convolutions.

    Examples
    --------
    >>> import torch
    >>> Conv1d(2, 4, 3, padding="same")(torch.zeros(1, 2, 9)).shape
    torch.Size([1, 4, 9])
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
        method="im2col",
    ):
        super().__init__(
            1,
            False,
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
            method=method,
        )

    def forward(self, input):
        if self.padding_mode != "zeros":
            return functional.conv1d(
                self._padded(input),
                self.weight,
                self.bias,
                self.stride,
                0,
                self.dilation,
                self.groups,
                self.method,
            )
        return functional.conv1d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            self.method,
        )


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution layer, as ``torch.nn.ConvTranspose2d``.

    Arguments as :class:`Conv2d` plus ``output_padding`` (in torch's order:
    ``..., output_padding, groups, bias, dilation, padding_mode, ...``); the weight
    has shape (in_channels, out_channels / groups, kH, kW). ``forward(input, output_size)``
    may name the output size to resolve the ambiguity of strided outputs.

    See Also
    --------
    coursekit.nn.functional.conv_transpose2d : the function. Book section 5.6 upsamples with it.

    Examples
    --------
    >>> import torch
    >>> up = ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    >>> up(torch.zeros(1, 4, 5, 5)).shape, up(torch.zeros(1, 4, 5, 5), output_size=(10, 10)).shape
    (torch.Size([1, 2, 9, 9]), torch.Size([1, 2, 10, 10]))
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
        method="im2col",
    ):
        super().__init__(
            2,
            True,
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding=output_padding,
            device=device,
            dtype=dtype,
            method=method,
        )

    def _output_padding(self, input, output_size):
        """The output_padding that yields ``output_size`` (torch's rule), or the attribute."""
        if output_size is None:
            return self.output_padding
        output_size = [int(v) for v in output_size][-2:]
        padding = []
        for d, size in enumerate(output_size):
            smallest = (
                (input.shape[d - 2] - 1) * self.stride[d]
                - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1)
                + 1
            )
            if not smallest <= size < smallest + self.stride[d]:
                raise ValueError(
                    f"output_size[{d}] must be between {smallest} and {smallest + self.stride[d] - 1} "
                    f"for input of size {list(input.shape)}; got {size}"
                )
            padding.append(size - smallest)
        return tuple(padding)

    def forward(self, input, output_size=None):
        return functional.conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self._output_padding(input, output_size),
            self.groups,
            self.dilation,
            self.method,
        )


class MaxPool2d(torch.nn.Module):
    """2-D max pooling layer, as ``torch.nn.MaxPool2d``; see :func:`coursekit.nn.functional.max_pool2d`.

    See Also
    --------
    torch.nn.MaxPool2d : the twin. Book section 5.4 pools with it.

    Examples
    --------
    >>> import torch
    >>> MaxPool2d(2, ceil_mode=True)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=True)
    >>> MaxPool2d(2, ceil_mode=True)(torch.zeros(1, 8, 7, 7)).shape
    torch.Size([1, 8, 4, 4])
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices=False,
        ceil_mode=False,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return functional.max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self):
        return (
            "kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}, "
            "ceil_mode={ceil_mode}".format(**self.__dict__)
        )


class AvgPool2d(torch.nn.Module):
    """2-D average pooling layer, as ``torch.nn.AvgPool2d``; see :func:`coursekit.nn.functional.avg_pool2d`.

    See Also
    --------
    torch.nn.AvgPool2d : the twin. Book section 5.4.

    Examples
    --------
    >>> import torch
    >>> AvgPool2d(2)(torch.ones(1, 1, 4, 4))
    tensor([[[[1., 1.],
              [1., 1.]]]])
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return functional.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self):
        return "kernel_size={}, stride={}, padding={}".format(
            self.kernel_size, self.stride, self.padding
        )


class MaxUnpool2d(torch.nn.Module):
    """Partial inverse of :class:`MaxPool2d`, as ``torch.nn.MaxUnpool2d``.

    See Also
    --------
    coursekit.nn.functional.max_unpool2d : the function. Book section 5.4.

    Examples
    --------
    >>> import torch
    >>> pool, unpool = MaxPool2d(2, return_indices=True), MaxUnpool2d(2)
    >>> unpool(*pool(torch.tensor([[[[1.0, 2], [3, 4]]]])))
    tensor([[[[0., 0.],
              [0., 4.]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size", 1)
        self.stride = _tuple(
            stride if stride is not None else kernel_size, 2, "stride", 1
        )
        self.padding = _tuple(padding, 2, "padding", 0)

    def forward(self, input, indices, output_size=None):
        return functional.max_unpool2d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self):
        return "kernel_size={}, stride={}, padding={}".format(
            self.kernel_size, self.stride, self.padding
        )
