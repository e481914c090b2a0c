"""Small checks used at coursekit's public boundary.

Every public function validates its arguments here, so that bad input gets a
``ValueError`` or ``TypeError`` naming the argument, what was expected and
what was given.
"""

import numbers

import numpy as np


def check_option(value, name, allowed):
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError``.

    >>> check_option("full", "mode", ("full", "same", "valid"))
    'full'
    """
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_int(value, name, minimum=None):
    """Return ``value`` as an ``int``; it must be an integer (not a bool) >= ``minimum``.

    >>> check_int(3, "stride", minimum=1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return value


def check_pair(value, name, minimum=None):
    """Normalize an int or a pair of ints to a tuple of two ints (like torch's ``_pair``).

    >>> check_pair(2, "stride")
    (2, 2)
    >>> check_pair((1, 3), "padding", minimum=0)
    (1, 3)
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints; got {value!r}")
        return tuple(check_int(v, name, minimum) for v in value)
    v = check_int(value, name, minimum)
    return (v, v)


def check_array_1d(x, name, scalar=False):
    """Return ``x`` as a non-empty 1-D numeric NumPy array.

    With ``scalar=True`` a 0-d value is read as a sequence of length 1, as
    :func:`numpy.convolve` reads it. A torch tensor is copied to NumPy; one of a dtype
    that NumPy lacks (bfloat16, complex32, float8) is refused with a ``TypeError``.

    >>> check_array_1d([1, 2, 3], "c")
    array([1, 2, 3])
    >>> check_array_1d(7, "c", scalar=True)
    array([7])
    """
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu().resolve_conj().resolve_neg()
        try:
            x = x.numpy()
        # raised by torch for dtypes without a NumPy counterpart
        except TypeError as err:
            raise TypeError(
                f"{name} must be a tensor of a dtype that NumPy supports (bool, integer, float16/32/64, "
                f"complex64/128); got {x.dtype}: convert it first, e.g. with {name}.float()"
            ) from err
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be a 1-D array of numbers; got {type(x).__name__}"
        ) from err
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        raise TypeError(f"{name} must be a 1-D array of numbers; got dtype {arr.dtype}")
    if scalar and arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    return arr
