"""torchvision's published ImageNet weights in coursekit's networks, loaded by position.

coursekit's ImageNet networks have torchvision's layers in torchvision's order with
the same parameter shapes. :func:`load_torchvision_weights` pairs the tensors of a
torchvision ``state_dict`` with the model's one by one, in order, so it needs no
common names: it also loads the files published in 2017, whose DenseNet keys read
``norm.1`` where today's read ``norm1`` and which have no ``num_batches_tracked``.

:func:`pretrained` builds a network and fills it with the published weights
(``IMAGENET1K_V1``), read from torch's cache folder (``torch.hub.get_dir()``); it
downloads them (10 to 550 MB) only when asked with ``download=True``.
:func:`classify_imagenet` preprocesses a photograph as those weights expect and names
the most probable of the 1,000 classes. From a terminal, with an internet connection::

    python -m coursekit.models.weights resnet18 --download --json result.json

classifies matplotlib's photograph of Grace Hopper and records the answer.
"""

import argparse
import json
import os

import numpy as np
import torch

from .._torchvision import import_torchvision
from .._validation import check_int

# coursekit builder -> torchvision's weights (GoogLeNet is left out: its published weights expect
# torchvision's transform_input, a re-normalization coursekit's googlenet does not do)
WEIGHTS = {
    "alexnet": "AlexNet_Weights.IMAGENET1K_V1",
    "vgg11": "VGG11_Weights.IMAGENET1K_V1",
    "vgg16": "VGG16_Weights.IMAGENET1K_V1",
    "vgg19": "VGG19_Weights.IMAGENET1K_V1",
    "resnet18": "ResNet18_Weights.IMAGENET1K_V1",
    "resnet34": "ResNet34_Weights.IMAGENET1K_V1",
    "resnet50": "ResNet50_Weights.IMAGENET1K_V1",
    "densenet121": "DenseNet121_Weights.IMAGENET1K_V1",
}
_COUNTER = "num_batches_tracked"
# what the published weights were trained on: images resized to 256, centre 224x224, these statistics
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def load_torchvision_weights(model, state_dict):
    """Copy the tensors of a torchvision ``state_dict`` into ``model``, pairing them by position.

    The batch-norm counters ``num_batches_tracked`` are left out of the pairing (old
    files lack them); the model's are copied from ``state_dict`` when it has them.

    Parameters
    ----------
    model : torch.nn.Module
        A coursekit network with the layout of the torchvision network that produced ``state_dict``.
    state_dict : mapping of str to torch.Tensor
        For instance ``torchvision.models.resnet18().state_dict()`` or a published file
        read with ``torch.load``.

    Returns
    -------
    torch.nn.Module
        ``model``, its parameters and buffers replaced (on its own device and dtype).

    Raises
    ------
    TypeError
        If ``model`` is not a Module or ``state_dict`` not a mapping of tensors.
    ValueError
        If the numbers of tensors differ, or two tensors paired by position have different
        shapes; the message names both keys.

    See Also
    --------
    pretrained : the published weights. Book section 6.9, "What a network looks at".

    Examples
    --------
    >>> import torch
    >>> theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    >>> ours = torch.nn.Sequential()
    >>> ours.conv, ours.norm = torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2)   # other names
    >>> ours = load_torchvision_weights(ours, theirs.state_dict())
    >>> torch.equal(ours.conv.weight, theirs[0].weight)
    True
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not hasattr(state_dict, "items") or not all(
        isinstance(v, torch.Tensor) for v in state_dict.values()
    ):
        raise TypeError(
            f"state_dict must be a mapping of names to tensors; got {type(state_dict).__name__}"
        )
    ours = [k for k in model.state_dict() if not k.endswith(_COUNTER)]
    theirs = [k for k in state_dict if not k.endswith(_COUNTER)]
    if len(ours) != len(theirs):
        raise ValueError(
            f"state_dict must have one tensor per parameter or buffer of the model ({len(ours)}, not counting "
            f"{_COUNTER}); got {len(theirs)}"
        )
    target = model.state_dict()
    loaded = dict(target)
    for mine, their in zip(ours, theirs):
        if target[mine].shape != state_dict[their].shape:
            raise ValueError(
                f"tensors paired by position differ in shape: the model's {mine} is {tuple(target[mine].shape)}, "
                f"state_dict's {their} is {tuple(state_dict[their].shape)}"
            )
        loaded[mine] = state_dict[their]
    counters_ours = [k for k in target if k.endswith(_COUNTER)]
    counters_theirs = [k for k in state_dict if k.endswith(_COUNTER)]
    if len(counters_ours) == len(counters_theirs):
        loaded.update(
            {
                mine: state_dict[their]
                for mine, their in zip(counters_ours, counters_theirs)
            }
        )
    model.load_state_dict(loaded)
    return model


def _weights(name):
    if not isinstance(name, str) or name not in WEIGHTS:
        options = ", ".join(repr(k) for k in WEIGHTS)
        raise ValueError(f"name must be one of {options}; got {name!r}")
    return import_torchvision().models.get_weight(WEIGHTS[name])


def weights_file(name):
    """Where :func:`pretrained` reads (and downloads) the published weights of ``name``.

    Parameters
    ----------
    name : str
        One of the keys of ``WEIGHTS``.

    Returns
    -------
    str
        A path in torch's cache, ``torch.hub.get_dir()/checkpoints/`` (``$TORCH_HOME`` moves it).

    Examples
    --------
    >>> os.path.basename(weights_file("resnet18"))
    'resnet18-f37072fd.pth'
    """
    url = _weights(name).url
    return os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(url))


def pretrained(name, download=False, device=None):
    """coursekit's network ``name`` with torchvision's published ImageNet weights, in evaluation mode.

    Parameters
    ----------
    name : {"alexnet", "vgg11", "vgg16", "vgg19", "resnet18", "resnet34", "resnet50", "densenet121"}
        AlexNet is built as ``alexnet(variant="torchvision")``, the one-GPU network of the weights.
    download : bool, default False
        Download the file into torch's cache if it is not there yet (needs the internet).
    device : str or torch.device, optional
        Where to move the network; it stays on the CPU by default.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ValueError
        For an unknown name.
    FileNotFoundError
        If the weights are not in the cache and ``download`` is False; the message says how to get them.

    See Also
    --------
    classify_imagenet, load_torchvision_weights. Book section 6.9, "What a network looks at".
    """
    from .. import models

    weights = _weights(name)
    if not isinstance(download, bool):
        raise TypeError(f"download must be a bool; got {type(download).__name__}")
    path = weights_file(name)
    if not os.path.exists(path):
        if not download:
            raise FileNotFoundError(
                f"the published weights of {name} are not in {path}. Download them once (needs the internet) "
                f"with coursekit.models.pretrained({name!r}, download=True), or from a terminal: "
                f"python -m coursekit.models.weights {name} --download"
            )
        torch.hub.download_url_to_file(
            weights.url, path, hash_prefix=None, progress=True
        )
    state_dict = torch.load(path, map_location="cpu", weights_only=True)
    kwargs = {"variant": "torchvision"} if name == "alexnet" else {}
    model = load_torchvision_weights(getattr(models, name)(**kwargs), state_dict)
    if device is not None:
        model.to(device)
    return model.eval()


def imagenet_categories():
    """The names of ImageNet's 1,000 classes, in the order of the networks' outputs.

    Examples
    --------
    >>> names = imagenet_categories()
    >>> len(names), names[0], names[652]
    (1000, 'tench', 'military uniform')
    """
    return list(_weights("resnet18").meta["categories"])


def classify_imagenet(model, image, top=5):
    """The ``top`` most probable ImageNet classes of a photograph, as the published weights see it.

    The image is preprocessed as for training those weights: shorter side resized to 256
    pixels (bilinear, antialiased), the central 224x224 crop, each channel standardized
    with ImageNet's mean and standard deviation.

    Parameters
    ----------
    model : torch.nn.Module
        An ImageNet classifier (1,000 outputs), e.g. from :func:`pretrained`; it runs in
        evaluation mode, and its mode is restored afterwards.
    image : numpy.ndarray or torch.Tensor
        ``(H, W, 3)`` RGB with values in [0, 1], as :func:`coursekit.data.photo` returns.
    top : int, default 5

    Returns
    -------
    list of (str, float)
        Class names and softmax probabilities, most probable first.

    Raises
    ------
    TypeError, ValueError
        For a bad ``model``, an image that is not (H, W, 3), or ``top`` outside 1..1000.

    Examples
    --------
    >>> import numpy as np
    >>> toy = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 1000))
    >>> answer = classify_imagenet(toy, np.zeros((300, 400, 3)), top=2)
    >>> len(answer), isinstance(answer[0][0], str), answer[0][1] >= answer[1][1]
    (2, True, True)
    """
    import_torchvision()
    from torchvision.transforms import v2

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    top = check_int(top, "top", minimum=1)
    if top > 1000:
        raise ValueError(f"top must be <= 1000; got {top}")
    image = (
        image
        if isinstance(image, torch.Tensor)
        else torch.from_numpy(np.array(image, dtype=np.float32))
    )
    if image.dim() != 3 or image.shape[-1] != 3:
        raise ValueError(f"image must have shape (H, W, 3); got {tuple(image.shape)}")
    preprocess = v2.Compose(
        [
            v2.Resize(256, antialias=True),
            v2.CenterCrop(224),
            v2.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )
    parameter = next(model.parameters(), None)
    x = preprocess(image.permute(2, 0, 1).float())  # 3,224,224
    if parameter is not None:
        x = x.to(device=parameter.device, dtype=parameter.dtype)
    was_training = model.training
    try:
        with torch.no_grad():
            probabilities = torch.softmax(model.eval()(x[None]), dim=1)[0]  # 1000
    finally:
        model.train(was_training)
    values, indices = probabilities.topk(top)
    names = imagenet_categories()
    return [(names[i], float(p)) for p, i in zip(values.tolist(), indices.tolist())]


def main(argv=None):
    """Classify matplotlib's Grace Hopper photograph with a pretrained network; print (and record) the answer."""
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.models.weights", description=main.__doc__
    )
    parser.add_argument("name", choices=sorted(WEIGHTS))
    parser.add_argument(
        "--download",
        action="store_true",
        help="download the weights if they are not cached",
    )
    parser.add_argument(
        "--json", help="write the network's name and its top-5 answer to this file"
    )
    args = parser.parse_args(argv)
    from .. import data

    answer = classify_imagenet(
        pretrained(args.name, download=args.download), data.photo("grace_hopper")
    )
    for label, p in answer:
        print(f"{p:7.2%}  {label}")
    if args.json:
        record = {
            "network": args.name,
            "weights": WEIGHTS[args.name],
            "torch": torch.__version__,
            "torchvision": import_torchvision().__version__,
            "photo": "grace_hopper",
            "top5": answer,
        }
        with open(args.json, "w") as f:
            json.dump(record, f, indent=1)
    return answer


if __name__ == "__main__":
    main()
