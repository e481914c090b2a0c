"""Real and toy data: what ships with the course's dependencies, and three classic data sets on request.

- :func:`digits`: scikit-learn's 1,797 handwritten digits (8x8), resized for CNNs.
- :func:`photo`: real photographs that ship with matplotlib.
- :func:`x_image`, :func:`exercise_image`: the small images worked by hand in book sections 5.4
  and 5.3.
- :func:`mnist`, :func:`fashion_mnist`, :func:`cifar10`: read by torchvision's dataset
  classes from a cache folder (:func:`data_folder`), downloaded only when asked.
- :func:`dataset`, :func:`dataset_name`: the training data of the book's chapters, the
  digits unless the environment variable ``COURSEKIT_DATASET`` names one of the three;
  :func:`rescaled`: its images drawn at another size.
- :class:`Transformed`: a data set whose images pass through a transform (augmentation).
- :func:`transform_once`: a fixed copy of a data set with every image transformed once,
  e.g. a validation set of shifted and rotated digits.

Nothing here downloads unless called with ``download=True``.
"""

import os

import numpy as np
import torch

from ._validation import check_int, check_option

SPLITS = ("train", "test", "all")
FORMATS = ("dataset", "tensors")
# name -> (torchvision's class, its folder under the root, what a download costs)
DATASETS = {
    "mnist": ("MNIST", "MNIST/raw", "about 12 MB"),
    "fashion_mnist": ("FashionMNIST", "FashionMNIST/raw", "about 30 MB"),
    "cifar10": ("CIFAR10", "cifar-10-batches-py", "about 170 MB"),
}

# name -> (file in matplotlib's sample_data, description)
PHOTOS = {
    "grace_hopper": (
        "grace_hopper.jpg",
        "Rear Admiral Grace Hopper, colour portrait, 600x512",
    ),
    "mri": ("s1045.ima.gz", "a slice of a brain MRI, greyscale, 256x256"),
}


def digits(size=28, split="train", seed=0, test_fraction=0.25, format="dataset"):
    """scikit-learn's handwritten digits, resized to ``size x size``, split by class.

    The 8x8 images (grey levels 0..16) are scaled to [0, 1] and resized with
    bilinear interpolation, so that a network designed for 28x28 MNIST digits
    (model2 of book section 5.9) takes them as they are. The train/test split is
    stratified: each class keeps the same proportion in both parts, and the
    same ``seed`` always gives the same split.

    Parameters
    ----------
    size : int, default 28
        Side of the returned images, at least 8.
    split : {"train", "test", "all"}
    seed : int, default 0
        Seed of the split's shuffle.
    test_fraction : float, default 0.25
        Share of each class held out for "test", strictly between 0 and 1.
    format : {"dataset", "tensors"}
        A ``torch.utils.data.TensorDataset`` or the pair ``(images, labels)``.

    Returns
    -------
    TensorDataset or (torch.Tensor, torch.Tensor)
        Images of shape ``(N, 1, size, size)``, float32 in [0, 1]; labels int64 in 0..9.

    Raises
    ------
    ValueError, TypeError
        For a size below 8, an unknown split or format, or a fraction outside (0, 1).

    Examples
    --------
    >>> images, labels = digits(size=8, split="all", format="tensors")
    >>> tuple(images.shape), int(labels.max())
    ((1797, 1, 8, 8), 9)
    """
    size = check_int(size, "size", minimum=8)
    split = check_option(split, "split", SPLITS)
    format = check_option(format, "format", FORMATS)
    seed = check_int(seed, "seed", minimum=0)
    if not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise ValueError(
            f"test_fraction must be a number strictly between 0 and 1; got {test_fraction!r}"
        )

    from sklearn.datasets import load_digits

    bunch = load_digits()
    # N,1,8,8
    images = torch.tensor(bunch.images / 16.0, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(bunch.target, dtype=torch.int64)
    if size != 8:
        images = torch.nn.functional.interpolate(
            images, size=(size, size), mode="bilinear", align_corners=False
        )
        images = images.clamp_(0.0, 1.0)  # N,1,size,size

    if split != "all":
        rng = np.random.default_rng(seed)
        test_mask = np.zeros(len(labels), dtype=bool)
        for c in range(10):
            members = np.flatnonzero(bunch.target == c)
            chosen = rng.permutation(members)[
                : int(round(test_fraction * len(members)))
            ]
            test_mask[chosen] = True
        keep = test_mask if split == "test" else ~test_mask
        index = torch.from_numpy(np.flatnonzero(keep))
        images, labels = images[index], labels[index]

    if format == "tensors":
        return images, labels
    return torch.utils.data.TensorDataset(images, labels)


def photo(name="grace_hopper", grayscale=False):
    """A real photograph shipped with matplotlib, as floats in [0, 1].

    Parameters
    ----------
    name : {"grace_hopper", "mri"}
    grayscale : bool, default False
        Convert a colour photo to grey with the luma weights (0.299, 0.587, 0.114) of ITU-R Recommendation BT.601.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` for colour photos, ``(H, W)`` for grey ones, float64 in [0, 1].

    Examples
    --------
    >>> img = photo("grace_hopper")
    >>> img.shape, float(img.min()) >= 0.0, float(img.max()) <= 1.0
    ((600, 512, 3), True, True)
    >>> photo("grace_hopper", grayscale=True).shape
    (600, 512)
    """
    if not isinstance(name, str) or name not in PHOTOS:
        options = ", ".join(repr(k) for k in PHOTOS)
        raise ValueError(f"name must be one of {options}; got {name!r}")
    if not isinstance(grayscale, bool):
        raise TypeError(f"grayscale must be a bool; got {type(grayscale).__name__}")
    import gzip
    import os

    import matplotlib
    import matplotlib.image

    path = os.path.join(matplotlib.get_data_path(), "sample_data", PHOTOS[name][0])
    if name == "mri":
        with gzip.open(path) as f:
            raw = np.frombuffer(f.read(), dtype=np.uint16).reshape(256, 256)
        image = raw.astype(np.float64) / raw.max()
    else:
        image = matplotlib.image.imread(path).astype(np.float64) / 255.0
    if grayscale and image.ndim == 3:
        image = image[..., :3] @ np.array([0.299, 0.587, 0.114])
    return image


def x_image():
    """The 9x9 picture of an "X" that book section 5.4 matches with 3x3 feature filters.

    Pixels are +1 on the two diagonals of the inner 7x7 square and -1 elsewhere.

    Examples
    --------
    >>> img = x_image()
    >>> img.shape, int(img.sum())
    ((9, 9), -55)
    """
    image = -np.ones((9, 9))
    for i in range(1, 8):
        image[i, i] = 1.0
        image[i, 8 - i] = 1.0
    return image


def exercise_image():
    """The 4x4 image of the hand-computed convolution of book section 5.3.

    Examples
    --------
    >>> exercise_image()
    array([[ 0.,  1.,  0.,  1.],
           [ 0.,  1.,  0.,  1.],
           [ 1.,  1.,  1.,  1.],
           [ 0., -2.,  0., -2.]])
    """
    return np.array(
        [[0, 1, 0, 1], [0, 1, 0, 1], [1, 1, 1, 1], [0, -2, 0, -2]], dtype=np.float64
    )


def data_folder(root=None):
    """The folder that holds downloaded data sets.

    Parameters
    ----------
    root : str or os.PathLike, optional
        Returned as it is when given.

    Returns
    -------
    str
        ``root``, else the environment variable ``COURSEKIT_DATA``, else ``~/.cache/coursekit``.

    Examples
    --------
    >>> data_folder("/data")
    '/data'
    """
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(
                f"root must be a path (str or os.PathLike); got {type(root).__name__}"
            )
        return os.fspath(root)
    return os.environ.get("COURSEKIT_DATA") or os.path.join(
        os.path.expanduser("~"), ".cache", "coursekit"
    )


def _torchvision_dataset(name, split, root, download):
    """torchvision's dataset ``name`` with images as float32 tensors (C, H, W) in [0, 1]."""
    from ._torchvision import import_torchvision

    split = check_option(split, "split", ("train", "test"))
    if not isinstance(download, bool):
        raise TypeError(f"download must be a bool; got {type(download).__name__}")
    root = data_folder(root)
    torchvision = import_torchvision()
    from torchvision.transforms import v2

    cls_name, folder, size = DATASETS[name]
    to_tensor = v2.Compose(
        [v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.ToPureTensor()]
    )
    try:
        return getattr(torchvision.datasets, cls_name)(
            root, train=split == "train", download=download, transform=to_tensor
        )
    except RuntimeError as err:
        if download or "download=True" not in str(err):
            raise
        raise FileNotFoundError(
            f"{cls_name} is not in {os.path.join(root, folder)}. Download it once ({size}, needs the internet) "
            f"with coursekit.data.{name}(download=True), or set COURSEKIT_DATA (or root=) to a folder that "
            f"holds it in torchvision's layout"
        ) from err


def mnist(split="train", root=None, download=False):
    """MNIST: 70,000 handwritten digits, 28x28 grey (LeCun, Bottou, Bengio and Haffner, 1998).

    Read with ``torchvision.datasets.MNIST`` from ``root/MNIST/raw`` (IDX files).

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.
    root : str or os.PathLike, optional
        The data folder; :func:`data_folder` by default (``COURSEKIT_DATA`` or ``~/.cache/coursekit``).
    download : bool, default False
        Download the files into ``root`` first if they are missing (needs the internet).

    Returns
    -------
    torchvision.datasets.MNIST
        A torch Dataset of pairs ``(image, label)``: float32 ``(1, 28, 28)`` in [0, 1], int in 0..9.

    Raises
    ------
    FileNotFoundError
        If the files are missing and ``download`` is False; the message says how to download them.
    ValueError, TypeError
        For an unknown split or a non-bool ``download``.

    See Also
    --------
    dataset : the switch that trains the book's networks on it. Book section 6.8.
    """
    return _torchvision_dataset("mnist", split, root, download)


def fashion_mnist(split="train", root=None, download=False):
    """Fashion-MNIST: 70,000 28x28 grey photographs of clothes in 10 classes (Xiao, Rasul and Vollgraf, 2017).

    A drop-in replacement for MNIST, harder to classify. Read with
    ``torchvision.datasets.FashionMNIST`` from ``root/FashionMNIST/raw``; arguments,
    returns and errors as :func:`mnist`.

    See Also
    --------
    dataset. Book section 6.8.
    """
    return _torchvision_dataset("fashion_mnist", split, root, download)


def cifar10(split="train", root=None, download=False):
    """CIFAR-10: 60,000 32x32 colour photographs in 10 classes (Krizhevsky, 2009).

    Read with ``torchvision.datasets.CIFAR10`` from ``root/cifar-10-batches-py``
    (50,000 training and 10,000 test images); images are float32 ``(3, 32, 32)`` in
    [0, 1]. Arguments and errors as :func:`mnist`.

    See Also
    --------
    dataset. Book section 6.8.
    """
    return _torchvision_dataset("cifar10", split, root, download)


def dataset_name(name=None):
    """Which data set the book's training sections use: ``name``, else ``COURSEKIT_DATASET``, else the digits.

    Parameters
    ----------
    name : {"digits", "mnist", "fashion_mnist", "cifar10"}, optional

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For an unknown name (in the argument or the environment variable).

    Examples
    --------
    >>> dataset_name("cifar10")
    'cifar10'
    """
    source = "name"
    if name is None:
        name, source = (
            os.environ.get("COURSEKIT_DATASET") or "digits",
            "COURSEKIT_DATASET",
        )
    return check_option(name, source, ("digits",) + tuple(DATASETS))


def dataset(
    name=None, split="train", root=None, download=False, size=28, format="dataset"
):
    """The training data of the book's chapters: the digits, or a real data set named by ``COURSEKIT_DATASET``.

    The chapters train on the digits, which ship offline. Setting the environment
    variable ``COURSEKIT_DATASET`` to ``mnist``, ``fashion_mnist`` or ``cifar10`` before
    running a page reruns its training sections on that data set (downloaded once
    beforehand, e.g. with ``python -c "import coursekit; coursekit.data.cifar10(download=True)"``;
    best on a GPU).

    Parameters
    ----------
    name : {"digits", "mnist", "fashion_mnist", "cifar10"}, optional
        By default :func:`dataset_name` (``COURSEKIT_DATASET``, else ``"digits"``).
    split : {"train", "test"}
    root, download :
        As for :func:`mnist` (unused for the digits).
    size : int, default 28
        Side of the digits; the real data sets keep their own (28 for MNIST and
        Fashion-MNIST, 32 for CIFAR-10).
    format : {"dataset", "tensors"}
        A torch ``Dataset``, or all of it as the pair ``(images, labels)`` (for a
        real data set the images are read one by one and stacked: CIFAR-10's
        training images take 600 MB).

    Returns
    -------
    torch.utils.data.Dataset or (torch.Tensor, torch.Tensor)
        Pairs ``(image, label)``, images float32 (C, H, W) in [0, 1]; or images
        ``(N, C, H, W)`` and labels int64 ``(N,)``.

    Raises
    ------
    ValueError
        For an unknown name, split or format; FileNotFoundError as :func:`mnist`.

    Examples
    --------
    >>> image, label = dataset("digits", split="test", size=16)[0]
    >>> tuple(image.shape)
    (1, 16, 16)
    >>> images, labels = dataset("digits", split="test", size=16, format="tensors")
    >>> tuple(images.shape), labels.dtype
    ((450, 1, 16, 16), torch.int64)
    """
    name = dataset_name(name)
    format = check_option(format, "format", FORMATS)
    if name == "digits":
        return digits(
            size=size,
            split=check_option(split, "split", ("train", "test")),
            format=format,
        )
    result = _torchvision_dataset(name, split, root, download)
    if format == "tensors":
        batches = list(torch.utils.data.DataLoader(result, batch_size=1024))
        images = torch.cat([batch[0] for batch in batches])
        labels = torch.cat([batch[1] for batch in batches]).to(torch.int64)
        return images, labels
    return result


def rescaled(size, split="test", name=None, root=None, download=False):
    """The images of :func:`dataset` drawn at another size, ``size x size``, as a TensorDataset.

    Does a network trained at one scale read another? These images tell.

    The digits are drawn again from their 8x8 originals (:func:`digits` with this
    ``size``); the images of a real data set are resized from their own size with
    bilinear interpolation (antialiased when they shrink).

    Parameters
    ----------
    size : int
        Side of the returned images, at least 8.
    split : {"train", "test"}
    name, root, download :
        As for :func:`dataset` (``COURSEKIT_DATASET``, else the digits).

    Returns
    -------
    torch.utils.data.TensorDataset
        Images ``(N, C, size, size)``, float32 in [0, 1]; labels int64.

    Raises
    ------
    ValueError, TypeError
        For a size that is not an int >= 8, an unknown name or split; FileNotFoundError as :func:`mnist`.

    See Also
    --------
    dataset : the images at the size the chapters train on. Book section 6.3, "NiN for the
        digits", measures a network trained at one size on others.

    Examples
    --------
    >>> images, labels = rescaled(20, name="digits").tensors
    >>> tuple(images.shape), torch.equal(images, digits(size=20, split="test").tensors[0])
    ((450, 1, 20, 20), True)
    """
    size = check_int(size, "size", minimum=8)
    images, labels = dataset(
        name, split=split, root=root, download=download, size=size, format="tensors"
    )
    if images.shape[-1] != size:  # a real data set, at its own size
        images = torch.nn.functional.interpolate(
            images, size=(size, size), mode="bilinear", antialias=True
        ).clamp_(0.0, 1.0)
    return torch.utils.data.TensorDataset(images, labels)


class Transformed(torch.utils.data.Dataset):
    """A data set whose images pass through ``transform`` each time they are read.

    Random transforms (crops, flips, small rotations) then give a new variant of every
    image in every epoch: data augmentation.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Pairs ``(image, label)``.
    transform : callable
        Maps an image tensor to an image tensor, e.g. a ``torchvision.transforms.v2`` transform.

    Examples
    --------
    >>> import torch
    >>> flipped = Transformed(digits(size=8, split="test"), lambda image: image.flip(-1))
    >>> image, label = flipped[0]
    >>> torch.equal(image, digits(size=8, split="test")[0][0].flip(-1)), len(flipped)
    (True, 450)
    """

    def __init__(self, dataset, transform):
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(
                f"dataset must be a Dataset with __getitem__ and __len__; got {type(dataset).__name__}"
            )
        if not callable(transform):
            raise TypeError(
                f"transform must be callable; got {type(transform).__name__}"
            )
        self.dataset = dataset
        self.transform = transform

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        image, label = self.dataset[index]
        return self.transform(image), label


def transform_once(dataset, transform, seed=0):
    """A fixed copy of ``dataset`` whose every image went once through a (random) ``transform``.

    :class:`Transformed` draws a new variant of an image at every read, as training
    with augmentation wants; a data set to *measure* on must stay the same from one
    read to the next. This function applies ``transform`` once to each image, with
    torch's random generator seeded by ``seed`` (and restored afterwards), and stores
    the results: the same seed always gives the same images.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Pairs ``(image, label)`` with image tensors of one shape.
    transform : callable
        Maps an image tensor to an image tensor, e.g. ``torchvision.transforms.v2.RandomAffine``;
        random transforms must draw from torch's global generator (torchvision's do).
    seed : int, default 0
        Seed of the random draws.

    Returns
    -------
    torch.utils.data.TensorDataset
        The transformed images ``(N, C, H, W)`` and the labels, int64, in the order of ``dataset``.

    Raises
    ------
    TypeError, ValueError
        For a dataset without ``__getitem__`` and ``__len__`` or that is empty, a transform
        that is not callable or returns no tensor, or a negative seed.

    See Also
    --------
    Transformed : a new draw at every read, for training. Book section 6.8.

    Examples
    --------
    >>> import torch
    >>> base = torch.utils.data.TensorDataset(torch.arange(4.0).reshape(2, 1, 1, 2), torch.tensor([3, 5]))
    >>> moved = transform_once(base, lambda image: image.roll(1, dims=-1))
    >>> moved.tensors[0][:, 0, 0], moved.tensors[1]
    (tensor([[1., 0.],
            [3., 2.]]), tensor([3, 5]))
    """
    if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
        raise TypeError(
            f"dataset must be a Dataset with __getitem__ and __len__; got {type(dataset).__name__}"
        )
    if len(dataset) == 0:
        raise ValueError("dataset must not be empty")
    if not callable(transform):
        raise TypeError(f"transform must be callable; got {type(transform).__name__}")
    seed = check_int(seed, "seed", minimum=0)
    images, labels = [], []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for index in range(len(dataset)):
            image, label = dataset[index]
            image = transform(image)
            if not isinstance(image, torch.Tensor):
                raise TypeError(
                    f"transform must return a tensor; got {type(image).__name__}"
                )
            images.append(image.as_subclass(torch.Tensor))
            labels.append(int(label))
    return torch.utils.data.TensorDataset(
        torch.stack(images), torch.tensor(labels, dtype=torch.int64)
    )
