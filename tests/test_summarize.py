"""summary and receptive_field: totals against the published figures and torch's FLOP counter, fields by autograd."""

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from coursekit.models import (
    alexnet,
    googlenet,
    resnet18,
    resnet50,
    resnet_small,
    vgg16,
    vgg19,
)
from coursekit.summarize import Summary, receptive_field, si_format, summary

META = torch.device("meta")


def flops(model, input_size):
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model.eval()(torch.zeros((1,) + input_size, device=META))
    return counter.get_total_flops()


class TestSummary:
    @pytest.mark.parametrize(
        "build, params, macs",
        [
            (resnet18, 11_689_512, 1.82e9),
            (vgg16, 138_357_544, 15.5e9),
            (
                lambda device: alexnet(variant="torchvision", device=device),
                61_100_840,
                0.71e9,
            ),
            (resnet50, 25_557_032, 4.09e9),
            (googlenet, 6_624_904, 1.50e9),
        ],
    )
    def test_published_totals(self, build, params, macs):
        table = summary(build(device=META), (3, 224, 224))
        assert table.total_params == params
        assert table.total_macs == pytest.approx(macs, rel=0.02)

    @pytest.mark.parametrize("build", [resnet18, alexnet, googlenet])
    def test_macs_are_half_torchs_flop_count(self, build):
        model = build(device=META)
        assert 2 * summary(model, (3, 224, 224)).total_macs == flops(
            model, (3, 224, 224)
        )

    @given(
        channels=st.integers(1, 4),
        groups=st.sampled_from([1, 2]),
        kernel=st.integers(1, 3),
        stride=st.integers(1, 2),
        features=st.integers(1, 5),
        batch=st.integers(1, 3),
    )
    def test_macs_match_flop_counter_on_random_nets(
        self, channels, groups, kernel, stride, features, batch
    ):
        model = nn.Sequential(
            nn.Conv2d(2, 2 * channels, kernel, stride, groups=groups),
            nn.ReLU(),
            nn.Flatten(),
            nn.LazyLinear(features),
        )
        model(torch.zeros(1, 2, 7, 7))  # materialize the lazy layer
        table = summary(model, (2, 7, 7), device="cpu", batch_size=batch)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(torch.zeros(batch, 2, 7, 7))
        assert 2 * table.total_macs == counter.get_total_flops()

    def test_rows(self):
        model = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(8 * 4 * 4, 10),
        )
        table = summary(model, (3, 8, 8), batch_size=2)
        assert isinstance(table, Summary) and len(table) == 6
        assert [r.type for r in table] == [
            "Conv2d",
            "BatchNorm2d",
            "ReLU",
            "MaxPool2d",
            "Flatten",
            "Linear",
        ]
        assert table[0].output_shape == (2, 8, 8, 8)
        assert table[0].params == 8 * 3 * 9 + 8 and table[1].params == 16
        assert table[0].macs == 2 * 8 * 8 * 8 * 3 * 9 and table[5].macs == 2 * 128 * 10
        assert table[0].activation_bytes == 2 * 8 * 8 * 8 * 4
        assert table.total_params == sum(r.params for r in table)
        assert table.total_activation_bytes == sum(r.activation_bytes for r in table)
        assert [r.receptive_field for r in table] == [(3, 3)] * 3 + [(4, 4)] * 2 + [
            None
        ]
        assert [r.jump for r in table] == [(1, 1)] * 3 + [(2, 2)] * 2 + [None]

    def test_reused_module_is_listed_per_call_counted_once(self):
        class Twice(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 1, 3, padding=1)

            def forward(self, x):
                return self.conv(self.conv(x))

        table = summary(Twice(), (1, 5, 5))
        assert [r.params for r in table] == [10, 0] and table.total_params == 10
        assert table.total_macs == 2 * 25 * 9

    def test_meta_and_cpu_agree_and_model_is_untouched(self):
        model = resnet_small(8).train()
        weight = model.conv1.weight.clone()
        on_meta, on_cpu = (
            summary(model, (1, 28, 28)),
            summary(model, (1, 28, 28), device="cpu"),
        )
        assert list(on_meta) == list(on_cpu)
        assert model.training and all(m.training for m in model.modules())
        assert model.conv1.weight.device.type == "cpu" and torch.equal(
            model.conv1.weight, weight
        )

    def test_vgg19_table(self):
        table = summary(vgg19(device=META), (3, 224, 224))
        convs = [r for r in table if r.type == "Conv2d"]
        assert len(convs) == 16
        assert next(r for r in table if r.name == "avgpool").output_shape == (
            1,
            512,
            7,
            7,
        )
        assert (
            next(r for r in table if r.name == "classifier.0").params
            == 25_088 * 4096 + 4096
        )

    def test_printing(self):
        table = summary(
            nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2)), (1, 4, 4)
        )
        text = str(table)
        assert text.splitlines()[0].split() == [
            "Layer",
            "Type",
            "Output",
            "shape",
            "Params",
            "MACs",
            "Activations",
            "RF",
            "Jump",
        ]
        assert "1x2x2x2" in text and "global" in text
        assert (
            text.splitlines()[-1]
            == "input 1x1x4x4: 38 parameters, 88 MACs, 72 B of activations"
        )
        assert "<table>" in table._repr_html_() and "38 parameters" in repr(table)

    def test_model_must_be_a_module(self):
        with pytest.raises(
            TypeError, match="model must be a torch.nn.Module; got function"
        ):
            summary(resnet18, (3, 224, 224))

    @pytest.mark.parametrize("bad", [(224, 224), 224, (1, 3, 224, 224, 1)])
    def test_input_size_needs_three_or_four_entries(self, bad):
        with pytest.raises(
            ValueError,
            match=r"input_size must be \(C, H, W\) or \(N, C, H, W\), three or four ints",
        ):
            summary(nn.Identity(), bad)

    def test_batch_first_input_size_as_torchinfo(self):
        model = resnet18(device=META)
        batched = summary(model, (1, 3, 224, 224))
        single = summary(model, (3, 224, 224))
        assert batched.input_shape == single.input_shape == (1, 3, 224, 224)
        assert [r.output_shape for r in batched] == [r.output_shape for r in single]
        assert (
            batched.total_macs == single.total_macs
            and batched.totals() == single.totals()
        )

    @given(batch=st.integers(1, 4), channels=st.integers(1, 3), size=st.integers(3, 8))
    def test_batch_first_equals_batch_size(self, batch, channels, size):
        model = nn.Sequential(
            nn.Conv2d(channels, 2, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(3)
        )
        model(torch.zeros(1, channels, size, size))  # materialize the lazy layer
        batched = summary(model, (batch, channels, size, size), device="cpu")
        assert list(batched) == list(
            summary(model, (channels, size, size), device="cpu", batch_size=batch)
        )
        assert batched.input_shape == (batch, channels, size, size)
        assert list(batched) == list(
            summary(
                model, (batch, channels, size, size), device="cpu", batch_size=batch
            )
        )
        assert receptive_field(model, (batch, channels, size, size)) == receptive_field(
            model, (channels, size, size)
        )

    def test_batch_size_must_agree_with_n(self):
        with pytest.raises(
            ValueError,
            match=r"batch_size must be the N of input_size \(2, 3, 4, 4\) .*; got 3",
        ):
            summary(nn.Identity(), (2, 3, 4, 4), batch_size=3)

    def test_input_size_positive(self):
        with pytest.raises(ValueError, match="input_size must be >= 1; got 0"):
            summary(nn.Identity(), (3, 0, 4))

    def test_batch_size(self):
        with pytest.raises(ValueError, match="batch_size must be >= 1; got 0"):
            summary(nn.Identity(), (3, 4, 4), batch_size=0)


def brute_force_field(layers, size):
    """Extent of the input pixels that output pixel (0, 0) depends on, found by autograd."""
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    out = nn.Sequential(*layers).double()(x)
    out[0, 0, 0, 0].backward()
    rows, cols = torch.nonzero(x.grad[0, 0], as_tuple=True)
    return int(rows.max()) + 1, int(cols.max()) + 1


layer_specs = st.lists(
    st.tuples(
        st.sampled_from(["conv", "pool"]),
        st.integers(1, 4),
        st.integers(1, 3),
        st.integers(1, 2),
    ),
    min_size=1,
    max_size=3,
)


class TestReceptiveField:
    def test_two_3x3_see_5x5(self):
        stack = nn.Sequential(nn.Conv2d(1, 1, 3), nn.ReLU(), nn.Conv2d(1, 1, 3))
        assert [f.size for f in receptive_field(stack, (1, 9, 9))] == [
            (3, 3),
            (3, 3),
            (5, 5),
        ]

    def test_three_3x3_see_7x7(self):
        stack = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(3)])
        assert receptive_field(stack, (1, 9, 9))[-1].size == (7, 7)

    @given(layer_specs)
    def test_matches_autograd(self, specs):
        layers = []
        for kind, kernel, stride, dilation in specs:
            if kind == "conv":
                conv = nn.Conv2d(
                    1, 1, kernel, stride=stride, dilation=dilation, bias=False
                )
                nn.init.ones_(conv.weight)
                layers.append(conv)
            else:
                layers.append(nn.AvgPool2d(kernel, stride=stride))
        size = 96
        try:
            expected = brute_force_field(layers, size)
        except RuntimeError:  # the stack shrinks the image to nothing
            assume(False)
        assert (
            receptive_field(nn.Sequential(*layers), (1, size, size))[-1].size
            == expected
        )

    def test_rectangular_kernel_and_jump(self):
        stack = nn.Sequential(
            nn.Conv2d(1, 1, (3, 5), stride=(1, 2)), nn.Conv2d(1, 1, 3)
        )
        assert [(f.size, f.jump) for f in receptive_field(stack, (1, 20, 20))] == [
            ((3, 5), (1, 2)),
            ((5, 9), (1, 2)),
        ]

    def test_published_fields(self):
        def last_spatial(model):
            return max(
                f.size[0] for f in receptive_field(model, (3, 224, 224)) if f.size
            )

        assert last_spatial(vgg16(device=META)) == 212
        assert last_spatial(alexnet(device=META)) == 195
        assert last_spatial(resnet50(device=META)) == 427

    def test_branches_take_the_largest_field(self):
        class TwoPaths(nn.Module):
            def __init__(self):
                super().__init__()
                self.small = nn.Conv2d(1, 1, 3, padding=1)
                self.large = nn.Conv2d(1, 1, 7, padding=3)

            def forward(self, x):
                return torch.cat([self.small(x), self.large(x)], 1) + x

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.paths = TwoPaths()
                self.after = nn.Conv2d(2, 1, 3)

            def forward(self, x):
                return self.after(self.paths(x))

        fields = receptive_field(Net(), (1, 12, 12))
        assert [(f.name, f.size) for f in fields] == [
            ("paths.small", (3, 3)),
            ("paths.large", (7, 7)),
            ("after", (9, 9)),
        ]

    def test_global_after_dense_and_global_pool(self):
        fields = receptive_field(resnet18(device=META), (3, 224, 224))
        assert (
            fields[-2].name == "avgpool"
            and fields[-2].size is None
            and fields[-1].size is None
        )


class TestSIFormat:
    @pytest.mark.parametrize(
        "value, unit, expected",
        [
            (15_470_264_320, "", "15.5 G"),
            (138_357_544, "", "138 M"),
            (61_100, "B", "61.1 kB"),
            (999, "", "999"),
            (1000, "", "1 k"),
            (0, "B", "0 B"),
            (0.5, "", "0.5"),
            (-2500, "", "-2.5 k"),
        ],
    )
    def test_prefixes(self, value, unit, expected):
        assert si_format(value, unit) == expected

    def test_numpy_and_torch_scalars(self):
        import numpy as np

        assert si_format(np.int64(2_000_000)) == si_format(torch.tensor(2e6)) == "2 M"

    @pytest.mark.parametrize("value", ["12", None, True, [1]])
    def test_refuses_what_is_not_a_number(self, value):
        with pytest.raises(TypeError, match="value must be a real number"):
            si_format(value)

    def test_refuses_a_unit_that_is_not_a_string(self):
        with pytest.raises(TypeError, match="unit must be a string; got int"):
            si_format(1, 2)
