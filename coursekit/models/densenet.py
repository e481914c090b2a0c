"""Densely connected networks, DenseNet (Huang, Liu, van der Maaten and Weinberger, 2017).

Inside a *dense block* every layer reads the concatenation of the block's input and
of all earlier layers' outputs, and adds ``growth_rate`` new channels to it: after
``L`` layers a block that received ``c`` channels hands on ``c + L * growth_rate``.
Features are reused instead of recomputed, so the layers can be narrow (DenseNet-121
has 8.0 M parameters, a third of ResNet-50's). Each layer is batch norm, ReLU, a
1x1 *bottleneck* convolution to ``bn_size * growth_rate`` channels, batch norm, ReLU,
a 3x3 convolution to ``growth_rate`` channels. Between blocks a *transition* (batch
norm, ReLU, 1x1 convolution halving the channels, 2x2 average pooling) halves the
image.

- :func:`densenet121`: the ImageNet network. Module names, order and parameter shapes
  are torchvision's, so a ``state_dict`` of ``torchvision.models.densenet121`` loads
  as it is (and :func:`~coursekit.models.load_torchvision_weights` loads one by position).
- :func:`densenet_small`: the paper's small-image design (a 3x3 stem, three blocks)
  for 28x28 digits, from ``torch.nn`` or ``coursekit.nn`` layers.
"""

from collections import OrderedDict

import torch
from torch import nn

from .._validation import check_int
from ._checks import check_input, check_num_classes
from ._init import he_init
from .small import layer_classes


class DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv (to ``bn_size * growth_rate``) then BN-ReLU-3x3 conv (to ``growth_rate``).

    ``forward`` takes the list of all earlier feature maps of the block and returns
    only the new ``growth_rate`` channels. Names are torchvision's: ``norm1, relu1,
    conv1, norm2, relu2, conv2``.

    Parameters
    ----------
    in_channels : int
        Channels of the concatenated input.
    growth_rate, bn_size : int
    kinds : types.SimpleNamespace
        Layer classes, from :func:`~coursekit.models.small.layer_classes`.
    factory : dict
        ``device`` and ``dtype``.
    """

    def __init__(self, in_channels, growth_rate, bn_size, kinds, factory):
        super().__init__()
        inner = bn_size * growth_rate
        self.norm1 = kinds.BatchNorm2d(in_channels, **factory)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = kinds.Conv2d(
            in_channels, inner, 1, bias=False, **kinds.options, **factory
        )
        self.norm2 = kinds.BatchNorm2d(inner, **factory)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = kinds.Conv2d(
            inner, growth_rate, 3, padding=1, bias=False, **kinds.options, **factory
        )

    def forward(self, features):
        x = torch.cat(features, 1)  # N,in,H,W
        x = self.conv1(self.relu1(self.norm1(x)))  # N,bn_size*k,H,W
        return self.conv2(self.relu2(self.norm2(x)))  # N,k,H,W


class DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers (``denselayer1``, ...); the output concatenates the input and every new map.

    Parameters
    ----------
    num_layers, in_channels, growth_rate, bn_size : int
    kinds, factory :
        As for :class:`DenseLayer`.
    """

    def __init__(self, num_layers, in_channels, growth_rate, bn_size, kinds, factory):
        super().__init__()
        for i in range(num_layers):
            layer = DenseLayer(
                in_channels + i * growth_rate, growth_rate, bn_size, kinds, factory
            )
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, input):
        features = [input]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)  # N,in+L*k,H,W


class Transition(nn.Sequential):
    """BN, ReLU, 1x1 convolution to ``out_channels``, 2x2 average pooling: names ``norm, relu, conv, pool``."""

    def __init__(self, in_channels, out_channels, kinds, factory):
        super().__init__()
        self.add_module("norm", kinds.BatchNorm2d(in_channels, **factory))
        self.add_module("relu", nn.ReLU(inplace=True))
        self.add_module(
            "conv",
            kinds.Conv2d(
                in_channels, out_channels, 1, bias=False, **kinds.options, **factory
            ),
        )
        self.add_module("pool", kinds.AvgPool2d(2, stride=2))


class DenseNet(nn.Module):
    """A stem, dense blocks separated by transitions, batch norm, ReLU, global average pooling, ``classifier``.

    Parameters
    ----------
    growth_rate : int
        k, the channels each dense layer adds.
    block_config : sequence of int
        Dense layers per block.
    num_init_features : int
        Channels of the stem.
    bn_size : int
        The bottleneck has ``bn_size * growth_rate`` channels.
    num_classes : int
    in_channels : int
    small_input : bool
        False: the ImageNet stem (7x7 stride-2 convolution, 3x3 stride-2 max pooling: the
        image shrinks 4x). True: a 3x3 convolution that keeps the size.
    layers : {"torch", "coursekit"}
    method : str, optional
        For coursekit's convolutions.
    device, dtype : optional

    Shape
    -----
    Input ``(N, in_channels, H, W)``; each transition halves H and W. Output ``(N, num_classes)``.

    See Also
    --------
    densenet121, densenet_small : the builders. Book section 6.6, "DenseNet: densely
        connected networks".
    """

    def __init__(
        self,
        growth_rate,
        block_config,
        num_init_features,
        bn_size=4,
        num_classes=1000,
        in_channels=3,
        small_input=False,
        layers="torch",
        method=None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        growth_rate = check_int(growth_rate, "growth_rate", minimum=1)
        block_config = [check_int(n, "block_config", minimum=1) for n in block_config]
        num_init_features = check_int(num_init_features, "num_init_features", minimum=1)
        bn_size = check_int(bn_size, "bn_size", minimum=1)
        num_classes = check_num_classes(num_classes)
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        kinds = layer_classes(layers, method)
        f = {"device": device, "dtype": dtype}
        if small_input:
            stem = [
                (
                    "conv0",
                    kinds.Conv2d(
                        in_channels,
                        num_init_features,
                        3,
                        padding=1,
                        bias=False,
                        **kinds.options,
                        **f,
                    ),
                )
            ]
        else:
            stem = [
                (
                    "conv0",
                    kinds.Conv2d(
                        in_channels,
                        num_init_features,
                        7,
                        stride=2,
                        padding=3,
                        bias=False,
                        **kinds.options,
                        **f,
                    ),
                )
            ]
        stem += [
            ("norm0", kinds.BatchNorm2d(num_init_features, **f)),
            ("relu0", nn.ReLU(inplace=True)),
        ]
        if not small_input:
            stem.append(("pool0", kinds.MaxPool2d(3, stride=2, padding=1)))
        self.features = nn.Sequential(OrderedDict(stem))
        channels = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(
                f"denseblock{i + 1}",
                DenseBlock(num_layers, channels, growth_rate, bn_size, kinds, f),
            )
            channels += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(
                    f"transition{i + 1}", Transition(channels, channels // 2, kinds, f)
                )
                channels //= 2
        self.features.add_module("norm5", kinds.BatchNorm2d(channels, **f))
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Linear(channels, num_classes, **f)
        he_init(self)  # as torchvision
        nn.init.zeros_(self.classifier.bias)

    def forward(self, input):
        check_input(input, self.in_channels)
        x = self.relu(self.features(input))  # N,C,H',W'
        return self.classifier(torch.flatten(self.avgpool(x), 1))  # N,num_classes


def densenet121(num_classes=1000, device=None, dtype=None):
    """DenseNet-121: growth rate 32, blocks of (6, 12, 24, 16) layers, 7,978,856 parameters.

    121 weighted layers: the stem convolution, 2 convolutions in each of the 58 dense
    layers, 3 transition convolutions and the classifier. The ``state_dict`` keys,
    their order and shapes are those of ``torchvision.models.densenet121``.

    Parameters
    ----------
    num_classes : int, default 1000
    device, dtype : optional
        Passed to every layer; ``device="meta"`` builds the network without memory.

    Returns
    -------
    DenseNet
        Takes ``(N, 3, H, W)`` (224x224 for ImageNet: the last block runs at 7x7).

    Raises
    ------
    TypeError, ValueError
        If ``num_classes`` is not an int >= 1.

    See Also
    --------
    load_torchvision_weights : for torchvision's published weights. Book section 6.6,
        "DenseNet: densely connected networks".

    Examples
    --------
    >>> sum(p.numel() for p in densenet121(device="meta").parameters())
    7978856
    >>> list(densenet121(device="meta").state_dict())[-4:]
    ['features.norm5.running_var', 'features.norm5.num_batches_tracked', 'classifier.weight', 'classifier.bias']
    """
    return DenseNet(
        32, (6, 12, 24, 16), 64, num_classes=num_classes, device=device, dtype=dtype
    )


def densenet_small(
    num_classes=10,
    growth_rate=8,
    block_config=(3, 3, 3),
    num_init_features=16,
    bn_size=4,
    in_channels=1,
    layers="torch",
    method=None,
    device=None,
    dtype=None,
):
    """A DenseNet for small images such as the 28x28 digits (32,350 parameters by default).

    A 3x3 convolution to ``num_init_features`` channels, then blocks at 28x28, 14x14 and
    7x7 (two transitions halve the image and the channels), batch norm, ReLU, global
    average pooling and a dense classifier, as the paper's networks for CIFAR (section 3).
    With the defaults the blocks end with 16 + 3*8 = 40, 20 + 24 = 44 and 22 + 24 = 46 channels.

    Parameters
    ----------
    num_classes : int, default 10
    growth_rate : int, default 8
    block_config : sequence of int, default (3, 3, 3)
    num_init_features : int, default 16
    bn_size : int, default 4
    in_channels : int, default 1
    layers : {"torch", "coursekit"}
        Convolutions, poolings and batch norms from ``torch.nn`` or ``coursekit.nn``
        (the same ``state_dict`` keys either way).
    method : str, optional
        For coursekit's convolutions; only with ``layers="coursekit"``.
    device, dtype : optional

    Returns
    -------
    DenseNet
        Takes ``(N, in_channels, H, W)``, any size with H, W >= 4; returns ``(N, num_classes)``.

    Raises
    ------
    TypeError, ValueError
        For a non-int or non-positive size, an unknown ``layers``, a ``method`` with torch's layers.

    See Also
    --------
    densenet121. Book section 6.6, "DenseNet: densely connected networks",
        trains it on the digits.

    Examples
    --------
    >>> net = densenet_small()
    >>> sum(p.numel() for p in net.parameters())
    32350
    >>> net(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """
    return DenseNet(
        growth_rate,
        block_config,
        num_init_features,
        bn_size,
        num_classes,
        in_channels,
        small_input=True,
        layers=layers,
        method=method,
        device=device,
        dtype=dtype,
    )
