"""The functional interface of :mod:`coursekit.nn`, mirroring ``torch.nn.functional``.

Convolutions live in :mod:`coursekit.nn.conv`, pooling in :mod:`coursekit.nn.pooling`,
im2col in :mod:`coursekit.nn.unfold`, padding in :mod:`coursekit.nn.padding`, batch
normalization in :mod:`coursekit.nn.batchnorm`; this module gathers them under torch's names.

>>> from coursekit.nn import functional as F
>>> sorted(F.__all__)[:3]
['avg_pool2d', 'batch_norm', 'batch_norm_backward']
"""

from .autotune import benchmark_cache, benchmark_mode, clear_benchmark_cache
from .batchnorm import batch_norm, batch_norm_backward
from .conv import choose_conv_method, conv1d, conv2d, conv2d_backward, conv_transpose2d
from .padding import pad
from .pooling import avg_pool2d, max_pool2d, max_unpool2d, pool_output_length
from .unfold import unfold
from .winograd import winograd_conv, winograd_matrices

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "batch_norm_backward",
    "benchmark_cache",
    "benchmark_mode",
    "choose_conv_method",
    "clear_benchmark_cache",
    "conv1d",
    "conv2d",
    "conv2d_backward",
    "conv_transpose2d",
    "max_pool2d",
    "max_unpool2d",
    "pad",
    "pool_output_length",
    "unfold",
    "winograd_conv",
    "winograd_matrices",
]
