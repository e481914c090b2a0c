"""VGG (Simonyan and Zisserman, 2014): stacks of 3x3 convolutions.

Every convolution is 3x3 with padding 1 (the image keeps its size) and every
pooling is 2x2 with stride 2 (the image halves). Five stages take 224x224 to 7x7
with 64, 128, 256, 512, 512 channels; 7 x 7 x 512 = 25,088 numbers enter the
first dense layer. Two 3x3 layers see a 5x5 patch with 2 x 9 = 18 weights per
channel pair instead of 25, three see 7x7 with 27 instead of 49, and each adds
a ReLU. The layouts are torchvision's ("A", "D", "E" of the paper), so the
``state_dict`` keys and shapes match ``torchvision.models.vgg11/16/19``.
"""

import torch
from torch import nn

from ._checks import check_input, check_num_classes

# channels of each 3x3 convolution; "M" is a 2x2 max pooling
CONFIGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        "M",
    ],
    19: [
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        512,
        "M",
    ],
}


class VGG(nn.Module):
    """A VGG network: ``features`` (3x3 convolutions and poolings), ``avgpool``, ``classifier``.

    Parameters
    ----------
    depth : {11, 16, 19}
        Weighted layers: convolutions plus the three dense layers.
    num_classes : int, default 1000
    batch_norm : bool, default False
        Put a ``BatchNorm2d`` after every convolution (torchvision's ``vgg16_bn``).
    dropout : float, default 0.5
    device, dtype : optional

    Shape
    -----
    Input ``(N, 3, H, W)`` with H, W >= 32; the adaptive pooling brings any
    size to 7x7 before the classifier. Output ``(N, num_classes)``.

    See Also
    --------
    vgg11, vgg16, vgg19 : the builders. Book section 6.2, "VGG and receptive fields".
    """

    def __init__(
        self,
        depth,
        num_classes=1000,
        batch_norm=False,
        dropout=0.5,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if depth not in CONFIGS:
            raise ValueError(
                f"depth must be one of {', '.join(map(str, CONFIGS))}; got {depth!r}"
            )
        if not isinstance(batch_norm, bool):
            raise TypeError(
                f"batch_norm must be a bool; got {type(batch_norm).__name__} {batch_norm!r}"
            )
        num_classes = check_num_classes(num_classes)
        f = {"device": device, "dtype": dtype}
        layers = []
        in_channels = 3
        for v in CONFIGS[depth]:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))  # N,C,H/2,W/2
                continue
            # N,v,H,W
            layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1, **f))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v, **f))
            layers.append(nn.ReLU(inplace=True))
            in_channels = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096, **f),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096, **f),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes, **f),
        )

    def forward(self, input):
        check_input(input, 3)
        x = self.features(input)  # N,512,H/32,W/32
        x = self.avgpool(x)  # N,512,7,7
        x = torch.flatten(x, 1)  # N,25088
        return self.classifier(x)  # N,num_classes


def vgg(
    depth, num_classes=1000, batch_norm=False, dropout=0.5, device=None, dtype=None
):
    """Build VGG-11, VGG-16 or VGG-19 (torchvision's layout).

    Parameters
    ----------
    depth : {11, 16, 19}
        Number of weighted layers (8, 13 or 16 convolutions, plus 3 dense layers).
    num_classes : int, default 1000
    batch_norm : bool, default False
        Add batch normalization after each convolution.
    dropout : float, default 0.5
    device, dtype : optional
        Passed to every layer; ``device="meta"`` builds the network without memory.

    Returns
    -------
    VGG

    Raises
    ------
    TypeError
        If ``num_classes`` is not an int or ``batch_norm`` not a bool.
    ValueError
        If ``depth`` is not 11, 16 or 19, or ``num_classes < 1``.

    See Also
    --------
    vgg11, vgg16, vgg19. Book section 6.2, "VGG and receptive fields".

    Examples
    --------
    >>> sum(p.numel() for p in vgg(16, device="meta").parameters())
    138357544
    >>> sum(isinstance(m, nn.Conv2d) for m in vgg(19, device="meta").modules())
    16
    """
    return VGG(
        depth,
        num_classes=num_classes,
        batch_norm=batch_norm,
        dropout=dropout,
        device=device,
        dtype=dtype,
    )


def vgg11(num_classes=1000, batch_norm=False, dropout=0.5, device=None, dtype=None):
    """VGG-11 (configuration "A"): 8 convolutions, 132,863,336 parameters. See :func:`vgg`.

    Examples
    --------
    >>> sum(p.numel() for p in vgg11(device="meta").parameters())
    132863336
    """
    return vgg(
        11,
        num_classes=num_classes,
        batch_norm=batch_norm,
        dropout=dropout,
        device=device,
        dtype=dtype,
    )


def vgg16(num_classes=1000, batch_norm=False, dropout=0.5, device=None, dtype=None):
    """VGG-16 (configuration "D"): 13 convolutions, 138,357,544 parameters. See :func:`vgg`.

    Examples
    --------
    >>> sum(p.numel() for p in vgg16(device="meta").parameters())
    138357544
    """
    return vgg(
        16,
        num_classes=num_classes,
        batch_norm=batch_norm,
        dropout=dropout,
        device=device,
        dtype=dtype,
    )


def vgg19(num_classes=1000, batch_norm=False, dropout=0.5, device=None, dtype=None):
    """VGG-19 (configuration "E"): 16 convolutions, 143,667,240 parameters. See :func:`vgg`.

    Examples
    --------
    >>> sum(p.numel() for p in vgg19(device="meta").parameters())
    143667240
    """
    return vgg(
        19,
        num_classes=num_classes,
        batch_norm=batch_norm,
        dropout=dropout,
        device=device,
        dtype=dtype,
    )
