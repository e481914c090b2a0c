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
        raise TypeError(
            f"{name} must have the dtype of input ({input.dtype}); got {t.dtype}"
        )
    if t.device != input.device:
        raise ValueError(
            f"{name} must be on the device of input ({input.device}); got {t.device}"
        )
    return t


def check_size_pair(value, name, minimum):
    """An int, a 1-tuple or a pair of ints, each >= ``minimum``, as a pair: ``(p,)`` means ``p`` on both axes.

    That is how torch's 2-D operators read a one-element size (``int[2]`` in their signatures).

    >>> check_size_pair((3,), "kernel_size", 1)
    (3, 3)
    """
    if isinstance(value, (tuple, list)):
        if len(value) not in (1, 2):
            raise ValueError(
                f"{name} must be an int or a tuple of one or two ints; got {value!r}"
            )
        value = tuple(value) * (3 - len(value))  # (p,) -> (p, p)
    return check_pair(value, name, minimum)


def check_positive_pair(value, name):
    """An int, 1-tuple or pair of ints, each >= 1 (strides, dilations, kernel sizes)."""
    return check_size_pair(value, name, minimum=1)


def check_padding_pair(value, name="padding"):
    """An int, 1-tuple or pair of ints, each >= 0."""
    return check_size_pair(value, name, minimum=0)


def check_dtype(input, op, complex=True):
    """Raise ``TypeError`` unless ``input`` is floating, integer or, if ``complex``, complex; never bool."""
    if input.dtype == torch.bool or (input.is_complex() and not complex):
        accepted = (
            "floating, complex or integer" if complex else "real (floating or integer)"
        )
        raise TypeError(
            f"{op} takes a {accepted} input; got input of dtype {input.dtype}"
        )
    return input


def check_groups(groups):
    """``groups`` as an int >= 1."""
    return check_int(groups, "groups", minimum=1)
