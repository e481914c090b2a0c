"""ResNets: parameter counts, torchvision's state_dict layout, blocks, and the small plain/residual pair."""

import pytest
import torch
from torch import nn

from coursekit.models.resnet import (
    BasicBlock,
    Bottleneck,
    resnet18,
    resnet34,
    resnet50,
    resnet_small,
)
from nn_strategies import assert_empty_batch

META = torch.device("meta")
BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def count(model):
    return sum(p.numel() for p in model.parameters())


def block_keys(prefix, convs, downsample):
    keys = []
    for i in range(1, convs + 1):
        keys += [f"{prefix}.conv{i}.weight"] + [f"{prefix}.bn{i}.{n}" for n in BN]
    if downsample:
        keys += [f"{prefix}.downsample.0.weight"] + [
            f"{prefix}.downsample.1.{n}" for n in BN
        ]
    return keys


def torchvision_keys(layers, convs, first_downsample):
    keys = ["conv1.weight"] + [f"bn1.{n}" for n in BN]
    for stage, blocks in enumerate(layers, start=1):
        for b in range(blocks):
            keys += block_keys(
                f"layer{stage}.{b}", convs, b == 0 and (stage > 1 or first_downsample)
            )
    return keys + ["fc.weight", "fc.bias"]


class TestResnet:
    @pytest.mark.parametrize(
        "build, expected",
        [(resnet18, 11_689_512), (resnet34, 21_797_672), (resnet50, 25_557_032)],
    )
    def test_parameter_counts(self, build, expected):
        assert count(build(device=META)) == expected

    @pytest.mark.parametrize(
        "build, layers, convs, first",
        [
            (resnet18, (2, 2, 2, 2), 2, False),
            (resnet34, (3, 4, 6, 3), 2, False),
            (resnet50, (3, 4, 6, 3), 3, True),
        ],
    )
    def test_state_dict_keys(self, build, layers, convs, first):
        assert list(build(device=META).state_dict()) == torchvision_keys(
            layers, convs, first
        )

    def test_known_shapes(self):
        state = resnet18(device=META).state_dict()
        assert state["conv1.weight"].shape == (64, 3, 7, 7)
        assert state["layer2.0.conv1.weight"].shape == (128, 64, 3, 3)
        assert state["layer2.0.downsample.0.weight"].shape == (128, 64, 1, 1)
        assert state["fc.weight"].shape == (1000, 512)
        state = resnet50(device=META).state_dict()
        assert state["layer1.0.conv1.weight"].shape == (64, 64, 1, 1)
        assert state["layer1.0.conv3.weight"].shape == (256, 64, 1, 1)
        assert state["layer1.0.downsample.0.weight"].shape == (256, 64, 1, 1)
        assert state["layer4.2.conv3.weight"].shape == (2048, 512, 1, 1)
        assert state["fc.weight"].shape == (1000, 2048)

    def test_bottleneck_strides_its_3x3(self):
        block = resnet50(device=META).layer2[0]
        assert block.conv1.stride == (1, 1) and block.conv2.stride == (2, 2)

    @pytest.mark.parametrize("build", [resnet18, resnet34, resnet50])
    def test_output_shape_224(self, build):
        assert build(num_classes=10, device=META)(
            torch.empty(2, 3, 224, 224, device=META)
        ).shape == (2, 10)

    def test_forward_on_real_tensors(self, device):
        torch.manual_seed(0)
        out = resnet18(num_classes=3, device=device).eval()(
            torch.rand(1, 3, 32, 32, device=device)
        )
        assert (
            out.shape == (1, 3)
            and out.device.type == device.type
            and torch.isfinite(out).all()
        )

    def test_empty_batch(self, device):
        assert assert_empty_batch(
            resnet18(num_classes=3, device=device), (3, 32, 32), device
        ).shape == (0, 3)

    def test_bad_num_classes(self):
        with pytest.raises(ValueError, match="num_classes must be >= 1; got 0"):
            resnet50(num_classes=0)

    def test_wrong_input(self):
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(N, 3, H, W\); got \(1, 1, 28, 28\)",
        ):
            resnet18(device=META)(torch.empty(1, 1, 28, 28, device=META))


class TestBlocks:
    def test_basic_block_adds_its_input(self, device):
        block = BasicBlock(4, 4, device=device).eval()
        nn.init.zeros_(block.conv2.weight)  # the residual branch now outputs bn2(0) = 0
        x = torch.randn(2, 4, 5, 5, device=device)
        torch.testing.assert_close(block(x), torch.relu(x))

    def test_plain_block_does_not(self, device):
        block = BasicBlock(4, 4, residual=False, device=device).eval()
        nn.init.zeros_(block.conv2.weight)
        assert block(torch.randn(2, 4, 5, 5, device=device)).abs().max() == 0

    def test_bottleneck_shape(self, device):
        block = Bottleneck(16, 8, stride=2, device=device)
        assert block(torch.randn(2, 16, 6, 6, device=device)).shape == (2, 32, 3, 3)


class TestResnetSmall:
    @pytest.mark.parametrize("depth", [8, 14, 20])
    def test_depth_counts_weighted_layers(self, depth):
        model = resnet_small(depth, residual=False)
        assert (
            sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules()) == depth
        )

    def test_residual_adds_only_projections(self):
        plain, residual = resnet_small(14, residual=False), resnet_small(14)
        # two 1x1 convolutions, their batch norms' scale and shift
        projections = (8 * 16 + 2 * 16) + (16 * 32 + 2 * 32)
        assert count(residual) - count(plain) == projections

    @pytest.mark.parametrize("residual", [True, False])
    def test_forward_digits(self, device, residual):
        torch.manual_seed(0)
        model = resnet_small(8, num_classes=10, residual=residual, device=device)
        out = model(torch.rand(4, 1, 28, 28, device=device))
        assert out.shape == (4, 10) and out.device.type == device.type

    def test_gradcheck(self):
        torch.manual_seed(0)
        model = resnet_small(8, num_classes=3, width=2, dtype=torch.float64).eval()
        x = torch.rand(1, 1, 8, 8, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(model, (x,))

    @pytest.mark.parametrize("batch_norm", [True, False])
    def test_empty_batch(self, device, batch_norm):
        model = resnet_small(8, num_classes=10, batch_norm=batch_norm, device=device)
        assert assert_empty_batch(model, (1, 28, 28), device).shape == (0, 10)

    def test_without_batch_norm(self):
        model = resnet_small(8, batch_norm=False)
        assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())

    def test_depth_must_be_6n_plus_2(self):
        with pytest.raises(
            ValueError, match=r"depth must be 6n \+ 2 \(8, 14, 20, 32, ...\); got 10"
        ):
            resnet_small(10)

    def test_depth_minimum(self):
        with pytest.raises(ValueError, match="depth must be >= 8; got 2"):
            resnet_small(2)

    def test_residual_must_be_bool(self):
        with pytest.raises(TypeError, match="residual must be a bool; got str 'no'"):
            resnet_small(8, residual="no")

    def test_wrong_channels(self):
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(N, 1, H, W\); got \(1, 3, 28, 28\)",
        ):
            resnet_small(8)(torch.rand(1, 3, 28, 28))
