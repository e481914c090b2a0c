"""AlexNet: parameter counts, torchvision's state_dict layout, the paper's two-GPU groups and LRN."""

import pytest
import torch
from torch import nn

from coursekit.models.alexnet import AlexNet, alexnet
from nn_strategies import assert_empty_batch

META = torch.device("meta")

# torchvision.models.alexnet().state_dict(): key -> shape, in order
TORCHVISION_KEYS = {
    "features.0.weight": (64, 3, 11, 11),
    "features.0.bias": (64,),
    "features.3.weight": (192, 64, 5, 5),
    "features.3.bias": (192,),
    "features.6.weight": (384, 192, 3, 3),
    "features.6.bias": (384,),
    "features.8.weight": (256, 384, 3, 3),
    "features.8.bias": (256,),
    "features.10.weight": (256, 256, 3, 3),
    "features.10.bias": (256,),
    "classifier.1.weight": (4096, 9216),
    "classifier.1.bias": (4096,),
    "classifier.4.weight": (4096, 4096),
    "classifier.4.bias": (4096,),
    "classifier.6.weight": (1000, 4096),
    "classifier.6.bias": (1000,),
}


def count(model):
    return sum(p.numel() for p in model.parameters())


class TestAlexnet:
    def test_parameter_counts(self):
        assert count(alexnet(device=META)) == 60_965_224
        assert count(alexnet(variant="torchvision", device=META)) == 61_100_840

    def test_torchvision_state_dict_keys_and_shapes(self):
        state = alexnet(variant="torchvision", device=META).state_dict()
        assert list(state) == list(TORCHVISION_KEYS)
        assert {k: tuple(v.shape) for k, v in state.items()} == TORCHVISION_KEYS

    def test_loads_a_torchvision_state_dict(self):
        model = alexnet(variant="torchvision", num_classes=3, device=META)
        state = {k: torch.zeros(s, device=META) for k, s in TORCHVISION_KEYS.items()}
        state["classifier.6.weight"] = torch.zeros(3, 4096, device=META)
        state["classifier.6.bias"] = torch.zeros(3, device=META)
        model.load_state_dict(state)

    def test_paper_variant_is_split_over_two_gpus(self):
        convs = [m for m in alexnet(device=META).features if isinstance(m, nn.Conv2d)]
        assert [c.out_channels for c in convs] == [96, 256, 384, 384, 256]
        assert [c.groups for c in convs] == [1, 2, 1, 2, 2]
        assert convs[0].kernel_size == (11, 11) and convs[0].stride == (4, 4)
        assert (
            sum(
                isinstance(m, nn.LocalResponseNorm)
                for m in alexnet(device=META).modules()
            )
            == 2
        )

    def test_paper_lrn_is_the_papers_formula(self):
        lrn = next(
            m
            for m in alexnet(device=META).modules()
            if isinstance(m, nn.LocalResponseNorm)
        )
        a = torch.rand(1, 9, 3, 3, dtype=torch.float64)
        square = a**2
        expected = torch.empty_like(a)
        # b = a / (k + alpha * sum over n = 5 neighbouring channels of a^2)^beta
        for c in range(9):
            window = square[:, max(0, c - 2) : c + 3].sum(1)
            expected[:, c] = a[:, c] / (2 + 1e-4 * window) ** 0.75
        torch.testing.assert_close(lrn(a), expected)

    @pytest.mark.parametrize("variant", ["paper", "torchvision"])
    def test_output_shape_224(self, variant):
        model = alexnet(num_classes=7, variant=variant, device=META)
        assert model(torch.empty(2, 3, 224, 224, device=META)).shape == (2, 7)

    def test_torchvision_variant_takes_other_sizes(self):
        model = alexnet(variant="torchvision", device=META)
        assert model(torch.empty(1, 3, 100, 130, device=META)).shape == (1, 1000)

    def test_forward_on_real_tensors(self, device):
        torch.manual_seed(0)
        model = AlexNet(num_classes=5, variant="torchvision", device=device).eval()
        out = model(torch.rand(1, 3, 63, 63, device=device))
        assert (
            out.shape == (1, 5)
            and out.device.type == device.type
            and torch.isfinite(out).all()
        )

    @pytest.mark.parametrize("variant, size", [("paper", 224), ("torchvision", 63)])
    def test_empty_batch(self, device, variant, size):
        model = AlexNet(num_classes=5, variant=variant, device=device)
        assert assert_empty_batch(model, (3, size, size), device).shape == (0, 5)

    def test_dtype_and_device(self):
        model = alexnet(variant="torchvision", device=META, dtype=torch.float64)
        assert {p.dtype for p in model.parameters()} == {torch.float64}

    def test_paper_variant_needs_224(self):
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(N, 3, 224, 224\); got \(1, 3, 227, 227\)",
        ):
            alexnet(device=META)(torch.empty(1, 3, 227, 227, device=META))

    def test_wrong_channels(self):
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(N, 3, H, W\); got \(1, 1, 64, 64\)",
        ):
            alexnet(variant="torchvision", device=META)(
                torch.empty(1, 1, 64, 64, device=META)
            )

    def test_unknown_variant(self):
        with pytest.raises(
            ValueError,
            match="variant must be one of 'paper', 'torchvision'; got 'caffe'",
        ):
            alexnet(variant="caffe")

    @pytest.mark.parametrize(
        "bad, error, message",
        [
            (0, ValueError, "num_classes must be >= 1; got 0"),
            (2.5, TypeError, "num_classes must be an int; got float 2.5"),
        ],
    )
    def test_bad_num_classes(self, bad, error, message):
        with pytest.raises(error, match=message):
            alexnet(num_classes=bad, device=META)
