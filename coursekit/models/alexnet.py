"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012), the network that won ImageNet 2012.

Five convolutional layers and three fully connected ones; an 11x11 first layer
with stride 4, ReLU everywhere, overlapping 3x3 max pooling with stride 2 and
dropout in the classifier. Two variants:

- ``"paper"``: the network of the paper, 96-256-384-384-256 channels. The paper
  trained it split over two GPUs, each holding half of every layer's filters;
  layers 2, 4 and 5 only saw the half on their own GPU, which is exactly a
  grouped convolution with ``groups=2``. Local response normalization follows
  the first two convolutions. 60,965,224 parameters.
- ``"torchvision"``: the one-GPU version of torchvision (from Krizhevsky's "One
  weird trick" paper), 64-192-384-256-256 channels, no groups, no LRN and an
  adaptive average pooling to 6x6 before the classifier, so that any input of
  at least 63x63 pixels works. 61,100,840 parameters; its ``state_dict`` loads
  torchvision's weights.

The 224 vs 227 puzzle: the paper says its input is 224x224x3 and its first layer
outputs 55x55x96, but (224 - 11) / 4 + 1 = 54.25. Either the input was 227x227,
or the first layer pads. Both variants here take 224x224 images and pad the
first layer by 2 pixels, as torchvision does: floor((224 + 4 - 11) / 4) + 1 = 55.
The paper variant has no adaptive pooling (its classifier is fixed at
6 x 6 x 256 = 9,216 inputs), so it accepts 224x224 images only.
"""

import torch
from torch import nn

from .._validation import check_option
from ._checks import check_input, check_num_classes

VARIANTS = ("paper", "torchvision")


class AlexNet(nn.Module):
    """AlexNet as ``features`` (convolutions), ``avgpool`` and ``classifier`` (dense layers).

    Parameters
    ----------
    num_classes : int, default 1000
    variant : {"paper", "torchvision"}, default "paper"
    dropout : float, default 0.5
        Dropout probability before the first two dense layers.
    device, dtype : optional
        Where and in which precision to create the parameters.

    Shape
    -----
    Input ``(N, 3, 224, 224)`` ("paper") or ``(N, 3, H, W)`` with H, W >= 63
    ("torchvision"); output ``(N, num_classes)``.

    See Also
    --------
    alexnet : the builder. Book section 6.1, "ImageNet and AlexNet".
    """

    def __init__(
        self, num_classes=1000, variant="paper", dropout=0.5, device=None, dtype=None
    ):
        super().__init__()
        num_classes = check_num_classes(num_classes)
        self.variant = check_option(variant, "variant", VARIANTS)
        f = {"device": device, "dtype": dtype}
        if self.variant == "paper":
            # the paper's normalization: a / (k + alpha * sum a^2)^beta; torch divides alpha by size
            lrn = dict(size=5, alpha=5 * 1e-4, beta=0.75, k=2.0)
            self.features = nn.Sequential(
                nn.Conv2d(
                    3, 96, kernel_size=11, stride=4, padding=2, **f
                ),  # N,96,55,55
                nn.ReLU(inplace=True),
                nn.LocalResponseNorm(**lrn),
                nn.MaxPool2d(kernel_size=3, stride=2),  # N,96,27,27
                nn.Conv2d(
                    96, 256, kernel_size=5, padding=2, groups=2, **f
                ),  # N,256,27,27
                nn.ReLU(inplace=True),
                nn.LocalResponseNorm(**lrn),
                nn.MaxPool2d(kernel_size=3, stride=2),  # N,256,13,13
                nn.Conv2d(
                    256, 384, kernel_size=3, padding=1, **f
                ),  # N,384,13,13: both GPUs talk here
                nn.ReLU(inplace=True),
                nn.Conv2d(
                    384, 384, kernel_size=3, padding=1, groups=2, **f
                ),  # N,384,13,13
                nn.ReLU(inplace=True),
                nn.Conv2d(
                    384, 256, kernel_size=3, padding=1, groups=2, **f
                ),  # N,256,13,13
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),  # N,256,6,6
            )
            self.avgpool = nn.Identity()
        else:
            self.features = nn.Sequential(
                nn.Conv2d(
                    3, 64, kernel_size=11, stride=4, padding=2, **f
                ),  # N,64,55,55
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),  # N,64,27,27
                nn.Conv2d(64, 192, kernel_size=5, padding=2, **f),  # N,192,27,27
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),  # N,192,13,13
                nn.Conv2d(192, 384, kernel_size=3, padding=1, **f),  # N,384,13,13
                nn.ReLU(inplace=True),
                nn.Conv2d(384, 256, kernel_size=3, padding=1, **f),  # N,256,13,13
                nn.ReLU(inplace=True),
                nn.Conv2d(256, 256, kernel_size=3, padding=1, **f),  # N,256,13,13
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),  # N,256,6,6
            )
            self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096, **f),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096, **f),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes, **f),
        )

    def forward(self, input):
        check_input(input, 3, (224, 224) if self.variant == "paper" else None)
        x = self.features(input)
        x = self.avgpool(x)  # N,256,6,6
        x = torch.flatten(x, 1)  # N,9216
        return self.classifier(x)  # N,num_classes


def alexnet(num_classes=1000, variant="paper", dropout=0.5, device=None, dtype=None):
    """Build AlexNet, as in the 2012 paper or as in torchvision.

    Parameters
    ----------
    num_classes : int, default 1000
        Outputs of the last layer (ImageNet has 1,000 classes).
    variant : {"paper", "torchvision"}, default "paper"
        ``"paper"``: two-GPU layout (grouped convolutions, ``groups=2`` in layers 2, 4
        and 5), 96-256-384-384-256 channels, LRN, 224x224 inputs only.
        ``"torchvision"``: torchvision's ``alexnet`` (same ``state_dict`` keys and shapes).
    dropout : float, default 0.5
    device, dtype : optional
        Passed to every layer; ``device="meta"`` builds the network without memory.

    Returns
    -------
    AlexNet

    Raises
    ------
    TypeError
        If ``num_classes`` is not an int.
    ValueError
        If ``num_classes < 1`` or ``variant`` is unknown; when called, if the input
        is not ``(N, 3, 224, 224)`` for the paper variant.

    See Also
    --------
    Book section 6.1, "ImageNet and AlexNet". coursekit.summary : layer-by-layer table.

    Examples
    --------
    >>> import torch
    >>> sum(p.numel() for p in alexnet(device="meta").parameters())
    60965224
    >>> sum(p.numel() for p in alexnet(variant="torchvision", device="meta").parameters())
    61100840
    >>> alexnet(num_classes=10, device="meta")(torch.empty(2, 3, 224, 224, device="meta")).shape
    torch.Size([2, 10])
    """
    return AlexNet(
        num_classes=num_classes,
        variant=variant,
        dropout=dropout,
        device=device,
        dtype=dtype,
    )
