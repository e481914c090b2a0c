"""What a network costs, layer by layer: :func:`summary` and :func:`receptive_field`.

One forward pass of a dummy batch (on the ``meta`` device by default: shapes
only, no arithmetic, no memory) with a hook on every leaf module records each
layer's output shape, parameters, multiply-accumulates (MACs), activation
memory and receptive field.

MACs count only convolutions and dense layers, the way published figures are
made (ResNet-18's 1.8 G, VGG-16's 15.5 G): a convolution costs
``output elements x (C_in / groups) x kH x kW``, a dense layer ``in x out`` per
output row. Biases, batch norms, activations and poolings are left out: they
are a small fraction of the arithmetic.

The receptive field of a layer is the side of the input patch that one of its
output pixels depends on, and its jump the distance in input pixels between
two neighbouring outputs. A k x k layer with stride s and dilation d maps
(r, j) to (r + d (k - 1) j, s j); layers that act pixel by pixel keep (r, j).
Where paths merge (a residual sum, an Inception concatenation) the result takes
the largest receptive field and jump among the merged tensors: the field of the
widest branch. Dense layers and global pooling see the whole image ("global").
"""

from collections import namedtuple

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from ._validation import check_int

Row = namedtuple(
    "Row",
    [
        "name",
        "type",
        "output_shape",
        "params",
        "macs",
        "activation_bytes",
        "receptive_field",
        "jump",
    ],
)
Row.__doc__ = """One call of a leaf layer: receptive_field and jump are (height, width) pairs, or None for global."""

ReceptiveField = namedtuple("ReceptiveField", ["name", "size", "jump"])

_ATTR = "_coursekit_receptive_field"  # ((r_h, r_w), (j_h, j_w)) or None, attached to traced tensors
_WINDOWED = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)
_ADAPTIVE = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


class Summary(list):
    """The rows of :func:`summary` (a list of :class:`Row`) with totals.

    Attributes
    ----------
    total_params : int
        Parameters of the whole model (each shared tensor once).
    total_macs : int
        Multiply-accumulates of one forward pass of the batch.
    total_activation_bytes : int
        Sum of every traced layer's output size in bytes.
    input_shape : tuple of int
    """

    def __init__(self, rows, total_params, input_shape):
        super().__init__(rows)
        self.total_params = total_params
        self.total_macs = sum(r.macs for r in rows)
        self.total_activation_bytes = sum(r.activation_bytes for r in rows)
        self.input_shape = input_shape

    def _cells(self):
        header = [
            "Layer",
            "Type",
            "Output shape",
            "Params",
            "MACs",
            "Activations",
            "RF",
            "Jump",
        ]
        body = [
            [
                r.name,
                r.type,
                "x".join(map(str, r.output_shape)),
                f"{r.params:,}",
                f"{r.macs:,}",
                _bytes(r.activation_bytes),
                _pair(r.receptive_field),
                _pair(r.jump),
            ]
            for r in self
        ]
        return header, body

    def totals(self):
        """One line: parameters, MACs (in the unit that fits: k, M or G) and activation memory."""
        return (
            f"input {'x'.join(map(str, self.input_shape))}: {self.total_params:,} parameters, "
            f"{_count(self.total_macs)} MACs, {_bytes(self.total_activation_bytes)} of activations"
        )

    def __str__(self):
        header, body = self._cells()
        widths = [
            max(len(row[i]) for row in [header] + body) for i in range(len(header))
        ]
        numeric = {3, 4, 5}
        lines = []
        for row in [header] + body:
            cells = [
                c.rjust(w) if i in numeric else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths))
            ]
            lines.append("  ".join(cells).rstrip())
        rule = "-" * len(lines[0])
        return "\n".join([lines[0], rule] + lines[1:] + [rule, self.totals()])

    def __repr__(self):
        return f"<Summary of {len(self)} layers; {self.totals()}>"

    def _repr_html_(self):
        header, body = self._cells()
        head = "".join(f"<th>{h}</th>" for h in header)
        rows = "".join(
            "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in body
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table><p>{self.totals()}</p>"


def si_format(value, unit=""):
    """A number with three significant digits and the SI prefix that fits: ``15.5 G``, ``61.1 kB``.

    The prefixes are k (10^3), M (10^6) and G (10^9), chosen by the magnitude of
    ``value``; below 1,000 the number is shown as it is, to three significant digits.
    The tables of book section 6.7 print counts of parameters, multiply-accumulates and
    bytes this way.

    Parameters
    ----------
    value : int or float
        A real number, e.g. a count of parameters or bytes.
    unit : str, default ""
        Appended after the prefix ("B" gives "kB", "MB", ...).

    Returns
    -------
    str

    Raises
    ------
    TypeError
        If ``value`` is not a real number or ``unit`` not a string.

    Examples
    --------
    >>> si_format(15_470_264_320), si_format(61_100_840), si_format(714.2)
    ('15.5 G', '61.1 M', '714')
    >>> si_format(3_211_264, "B"), si_format(-2500)
    ('3.21 MB', '-2.5 k')
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        # NumPy and torch scalars convert; strings, booleans and the rest are refused
        try:
            if isinstance(value, (str, bytes, bool)) or not hasattr(value, "__float__"):
                raise TypeError
            value = float(value)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(
                f"value must be a real number; got {type(value).__name__}"
            ) from None
    if not isinstance(unit, str):
        raise TypeError(f"unit must be a string; got {type(unit).__name__}")
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".rstrip()


def _count(n):
    """A count with three significant digits in the unit that fits: ``1.81 G``, ``405 k``, ``38``.

    >>> _count(1_814_073_856), _count(405_000), _count(38)
    ('1.81 G', '405 k', '38')
    """
    return si_format(n) if n >= 1000 else f"{n:,}"


def _bytes(n):
    for unit in ("B", "kB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.2f} GB"


def _pair(p):
    if p is None:
        return "global"
    return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"


def _tensors(obj):
    """The tensors in ``obj`` and in the tuples, lists and dicts it nests."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (tuple, list)):
        return [t for item in obj for t in _tensors(item)]
    return []


def _merge(fields):
    """Receptive field of a tensor computed from tensors with ``fields``: the largest, or None if any is global."""
    if any(f is None for f in fields):
        return None
    return tuple(
        tuple(max(f[i][d] for f in fields) for d in range(2)) for i in range(2)
    )


class _Propagate(TorchFunctionMode):
    """Attach to every torch function's output the merged receptive field of its tensor inputs."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        fields = [
            getattr(t, _ATTR) for t in _tensors((args, kwargs)) if hasattr(t, _ATTR)
        ]
        if fields:
            for t in _tensors(out):
                setattr(t, _ATTR, _merge(fields))
        return out


def _window(module):
    """(kernel, stride, dilation) pairs of a conv or pooling module."""

    def pair(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    kernel = pair(module.kernel_size)
    stride = pair(module.stride if module.stride is not None else module.kernel_size)
    dilation = pair(getattr(module, "dilation", 1))
    return kernel, stride, dilation


def _layer_field(module, field, input, output):
    """Receptive field after ``module``, given the one of its input."""
    if field is None or isinstance(module, nn.Linear):
        return None
    (r, j) = field
    if isinstance(module, _WINDOWED):
        kernel, stride, dilation = _window(module)
        r = tuple(r[d] + dilation[d] * (kernel[d] - 1) * j[d] for d in range(2))
        return r, tuple(j[d] * stride[d] for d in range(2))
    if isinstance(module, _ADAPTIVE):
        size_in, size_out = input.shape[-2:], output.shape[-2:]
        if any(i % o for i, o in zip(size_in, size_out)):
            return None
        k = [i // o for i, o in zip(size_in, size_out)]
        if k == [1, 1]:
            return field
        if list(size_out) == [1, 1]:
            return None
        return tuple(r[d] + (k[d] - 1) * j[d] for d in range(2)), tuple(
            j[d] * k[d] for d in range(2)
        )
    return field


def _macs(module, output):
    if isinstance(module, nn.Conv2d):
        kH, kW = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * kH * kW
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    return 0


def summary(model, input_size, device=None, batch_size=None):
    """Table of a model's leaf layers: output shape, parameters, MACs, activation memory, receptive field.

    Parameters
    ----------
    model : torch.nn.Module
    input_size : tuple of int
        ``(C, H, W)`` of one input, or ``(N, C, H, W)`` of a batch (torchinfo's
        convention, batch first).
    device : str or torch.device, optional
        Where the tracing pass runs. Default ``"meta"``: shapes only, instant even
        for VGG. Give ``"cpu"`` for a model whose layers have no meta kernels.
    batch_size : int, optional
        MACs and activation memory are for a batch of this size: default ``N`` of a
        four-entry ``input_size``, else 1.

    Returns
    -------
    Summary
        A list of :class:`Row` (one per call of a leaf module, in the order they run;
        a module called twice appears twice, its parameters counted once), with
        ``total_params``, ``total_macs`` and ``total_activation_bytes``, printed as a
        table by ``print`` and rendered as HTML by Jupyter.

    Raises
    ------
    TypeError
        If ``model`` is not a ``torch.nn.Module`` or a size is not an int.
    ValueError
        If ``input_size`` does not have three or four entries >= 1, ``batch_size < 1``,
        or ``batch_size`` differs from the ``N`` of ``input_size``.

    See Also
    --------
    receptive_field : only the receptive fields. Book section 6.7, "What architectures cost".

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Conv2d(2, 1, 3))
    >>> table = summary(model, (1, 6, 6))
    >>> [(r.name, r.output_shape, r.params, r.macs, r.receptive_field) for r in table]
    [('0', (1, 2, 4, 4), 20, 288, (3, 3)), ('1', (1, 2, 4, 4), 0, 0, (3, 3)), ('2', (1, 1, 2, 2), 19, 72, (5, 5))]
    >>> table.total_params, table.total_macs
    (39, 360)
    >>> summary(model, (4, 1, 6, 6)).total_macs  # a batch of four
    1440
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(input_size, (tuple, list, torch.Size)) or len(input_size) not in (
        3,
        4,
    ):
        raise ValueError(
            f"input_size must be (C, H, W) or (N, C, H, W), three or four ints; got {input_size!r}"
        )
    input_size = tuple(check_int(s, "input_size", minimum=1) for s in input_size)
    if len(input_size) == 4:
        if batch_size is not None and batch_size != input_size[0]:
            raise ValueError(
                f"batch_size must be the N of input_size {input_size} when both are given; got {batch_size!r}"
            )
        batch_size, input_size = input_size[0], input_size[1:]
    batch_size = check_int(
        1 if batch_size is None else batch_size, "batch_size", minimum=1
    )
    device = torch.device("meta" if device is None else device)

    tensors = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    tensors = {k: v.to(device) for k, v in tensors.items()}
    dtype = next(
        (v.dtype for v in tensors.values() if v.is_floating_point()),
        torch.get_default_dtype(),
    )
    names = {m: name for name, m in model.named_modules()}
    rows, seen = [], set()

    def hook(module, args, output):
        inputs = _tensors(args)
        field = _merge(
            [getattr(a, _ATTR) for a in inputs if hasattr(a, _ATTR)] or [None]
        )
        field = _layer_field(module, field, inputs[0] if inputs else None, output)
        if isinstance(output, torch.Tensor):
            setattr(output, _ATTR, field)
        params = (
            0
            if module in seen
            else sum(p.numel() for p in module.parameters(recurse=False))
        )
        seen.add(module)
        rows.append(
            Row(
                names[module],
                type(module).__name__,
                tuple(output.shape),
                params,
                _macs(module, output),
                output.numel() * output.element_size(),
                *(field if field else (None, None)),
            )
        )

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    modes = {m: m.training for m in model.modules()}
    try:
        model.eval()
        # N,C,H,W
        input = torch.zeros((batch_size,) + input_size, device=device, dtype=dtype)
        setattr(input, _ATTR, ((1, 1), (1, 1)))
        with torch.no_grad(), _Propagate():
            torch.func.functional_call(model, tensors, (input,))
    finally:
        for h in handles:
            h.remove()
        for m, training in modes.items():
            m.training = training
    total = sum(p.numel() for p in model.parameters())
    return Summary(rows, total, (batch_size,) + input_size)


def receptive_field(model, input_size, device=None):
    """Receptive field size and jump of every leaf layer, in the order the layers run.

    Parameters
    ----------
    model : torch.nn.Module
    input_size : tuple of int
        ``(C, H, W)`` of one input, or ``(N, C, H, W)``: fields do not depend on ``N``.
    device : str or torch.device, optional
        Where the tracing pass runs (default ``"meta"``).

    Returns
    -------
    list of ReceptiveField
        ``(name, size, jump)`` per layer call; ``size`` and ``jump`` are
        ``(height, width)`` pairs, or None after a dense layer or global pooling.
        Where branches merge (a residual sum, a concatenation) the largest field
        of the merged branches is taken.

    Raises
    ------
    TypeError, ValueError
        As :func:`summary`.

    See Also
    --------
    summary. Book section 6.2, "VGG and receptive fields".

    Examples
    --------
    Two 3x3 convolutions see a 5x5 patch; a 2x2 pooling with stride 2 then doubles the jump:

    >>> import torch
    >>> stack = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3), torch.nn.Conv2d(1, 1, 3), torch.nn.MaxPool2d(2))
    >>> [(f.size, f.jump) for f in receptive_field(stack, (1, 8, 8))]
    [((3, 3), (1, 1)), ((5, 5), (1, 1)), ((6, 6), (2, 2))]
    """
    return [
        ReceptiveField(r.name, r.receptive_field, r.jump)
        for r in summary(model, input_size, device)
    ]
