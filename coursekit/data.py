"""Real and toy data that ships with the course's dependencies: nothing is downloaded.

- :func:`digits`: scikit-learn's 1,797 handwritten digits (8x8), resized for CNNs.
- :func:`photo`: real photographs that ship with matplotlib.
- :func:`x_image`, :func:`exercise_image`: the small images worked by hand in chapter 5.
"""

import numpy as np

from ._validation import check_int, check_option

SPLITS = ("train", "test", "all")
FORMATS = ("dataset", "tensors")

# name -> (file in matplotlib's sample_data, description)
PHOTOS = {
    "grace_hopper": ("grace_hopper.jpg", "Rear Admiral Grace Hopper, colour portrait, 600x512"),
    "mri": ("s1045.ima.gz", "a slice of a brain MRI, greyscale, 256x256"),
}


def digits(size=28, split="train", seed=0, test_fraction=0.25, format="dataset"):
    """scikit-learn's handwritten digits, resized to ``size x size``, split by class.

    The 8x8 images (grey levels 0..16) are scaled to [0, 1] and resized with
    bilinear interpolation, so that a network designed for 28x28 MNIST digits
    (model2 of chapter 5) takes them as they are. The train/test split is
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
    import torch

    size = check_int(size, "size", minimum=8)
    split = check_option(split, "split", SPLITS)
    format = check_option(format, "format", FORMATS)
    seed = check_int(seed, "seed", minimum=0)
    if not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be a number strictly between 0 and 1; got {test_fraction!r}")

    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.tensor(bunch.images / 16.0, dtype=torch.float32).unsqueeze(1)  # N,1,8,8
    labels = torch.tensor(bunch.target, dtype=torch.int64)
    if size != 8:
        images = torch.nn.functional.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
        images = images.clamp_(0.0, 1.0)  # N,1,size,size

    if split != "all":
        rng = np.random.default_rng(seed)
        test_mask = np.zeros(len(labels), dtype=bool)
        for c in range(10):
            members = np.flatnonzero(bunch.target == c)
            chosen = rng.permutation(members)[: int(round(test_fraction * len(members)))]
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
        Convert a colour photo to grey with the ITU-R 601 weights (0.299, 0.587, 0.114).

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
    """The 9x9 picture of an "X" that chapter 5 matches with 3x3 feature filters.

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
    """The 4x4 image of the hand-computed convolution exercise of chapter 5.

    Examples
    --------
    >>> exercise_image()
    array([[ 0.,  1.,  0.,  1.],
           [ 0.,  1.,  0.,  1.],
           [ 1.,  1.,  1.,  1.],
           [ 0., -2.,  0., -2.]])
    """
    return np.array([[0, 1, 0, 1], [0, 1, 0, 1], [1, 1, 1, 1], [0, -2, 0, -2]], dtype=np.float64)
