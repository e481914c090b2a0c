r"""What a trained classifier looks at: feature maps, saliency, occlusion and Grad-CAM (book section 6.9).

Each map answers "which pixels matter for the score of class ``target``?" differently:

- :func:`saliency` (Simonyan, Vedaldi and Zisserman, 2014): the gradient of the score
  with respect to the input pixels, :math:`|\partial y_c / \partial x|`, largest over the
  channels: how fast the score changes when one pixel changes a little. One backward pass.
- :func:`occlusion` (Zeiler and Fergus, 2014): how much the score drops when a window
  of the image is covered (set to ``baseline``), averaged over the windows covering each
  pixel. One forward pass per window position; no gradients, any model.
- :func:`grad_cam` (Selvaraju et al., 2017): the feature maps :math:`A^k` of a
  convolutional layer, weighted by the mean gradient of the score over each map,
  :math:`\mathrm{ReLU}\big(\sum_k \alpha_k A^k\big)` with
  :math:`\alpha_k = \operatorname{mean}_{ij} \partial y_c / \partial A^k_{ij}`, upsampled to the
  input's size. For a network that ends with global average pooling and one dense layer
  this is the class activation map of Zhou et al. (2016), up to a constant factor.

All three run the model in evaluation mode (its mode is restored afterwards), leave its
parameters' gradients untouched, and return a map of shape (N, H, W) on the input's
device, in its dtype. :func:`feature_maps` returns what one layer computes.
"""

import contextlib

import torch
import torch.nn.functional as F

from ._validation import check_int, check_pair
from .nn._checks import check_tensor


@contextlib.contextmanager
def _evaluating(model):
    """Run ``model`` in evaluation mode, then restore its mode."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _check(model, input):
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    check_tensor(input, "input")
    if input.dim() != 4 or not input.is_floating_point():
        raise ValueError(
            f"input must be a floating batch of shape (N, C, H, W); got {input.dtype} of shape "
            f"{tuple(input.shape)}"
        )


def _targets(target, input):
    """``target`` (an int, or one int per image) as an int64 tensor of shape (N,) on the input's device."""
    N = input.shape[0]  # batch
    if isinstance(target, int) and not isinstance(target, bool):
        return torch.full((N,), target, dtype=torch.long, device=input.device)
    target = torch.as_tensor(target, device=input.device)
    if (
        target.dtype.is_floating_point
        or target.dtype == torch.bool
        or target.shape != (N,)
    ):
        raise ValueError(
            f"target must be an int or {N} ints, one per image; got {target.dtype} of shape "
            f"{tuple(target.shape)}"
        )
    return target.long()


def _scores(model, input, target):
    """The score (output) of class ``target[n]`` for each image ``n``: shape (N,)."""
    out = model(input)  # N,K
    if out.dim() != 2 or out.shape[0] != input.shape[0]:
        raise ValueError(
            f"model must return scores of shape (N, classes); got {tuple(out.shape)}"
        )
    if target.min() < 0 or target.max() >= out.shape[1]:
        raise ValueError(
            f"target must be a class index in 0..{out.shape[1] - 1}; got {target.tolist()}"
        )
    return out.gather(1, target[:, None])[:, 0]


def saliency(model, input, target):
    """Gradient saliency: ``|d score[target] / d input|``, largest over the channels.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier returning scores (N, classes); run in evaluation mode.
    input : torch.Tensor
        Images (N, C, H, W).
    target : int or sequence of int
        The class whose score is explained: one for all images or one per image.

    Returns
    -------
    torch.Tensor
        (N, H, W), non-negative, on the input's device and in its dtype.

    Raises
    ------
    TypeError, ValueError
        For a model that is no Module, an input that is not a floating 4-D tensor, or a
        target that is not a valid class index (one, or one per image).

    See Also
    --------
    occlusion, grad_cam. Book section 6.9, "What a network looks at".

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2, bias=False))
    >>> _ = model[1].weight.data.copy_(torch.tensor([[1.0, -2.0, 0.0, 0.5], [0.0, 0.0, 1.0, 0.0]]))
    >>> saliency(model, torch.zeros(1, 1, 2, 2), target=0)        # the weights of class 0, in absolute value
    tensor([[[1.0000, 2.0000],
             [0.0000, 0.5000]]])
    """
    _check(model, input)
    target = _targets(target, input)
    x = input.detach().clone().requires_grad_()
    with _evaluating(model), torch.enable_grad():
        (grad,) = torch.autograd.grad(_scores(model, x, target).sum(), x)  # N,C,H,W
    return grad.abs().amax(1)  # N,H,W


def _starts(size, window, stride):
    """Window positions along one side: every ``stride`` pixels, the last one flush with the edge."""
    starts = list(range(0, size - window + 1, stride))
    if starts[-1] != size - window:
        starts.append(size - window)
    return starts


def occlusion(model, input, target, window, stride, baseline=0.0, batch_size=64):
    """Occlusion sensitivity: the drop of the target's score when a window of the image is covered.

    A ``window`` slides over the image by ``stride`` pixels (the last position in each
    direction is moved back to end at the image's edge); each position is set to
    ``baseline`` in all channels and the model rescored. Each pixel gets the mean drop
    ``score(image) - score(covered image)`` over the windows that cover it: positive
    where covering hurts the prediction. With a stride up to the window every pixel is
    covered; pixels that no window covers (a larger stride) get 0.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier returning scores (N, classes); run in evaluation mode, without gradients.
    input : torch.Tensor
        Images (N, C, H, W).
    target : int or sequence of int
        One class for all images or one per image.
    window : int or pair of int
        Height and width of the covered patch, at most the image's.
    stride : int or pair of int
        Step between window positions, >= 1.
    baseline : float, default 0.0
        The value that covers the patch (0 is black for images in [0, 1]).
    batch_size : int, default 64
        Covered copies scored per forward pass (memory against speed).

    Returns
    -------
    torch.Tensor
        (N, H, W) on the input's device and in its dtype.

    Raises
    ------
    TypeError, ValueError
        As :func:`saliency`, and for a window larger than the image or a non-positive stride or batch size.

    See Also
    --------
    saliency, grad_cam. Book section 6.9, "What a network looks at".

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 1, bias=False))
    >>> _ = model[1].weight.data.copy_(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))
    >>> occlusion(model, torch.ones(1, 1, 2, 2), 0, window=1, stride=1)   # each pixel's share of the score
    tensor([[[1., 2.],
             [3., 4.]]])
    """
    _check(model, input)
    target = _targets(target, input)
    N, C, H, W = input.shape  # batch, channels, height, width
    kH, kW = check_pair(window, "window", minimum=1)
    sH, sW = check_pair(stride, "stride", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if kH > H or kW > W:
        raise ValueError(f"window must fit in the image ({H}, {W}); got ({kH}, {kW})")
    positions = [(i, j) for i in _starts(H, kH, sH) for j in _starts(W, kW, sW)]
    total = torch.zeros(N, H, W, dtype=input.dtype, device=input.device)
    count = torch.zeros(H, W, dtype=input.dtype, device=input.device)
    with _evaluating(model), torch.no_grad():
        reference = _scores(model, input, target)  # N
        for first in range(0, len(positions), max(1, batch_size // N)):
            chunk = positions[first : first + max(1, batch_size // N)]
            covered = input.unsqueeze(0).repeat(len(chunk), 1, 1, 1, 1)  # P,N,C,H,W
            for p, (i, j) in enumerate(chunk):
                covered[p, :, :, i : i + kH, j : j + kW] = baseline
            scores = _scores(
                model, covered.flatten(0, 1), target.repeat(len(chunk))
            ).view(len(chunk), N)  # P,N
            for p, (i, j) in enumerate(chunk):
                total[:, i : i + kH, j : j + kW] += (reference - scores[p])[
                    :, None, None
                ]
                count[i : i + kH, j : j + kW] += 1
    return total / count.clamp(min=1)


def _find_layer(model, layer):
    if not isinstance(layer, torch.nn.Module) or not any(
        m is layer for m in model.modules()
    ):
        raise ValueError(
            f"layer must be a module of model (one of model.modules()); got {type(layer).__name__}"
        )


def _capture(model, input, layer, target=None):
    """Run ``model`` on ``input`` and return the output of ``layer`` (and the target's scores, if asked)."""
    captured = []
    handle = layer.register_forward_hook(
        lambda module, args, output: captured.append(output)
    )
    try:
        scores = _scores(model, input, target) if target is not None else model(input)
    finally:
        handle.remove()
    if (
        not captured
        or not isinstance(captured[-1], torch.Tensor)
        or captured[-1].dim() != 4
    ):
        shape = (
            tuple(captured[-1].shape)
            if captured and isinstance(captured[-1], torch.Tensor)
            else None
        )
        raise ValueError(
            f"layer must output feature maps of shape (N, K, h, w) during the forward pass; got "
            f"{'no output' if not captured else shape}"
        )
    return captured[-1], scores


def feature_maps(model, input, layer):
    """The output of ``layer`` when ``model`` classifies ``input``, in evaluation mode, without gradients.

    Parameters
    ----------
    model : torch.nn.Module
    input : torch.Tensor
        Images (N, C, H, W).
    layer : torch.nn.Module
        One of ``model.modules()`` whose output is (N, K, h, w).

    Returns
    -------
    torch.Tensor
        (N, K, h, w).

    Raises
    ------
    TypeError, ValueError
        As :func:`saliency`, and for a layer that is not part of the model or does not output 4-D maps.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.ReLU(), torch.nn.Flatten())
    >>> feature_maps(model, torch.zeros(2, 1, 8, 8), model[0]).shape
    torch.Size([2, 3, 6, 6])
    """
    _check(model, input)
    _find_layer(model, layer)
    with _evaluating(model), torch.no_grad():
        return _capture(model, input, layer)[0]


def grad_cam(model, input, target, layer):
    r"""Grad-CAM: the maps of ``layer`` weighted by their mean gradient, ReLU, upsampled to the input.

    With :math:`A^k` the ``K`` maps of ``layer`` (h x w) and :math:`y_c` the target's
    score, :math:`\alpha_k = \frac{1}{hw}\sum_{ij} \partial y_c / \partial A^k_{ij}` and the map
    is :math:`\mathrm{ReLU}(\sum_k \alpha_k A^k)`, resized to H x W by bilinear interpolation.
    The last convolutional layer (or the block that ends with it) is the usual choice: its
    maps still have a position and already encode classes.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier returning scores (N, classes); run in evaluation mode.
    input : torch.Tensor
        Images (N, C, H, W).
    target : int or sequence of int
    layer : torch.nn.Module
        A module of ``model`` that outputs (N, K, h, w). If a later in-place operation
        (``ReLU(inplace=True)``) changes that output, the maps and gradients are those of the changed tensor.

    Returns
    -------
    torch.Tensor
        (N, H, W), non-negative, on the input's device and in its dtype; not normalized.

    Raises
    ------
    TypeError, ValueError
        As :func:`feature_maps`.

    See Also
    --------
    saliency, occlusion. Book section 6.9, "What a network looks at".

    Examples
    --------
    >>> import torch
    >>> conv = torch.nn.Conv2d(1, 1, 1, bias=False)
    >>> _ = conv.weight.data.fill_(1.0)
    >>> model = torch.nn.Sequential(conv, torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    >>> x = torch.tensor([[[[0.0, 4.0], [8.0, 0.0]]]])
    >>> grad_cam(model, x, 0, conv)        # alpha = 1/4: a quarter of the map itself
    tensor([[[0., 1.],
             [2., 0.]]])
    """
    _check(model, input)
    target = _targets(target, input)
    _find_layer(model, layer)
    with _evaluating(model), torch.enable_grad():
        # so that the maps have a gradient even before any parameter
        x = input.detach().requires_grad_()
        maps, scores = _capture(model, x, layer, target)  # N,K,h,w and N
        (grads,) = torch.autograd.grad(scores.sum(), maps)  # N,K,h,w
    weights = grads.mean((2, 3), keepdim=True)  # N,K,1,1
    cam = F.relu((weights * maps.detach()).sum(1, keepdim=True))  # N,1,h,w
    if cam.shape[-2:] != input.shape[-2:]:
        # N,1,H,W
        cam = F.interpolate(
            cam, size=input.shape[-2:], mode="bilinear", align_corners=False
        )
    return cam[:, 0]  # N,H,W
