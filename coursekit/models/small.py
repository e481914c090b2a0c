"""The small image classifiers of book section 5.9: ``model1``, ``model2`` and ``lenet5``.

All three take batches of single-channel 28x28 images, shape ``(N, 1, 28, 28)``,
by default, and return ten class scores (logits), shape ``(N, 10)``. The keyword
arguments ``in_channels`` and ``size`` adapt them to other images, e.g. CIFAR-10's
``(N, 3, 32, 32)``: only the first layer's input channels and the dense layer after
the flattening change. ``model2`` and
``lenet5`` are built either from PyTorch's layers (``layers="torch"``) or from
coursekit's own (``layers="coursekit"``); both choices give the same
``state_dict`` keys and shapes, so one network loads the other's weights and
then computes the same outputs.
"""

from collections import OrderedDict
from types import SimpleNamespace

import torch  # noqa: F401 (the doctests use it)
from torch import nn

from .._validation import check_int, check_option

LAYERS = ("torch", "coursekit")


class ImageClassifier(nn.Sequential):
    """A ``torch.nn.Sequential`` that first checks the shape of its input.

    The dense head of a small CNN fixes the size of the image it accepts; this
    class turns a wrong size into a ``ValueError`` that names the expected
    shape, instead of a matrix-size mismatch deep inside the network.

    Parameters
    ----------
    name : str
        The network's name, used in error messages.
    input_shape : tuple of int
        Expected ``(C, H, W)`` of one image.
    layers : OrderedDict of str to torch.nn.Module
        The layers, applied in order; their names prefix the ``state_dict`` keys.

    Raises
    ------
    ValueError
        From ``forward``, if the input is not ``(N, C, H, W)`` with the expected ``C, H, W``.

    Examples
    --------
    >>> net = ImageClassifier("tiny", (1, 2, 2), OrderedDict(flatten=nn.Flatten(), fc=nn.Linear(4, 3)))
    >>> net(torch.zeros(5, 1, 2, 2)).shape
    torch.Size([5, 3])
    """

    def __init__(self, name, input_shape, layers):
        super().__init__(layers)
        self.name = name
        self.input_shape = tuple(input_shape)

    def forward(self, input):
        if input.ndim != 4 or tuple(input.shape[1:]) != self.input_shape:
            expected = "(N, " + ", ".join(str(s) for s in self.input_shape) + ")"
            raise ValueError(
                f"{self.name} expects input of shape {expected}; got {tuple(input.shape)}"
            )
        return super().forward(input)

    def extra_repr(self):
        return f"name={self.name!r}, input_shape={self.input_shape}"


def layer_classes(layers, method=None):
    """The layer classes a network is built from: ``torch.nn``'s or coursekit's own.

    Parameters
    ----------
    layers : {"torch", "coursekit"}
    method : str, optional
        How coursekit's convolutions compute; only with ``layers="coursekit"``.

    Returns
    -------
    types.SimpleNamespace
        ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``BatchNorm2d`` and ``options``, the keyword
        arguments every convolution takes (``method``).

    Examples
    --------
    >>> kinds = layer_classes("coursekit", method="fft")
    >>> kinds.Conv2d(1, 2, 3, **kinds.options), kinds.BatchNorm2d.__module__
    (Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), method=fft), 'coursekit.nn.batchnorm')
    """
    layers = check_option(layers, "layers", LAYERS)
    if layers == "torch":
        if method is not None:
            raise ValueError(
                f"method applies only to layers='coursekit'; got method={method!r} with layers='torch'"
            )
        return SimpleNamespace(
            Conv2d=nn.Conv2d,
            MaxPool2d=nn.MaxPool2d,
            AvgPool2d=nn.AvgPool2d,
            BatchNorm2d=nn.BatchNorm2d,
            options={},
        )
    from .. import nn as cknn

    return SimpleNamespace(
        Conv2d=cknn.Conv2d,
        MaxPool2d=cknn.MaxPool2d,
        AvgPool2d=cknn.AvgPool2d,
        BatchNorm2d=cknn.BatchNorm2d,
        options={} if method is None else {"method": method},
    )


def image_shape(in_channels, size, minimum):
    """``(in_channels, size, size)``, the shape of one input image, after checking both arguments.

    Parameters
    ----------
    in_channels : int
        At least 1.
    size : int
        Side of the square image, at least ``minimum``.
    minimum : int
        The smallest side the network can read.

    Returns
    -------
    tuple of int

    Raises
    ------
    TypeError, ValueError
        For a non-int argument, or one below its minimum.

    Examples
    --------
    >>> image_shape(3, 32, minimum=12)
    (3, 32, 32)
    >>> image_shape(1, 8, minimum=12)
    Traceback (most recent call last):
    ...
    ValueError: size must be >= 12; got 8
    """
    return (
        check_int(in_channels, "in_channels", minimum=1),
        check_int(size, "size", minimum=minimum),
        int(size),
    )


def model1(device=None, dtype=None, *, in_channels=1, size=28):
    """The fully connected classifier ``model1`` of book section 5.9 (178,110 parameters).

    Flatten the 28x28 image to 784 numbers, then ``Linear(784, 200)`` + ReLU,
    ``Linear(200, 100)`` + tanh, ``Linear(100, 10)``:
    ``(784*200 + 200) + (200*100 + 100) + (100*10 + 10) = 178,110`` parameters.

    Other images flatten to ``in_channels * size * size`` numbers, and only ``fc1``
    changes.

    Parameters
    ----------
    device, dtype : optional
        Where and in which floating type the parameters are created, as for any
        torch module; ``.to(device)`` moves the network later.
    in_channels : int, default 1
        Channels of the input images (3 for colour).
    size : int, default 28
        Side of the square input images.

    Returns
    -------
    ImageClassifier
        Takes ``(N, in_channels, size, size)``, returns logits ``(N, 10)``. Layers: ``flatten,
        fc1, relu1, fc2, tanh2, fc3``.

    Raises
    ------
    TypeError, ValueError
        For an ``in_channels`` or ``size`` that is not an int >= 1; from ``forward``, for an
        input of another shape.

    See Also
    --------
    model2 : the convolutional network it is compared with in book section 5.9,
        "Two networks for digits; LeNet-5".

    Examples
    --------
    >>> net = model1()
    >>> sum(p.numel() for p in net.parameters())
    178110
    >>> net(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> model1(in_channels=3, size=32).fc1
    Linear(in_features=3072, out_features=200, bias=True)
    """
    shape = image_shape(in_channels, size, minimum=1)
    factory = {"device": device, "dtype": dtype}
    layers = OrderedDict(
        flatten=nn.Flatten(),  # N,784 for 1x28x28
        fc1=nn.Linear(shape[0] * shape[1] * shape[2], 200, **factory),  # N,200
        relu1=nn.ReLU(),
        fc2=nn.Linear(200, 100, **factory),  # N,100
        tanh2=nn.Tanh(),
        fc3=nn.Linear(100, 10, **factory),  # N,10
    )
    return ImageClassifier("model1", shape, layers)


def model2(
    layers="torch", method=None, device=None, dtype=None, *, in_channels=1, size=28
):
    """The convolutional classifier ``model2`` of book section 5.9 (5,386 parameters).

    Each layer with its output shape ``(C, H, W)`` and its parameters::

        conv1   5x5, 1 => 8, ReLU    (8, 24, 24)    8 * (5*5*1 + 1)  =   208
        pool1   max 2x2              (8, 12, 12)
        conv2   3x3, 8 => 16, ReLU   (16, 10, 10)   16 * (3*3*8 + 1) = 1,168
        pool2   max 2x2              (16, 5, 5)
        flatten                      (400,)
        fc      400 => 10            (10,)          400*10 + 10      = 4,010
                                                    total              5,386

    For other images (``in_channels``, ``size``) only ``conv1``'s input channels and the
    flattened size change: a ``size x size`` image gives maps of side
    ``s = ((size - 4) // 2 - 2) // 2`` after ``pool2`` and ``fc`` reads ``16 * s * s``
    numbers (``16 * 6 * 6 = 576`` for CIFAR-10's 32x32 photographs).

    Parameters
    ----------
    layers : {"torch", "coursekit"}
        Build the convolutions and poolings from ``torch.nn`` or from
        ``coursekit.nn``. Both give the same ``state_dict`` keys.
    method : str, optional
        Passed to the ``coursekit.nn`` layers (how they compute); only with
        ``layers="coursekit"``. ``None`` keeps their default.
    device, dtype : optional
        Where and in which floating type the parameters are created;
        ``.to(device)`` moves the network later.
    in_channels : int, default 1
        Channels of the input images (3 for colour).
    size : int, default 28
        Side of the square input images, at least 12.

    Returns
    -------
    ImageClassifier
        Takes ``(N, in_channels, size, size)``, returns logits ``(N, 10)``. Layers:
        ``conv1, relu1, pool1, conv2, relu2, pool2, flatten, fc``.

    Raises
    ------
    ValueError
        For an unknown ``layers``, a ``method`` given with ``layers="torch"``, an
        ``in_channels`` below 1 or a ``size`` below 12; from ``forward``, for an input
        that is not ``(N, in_channels, size, size)``.
    TypeError
        For an ``in_channels`` or ``size`` that is not an int.

    See Also
    --------
    model1, lenet5 : book section 5.9, "Two networks for digits; LeNet-5".

    Examples
    --------
    >>> net = model2()
    >>> [p.numel() for p in net.parameters()]
    [200, 8, 1152, 16, 4000, 10]
    >>> net(torch.zeros(3, 1, 28, 28)).shape
    torch.Size([3, 10])
    >>> colour = model2(in_channels=3, size=32)
    >>> [p.numel() for p in colour.parameters()], colour(torch.zeros(2, 3, 32, 32)).shape
    ([600, 8, 1152, 16, 5760, 10], torch.Size([2, 10]))
    """
    kinds = layer_classes(layers, method)
    shape = image_shape(in_channels, size, minimum=12)
    side = ((shape[1] - 4) // 2 - 2) // 2  # after pool2: 5 for 28x28
    Conv2d, MaxPool2d, options = kinds.Conv2d, kinds.MaxPool2d, kinds.options
    factory = {"device": device, "dtype": dtype}
    net = OrderedDict(
        conv1=Conv2d(shape[0], 8, 5, **options, **factory),  # N,8,24,24
        relu1=nn.ReLU(),
        pool1=MaxPool2d(2),  # N,8,12,12
        conv2=Conv2d(8, 16, 3, **options, **factory),  # N,16,10,10
        relu2=nn.ReLU(),
        pool2=MaxPool2d(2),  # N,16,5,5
        flatten=nn.Flatten(),  # N,400
        fc=nn.Linear(16 * side * side, 10, **factory),  # N,10
    )
    return ImageClassifier("model2", shape, net)


def lenet5(
    layers="torch", method=None, device=None, dtype=None, *, in_channels=1, size=28
):
    """LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998) for 28x28 digits (61,706 parameters).

    The historical network read 32x32 images: MNIST's 28x28 digits centred in a
    blank border. Here the first convolution pads the 28x28 input by 2 pixels
    on every side instead, which gives the same 32x32 picture. The layers keep
    the original's sizes, tanh activations and 2x2 average ("subsampling")
    pooling. Each layer with its output shape ``(C, H, W)`` and its parameters::

        c1      5x5, 1 => 6, padding 2, tanh   (6, 28, 28)    6 * (25 + 1)    =    156
        s2      average 2x2                    (6, 14, 14)
        c3      5x5, 6 => 16, tanh             (16, 10, 10)   16 * (150 + 1)  =  2,416
        s4      average 2x2                    (16, 5, 5)
        c5      5x5, 16 => 120, tanh           (120, 1, 1)    120 * (400 + 1) = 48,120
        f6      120 => 84, tanh                (84,)          84 * (120 + 1)  = 10,164
        output  84 => 10                       (10,)          10 * (84 + 1)   =    850
                                                              total             61,706

    Simplifications of the 1998 design, as in most modern re-implementations:
    the activation is ``tanh`` rather than ``1.7159 tanh(2a/3)``; the subsampling
    layers have no trainable scale and bias; every C3 map sees all six S2 maps
    (the original connected each to a chosen subset, to save weights and break
    symmetry); the output is a linear layer giving logits instead of Euclidean
    radial-basis-function units. C5 is a 5x5 convolution on a 5x5 map, which is
    exactly a dense layer on the 400 flattened values.

    Other images (``in_channels``, ``size``) change ``c1``'s input channels and its
    padding, which always makes a 32x32 picture: ``(32 - size) / 2`` pixels, none for
    CIFAR-10's 32x32 photographs, which are LeNet-5's own input size.

    Parameters
    ----------
    layers : {"torch", "coursekit"}
        Build the convolutions and poolings from ``torch.nn`` or ``coursekit.nn``.
    method : str, optional
        Passed to the ``coursekit.nn`` layers; only with ``layers="coursekit"``.
    device, dtype : optional
        Where and in which floating type the parameters are created.
    in_channels : int, default 1
        Channels of the input images (3 for colour).
    size : int, default 28
        Side of the square input images: even, from 8 to 32.

    Returns
    -------
    ImageClassifier
        Takes ``(N, in_channels, size, size)``, returns logits ``(N, 10)``. Layers: ``c1, tanh1,
        s2, c3, tanh3, s4, c5, tanh5, flatten, f6, tanh6, output``.

    Raises
    ------
    ValueError
        For an unknown ``layers``, a ``method`` given with ``layers="torch"``, an
        ``in_channels`` below 1 or a ``size`` that is odd or outside 8..32; from
        ``forward``, for an input that is not ``(N, in_channels, size, size)``.
    TypeError
        For an ``in_channels`` or ``size`` that is not an int.

    See Also
    --------
    model2 : book section 5.9, "Two networks for digits; LeNet-5".

    Examples
    --------
    >>> net = lenet5()
    >>> sum(p.numel() for p in net.parameters())
    61706
    >>> net(torch.zeros(1, 1, 28, 28)).shape
    torch.Size([1, 10])
    >>> colour = lenet5(in_channels=3, size=32)
    >>> colour.c1.padding, sum(p.numel() for p in colour.parameters())
    ((0, 0), 62006)
    """
    kinds = layer_classes(layers, method)
    shape = image_shape(in_channels, size, minimum=8)
    if shape[1] % 2 or shape[1] > 32:
        raise ValueError(
            f"size must be even and between 8 and 32 (lenet5 pads the image to 32x32); got {shape[1]}"
        )
    Conv2d, AvgPool2d, options = kinds.Conv2d, kinds.AvgPool2d, kinds.options
    factory = {"device": device, "dtype": dtype}
    padding = (32 - shape[1]) // 2  # 2 for 28x28
    net = OrderedDict(
        c1=Conv2d(shape[0], 6, 5, padding=padding, **options, **factory),  # N,6,28,28
        tanh1=nn.Tanh(),
        s2=AvgPool2d(2),  # N,6,14,14
        c3=Conv2d(6, 16, 5, **options, **factory),  # N,16,10,10
        tanh3=nn.Tanh(),
        s4=AvgPool2d(2),  # N,16,5,5
        c5=Conv2d(16, 120, 5, **options, **factory),  # N,120,1,1
        tanh5=nn.Tanh(),
        flatten=nn.Flatten(),  # N,120
        f6=nn.Linear(120, 84, **factory),  # N,84
        tanh6=nn.Tanh(),
        output=nn.Linear(84, 10, **factory),  # N,10
    )
    return ImageClassifier("lenet5", shape, net)
