"""CNN layers from scratch, with PyTorch's semantics and names (book part 5, "CNN layers").

``coursekit.nn.functional`` holds the functions (``conv2d``, ``max_pool2d``, ...);
this package re-exports them as ``functional`` and the layers built on them
(``BatchNorm2d`` lives in :mod:`coursekit.nn.batchnorm`, beside its function).
"""

from . import functional
from .batchnorm import BatchNorm2d
from .modules import AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, MaxUnpool2d

__all__ = [
    "AvgPool2d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "MaxUnpool2d",
    "functional",
]
