import numpy as np
import pytest
import torch

from coursekit import data


class TestDigits:
    def test_split_is_stratified_and_complete(self):
        train_x, train_y = data.digits(split="train", format="tensors")
        test_x, test_y = data.digits(split="test", format="tensors")
        assert train_x.shape[1:] == (1, 28, 28) and train_x.dtype == torch.float32
        assert len(train_y) + len(test_y) == 1797
        share = torch.bincount(test_y, minlength=10) / torch.bincount(torch.cat([train_y, test_y]), minlength=10)
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
            ({"split": "validation"}, ValueError, r"split must be one of 'train', 'test', 'all'; got 'validation'"),
            ({"format": "numpy"}, ValueError, "format must be one of 'dataset', 'tensors'"),
            ({"test_fraction": 1.5}, ValueError, "test_fraction must be a number strictly between 0 and 1"),
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
        np.testing.assert_allclose(grey, 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2])

    def test_mri(self):
        img = data.photo("mri")
        assert img.shape == (256, 256) and img.max() == 1.0

    def test_unknown_name(self):
        with pytest.raises(ValueError, match=r"name must be one of 'grace_hopper', 'mri'; got 'lena'"):
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
