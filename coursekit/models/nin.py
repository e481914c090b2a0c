"""Network in network, NiN (Lin, Chen and Yan, 2014), for 28x28 single-channel digits.

A NiN block is a convolution followed by two 1x1 convolutions, each with a ReLU: the
1x1 convolutions are a small dense network (a "micro network", the paper's *mlpconv*
layer) applied at every pixel to the channels of the convolution's output. The last
block outputs one map per class, and *global average pooling* turns each map into
that class's score: no dense layers at all, so no dense-layer parameters to overfit,
and the network takes images of any size.
"""

from collections import OrderedDict

from torch import nn

from .._validation import check_int
from ._checks import check_input, check_num_classes
from ._init import he_init
from .small import layer_classes


class NiN(nn.Sequential):
    """A ``torch.nn.Sequential`` of NiN blocks that checks its input's channels.

    Parameters
    ----------
    in_channels : int
    layers : OrderedDict of str to torch.nn.Module
    """

    def __init__(self, in_channels, layers):
        super().__init__(layers)
        self.in_channels = in_channels

    def forward(self, input):
        check_input(input, self.in_channels)
        return super().forward(input)


def _block(kinds, channels, kernel_size, f, batch_norm, last_relu=True):
    """Convolution ``channels[0] => channels[1]``, then 1x1 to ``channels[2]`` and to ``channels[3]``, with ReLUs.

    Every convolution is followed by a ReLU (by a batch norm and a ReLU if ``batch_norm``),
    except the last one when ``last_relu`` is False.
    """
    c_in, c1, c2, c3 = channels
    layers = []
    for i, (a, b, k) in enumerate(((c_in, c1, kernel_size), (c1, c2, 1), (c2, c3, 1))):
        activated = i < 2 or last_relu
        # a batch norm's shift replaces the convolution's bias
        normed = batch_norm and activated
        layers.append(
            kinds.Conv2d(a, b, k, padding=k // 2, bias=not normed, **kinds.options, **f)
        )
        if normed:
            layers.append(kinds.BatchNorm2d(b, **f))
        if activated:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def nin(
    num_classes=10,
    in_channels=1,
    batch_norm=False,
    layers="torch",
    method=None,
    device=None,
    dtype=None,
):
    """Network in network for 28x28 digits: three NiN blocks and global average pooling (104,266 parameters).

    Each block with its output shape ``(C, H, W)`` for a 28x28 input::

        block1  5x5 conv 1 => 32, 1x1, 1x1, ReLUs          (32, 28, 28)
        pool1   max 3x3, stride 2, padding 1               (32, 14, 14)
        block2  5x5 conv 32 => 64, 1x1, 1x1, ReLUs         (64, 14, 14)
        pool2   max 3x3, stride 2, padding 1               (64, 7, 7)
        block3  3x3 conv 64 => 64, 1x1 64 => 64, ReLUs,
                1x1 64 => num_classes                      (num_classes, 7, 7)
        gap     global average pooling, flatten            (num_classes,)

    The overlapping 3x3 max poolings with stride 2 are the paper's. The paper also puts
    a ReLU after the last 1x1 convolution and dropout between blocks; here the class
    maps are left signed (a score may be negative, as any logit) and there is no
    dropout. The convolutions start from He initialization (:func:`he_init`), without
    which this plain stack of nine ReLU layers barely trains; ``batch_norm=True`` adds a
    batch norm before every ReLU, as modern re-implementations do. Any input of at
    least 4x4 pixels works: the pooling averages whatever size the last maps have.

    Parameters
    ----------
    num_classes : int, default 10
    in_channels : int, default 1
    batch_norm : bool, default False
        Batch norm between each convolution and its ReLU (the convolution then has no bias).
    layers : {"torch", "coursekit"}
        Convolutions, poolings and batch norms from ``torch.nn`` or ``coursekit.nn``
        (same ``state_dict`` keys).
    method : str, optional
        For coursekit's convolutions; only with ``layers="coursekit"``.
    device, dtype : optional

    Returns
    -------
    NiN
        Takes ``(N, in_channels, H, W)``, returns logits ``(N, num_classes)``. Modules:
        ``block1, pool1, block2, pool2, block3, gap, flatten``.

    Raises
    ------
    TypeError, ValueError
        For a bad ``num_classes`` or ``in_channels``, a non-bool ``batch_norm``, an unknown
        ``layers``, a ``method`` with torch's layers; from ``forward``, for an input without
        ``in_channels`` channels.

    See Also
    --------
    Book section 6.3, "Network in network and global average pooling".

    Examples
    --------
    >>> import torch
    >>> net = nin()
    >>> sum(p.numel() for p in net.parameters())
    104266
    >>> net(torch.zeros(2, 1, 28, 28)).shape, net(torch.zeros(1, 1, 64, 48)).shape
    (torch.Size([2, 10]), torch.Size([1, 10]))
    >>> sum(p.numel() for p in nin(batch_norm=True).parameters())   # 2 per norm, no conv bias
    104682
    """
    num_classes = check_num_classes(num_classes)
    in_channels = check_int(in_channels, "in_channels", minimum=1)
    if not isinstance(batch_norm, bool):
        raise TypeError(
            f"batch_norm must be a bool; got {type(batch_norm).__name__} {batch_norm!r}"
        )
    kinds = layer_classes(layers, method)
    f = {"device": device, "dtype": dtype}
    net = OrderedDict(
        block1=_block(kinds, (in_channels, 32, 32, 32), 5, f, batch_norm),  # N,32,H,W
        pool1=kinds.MaxPool2d(3, stride=2, padding=1),  # N,32,H/2,W/2
        block2=_block(kinds, (32, 64, 64, 64), 5, f, batch_norm),  # N,64,H/2,W/2
        pool2=kinds.MaxPool2d(3, stride=2, padding=1),  # N,64,H/4,W/4
        block3=_block(
            kinds, (64, 64, 64, num_classes), 3, f, batch_norm, last_relu=False
        ),  # N,num_classes,H/4,W/4
        gap=nn.AdaptiveAvgPool2d((1, 1)),  # N,num_classes,1,1
        flatten=nn.Flatten(),  # N,num_classes
    )
    return he_init(NiN(in_channels, net))
