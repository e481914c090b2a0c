"""Networks of the book, each a ``torch.nn.Module``.

Chapter 5 (``small``): ``model1`` (dense), ``model2`` (two convolutions) and
``lenet5``, all for 28x28 single-channel images. Chapter 6 adds the ImageNet
architectures, one module each.

>>> from coursekit import models
>>> sum(p.numel() for p in models.model2().parameters())
5386
"""

from .small import ImageClassifier, lenet5, model1, model2

__all__ = [
    "ImageClassifier",
    "lenet5",
    "model1",
    "model2",
]
