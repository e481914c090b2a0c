"""GoogLeNet (Szegedy et al., 2014), built from Inception modules.

An Inception module runs four branches side by side on the same input and
concatenates their channels: a 1x1 convolution; a 1x1 "reduction" then a 3x3;
a 1x1 reduction then a (nominally 5x5) convolution; a 3x3 max pooling then a
1x1 projection. The cheap 1x1 reductions keep the wide layers affordable: 22
weighted layers with 6.6 M parameters, a tenth of AlexNet's.

The layout is torchvision's, so its ``state_dict`` keys and shapes match
``torchvision.models.googlenet``. Two of torchvision's choices carry over: every
convolution is a :class:`BasicConv2d` (convolution without bias, batch norm with
``eps=0.001``, ReLU; the 2014 paper had no batch norm), and the "5x5" branch uses a
3x3 kernel (a slip in the original port that torchvision kept for its weights).
"""

from collections import namedtuple

import torch
from torch import nn

from ._checks import check_input, check_num_classes

GoogLeNetOutputs = namedtuple(
    "GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"]
)

# name -> (in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj), table 1 of the paper
INCEPTIONS = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


class BasicConv2d(nn.Module):
    """Convolution (no bias), batch normalization (``eps=0.001``), ReLU."""

    def __init__(self, in_channels, out_channels, device=None, dtype=None, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, bias=False, device=device, dtype=dtype, **kwargs
        )
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001, device=device, dtype=dtype)

    def forward(self, input):
        return torch.relu(self.bn(self.conv(input)))


class Inception(nn.Module):
    """Four parallel branches whose outputs are concatenated along the channels.

    Output channels: ``ch1x1 + ch3x3 + ch5x5 + pool_proj``; height and width are kept.
    """

    def __init__(
        self,
        in_channels,
        ch1x1,
        ch3x3red,
        ch3x3,
        ch5x5red,
        ch5x5,
        pool_proj,
        device=None,
        dtype=None,
    ):
        super().__init__()
        f = {"device": device, "dtype": dtype}
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1, **f)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, kernel_size=1, **f),
            BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1, **f),
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, kernel_size=1, **f),
            BasicConv2d(
                ch5x5red, ch5x5, kernel_size=3, padding=1, **f
            ),  # 3x3, as torchvision
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1, **f),
        )

    def forward(self, input):
        branches = [
            self.branch1(input),
            self.branch2(input),
            self.branch3(input),
            self.branch4(input),
        ]
        return torch.cat(branches, 1)  # N,ch1x1+ch3x3+ch5x5+pool_proj,H,W


class InceptionAux(nn.Module):
    """Auxiliary classifier on an intermediate 14x14 map (used in training only)."""

    def __init__(self, in_channels, num_classes, dropout=0.7, device=None, dtype=None):
        super().__init__()
        f = {"device": device, "dtype": dtype}
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1, **f)
        self.fc1 = nn.Linear(2048, 1024, **f)
        self.fc2 = nn.Linear(1024, num_classes, **f)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, input):
        x = nn.functional.adaptive_avg_pool2d(input, (4, 4))  # N,C,4,4
        x = self.conv(x)  # N,128,4,4
        x = torch.flatten(x, 1)  # N,2048
        x = self.dropout(torch.relu(self.fc1(x)))  # N,1024
        return self.fc2(x)  # N,num_classes


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1) with torchvision's attribute names.

    Parameters
    ----------
    num_classes : int, default 1000
    aux_logits : bool, default False
        Add the two auxiliary classifiers; in training mode ``forward`` then returns
        ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)``.
    dropout : float, default 0.2
    device, dtype : optional

    Shape
    -----
    Input ``(N, 3, H, W)`` with H, W >= 15 (the adaptive pooling takes any size);
    output ``(N, num_classes)``.

    See Also
    --------
    googlenet : the builder. Book section 6.4, "GoogLeNet and the Inception module".
    """

    def __init__(
        self, num_classes=1000, aux_logits=False, dropout=0.2, device=None, dtype=None
    ):
        super().__init__()
        num_classes = check_num_classes(num_classes)
        if not isinstance(aux_logits, bool):
            raise TypeError(
                f"aux_logits must be a bool; got {type(aux_logits).__name__} {aux_logits!r}"
            )
        f = {"device": device, "dtype": dtype}
        self.aux_logits = aux_logits
        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3, **f)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1, **f)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1, **f)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = Inception(*INCEPTIONS["inception3a"], **f)
        self.inception3b = Inception(*INCEPTIONS["inception3b"], **f)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name in (
            "inception4a",
            "inception4b",
            "inception4c",
            "inception4d",
            "inception4e",
        ):
            setattr(self, name, Inception(*INCEPTIONS[name], **f))
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = Inception(*INCEPTIONS["inception5a"], **f)
        self.inception5b = Inception(*INCEPTIONS["inception5b"], **f)
        self.aux1 = InceptionAux(512, num_classes, **f) if aux_logits else None
        self.aux2 = InceptionAux(528, num_classes, **f) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes, **f)

    def forward(self, input):
        check_input(input, 3)
        x = self.maxpool1(self.conv1(input))  # N,64,56,56 for a 224x224 input
        x = self.maxpool2(self.conv3(self.conv2(x)))  # N,192,28,28
        x = self.maxpool3(self.inception3b(self.inception3a(x)))  # N,480,14,14
        x = self.inception4a(x)  # N,512,14,14
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))  # N,528,14,14
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))  # N,832,7,7
        x = self.inception5b(self.inception5a(x))  # N,1024,7,7
        x = torch.flatten(self.avgpool(x), 1)  # N,1024
        x = self.fc(self.dropout(x))  # N,num_classes
        if aux1 is not None:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


def googlenet(num_classes=1000, aux_logits=False, dropout=0.2, device=None, dtype=None):
    """Build GoogLeNet (Inception v1) with torchvision's layout.

    Parameters
    ----------
    num_classes : int, default 1000
    aux_logits : bool, default False
        Add the auxiliary classifiers after ``inception4a`` and ``inception4d``
        (torchvision's ``aux1``, ``aux2``). Without them: 6,624,904 parameters.
    dropout : float, default 0.2
    device, dtype : optional
        Passed to every layer; ``device="meta"`` builds the network without memory.

    Returns
    -------
    GoogLeNet

    Raises
    ------
    TypeError
        If ``num_classes`` is not an int or ``aux_logits`` not a bool.
    ValueError
        If ``num_classes < 1``; when called, if the input is not ``(N, 3, H, W)``.

    See Also
    --------
    Book section 6.4, "GoogLeNet and the Inception module".

    Examples
    --------
    >>> import torch
    >>> sum(p.numel() for p in googlenet(device="meta").parameters())
    6624904
    >>> googlenet(device="meta")(torch.empty(1, 3, 224, 224, device="meta")).shape
    torch.Size([1, 1000])
    """
    return GoogLeNet(
        num_classes=num_classes,
        aux_logits=aux_logits,
        dropout=dropout,
        device=device,
        dtype=dtype,
    )
