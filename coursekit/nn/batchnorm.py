r"""Batch normalization (Ioffe and Szegedy, 2015) from scratch, with PyTorch's semantics.

For each channel :math:`c`, over the :math:`M = N \cdot H \cdot W` values of the batch
(all dimensions but the channels), training mode computes

.. math::
    \mu = \frac{1}{M} \sum x, \qquad \sigma^2 = \frac{1}{M} \sum (x - \mu)^2, \qquad
    \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta,

and moves the running statistics towards the batch's, the variance *unbiased*:

.. math::
    \bar\mu \leftarrow (1 - m)\, \bar\mu + m\, \mu, \qquad
    \bar\sigma^2 \leftarrow (1 - m)\, \bar\sigma^2 + m\, \tfrac{M}{M - 1} \sigma^2 .

Evaluation mode normalizes with :math:`\bar\mu, \bar\sigma^2` instead: each example
alone, the same way whatever the rest of the batch. The backward pass is explicit
(:func:`batch_norm_backward`): with :math:`g = \partial L / \partial y`,

.. math::
    \frac{\partial L}{\partial \beta} = \sum g, \qquad
    \frac{\partial L}{\partial \gamma} = \sum g \hat x, \qquad
    \frac{\partial L}{\partial x} = \frac{\gamma}{M \sqrt{\sigma^2 + \epsilon}}
        \Big( M g - \sum g - \hat x \sum g \hat x \Big)

in training mode (:math:`\mu` and :math:`\sigma^2` depend on every :math:`x`), and
:math:`\partial L / \partial x = \gamma g / \sqrt{\bar\sigma^2 + \epsilon}` in evaluation mode.
"""

import numbers

import torch
from torch.autograd.function import once_differentiable

from .._validation import check_int
from ._checks import check_tensor


def _check_number(value, name, low, high=None):
    """``value`` as a float in ``[low, high]`` (no upper bound when ``high`` is None)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number; got {type(value).__name__} {value!r}"
        )
    if not (low <= value and (high is None or value <= high)):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bounds}; got {value!r}")
    return float(value)


def _check_per_channel(t, name, input):
    """``t`` is None or a tensor of shape (C,) on the device and of the dtype of ``input``."""
    if t is None:
        return None
    check_tensor(t, name)
    C = input.shape[1]  # channels
    if tuple(t.shape) != (C,):
        raise ValueError(
            f"{name} must have shape ({C},), one entry per channel of input of size {list(input.shape)}; "
            f"got {tuple(t.shape)}"
        )
    if t.dtype != input.dtype:
        raise TypeError(
            f"{name} must have the dtype of input ({input.dtype}); got {t.dtype}"
        )
    if t.device != input.device:
        raise ValueError(
            f"{name} must be on the device of input ({input.device}); got {t.device}"
        )
    return t


def _per_channel(t, ndim):
    """A (C,) tensor shaped (1, C, 1, ..., 1) to broadcast against an ``ndim``-dimensional input."""
    return t.reshape((1, -1) + (1,) * (ndim - 2))


class _BatchNorm(torch.autograd.Function):
    """Forward as in the module docstring; backward by :func:`batch_norm_backward`."""

    @staticmethod
    def forward(
        ctx, input, weight, bias, running_mean, running_var, training, momentum, eps
    ):
        dims = [0] + list(range(2, input.dim()))  # every dimension but the channels
        if training:
            M = input.numel() // input.shape[1]  # values per channel
            mean = input.mean(dims)  # C
            # C, biased
            var = (input - _per_channel(mean, input.dim())).square().mean(dims)
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(var, alpha=momentum * M / (M - 1))
        else:
            mean, var = running_mean.clone(), running_var
        invstd = torch.rsqrt(var + eps)  # C
        # like input
        normalized = (input - _per_channel(mean, input.dim())) * _per_channel(
            invstd, input.dim()
        )
        out = normalized
        if weight is not None:
            out = out * _per_channel(weight, input.dim())
        if bias is not None:
            out = out + _per_channel(bias, input.dim())
        ctx.save_for_backward(normalized, invstd, weight)
        ctx.training = training
        ctx.has_bias = bias is not None
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        normalized, invstd, weight = ctx.saved_tensors
        grad_input, grad_weight, grad_bias = batch_norm_backward(
            grad_output, normalized, invstd, weight, ctx.training
        )
        return (
            grad_input if ctx.needs_input_grad[0] else None,
            grad_weight if weight is not None and ctx.needs_input_grad[1] else None,
            grad_bias if ctx.has_bias and ctx.needs_input_grad[2] else None,
            None,
            None,
            None,
            None,
            None,
        )


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """Batch normalization of each channel, as ``torch.nn.functional.batch_norm``.

    In training mode each channel is normalized with the mean and (biased) variance
    of its values in this batch, and the running statistics, when given, are updated
    in place: ``running = (1 - momentum) * running + momentum * batch``, with the
    batch variance made unbiased (times ``M / (M - 1)``, ``M`` values per channel). In
    evaluation mode the running statistics normalize. The backward pass is
    :func:`batch_norm_backward`.

    Parameters
    ----------
    input : torch.Tensor
        Shape (N, C, ...): a batch of C-channel signals, images or volumes.
    running_mean, running_var : torch.Tensor or None
        Shape (C,). Required when ``training`` is False; updated in place when it is True.
    weight, bias : torch.Tensor, optional
        The learned scale γ and shift β, shape (C,); 1 and 0 when omitted.
    training : bool, default False
        Normalize with the batch's statistics (True) or with the running ones (False).
    momentum : float, default 0.1
        Weight of the batch statistics in the update of the running ones, in [0, 1].
    eps : float, default 1e-5
        Added to the variance before the square root, >= 0 (> 0 when training).

    Returns
    -------
    torch.Tensor
        ``weight * (input - mean) / sqrt(var + eps) + bias``, the shape, dtype and device of ``input``.

    Shape
    ------
    input (N, C, *), running statistics, weight and bias (C,), output (N, C, *).

    Raises
    ------
    TypeError
        If a tensor argument is not a tensor, has another dtype than ``input``, or
        ``training``, ``momentum`` or ``eps`` has the wrong type.
    ValueError
        If ``input`` has fewer than 2 dimensions, a per-channel tensor is not (C,) or
        is on another device, the running statistics are missing in evaluation mode,
        a channel has a single value in training mode, or ``momentum``/``eps`` is out of range
        (``eps`` must be positive when training, as in torch).

    See Also
    --------
    torch.nn.functional.batch_norm : the counterpart, same arguments.
    BatchNorm2d : the layer. Book section 5.8, "Batch normalization".

    Examples
    --------
    >>> x = torch.tensor([[[[1.0, 3.0]]], [[[5.0, 7.0]]]])       # N=2, C=1, 1x2
    >>> mean, var = torch.zeros(1), torch.ones(1)
    >>> batch_norm(x, mean, var, training=True).flatten()
    tensor([-1.3416, -0.4472,  0.4472,  1.3416])
    >>> mean, var                                               # 0.1 of (4, 20/3) moved in
    (tensor([0.4000]), tensor([1.5667]))
    >>> batch_norm(x, torch.tensor([4.0]), torch.tensor([4.0]), eps=0.0).flatten()
    tensor([-1.5000, -0.5000,  0.5000,  1.5000])
    """
    check_tensor(input, "input")
    if input.dim() < 2:
        raise ValueError(
            f"input must have shape (N, C, ...), at least 2 dimensions; got {list(input.shape)}"
        )
    if not isinstance(training, bool):
        raise TypeError(f"training must be a bool; got {type(training).__name__}")
    running_mean = _check_per_channel(running_mean, "running_mean", input)
    running_var = _check_per_channel(running_var, "running_var", input)
    weight = _check_per_channel(weight, "weight", input)
    bias = _check_per_channel(bias, "bias", input)
    momentum = _check_number(momentum, "momentum", 0.0, 1.0)
    eps = _check_number(eps, "eps", 0.0)
    if training and eps == 0.0:
        raise ValueError(
            "eps must be > 0 when training (a constant channel would divide 0 by 0); got 0.0"
        )
    if training and input.numel() // max(input.shape[1], 1) <= 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input of size {list(input.shape)}"
        )
    if not training and (running_mean is None or running_var is None):
        raise ValueError(
            "running_mean and running_var are needed when training=False; got "
            f"running_mean={'a tensor' if running_mean is not None else None}, "
            f"running_var={'a tensor' if running_var is not None else None}"
        )
    return _BatchNorm.apply(
        input, weight, bias, running_mean, running_var, training, momentum, eps
    )


def batch_norm_backward(grad_output, normalized, invstd, weight=None, training=True):
    r"""Gradients of :func:`batch_norm` with respect to its input, weight and bias.

    With :math:`g` the output gradient and :math:`\hat x` the normalized input, per channel
    over its :math:`M` values: :math:`\partial L/\partial\beta = \sum g`,
    :math:`\partial L/\partial\gamma = \sum g \hat x` and, in training mode,
    :math:`\partial L/\partial x = \gamma\, s\, (g - \overline{g} - \hat x\, \overline{g \hat x})`
    where :math:`s = 1/\sqrt{\sigma^2 + \epsilon}` and bars are means over the channel's values
    (the last two terms are the gradient through the batch's mean and variance); in evaluation
    mode simply :math:`\gamma\, s\, g`.

    Parameters
    ----------
    grad_output : torch.Tensor
        Gradient of the loss with respect to the output, shape (N, C, ...).
    normalized : torch.Tensor
        The normalized input :math:`\hat x = (x - \mu) s` of the forward pass, shape (N, C, ...).
    invstd : torch.Tensor
        :math:`s = 1/\sqrt{\mathrm{var} + \epsilon}` of the forward pass, shape (C,).
    weight : torch.Tensor, optional
        γ, shape (C,); 1 when omitted.
    training : bool, default True
        Whether the forward pass used the batch's statistics.

    Returns
    -------
    (torch.Tensor, torch.Tensor, torch.Tensor)
        Gradients with respect to the input (N, C, ...), the weight (C,) and the bias (C,).

    Raises
    ------
    TypeError, ValueError
        If an argument is not a tensor or the shapes do not fit together.

    See Also
    --------
    batch_norm : the forward pass. Book section 5.8 derives these formulas.

    Examples
    --------
    >>> normalized = torch.tensor([[-1.0], [1.0]])        # N=2, C=1: two values, already normalized
    >>> g = torch.tensor([[1.0], [0.0]])
    >>> gx, gw, gb = batch_norm_backward(g, normalized, torch.tensor([1.0]))
    >>> gx.flatten(), gw, gb
    (tensor([0., 0.]), tensor([-1.]), tensor([1.]))
    """
    for t, name in (
        (grad_output, "grad_output"),
        (normalized, "normalized"),
        (invstd, "invstd"),
    ):
        check_tensor(t, name)
    if grad_output.shape != normalized.shape or normalized.dim() < 2:
        raise ValueError(
            f"grad_output and normalized must have the same shape (N, C, ...); got {list(grad_output.shape)} "
            f"and {list(normalized.shape)}"
        )
    _check_per_channel(invstd, "invstd", normalized)
    weight = _check_per_channel(weight, "weight", normalized)
    dims = [0] + list(range(2, normalized.dim()))  # every dimension but the channels
    grad_bias = grad_output.sum(dims)  # C
    grad_weight = (grad_output * normalized).sum(dims)  # C
    scale = invstd if weight is None else invstd * weight  # C
    if training:
        M = normalized.numel() // normalized.shape[1]  # values per channel
        centred = grad_output - _per_channel(grad_bias / M, normalized.dim())  # N,C,...
        grad_input = centred - normalized * _per_channel(
            grad_weight / M, normalized.dim()
        )
    else:
        grad_input = grad_output
    return grad_input * _per_channel(scale, normalized.dim()), grad_weight, grad_bias


class BatchNorm2d(torch.nn.Module):
    r"""Batch normalization of images, as ``torch.nn.BatchNorm2d``, computed by :func:`batch_norm`.

    ``train()`` mode normalizes each channel with the batch's statistics and updates
    the running ones; ``eval()`` mode normalizes with the running statistics. With
    ``momentum=None`` the running statistics are the cumulative average over all
    batches seen (the update factor is ``1 / num_batches_tracked``). With
    ``track_running_stats=False`` there are none, and both modes use the batch's.

    Parameters
    ----------
    num_features : int
        C, the number of channels.
    eps : float, default 1e-5
    momentum : float or None, default 0.1
    affine : bool, default True
        Learn a per-channel scale ``weight`` (γ, starts at 1) and shift ``bias`` (β, starts at 0).
    track_running_stats : bool, default True
    device, dtype : optional
        Where and in which type to create the parameters and buffers.
    bias : bool, default True
        Keyword only: with ``affine``, learn the shift β too (torch 2.13's keyword).

    Attributes
    ----------
    weight, bias : torch.nn.Parameter or None
        Shape (C,).
    running_mean, running_var : torch.Tensor or None
        Buffers of shape (C,), starting at 0 and 1.
    num_batches_tracked : torch.Tensor or None
        Buffer, a 0-d int64 count of the training batches seen.

    Shape
    ------
    Input (N, C, H, W), output the same.

    Raises
    ------
    TypeError, ValueError
        For a bad argument to the constructor; from ``forward``, for an input that is not 4-D
        or has another number of channels than ``num_features``.

    See Also
    --------
    torch.nn.BatchNorm2d : the twin; ``state_dict`` keys, shapes and ``repr`` are the same.
    Book section 5.8, "Batch normalization".

    Examples
    --------
    >>> bn = BatchNorm2d(8)
    >>> bn
    BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    >>> y = bn(torch.randn(4, 8, 5, 5) * 3 + 2)
    >>> bool(y.mean().abs() < 1e-5), int(bn.num_batches_tracked)
    (True, 1)
    >>> list(bn.state_dict())
    ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    """

    _version = 2  # state_dicts of version 1 (torch < 0.4.1) have no num_batches_tracked

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__()
        self.num_features = check_int(num_features, "num_features", minimum=1)
        self.eps = _check_number(eps, "eps", 0.0)
        self.momentum = (
            None if momentum is None else _check_number(momentum, "momentum", 0.0, 1.0)
        )
        for name, flag in (
            ("affine", affine),
            ("track_running_stats", track_running_stats),
            ("bias", bias),
        ):
            if not isinstance(flag, bool):
                raise TypeError(
                    f"{name} must be a bool; got {type(flag).__name__} {flag!r}"
                )
        self.affine = affine
        self.track_running_stats = track_running_stats
        factory = {"device": device, "dtype": dtype}
        if affine:
            self.weight = torch.nn.Parameter(torch.empty(num_features, **factory))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = torch.nn.Parameter(torch.empty(num_features, **factory))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **factory))
            self.register_buffer("running_var", torch.ones(num_features, **factory))
            self.register_buffer(
                "num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device)
            )
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batch seen."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Running statistics reset, γ = 1 and β = 0: the layer starts as a plain standardization."""
        self.reset_running_stats()
        if self.affine:
            torch.nn.init.ones_(self.weight)
        if self.bias is not None:
            torch.nn.init.zeros_(self.bias)

    def forward(self, input):
        check_tensor(input, "input")
        if input.dim() != 4:
            raise ValueError(
                f"BatchNorm2d expects 4-D input (N, C, H, W); got {input.dim()}-D input of size "
                f"{list(input.shape)}"
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm2d({self.num_features}) expects input with {self.num_features} channels; "
                f"got input of size {list(input.shape)}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)  # cumulative average
        use_batch = self.training or self.running_mean is None
        # statistics to read or to update
        keep = not self.training or self.track_running_stats
        return batch_norm(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, *args, **kwargs
    ):
        version = local_metadata.get("version")
        key = prefix + "num_batches_tracked"
        if (
            (version is None or version < 2)
            and self.track_running_stats
            and key not in state_dict
        ):
            state_dict[key] = torch.tensor(0, dtype=torch.long)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, *args, **kwargs
        )

    def extra_repr(self):
        return (
            "{num_features}, eps={eps}, momentum={momentum}, affine={affine}, "
            "bias={use_bias}, track_running_stats={track_running_stats}".format(
                **self.__dict__, use_bias=self.bias is not None
            )
        )
