import os
import re

import numpy as np
import pytest
import torch

import dataset_files
from coursekit import data
from coursekit._torchvision import import_torchvision


class TestDigits:
    def test_split_is_stratified_and_complete(self):
        train_x, train_y = data.digits(split="train", format="tensors")
        test_x, test_y = data.digits(split="test", format="tensors")
        assert train_x.shape[1:] == (1, 28, 28) and train_x.dtype == torch.float32
        assert len(train_y) + len(test_y) == 1797
        share = torch.bincount(test_y, minlength=10) / torch.bincount(
            torch.cat([train_y, test_y]), minlength=10
        )
        assert torch.all((share - 0.25).abs() < 0.02)

    def test_train_and_test_are_disjoint(self):
        all_x, _ = data.digits(size=8, split="all", format="tensors")
        train_x, _ = data.digits(size=8, split="train", format="tensors", seed=3)
        test_x, _ = data.digits(size=8, split="test", format="tensors", seed=3)
        flat = {tuple(v.tolist()) for v in all_x.flatten(1)}
        assert len(train_x) + len(test_x) == len(all_x)
        # every image comes from the full set
        assert all(tuple(v.tolist()) in flat for v in test_x.flatten(1)[:20])

    def test_seed_changes_split_and_is_repeatable(self):
        a = data.digits(split="test", seed=1, format="tensors")[1]
        b = data.digits(split="test", seed=1, format="tensors")[1]
        c = data.digits(split="test", seed=2, size=8, format="tensors")[0]
        d = data.digits(split="test", seed=1, size=8, format="tensors")[0]
        assert torch.equal(a, b)
        assert not torch.equal(c, d)

    def test_values_in_unit_interval(self):
        x, y = data.digits(size=16, split="all", format="tensors")
        assert x.min() >= 0 and x.max() <= 1 and set(y.tolist()) == set(range(10))

    def test_dataset_format(self):
        ds = data.digits(split="test")
        image, label = ds[0]
        assert image.shape == (1, 28, 28) and label.dtype == torch.int64

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            ({"size": 4}, ValueError, "size must be >= 8; got 4"),
            ({"size": 28.0}, TypeError, "size must be an int; got float"),
            (
                {"split": "validation"},
                ValueError,
                r"split must be one of 'train', 'test', 'all'; got 'validation'",
            ),
            (
                {"format": "numpy"},
                ValueError,
                "format must be one of 'dataset', 'tensors'",
            ),
            (
                {"test_fraction": 1.5},
                ValueError,
                "test_fraction must be a number strictly between 0 and 1",
            ),
            ({"seed": -2}, ValueError, "seed must be >= 0"),
        ],
    )
    def test_bad_input(self, kwargs, error, message):
        with pytest.raises(error, match=message):
            data.digits(**kwargs)


class TestPhoto:
    def test_grace_hopper(self):
        img = data.photo("grace_hopper")
        assert img.shape == (600, 512, 3) and img.dtype == np.float64
        assert 0 <= img.min() and img.max() <= 1 and img.std() > 0.1

    def test_grayscale_weights(self):
        rgb = data.photo("grace_hopper")
        grey = data.photo("grace_hopper", grayscale=True)
        np.testing.assert_allclose(
            grey, 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
        )

    def test_mri(self):
        img = data.photo("mri")
        assert img.shape == (256, 256) and img.max() == 1.0

    def test_unknown_name(self):
        with pytest.raises(
            ValueError, match=r"name must be one of 'grace_hopper', 'mri'; got 'lena'"
        ):
            data.photo("lena")

    def test_grayscale_type(self):
        with pytest.raises(TypeError, match="grayscale must be a bool"):
            data.photo("mri", grayscale="yes")


class TestToyImages:
    def test_x_image_is_symmetric_cross(self):
        img = data.x_image()
        assert set(np.unique(img)) == {-1.0, 1.0}
        np.testing.assert_array_equal(img, img.T)
        np.testing.assert_array_equal(img, img[:, ::-1])
        assert (img[0] == -1).all() and (img[:, 0] == -1).all()

    def test_exercise_image(self):
        assert data.exercise_image()[3, 1] == -2


@pytest.fixture
def cifar_checksums(monkeypatch):
    """Make torchvision's CIFAR10 accept the fixture's files (it checks every file's md5 sum)."""
    cls = import_torchvision().datasets.CIFAR10

    def accept(md5):
        monkeypatch.setattr(
            cls,
            "train_list",
            [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)],
        )
        monkeypatch.setattr(cls, "test_list", [["test_batch", md5["test_batch"]]])
        monkeypatch.setattr(cls, "meta", {**cls.meta, "md5": md5["batches.meta"]})

    return accept


class TestRealDatasets:
    @pytest.mark.parametrize(
        "loader, folder", [(data.mnist, "MNIST"), (data.fashion_mnist, "FashionMNIST")]
    )
    def test_reads_idx_files(self, tmp_path, loader, folder):
        arrays = dataset_files.write_mnist(tmp_path, folder)
        for split, prefix in (("train", "train"), ("test", "t10k")):
            ds = loader(split, root=tmp_path)
            images, labels = arrays[prefix]
            assert len(ds) == len(labels)
            image, label = ds[1]
            assert (
                image.dtype == torch.float32
                and image.shape == (1, 28, 28)
                and type(image) is torch.Tensor
            )
            np.testing.assert_allclose(image[0].numpy(), images[1] / 255, atol=1e-6)
            assert label == labels[1]

    def test_reads_cifar10(self, tmp_path, cifar_checksums):
        arrays, md5 = dataset_files.write_cifar10(tmp_path)
        cifar_checksums(md5)
        train, test = data.cifar10(root=tmp_path), data.cifar10("test", root=tmp_path)
        assert len(train) == 10 and len(test) == 2 and train.classes[3] == "cat"
        image, label = train[2]  # the first image of data_batch_2
        assert image.shape == (3, 32, 32) and image.dtype == torch.float32
        np.testing.assert_allclose(
            image.numpy(), arrays["data_batch_2"][0][0] / 255, atol=1e-6
        )
        assert label == arrays["data_batch_2"][1][0]

    def test_trains_in_batches(self, tmp_path):
        dataset_files.write_mnist(tmp_path, sizes=(6, 2))
        images, labels = next(
            iter(torch.utils.data.DataLoader(data.mnist(root=tmp_path), batch_size=4))
        )
        assert images.shape == (4, 1, 28, 28) and labels.dtype == torch.int64

    @pytest.mark.parametrize(
        "loader, name, folder",
        [
            (data.mnist, "MNIST", "MNIST/raw"),
            (data.fashion_mnist, "FashionMNIST", "FashionMNIST/raw"),
            (data.cifar10, "CIFAR10", "cifar-10-batches-py"),
        ],
    )
    def test_offline_error_says_how_to_download(self, tmp_path, loader, name, folder):
        message = (
            rf"{name} is not in {re.escape(str(tmp_path / folder))}\. Download it once \(.*needs the "
            rf"internet\) with coursekit\.data\.{loader.__name__}\(download=True\)"
        )
        with pytest.raises(FileNotFoundError, match=message):
            loader(root=tmp_path)

    def test_download_asks_torchvision(self, tmp_path, monkeypatch):
        cls = import_torchvision().datasets.MNIST
        monkeypatch.setattr(
            cls, "download", lambda self: dataset_files.write_mnist(self.root)
        )
        assert len(data.mnist(root=tmp_path, download=True)) == 5

    def test_default_folder(self, tmp_path, monkeypatch):
        monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path))
        assert data.data_folder() == str(tmp_path)
        dataset_files.write_mnist(tmp_path)
        assert len(data.mnist("test")) == 3
        monkeypatch.delenv("COURSEKIT_DATA")
        assert data.data_folder().endswith(os.path.join(".cache", "coursekit"))

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            (
                {"split": "all"},
                ValueError,
                r"split must be one of 'train', 'test'; got 'all'",
            ),
            ({"download": "yes"}, TypeError, "download must be a bool; got str"),
            (
                {"root": 3},
                TypeError,
                r"root must be a path \(str or os.PathLike\); got int",
            ),
        ],
    )
    def test_bad_input(self, kwargs, error, message):
        with pytest.raises(error, match=message):
            data.mnist(**kwargs)


class TestDatasetSwitch:
    def test_digits_by_default(self, monkeypatch):
        monkeypatch.delenv("COURSEKIT_DATASET", raising=False)
        x, y = data.dataset(split="test")[0]
        assert x.shape == (1, 28, 28) and len(data.dataset(split="test")) == 450

    def test_environment_variable(self, tmp_path, monkeypatch):
        dataset_files.write_mnist(tmp_path, "FashionMNIST")
        monkeypatch.setenv("COURSEKIT_DATASET", "fashion_mnist")
        assert len(data.dataset(root=tmp_path)) == 5
        # a name wins over the variable
        assert len(data.dataset("digits", split="train")) == 1347
        assert (
            data.dataset_name() == "fashion_mnist"
            and data.dataset_name("digits") == "digits"
        )

    def test_digits_size(self, monkeypatch):
        monkeypatch.delenv("COURSEKIT_DATASET", raising=False)
        assert data.dataset(split="test", size=12)[0][0].shape == (1, 12, 12)

    def test_cifar10_keeps_its_size_and_channels(
        self, tmp_path, monkeypatch, cifar_checksums
    ):
        arrays, md5 = dataset_files.write_cifar10(tmp_path)
        cifar_checksums(md5)
        monkeypatch.setenv("COURSEKIT_DATASET", "cifar10")
        monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path))
        train, test = data.dataset(size=16), data.dataset(split="test", size=16)
        assert len(train) == 10 and len(test) == 2
        assert train[0][0].shape == (3, 32, 32) and test[1][0].shape == (3, 32, 32)
        images, labels = data.dataset(split="test", size=16, format="tensors")
        expected, expected_labels = arrays["test_batch"]
        assert images.shape == (2, 3, 32, 32) and images.dtype == torch.float32
        np.testing.assert_allclose(images.numpy(), expected / 255, atol=1e-6)
        assert labels.dtype == torch.int64 and labels.tolist() == expected_labels

    @pytest.mark.parametrize(
        "name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")]
    )
    def test_tensors_of_a_real_dataset(self, tmp_path, monkeypatch, name, folder):
        arrays = dataset_files.write_mnist(tmp_path, folder, sizes=(5, 3))
        monkeypatch.setenv("COURSEKIT_DATASET", name)
        images, labels = data.dataset(root=tmp_path, size=16, format="tensors")
        expected, expected_labels = arrays["train"]
        assert images.shape == (5, 1, 28, 28) and labels.dtype == torch.int64
        np.testing.assert_allclose(images[:, 0].numpy(), expected / 255, atol=1e-6)
        assert labels.tolist() == expected_labels.tolist()

    def test_digits_tensors(self, monkeypatch):
        monkeypatch.delenv("COURSEKIT_DATASET", raising=False)
        images, labels = data.dataset(split="test", size=16, format="tensors")
        expected = data.digits(size=16, split="test", format="tensors")
        assert torch.equal(images, expected[0]) and torch.equal(labels, expected[1])

    def test_unknown_format(self, monkeypatch):
        monkeypatch.delenv("COURSEKIT_DATASET", raising=False)
        with pytest.raises(
            ValueError, match=r"format must be one of 'dataset', 'tensors'; got 'list'"
        ):
            data.dataset(format="list")

    def test_rescaled_digits_are_drawn_at_the_size(self, monkeypatch):
        monkeypatch.delenv("COURSEKIT_DATASET", raising=False)
        for size in (12, 28):
            images, labels = data.rescaled(size).tensors
            expected = data.digits(size=size, split="test", format="tensors")
            assert torch.equal(images, expected[0]) and torch.equal(labels, expected[1])

    def test_rescaled_real_dataset(self, tmp_path, monkeypatch, cifar_checksums):
        arrays, md5 = dataset_files.write_cifar10(tmp_path)
        cifar_checksums(md5)
        monkeypatch.setenv("COURSEKIT_DATASET", "cifar10")
        images, labels = data.rescaled(16, root=tmp_path).tensors
        assert images.shape == (2, 3, 16, 16) and images.dtype == torch.float32
        assert 0 <= float(images.min()) and float(images.max()) <= 1
        assert labels.tolist() == arrays["test_batch"][1]
        # its own size: unchanged
        same = data.rescaled(32, root=tmp_path).tensors[0]
        np.testing.assert_allclose(
            same.numpy(), arrays["test_batch"][0] / 255, atol=1e-6
        )

    @pytest.mark.parametrize(
        "size, error, message",
        [
            (4, ValueError, r"size must be >= 8; got 4"),
            (16.0, TypeError, r"size must be an int; got float 16.0"),
        ],
    )
    def test_rescaled_bad_size(self, size, error, message):
        with pytest.raises(error, match=message):
            data.rescaled(size)

    def test_unknown_name(self, monkeypatch):
        monkeypatch.setenv("COURSEKIT_DATASET", "imagenet")
        with pytest.raises(
            ValueError,
            match=r"COURSEKIT_DATASET must be one of 'digits', 'mnist', "
            r"'fashion_mnist', 'cifar10'; got 'imagenet'",
        ):
            data.dataset()
        with pytest.raises(ValueError, match=r"name must be one of 'digits'"):
            data.dataset("svhn")


class TestTransformed:
    def test_applies_the_transform_on_each_read(self):
        base = torch.utils.data.TensorDataset(
            torch.arange(6.0).reshape(3, 1, 1, 2), torch.tensor([0, 1, 2])
        )
        calls = []
        ds = data.Transformed(base, lambda image: calls.append(1) or image * 10)
        assert len(ds) == 3 and isinstance(ds, torch.utils.data.Dataset)
        image, label = ds[1]
        assert image.tolist() == [[[20.0, 30.0]]] and label == 1
        ds[1]
        assert len(calls) == 2

    def test_with_torchvision_transforms(self):
        import_torchvision()
        from torchvision.transforms import v2

        ds = data.Transformed(
            data.digits(size=16, split="test"), v2.RandomCrop(16, padding=2)
        )
        torch.manual_seed(0)
        a = ds[0][0]
        b = ds[0][0]
        assert a.shape == (1, 16, 16) and not torch.equal(a, b)  # a new crop every read

    def test_bad_arguments(self):
        with pytest.raises(TypeError, match="transform must be callable; got int"):
            data.Transformed(data.digits(size=8, split="test"), 3)
        with pytest.raises(
            TypeError,
            match="dataset must be a Dataset with __getitem__ and __len__; got int",
        ):
            data.Transformed(3, abs)


class TestTransformOnce:
    def test_transforms_every_image_once_in_order(self):
        base = torch.utils.data.TensorDataset(
            torch.arange(6.0).reshape(3, 1, 1, 2), torch.tensor([0, 1, 2])
        )
        calls = []
        moved = data.transform_once(
            base, lambda image: calls.append(1) or image.flip(-1)
        )
        assert len(calls) == 3 and isinstance(moved, torch.utils.data.TensorDataset)
        assert moved.tensors[0].tolist() == [
            [[[1.0, 0.0]]],
            [[[3.0, 2.0]]],
            [[[5.0, 4.0]]],
        ]
        assert (
            moved.tensors[1].tolist() == [0, 1, 2]
            and moved.tensors[1].dtype == torch.int64
        )
        moved[0]
        assert len(calls) == 3  # reading does not transform again

    def test_seeded_torchvision_transform_is_repeatable_and_leaves_the_generator(self):
        import_torchvision()
        from torchvision.transforms import v2

        test = data.digits(size=16, split="test")
        move = v2.RandomAffine(degrees=15, translate=(0.1, 0.1))
        torch.manual_seed(7)
        expected_next = torch.rand(1)
        torch.manual_seed(7)
        a = data.transform_once(test, move, seed=1)
        assert torch.equal(
            torch.rand(1), expected_next
        )  # the global generator is restored
        b = data.transform_once(test, move, seed=1)
        c = data.transform_once(test, move, seed=2)
        assert (
            a.tensors[0].shape == (450, 1, 16, 16)
            and type(a.tensors[0]) is torch.Tensor
        )
        assert torch.equal(a.tensors[0], b.tensors[0]) and not torch.equal(
            a.tensors[0], c.tensors[0]
        )
        assert torch.equal(a.tensors[1], test.tensors[1])

    def test_real_dataset_labels(self, tmp_path):
        dataset_files.write_mnist(tmp_path, sizes=(4, 2))
        moved = data.transform_once(
            data.mnist("test", root=tmp_path), lambda image: 1 - image
        )
        assert (
            moved.tensors[0].shape == (2, 1, 28, 28)
            and moved.tensors[1].dtype == torch.int64
        )

    @pytest.mark.parametrize(
        "args, error, message",
        [
            (
                (3, abs),
                TypeError,
                "dataset must be a Dataset with __getitem__ and __len__; got int",
            ),
            (
                (torch.utils.data.TensorDataset(torch.zeros(0, 1)), abs),
                ValueError,
                "dataset must not be empty",
            ),
            (
                (data.digits(size=8, split="test"), 3),
                TypeError,
                "transform must be callable; got int",
            ),
            (
                (data.digits(size=8, split="test"), lambda image: image.tolist()),
                TypeError,
                "transform must return a tensor; got list",
            ),
            (
                (data.digits(size=8, split="test"), abs, -1),
                ValueError,
                "seed must be >= 0; got -1",
            ),
        ],
    )
    def test_bad_arguments(self, args, error, message):
        with pytest.raises(error, match=message):
            data.transform_once(*args)
