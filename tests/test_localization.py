"""Object localization: the masked loss (against torch's MSE), the synthetic data, box IoU, training."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from coursekit.localization import (
    box_iou,
    localization_loss,
    synthetic_localization,
    train_localizer,
)


def random_batch(n, k, seed, device="cpu", dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    input = torch.randn(n, 5 + k, generator=generator, dtype=dtype).to(device)
    target = torch.rand(n, 5 + k, generator=generator, dtype=dtype).to(device)
    target[:, 0] = (torch.rand(n, generator=generator) < 0.5).to(dtype)
    return input, target


class TestLocalizationLoss:
    @given(n=st.integers(1, 6), k=st.integers(1, 3), seed=st.integers(0, 2**16))
    def test_matches_mse(self, n, k, seed):
        input, target = random_batch(n, k, seed)
        mse = torch.nn.functional.mse_loss
        expected = torch.stack(
            [
                mse(i, t, reduction="sum") if t[0] == 1 else mse(i[0], t[0])
                for i, t in zip(input, target)
            ]
        )
        torch.testing.assert_close(
            localization_loss(input, target, reduction="none"), expected
        )
        torch.testing.assert_close(localization_loss(input, target), expected.mean())
        torch.testing.assert_close(
            localization_loss(input, target, reduction="sum"), expected.sum()
        )

    def test_dont_care_entries_are_ignored(self):
        input = torch.tensor([[0.2, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]])
        target = torch.tensor([[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
        torch.testing.assert_close(localization_loss(input, target), torch.tensor(0.04))

    def test_device_dtype_and_gradcheck(self, device):
        input, target = random_batch(4, 2, 0, device, torch.float64)
        out = localization_loss(input, target)
        assert out.device.type == device.type and out.dtype == torch.float64
        if device.type == "cpu":
            assert torch.autograd.gradcheck(
                lambda x: localization_loss(x, target), (input.requires_grad_(),)
            )

    def test_shapes_must_match(self):
        with pytest.raises(
            ValueError,
            match=r"input and target must have the same shape \(N, 5 \+ K\) with K >= 1; "
            r"got \(2, 7\) and \(2, 6\)",
        ):
            localization_loss(torch.zeros(2, 7), torch.zeros(2, 6))

    def test_needs_a_class(self):
        with pytest.raises(ValueError, match=r"got \(2, 5\) and \(2, 5\)"):
            localization_loss(torch.zeros(2, 5), torch.zeros(2, 5))

    def test_tensors_only(self):
        with pytest.raises(TypeError, match="target must be a torch.Tensor; got list"):
            localization_loss(torch.zeros(1, 7), [0.0] * 7)

    def test_reduction(self):
        with pytest.raises(
            ValueError,
            match="reduction must be one of 'mean', 'sum', 'none'; got 'max'",
        ):
            localization_loss(torch.zeros(1, 7), torch.zeros(1, 7), reduction="max")


@pytest.fixture(scope="module")
def data():
    return synthetic_localization(60, canvas=24, classes=(3, 7), sizes=(8, 12), seed=2)


class TestSyntheticLocalization:
    def test_shapes_and_ranges(self, data):
        images, targets = data.tensors
        assert images.shape == (60, 1, 24, 24) and targets.shape == (60, 7)
        assert images.dtype == torch.float32 and 0 <= images.min() and images.max() <= 1

    def test_boxes_frame_the_ink(self, data):
        images, targets = data.tensors
        for image, target in zip(images, targets):
            if target[0] == 0:
                assert image.abs().sum() == 0 and target.abs().sum() == 0
                continue
            x, y, w, h = (round(float(v) * 24) for v in target[1:5])
            assert 8 <= w == h <= 12 and x + w <= 24 and y + h <= 24
            inside = torch.zeros_like(image, dtype=torch.bool)
            inside[:, y : y + h, x : x + w] = True
            assert image[~inside].abs().sum() == 0 and image[inside].sum() > 0
            assert target[5:].sum() == 1

    def test_share_of_objects(self):
        targets = synthetic_localization(400, p_object=0.5, seed=0).tensors[1]
        assert 0.4 < float(targets[:, 0].mean()) < 0.6

    def test_repeatable(self):
        a, b = synthetic_localization(5, seed=3), synthetic_localization(5, seed=3)
        assert all(torch.equal(x, y) for x, y in zip(a.tensors, b.tensors))

    def test_classes(self):
        with pytest.raises(
            ValueError, match=r"classes must be distinct digits 0..9; got \[1, 1\]"
        ):
            synthetic_localization(3, classes=(1, 1))

    def test_p_object(self):
        with pytest.raises(
            ValueError, match="p_object must be a number in \\[0, 1\\]; got 1.5"
        ):
            synthetic_localization(3, p_object=1.5)

    def test_sizes(self):
        with pytest.raises(
            ValueError,
            match=r"sizes must satisfy 4 <= smallest <= largest <= canvas = 16; "
            r"got \(10, 20\)",
        ):
            synthetic_localization(3, canvas=16, sizes=(10, 20))

    def test_sizes_pair(self):
        with pytest.raises(
            ValueError,
            match=r"sizes must be a pair \(smallest, largest\); got \(1, 2, 3\)",
        ):
            synthetic_localization(3, sizes=(1, 2, 3))

    def test_split(self):
        with pytest.raises(
            ValueError, match="split must be one of 'train', 'test'; got 'all'"
        ):
            synthetic_localization(3, split="all")


class TestBoxIou:
    def test_hand_values(self):
        a = torch.tensor(
            [
                [0.0, 0.0, 2.0, 2.0],
                [0.0, 0.0, 1.0, 1.0],
                [0.0, 0.0, 2.0, 2.0],
                [0.0, 0.0, 0.0, 0.0],
            ]
        )
        b = torch.tensor(
            [
                [0.0, 0.0, 2.0, 2.0],
                [2.0, 2.0, 1.0, 1.0],
                [1.0, 0.0, 2.0, 2.0],
                [0.0, 0.0, 0.0, 0.0],
            ]
        )
        torch.testing.assert_close(box_iou(a, b), torch.tensor([1.0, 0.0, 1 / 3, 0.0]))

    @given(st.lists(st.floats(0, 5), min_size=8, max_size=8))
    def test_symmetric_and_bounded(self, values):
        a, b = torch.tensor([values[:4]]), torch.tensor([values[4:]])
        iou = box_iou(a, b)
        torch.testing.assert_close(iou, box_iou(b, a))
        assert 0 <= float(iou) <= 1 + 1e-6

    def test_shapes(self):
        message = r"boxes1 and boxes2 must both have shape \(N, 4\); got \(1, 4\) and \(1, 3\)"
        with pytest.raises(ValueError, match=message):
            box_iou(torch.zeros(1, 4), torch.zeros(1, 3))

    def test_tensors_only(self):
        with pytest.raises(TypeError, match="boxes2 must be a torch.Tensor; got list"):
            box_iou(torch.zeros(1, 4), [[0, 0, 1, 1]])


class TestTrainLocalizer:
    def test_loss_decreases(self):
        torch.manual_seed(0)
        data = synthetic_localization(64, canvas=12, sizes=(6, 8))
        model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(144, 7))
        losses = train_localizer(model, data, epochs=4, lr=0.01, batch_size=16)
        assert len(losses) == 4 and losses[-1] < losses[0]

    def test_model_must_be_a_module(self):
        with pytest.raises(TypeError, match="model must be a torch.nn.Module; got str"):
            train_localizer("cnn", synthetic_localization(2), epochs=1)

    def test_epochs(self):
        with pytest.raises(ValueError, match="epochs must be >= 1; got 0"):
            train_localizer(torch.nn.Linear(2, 7), synthetic_localization(2), epochs=0)
