"""Residual networks (He, Zhang, Ren and Sun, 2015).

A residual block adds its input to its output, ``relu(F(x) + x)``: the layers
learn a correction ``F`` to the identity instead of a whole new map, and the
gradient reaches early layers through the sum unchanged. This is what lets 50,
100 or 1,000 layers train where a plain stack of the same depth stalls.

- :func:`resnet18`, :func:`resnet34`: :class:`BasicBlock` (two 3x3 convolutions);
  :func:`resnet50`: :class:`Bottleneck` (1x1 down to a quarter of the channels,
  3x3, 1x1 back up). Layout, ``state_dict`` keys and shapes are torchvision's
  (version 1.5: the stride of a bottleneck is on its 3x3 convolution).
- :func:`resnet_small`: the paper's network for small images (section 4.2:
  6n + 2 layers, three stages of 3x3 convolutions), for the 28x28 digits of the
  book, with ``residual=False`` giving the "plain" network of the same shape.
"""

import torch
from torch import nn

from .._validation import check_int
from ._checks import check_input, check_num_classes


def _conv(in_channels, out_channels, kernel_size, stride=1, **f):
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        padding=kernel_size // 2,
        bias=False,
        **f,
    )


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm; the input (projected if its shape changes) is added.

    Parameters
    ----------
    in_channels, out_channels : int
    stride : int, default 1
        Stride of the first convolution (2 halves the image).
    residual : bool, default True
        Add the shortcut; False gives a plain block of the same layers.
    batch_norm : bool, default True
    device, dtype : optional
    """

    expansion = 1

    def __init__(
        self,
        in_channels,
        out_channels,
        stride=1,
        residual=True,
        batch_norm=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        f = {"device": device, "dtype": dtype}
        norm = (
            (lambda c: nn.BatchNorm2d(c, **f))
            if batch_norm
            else (lambda c: nn.Identity())
        )
        # N,out,H/stride,W/stride
        self.conv1 = _conv(in_channels, out_channels, 3, stride, **f)
        self.bn1 = norm(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv(out_channels, out_channels, 3, **f)
        self.bn2 = norm(out_channels)
        self.downsample = _shortcut(
            in_channels, out_channels, stride, residual, norm, f
        )
        self.residual = residual

    def forward(self, input):
        out = self.relu(self.bn1(self.conv1(input)))
        out = self.bn2(self.conv2(out))
        if self.residual:
            out = out + (input if self.downsample is None else self.downsample(input))
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 convolution to ``planes`` channels, 3x3 (with the stride), 1x1 up to ``4 * planes``; plus the input.

    Parameters
    ----------
    in_channels : int
    planes : int
        Width of the inner 3x3 convolution; the block outputs ``4 * planes`` channels.
    stride : int, default 1
    device, dtype : optional
    """

    expansion = 4

    def __init__(self, in_channels, planes, stride=1, device=None, dtype=None):
        super().__init__()
        f = {"device": device, "dtype": dtype}
        out_channels = planes * self.expansion
        self.conv1 = _conv(in_channels, planes, 1, **f)  # N,planes,H,W
        self.bn1 = nn.BatchNorm2d(planes, **f)
        self.conv2 = _conv(planes, planes, 3, stride, **f)  # N,planes,H/stride,W/stride
        self.bn2 = nn.BatchNorm2d(planes, **f)
        self.conv3 = _conv(planes, out_channels, 1, **f)  # N,4*planes,H/stride,W/stride
        self.bn3 = nn.BatchNorm2d(out_channels, **f)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(
            in_channels, out_channels, stride, True, lambda c: nn.BatchNorm2d(c, **f), f
        )

    def forward(self, input):
        out = self.relu(self.bn1(self.conv1(input)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out = out + (input if self.downsample is None else self.downsample(input))
        return self.relu(out)


def _shortcut(in_channels, out_channels, stride, residual, norm, f):
    """The projection (1x1 convolution and norm) a shortcut needs when the shape changes, else None."""
    if not residual or (stride == 1 and in_channels == out_channels):
        return None
    return nn.Sequential(
        _conv(in_channels, out_channels, 1, stride, **f), norm(out_channels)
    )


class ResNet(nn.Module):
    """The ImageNet ResNet: a 7x7 stride-2 stem, max pooling, four stages, average pooling, ``fc``.

    Parameters
    ----------
    block : {BasicBlock, Bottleneck}
    layers : sequence of 4 ints
        Blocks per stage (ResNet-18: 2, 2, 2, 2; ResNet-34 and -50: 3, 4, 6, 3).
    num_classes : int, default 1000
    device, dtype : optional

    Shape
    -----
    Input ``(N, 3, H, W)`` (any size; 224x224 gives a 7x7 last map); output ``(N, num_classes)``.

    See Also
    --------
    resnet18, resnet34, resnet50 : the builders. Book section 6.5, "ResNet: residual connections".
    """

    def __init__(self, block, layers, num_classes=1000, device=None, dtype=None):
        super().__init__()
        num_classes = check_num_classes(num_classes)
        f = {"device": device, "dtype": dtype}
        self.conv1 = nn.Conv2d(
            3, 64, kernel_size=7, stride=2, padding=3, bias=False, **f
        )
        self.bn1 = nn.BatchNorm2d(64, **f)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        in_channels = 64
        for i, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers)):
            stage = []
            for b in range(blocks):
                stride = 2 if i > 0 and b == 0 else 1
                stage.append(
                    block(in_channels, planes, stride, device=device, dtype=dtype)
                )
                in_channels = planes * block.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*stage))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes, **f)
        _init(self)

    def forward(self, input):
        check_input(input, 3)
        x = self.maxpool(self.relu(self.bn1(self.conv1(input))))  # N,64,H/4,W/4
        x = self.layer2(self.layer1(x))  # N,128*e,H/8,W/8
        x = self.layer4(self.layer3(x))  # N,512*e,H/32,W/32
        x = torch.flatten(self.avgpool(x), 1)  # N,512*e
        return self.fc(x)  # N,num_classes


def _init(model):
    """He (Kaiming) initialization of every convolution, as torchvision does; batch norms start at identity."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


def resnet18(num_classes=1000, device=None, dtype=None):
    """ResNet-18: basic blocks (2, 2, 2, 2), 11,689,512 parameters, about 1.8 G multiply-adds.

    Parameters
    ----------
    num_classes : int, default 1000
    device, dtype : optional
        Passed to every layer; ``device="meta"`` builds the network without memory.

    Returns
    -------
    ResNet

    Raises
    ------
    TypeError, ValueError
        If ``num_classes`` is not an int >= 1.

    See Also
    --------
    Book section 6.5, "ResNet: residual connections".

    Examples
    --------
    >>> sum(p.numel() for p in resnet18(device="meta").parameters())
    11689512
    """
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes, device=device, dtype=dtype)


def resnet34(num_classes=1000, device=None, dtype=None):
    """ResNet-34: basic blocks (3, 4, 6, 3), 21,797,672 parameters. See :func:`resnet18`.

    Examples
    --------
    >>> sum(p.numel() for p in resnet34(device="meta").parameters())
    21797672
    """
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes, device=device, dtype=dtype)


def resnet50(num_classes=1000, device=None, dtype=None):
    """ResNet-50: bottleneck blocks (3, 4, 6, 3), 25,557,032 parameters. See :func:`resnet18`.

    Examples
    --------
    >>> sum(p.numel() for p in resnet50(device="meta").parameters())
    25557032
    """
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes, device=device, dtype=dtype)


class SmallResNet(nn.Module):
    """The ResNet of the paper's CIFAR experiments, for small single-channel images.

    A 3x3 stem to ``width`` channels, three stages of ``n = (depth - 2) / 6`` basic
    blocks with ``width``, ``2 * width``, ``4 * width`` channels (the last two
    halve the image), global average pooling and ``fc``. Weighted layers:
    ``1 + 6n + 1 = depth``.

    Parameters
    ----------
    depth : int
        6n + 2 for some n >= 1: 8, 14, 20, 32, 44, 56, ...
    num_classes : int, default 10
    residual : bool, default True
        False removes every shortcut (the "plain" network).
    width : int, default 8
    in_channels : int, default 1
    batch_norm : bool, default True
    device, dtype : optional

    Shape
    -----
    Input ``(N, in_channels, H, W)``, e.g. 28x28 digits (7x7 in the last stage);
    output ``(N, num_classes)``.
    """

    def __init__(
        self,
        depth,
        num_classes=10,
        residual=True,
        width=8,
        in_channels=1,
        batch_norm=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        depth = check_int(depth, "depth", minimum=8)
        if (depth - 2) % 6:
            raise ValueError(f"depth must be 6n + 2 (8, 14, 20, 32, ...); got {depth}")
        num_classes = check_num_classes(num_classes)
        width = check_int(width, "width", minimum=1)
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        for name, flag in (("residual", residual), ("batch_norm", batch_norm)):
            if not isinstance(flag, bool):
                raise TypeError(
                    f"{name} must be a bool; got {type(flag).__name__} {flag!r}"
                )
        f = {"device": device, "dtype": dtype}
        self.conv1 = _conv(in_channels, width, 3, **f)
        self.bn1 = nn.BatchNorm2d(width, **f) if batch_norm else nn.Identity()
        self.relu = nn.ReLU(inplace=True)
        channels = width
        for i in range(3):
            stage = []
            for b in range((depth - 2) // 6):
                stride = 2 if i > 0 and b == 0 else 1
                stage.append(
                    BasicBlock(
                        channels, width * 2**i, stride, residual, batch_norm, **f
                    )
                )
                channels = width * 2**i
            setattr(self, f"layer{i + 1}", nn.Sequential(*stage))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(channels, num_classes, **f)
        _init(self)

    def forward(self, input):
        check_input(input, self.in_channels)
        x = self.relu(self.bn1(self.conv1(input)))  # N,w,H,W
        x = self.layer3(self.layer2(self.layer1(x)))  # N,4w,H/4,W/4
        x = torch.flatten(self.avgpool(x), 1)  # N,4w
        return self.fc(x)  # N,num_classes


def resnet_small(
    depth,
    num_classes=10,
    residual=True,
    width=8,
    in_channels=1,
    batch_norm=True,
    device=None,
    dtype=None,
):
    """A ResNet (or, with ``residual=False``, its plain twin) for 28x28 digits.

    Book section 6.5 trains ``resnet_small(depth, residual=False)`` and
    ``resnet_small(depth)`` side by side: the same layers, with and without the
    shortcuts. See :class:`SmallResNet` for the layout.

    Parameters
    ----------
    depth : int
        Weighted layers, 6n + 2 (8, 14, 20, 32, 44, 56, ...).
    num_classes : int, default 10
    residual : bool, default True
        Add each block's input to its output; False gives the plain network.
    width : int, default 8
        Channels of the first stage (then 2x and 4x).
    in_channels : int, default 1
    batch_norm : bool, default True
        Batch norm after every convolution (False for, e.g., data-parallel demos
        where per-process batch statistics would differ).
    device, dtype : optional

    Returns
    -------
    SmallResNet

    Raises
    ------
    TypeError
        If an integer argument is not an int, or ``residual``/``batch_norm`` not a bool.
    ValueError
        If ``depth`` is not 6n + 2 with n >= 1, or ``num_classes``/``width`` < 1.

    See Also
    --------
    Book section 6.5, "ResNet: residual connections".

    Examples
    --------
    >>> import torch
    >>> model = resnet_small(8)
    >>> model(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> sum(isinstance(m, nn.Conv2d) for m in resnet_small(20, residual=False).modules())
    19
    """
    return SmallResNet(
        depth,
        num_classes=num_classes,
        residual=residual,
        width=width,
        in_channels=in_channels,
        batch_norm=batch_norm,
        device=device,
        dtype=dtype,
    )
