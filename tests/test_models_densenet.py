"""DenseNet: torchvision's layout and function for densenet121, the small network for digits."""

import pytest
import torch
from torch import nn

from coursekit._torchvision import import_torchvision
from coursekit.models.densenet import DenseBlock, densenet121, densenet_small
from coursekit.models.small import layer_classes

META = torch.device("meta")


def count(model):
    return sum(p.numel() for p in model.parameters())


class TestDensenet121:
    def test_parameter_count_and_weighted_layers(self):
        model = densenet121(device=META)
        assert count(model) == 7_978_856
        weighted = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        assert len(weighted) == 121

    def test_same_keys_order_and_shapes_as_torchvision(self):
        ours = densenet121(device=META).state_dict()
        theirs = import_torchvision().models.densenet121().state_dict()
        assert [(k, tuple(v.shape)) for k, v in ours.items()] == [
            (k, tuple(v.shape)) for k, v in theirs.items()
        ]

    @pytest.mark.parametrize("train", [False, True])
    def test_same_function_as_torchvision(self, device, train):
        torch.manual_seed(0)
        theirs = (
            import_torchvision()
            .models.densenet121(num_classes=7)
            .to(device=device, dtype=torch.float64)
        )
        with torch.no_grad():  # non-trivial batch norms
            for m in theirs.modules():
                if isinstance(m, nn.BatchNorm2d):
                    (
                        m.weight.uniform_(0.5, 1.5),
                        m.bias.normal_(),
                        m.running_mean.normal_(),
                    )
                    m.running_var.uniform_(0.5, 2.0)
        ours = densenet121(num_classes=7, device=device, dtype=torch.float64)
        ours.load_state_dict(theirs.state_dict())
        ours.train(train), theirs.train(train)
        x = torch.randn(2, 3, 64, 64, dtype=torch.float64, device=device)
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-10, atol=1e-10)

    def test_channels_grow_by_the_growth_rate(self):
        features = densenet121(device=META).features
        x = torch.empty(1, 64, 56, 56, device=META)
        assert features.denseblock1(x).shape[1] == 64 + 6 * 32
        assert features.transition1.conv.out_channels == (64 + 6 * 32) // 2

    def test_bad_num_classes(self):
        with pytest.raises(ValueError, match="num_classes must be >= 1; got 0"):
            densenet121(num_classes=0)

    def test_wrong_input(self):
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(N, 3, H, W\); got \(1, 1, 28, 28\)",
        ):
            densenet121(device=META)(torch.empty(1, 1, 28, 28, device=META))


class TestDensenetSmall:
    def test_shapes_and_count(self, device):
        torch.manual_seed(0)
        model = densenet_small(device=device)
        assert count(model) == 32_350
        out = model(torch.rand(3, 1, 28, 28, device=device))
        assert out.shape == (3, 10) and out.device.type == device.type

    def test_block_output_concatenates_its_input(self):
        # 2 layers, 4 channels in, growth 3
        block = DenseBlock(2, 4, 3, 2, layer_classes("torch"), {})
        x = torch.randn(1, 4, 5, 5)
        out = block(x)
        assert out.shape == (1, 4 + 2 * 3, 5, 5) and torch.equal(out[:, :4], x)

    def test_coursekit_layers_compute_the_same(self):
        torch.manual_seed(0)
        ref = densenet_small(dtype=torch.float64)
        ours = densenet_small(layers="coursekit", dtype=torch.float64)
        assert [
            type(m).__module__.split(".")[0]
            for m in ours.features.denseblock1.denselayer1.children()
        ] == ["coursekit", "torch", "coursekit", "coursekit", "torch", "coursekit"]
        ours.load_state_dict(ref.state_dict())
        x = torch.rand(4, 1, 16, 16, dtype=torch.float64)
        torch.testing.assert_close(ours(x), ref(x))  # training mode: batch statistics
        torch.testing.assert_close(ours.eval()(x), ref.eval()(x))

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            ({"growth_rate": 0}, ValueError, "growth_rate must be >= 1; got 0"),
            ({"block_config": (2, 0)}, ValueError, "block_config must be >= 1; got 0"),
            (
                {"layers": "keras"},
                ValueError,
                r"layers must be one of 'torch', 'coursekit'; got 'keras'",
            ),
            (
                {"method": "fft"},
                ValueError,
                "method applies only to layers='coursekit'",
            ),
            ({"in_channels": 1.0}, TypeError, "in_channels must be an int; got float"),
        ],
    )
    def test_bad_arguments(self, kwargs, error, message):
        with pytest.raises(error, match=message):
            densenet_small(**kwargs)
