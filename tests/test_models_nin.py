"""Network in network: layout, shapes, global average pooling, both kinds of layers."""

import pytest
import torch
from torch import nn

from coursekit.models.nin import nin


class TestNin:
    def test_layout_and_count(self):
        model = nin()
        assert [name for name, _ in model.named_children()] == [
            "block1",
            "pool1",
            "block2",
            "pool2",
            "block3",
            "gap",
            "flatten",
        ]
        assert sum(p.numel() for p in model.parameters()) == 104_266
        # no dense layer at all
        assert not any(isinstance(m, nn.Linear) for m in model.modules())
        one_by_one = [
            m
            for m in model.modules()
            if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1)
        ]
        assert len(one_by_one) == 6

    def test_class_maps_then_average(self, device):
        torch.manual_seed(0)
        model = nin(num_classes=5, device=device)
        x = torch.rand(2, 1, 28, 28, device=device)
        # last block: one 7x7 map per class
        maps = nn.Sequential(*list(model.children())[:5])(x)
        assert maps.shape == (2, 5, 7, 7)
        torch.testing.assert_close(model(x), maps.mean((2, 3)))

    def test_batch_norm(self):
        model = nin(batch_norm=True, layers="coursekit")
        norms = [m for m in model.modules() if type(m).__name__ == "BatchNorm2d"]
        convs = [m for m in model.modules() if type(m).__name__ == "Conv2d"]
        assert len(norms) == 8 and [c.bias is None for c in convs] == [True] * 8 + [
            False
        ]
        ref = nin(batch_norm=True)
        assert {k: v.shape for k, v in model.state_dict().items()} == {
            k: v.shape for k, v in ref.state_dict().items()
        }

    def test_he_initialization(self):
        torch.manual_seed(0)
        conv = nin().block2[0]  # 5x5, 32 => 64: fan_in 800
        assert (
            abs(float(conv.weight.detach().var()) * 800 / 2 - 1) < 0.05
            and not conv.bias.any()
        )

    def test_any_input_size(self):
        model = nin(in_channels=3)
        assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 10)
        assert model(torch.zeros(1, 3, 5, 9)).shape == (1, 10)

    def test_coursekit_layers_compute_the_same(self):
        torch.manual_seed(0)
        ref, ours = (
            nin(dtype=torch.float64),
            nin(layers="coursekit", method="direct", dtype=torch.float64),
        )
        ours.load_state_dict(ref.state_dict())
        x = torch.rand(2, 1, 12, 12, dtype=torch.float64)
        torch.testing.assert_close(ours(x), ref(x))

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            ({"num_classes": 0}, ValueError, "num_classes must be >= 1; got 0"),
            ({"in_channels": 0}, ValueError, "in_channels must be >= 1; got 0"),
            (
                {"layers": "jax"},
                ValueError,
                r"layers must be one of 'torch', 'coursekit'; got 'jax'",
            ),
            ({"batch_norm": 1}, TypeError, "batch_norm must be a bool; got int 1"),
        ],
    )
    def test_bad_arguments(self, kwargs, error, message):
        with pytest.raises(error, match=message):
            nin(**kwargs)

    def test_wrong_input(self):
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(N, 1, H, W\); got \(2, 3, 28, 28\)",
        ):
            nin()(torch.zeros(2, 3, 28, 28))
