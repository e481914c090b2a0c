"""Tiny data sets in the real on-disk formats, written from the formats' specifications.

- MNIST and Fashion-MNIST: IDX files (LeCun et al.): a big-endian magic number ``0x0000TTDD``
  (type 0x08 = unsigned byte, D dimensions), the D sizes as big-endian 32-bit ints, then the
  values. torchvision keeps the downloaded ``.gz`` and reads the uncompressed file next to it.
- CIFAR-10 (python version): pickled dicts ``{"data": uint8 (N, 3072) rows of R, G, B planes,
  "labels": [int]}`` in ``data_batch_1`` to ``data_batch_5`` and ``test_batch``, and
  ``batches.meta`` with ``label_names``, in the folder ``cifar-10-batches-py``.
"""

import gzip
import hashlib
import pathlib
import pickle
import struct

import numpy as np

CIFAR_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]


def idx_bytes(array):
    """The IDX encoding of a uint8 array."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.tobytes()


def write_mnist(root, folder="MNIST", sizes=(5, 3), seed=0):
    """IDX files for a train and a test split of ``sizes`` images in ``root/folder/raw``; returns the arrays."""
    rng = np.random.default_rng(seed)
    raw = pathlib.Path(root) / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for prefix, n in zip(("train", "t10k"), sizes):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            data = idx_bytes(array)
            (raw / f"{prefix}-{kind}-ubyte").write_bytes(data)
            (raw / f"{prefix}-{kind}-ubyte.gz").write_bytes(gzip.compress(data))
        arrays[prefix] = (images, labels)
    return arrays


def write_cifar10(root, per_batch=2, seed=0):
    """A CIFAR-10 folder with ``per_batch`` images in each of the six batches; returns the arrays and md5 sums."""
    rng = np.random.default_rng(seed)
    folder = pathlib.Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    arrays, md5 = {}, {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch).tolist()
        (folder / name).write_bytes(
            pickle.dumps({"batch_label": name, "data": data, "labels": labels})
        )
        arrays[name] = (data.reshape(per_batch, 3, 32, 32), labels)
    (folder / "batches.meta").write_bytes(
        pickle.dumps({"label_names": CIFAR_NAMES, "num_vis": 3072})
    )
    for path in folder.iterdir():
        md5[path.name] = hashlib.md5(path.read_bytes()).hexdigest()
    return arrays, md5
