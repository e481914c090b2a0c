"""Networks of the book, each a ``torch.nn.Module``.

Book section 5.9 (``small``): ``model1`` (dense), ``model2`` (two convolutions) and
``lenet5``, for 28x28 single-channel images by default (``in_channels`` and ``size``
adapt them to others, e.g. CIFAR-10's 3x32x32). Part 6 adds the ImageNet
architectures, one module each, network in network (``nin``) and DenseNet
(``densenet121``, ``densenet_small``).

>>> from coursekit import models
>>> sum(p.numel() for p in models.model2().parameters())
5386
"""

from .alexnet import alexnet
from .densenet import densenet121, densenet_small
from .googlenet import googlenet
from .nin import nin
from .resnet import resnet18, resnet34, resnet50, resnet_small
from .small import ImageClassifier, lenet5, model1, model2
from .vgg import vgg11, vgg16, vgg19
from .weights import (
    classify_imagenet,
    imagenet_categories,
    load_torchvision_weights,
    pretrained,
)

__all__ = [
    "ImageClassifier",
    "lenet5",
    "model1",
    "model2",
    "alexnet",
    "vgg11",
    "vgg16",
    "vgg19",
    "googlenet",
    "nin",
    "densenet121",
    "densenet_small",
    "load_torchvision_weights",
    "pretrained",
    "classify_imagenet",
    "imagenet_categories",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet_small",
]
