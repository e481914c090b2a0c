"""Where code runs and how it is made repeatable: ``device`` and ``seed_everything``."""

import os
import random

import numpy as np

_KNOWN_DEVICES = ("cuda", "mps", "cpu")


def _available(kind):
    import torch

    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        backend = getattr(torch.backends, "mps", None)
        return backend is not None and backend.is_available()
    return True


def device(prefer=None):
    """Pick the ``torch.device`` to compute on.

    Without a preference: CUDA if present, then Apple's MPS, then the CPU. The
    environment variable ``COURSEKIT_DEVICE`` overrides the automatic choice;
    an explicit ``prefer`` overrides both.

    Parameters
    ----------
    prefer : str or torch.device, optional
        ``"cuda"``, ``"cuda:1"``, ``"mps"`` or ``"cpu"``.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If the device is unknown or not available on this machine.

    See Also
    --------
    The README's section "Running on a GPU".

    Examples
    --------
    >>> device("cpu")
    device(type='cpu')
    """
    import torch

    source = "prefer"
    if prefer is None:
        prefer = os.environ.get("COURSEKIT_DEVICE") or None
        source = "COURSEKIT_DEVICE"
    if prefer is None:
        for kind in _KNOWN_DEVICES:
            if _available(kind):
                return torch.device(kind)
    if isinstance(prefer, torch.device):
        prefer = str(prefer)
    if not isinstance(prefer, str):
        raise TypeError(
            f"{source} must be a str or torch.device; got {type(prefer).__name__}"
        )
    kind = prefer.split(":")[0].strip().lower()
    if kind not in _KNOWN_DEVICES:
        options = ", ".join(repr(k) for k in _KNOWN_DEVICES)
        raise ValueError(f"{source} must name one of {options}; got {prefer!r}")
    if not _available(kind):
        raise ValueError(
            f"{source}={prefer!r} is not available on this machine (torch sees no {kind})"
        )
    result = torch.device(prefer.strip().lower())
    if (
        kind == "cuda"
        and result.index is not None
        and result.index >= torch.cuda.device_count()
    ):
        raise ValueError(
            f"{source}={prefer!r} asks for GPU {result.index}, "
            f"but this machine has {torch.cuda.device_count()}"
        )
    return result


def seed_everything(seed):
    """Seed Python's, NumPy's and torch's random generators (all devices).

    Parameters
    ----------
    seed : int
        A non-negative integer below 2**32.

    Returns
    -------
    numpy.random.Generator
        A fresh NumPy generator seeded with ``seed``, for code that prefers one.

    Examples
    --------
    >>> rng = seed_everything(0)
    >>> a = random.random(); _ = seed_everything(0); a == random.random()
    True
    """
    import torch

    from ._validation import check_int

    seed = check_int(seed, "seed", minimum=0)
    if seed >= 2**32:
        raise ValueError(f"seed must be < 2**32; got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA and MPS generators too
    return np.random.default_rng(seed)
