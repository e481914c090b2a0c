"""Argument and input checks shared by the ImageNet architectures of book part 6."""

from .._validation import check_int


def check_num_classes(num_classes):
    """Return ``num_classes`` if it is an int >= 1, else raise.

    >>> check_num_classes(10)
    10
    """
    return check_int(num_classes, "num_classes", minimum=1)


def check_input(input, channels, size=None):
    """Raise unless ``input`` is a 4-D batch with ``channels`` channels (and ``size`` pixels, if given).

    Parameters
    ----------
    input : torch.Tensor
        The batch a model's ``forward`` received.
    channels : int
        Channels the first layer expects.
    size : tuple of int, optional
        ``(H, W)`` a model with a fixed-size classifier needs.

    Examples
    --------
    >>> import torch
    >>> check_input(torch.zeros(2, 3, 8, 8), 3)
    >>> check_input(torch.zeros(2, 3, 8, 8), 1)
    Traceback (most recent call last):
    ...
    ValueError: input must have shape (N, 1, H, W); got (2, 3, 8, 8)
    """
    shape = tuple(input.shape)
    if (
        len(shape) != 4
        or shape[1] != channels
        or (size is not None and shape[2:] != tuple(size))
    ):
        wanted = ", ".join(
            str(e) for e in ("N", channels) + (tuple(size) if size else ("H", "W"))
        )
        raise ValueError(f"input must have shape ({wanted}); got {shape}")
