"""Argument checks shared by the layers of :mod:`coursekit.nn`.

Each check raises a ``TypeError`` or ``ValueError`` that names the argument,
what was expected and what was given, in the spirit of PyTorch's own messages.
"""

import torch

from .._validation import check_int, check_pair


def check_tensor(x, name):
    """Return ``x`` if it is a ``torch.Tensor``, else raise ``TypeError``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(x).__name__}")
    return x


def check_input(input, op, spatial=2):
    """Check an (un)batched input and return it batched, with a flag to undo the batching.

    ``spatial`` is the number of spatial dimensions: an input has ``spatial + 1``
    (unbatched) or ``spatial + 2`` (batched) dimensions.
    """
    check_tensor(input, "input")
    if input.dim() not in (spatial + 1, spatial + 2):
        raise ValueError(
            f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {op}, "
            f"but got input of size: {list(input.shape)}"
        )
    if input.dim() == spatial + 1:
        return input.unsqueeze(0), True
    return input, False


def check_like(t, name, input):
    """Check that tensor ``t`` has the dtype and the device of ``input``."""
    check_tensor(t, name)
    if t.dtype != input.dtype:
        raise TypeError(f"{name} must have the dtype of input ({input.dtype}); got {t.dtype}")
    if t.device != input.device:
        raise ValueError(f"{name} must be on the device of input ({input.device}); got {t.device}")
    return t


def check_positive_pair(value, name):
    """An int or pair of ints, each >= 1 (strides, dilations, kernel sizes)."""
    return check_pair(value, name, minimum=1)


def check_padding_pair(value):
    """An int or pair of ints, each >= 0."""
    return check_pair(value, "padding", minimum=0)


def check_groups(groups):
    """``groups`` as an int >= 1."""
    return check_int(groups, "groups", minimum=1)
