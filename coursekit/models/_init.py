"""He initialization of convolutions (He, Zhang, Ren and Sun, 2015), shared by NiN and DenseNet."""

from torch import nn


def he_init(model):
    """Draw every convolution's weight from N(0, 2 / fan_in) and zero its bias, in place.

    A convolution is recognized by its 4-D ``weight``, so coursekit's layers count as well as
    torch's. The variance 2 / fan_in keeps the size of the signal through ReLU layers: with
    torch's default (uniform, smaller) a deep plain stack such as NiN barely trains.

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    torch.nn.Module
        ``model``.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> conv = he_init(nn.Conv2d(64, 64, 3))
    >>> round(float(conv.weight.detach().var()) * 64 * 9, 1), float(conv.bias.detach().abs().max())
    (2.0, 0.0)
    """
    for m in model.modules():
        weight = getattr(m, "weight", None)
        if isinstance(weight, nn.Parameter) and weight.dim() == 4:
            nn.init.kaiming_normal_(weight, nonlinearity="relu")
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
    return model
