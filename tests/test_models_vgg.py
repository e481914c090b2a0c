"""VGG: parameter counts, torchvision's state_dict layout, the VGG19 layer list of the book."""

import pytest
import torch
from torch import nn

from coursekit.models.vgg import VGG, vgg, vgg11, vgg16, vgg19
from nn_strategies import assert_empty_batch

META = torch.device("meta")


def count(model):
    return sum(p.numel() for p in model.parameters())


def conv_keys(indices, batch_norm=False):
    keys = []
    for i in indices:
        keys += [f"features.{i}.weight", f"features.{i}.bias"]
        if batch_norm:
            keys += [
                f"features.{i + 1}.{n}"
                for n in (
                    "weight",
                    "bias",
                    "running_mean",
                    "running_var",
                    "num_batches_tracked",
                )
            ]
    return keys + [f"classifier.{i}.{n}" for i in (0, 3, 6) for n in ("weight", "bias")]


class TestVgg:
    @pytest.mark.parametrize(
        "depth, expected", [(11, 132_863_336), (16, 138_357_544), (19, 143_667_240)]
    )
    def test_parameter_counts(self, depth, expected):
        assert count(vgg(depth, device=META)) == expected

    @pytest.mark.parametrize(
        "build, expected",
        [(vgg11, 132_868_840), (vgg16, 138_365_992), (vgg19, 143_678_248)],
    )
    def test_batch_norm_counts(self, build, expected):
        assert count(build(batch_norm=True, device=META)) == expected

    def test_vgg16_state_dict_keys(self):
        state = vgg16(device=META).state_dict()
        assert list(state) == conv_keys(
            [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
        )
        assert state["features.28.weight"].shape == (512, 512, 3, 3)
        assert state["classifier.0.weight"].shape == (4096, 25088)
        assert state["classifier.6.weight"].shape == (1000, 4096)

    def test_vgg16_bn_state_dict_keys(self):
        state = vgg16(batch_norm=True, device=META).state_dict()
        assert list(state) == conv_keys(
            [0, 3, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40], batch_norm=True
        )

    def test_vgg11_state_dict_keys(self):
        assert list(vgg11(device=META).state_dict()) == conv_keys(
            [0, 3, 6, 8, 11, 13, 16, 18]
        )

    def test_vgg19_layer_list(self):
        model = vgg19(device=META)
        convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
        assert len(convs) == 16 and all(
            c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs
        )
        assert [c.out_channels for c in convs] == [64] * 2 + [128] * 2 + [256] * 4 + [
            512
        ] * 8
        assert sum(isinstance(m, nn.MaxPool2d) for m in model.features) == 5
        assert model.classifier[0].in_features == 25_088 == 7 * 7 * 512

    def test_features_give_7x7x512(self):
        assert vgg19(device=META).features(
            torch.empty(1, 3, 224, 224, device=META)
        ).shape == (1, 512, 7, 7)

    @pytest.mark.parametrize("build", [vgg11, vgg16, vgg19])
    def test_output_shape(self, build):
        assert build(num_classes=10, device=META)(
            torch.empty(2, 3, 224, 224, device=META)
        ).shape == (2, 10)

    def test_forward_on_real_tensors(self, device):
        torch.manual_seed(0)
        model = VGG(11, num_classes=4, batch_norm=True, device=device).eval()
        out = model(torch.rand(1, 3, 32, 32, device=device))
        assert (
            out.shape == (1, 4)
            and out.device.type == device.type
            and torch.isfinite(out).all()
        )
        # and a batch of none
        assert assert_empty_batch(model, (3, 32, 32), device).shape == (0, 4)

    def test_unknown_depth(self):
        with pytest.raises(ValueError, match="depth must be one of 11, 16, 19; got 13"):
            vgg(13)

    def test_batch_norm_must_be_bool(self):
        with pytest.raises(TypeError, match="batch_norm must be a bool; got str 'yes'"):
            vgg16(batch_norm="yes", device=META)

    def test_bad_num_classes(self):
        with pytest.raises(ValueError, match="num_classes must be >= 1; got -1"):
            vgg19(num_classes=-1, device=META)

    def test_wrong_input(self):
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(N, 3, H, W\); got \(3, 224, 224\)",
        ):
            vgg11(device=META)(torch.empty(3, 224, 224, device=META))
