"""Tests of coursekit.models.small: model1, model2, lenet5 and their input check."""

import pytest
import torch

from coursekit import models
from nn_strategies import assert_empty_batch


def n_parameters(net):
    return sum(p.numel() for p in net.parameters())


def shapes(net, input):
    """The output shape (without the batch) of every layer of a Sequential."""
    out = []
    for layer in net:
        input = layer(input)
        out.append(tuple(input.shape[1:]))
    return out


def assert_same_network(build, dtype=torch.float64):
    """layers="coursekit" loads the torch version's state_dict and computes the same outputs."""
    torch.manual_seed(0)
    reference = build(layers="torch", dtype=dtype)
    ours = build(layers="coursekit", dtype=dtype)
    assert list(ours.state_dict()) == list(reference.state_dict())
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(3, 1, 28, 28, dtype=dtype)
    torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=1e-10)
    # and the other way round, from fresh coursekit weights
    reference.load_state_dict(build(layers="coursekit", dtype=dtype).state_dict())
    ours.load_state_dict(reference.state_dict())
    torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=1e-10)


class TestEmptyBatch:
    """A batch of zero images, forward and backward, through every network and every method."""

    @pytest.mark.parametrize("build", [models.model1, models.model2, models.lenet5])
    def test_torch_layers(self, device, build):
        assert assert_empty_batch(build(device=device), (1, 28, 28), device).shape == (
            0,
            10,
        )

    @pytest.mark.parametrize("method", ["direct", "im2col", "fft", "auto"])
    @pytest.mark.parametrize("build", [models.model2, models.lenet5])
    def test_coursekit_layers(self, device, build, method):
        net = build(layers="coursekit", method=method, device=device)
        assert assert_empty_batch(net, (1, 28, 28), device).shape == (0, 10)


class TestImageClassifier:
    def test_wrong_size_names_expected_shape(self):
        with pytest.raises(
            ValueError,
            match=r"model2 expects input of shape \(N, 1, 28, 28\); got \(2, 1, 32, 32\)",
        ):
            models.model2()(torch.zeros(2, 1, 32, 32))

    def test_missing_batch_dimension(self):
        with pytest.raises(
            ValueError,
            match=r"model1 expects input of shape \(N, 1, 28, 28\); got \(1, 28, 28\)",
        ):
            models.model1()(torch.zeros(1, 28, 28))

    def test_wrong_channels(self):
        with pytest.raises(ValueError, match=r"lenet5 expects .*got \(1, 3, 28, 28\)"):
            models.lenet5()(torch.zeros(1, 3, 28, 28))

    def test_repr_names_input_shape(self):
        assert "input_shape=(1, 28, 28)" in repr(models.model1())


class TestModel1:
    def test_parameter_count(self):
        assert (
            n_parameters(models.model1())
            == (784 * 200 + 200) + (200 * 100 + 100) + (100 * 10 + 10)
            == 178_110
        )

    def test_shapes(self):
        assert shapes(models.model1(), torch.zeros(2, 1, 28, 28)) == [
            (784,),
            (200,),
            (200,),
            (100,),
            (100,),
            (10,),
        ]

    def test_device_and_dtype(self, device):
        net = models.model1(device=device, dtype=torch.float64)
        out = net(torch.rand(2, 1, 28, 28, device=device, dtype=torch.float64))
        assert out.device.type == device.type and out.dtype == torch.float64

    def test_layer_names(self):
        assert list(models.model1().state_dict()) == [
            "fc1.weight",
            "fc1.bias",
            "fc2.weight",
            "fc2.bias",
            "fc3.weight",
            "fc3.bias",
        ]


class TestModel2:
    def test_parameter_count(self):
        net = models.model2()
        assert [
            n_parameters(net.conv1),
            n_parameters(net.conv2),
            n_parameters(net.fc),
        ] == [208, 1_168, 4_010]
        assert n_parameters(net) == 5_386

    def test_shapes(self):
        assert shapes(models.model2(), torch.zeros(2, 1, 28, 28)) == [
            (8, 24, 24),
            (8, 24, 24),
            (8, 12, 12),
            (16, 10, 10),
            (16, 10, 10),
            (16, 5, 5),
            (400,),
            (10,),
        ]

    def test_device_and_dtype(self, device):
        net = models.model2(device=device, dtype=torch.float64)
        out = net(torch.rand(2, 1, 28, 28, device=device, dtype=torch.float64))
        assert (
            out.device.type == device.type
            and out.dtype == torch.float64
            and out.shape == (2, 10)
        )

    def test_moves_with_to(self, device):
        net = models.model2().to(device)
        assert net(torch.rand(1, 1, 28, 28, device=device)).device.type == device.type

    def test_coursekit_layers_match_torch(self):
        assert_same_network(models.model2)

    @pytest.mark.parametrize("method", ["direct", "fft"])
    def test_method_reaches_the_layers(self, method):
        torch.manual_seed(0)
        reference = models.model2(dtype=torch.float64)
        ours = models.model2(layers="coursekit", method=method, dtype=torch.float64)
        ours.load_state_dict(reference.state_dict())
        assert ours.conv1.method == method
        x = torch.randn(2, 1, 28, 28, dtype=torch.float64)
        torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=1e-10)

    def test_coursekit_layers_gradients(self):
        torch.manual_seed(0)
        reference = models.model2(dtype=torch.float64)
        ours = models.model2(layers="coursekit", dtype=torch.float64)
        ours.load_state_dict(reference.state_dict())
        x = torch.randn(1, 1, 28, 28, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(ours, (x,), fast_mode=True)
        grads = [
            torch.autograd.grad(net(x).square().sum(), [x, *net.parameters()])
            for net in (ours, reference)
        ]
        for g_ours, g_ref in zip(*grads):
            torch.testing.assert_close(g_ours, g_ref, rtol=0, atol=1e-10)

    def test_coursekit_layers_parameter_count(self):
        assert n_parameters(models.model2(layers="coursekit")) == 5_386

    def test_coursekit_layers_on_device(self, device):
        net = models.model2(layers="coursekit", device=device)
        assert net(torch.rand(2, 1, 28, 28, device=device)).device.type == device.type

    def test_unknown_layers(self):
        with pytest.raises(
            ValueError, match=r"layers must be one of 'torch', 'coursekit'; got 'keras'"
        ):
            models.model2(layers="keras")

    def test_method_needs_coursekit_layers(self):
        with pytest.raises(
            ValueError,
            match=r"method applies only to layers='coursekit'; got method='fft'",
        ):
            models.model2(method="fft")


class TestLenet5:
    def test_parameter_count(self):
        assert (
            n_parameters(models.lenet5())
            == 156 + 2_416 + 48_120 + 10_164 + 850
            == 61_706
        )

    def test_shapes(self):
        assert shapes(models.lenet5(), torch.zeros(2, 1, 28, 28)) == [
            (6, 28, 28),
            (6, 28, 28),
            (6, 14, 14),
            (16, 10, 10),
            (16, 10, 10),
            (16, 5, 5),
            (120, 1, 1),
            (120, 1, 1),
            (120,),
            (84,),
            (84,),
            (10,),
        ]

    def test_coursekit_layers_match_torch(self):
        assert_same_network(models.lenet5)

    def test_device_and_dtype(self, device):
        net = models.lenet5(device=device, dtype=torch.float64)
        out = net(torch.rand(2, 1, 28, 28, device=device, dtype=torch.float64))
        assert out.device.type == device.type and out.dtype == torch.float64

    def test_unknown_layers(self):
        with pytest.raises(
            ValueError, match=r"layers must be one of 'torch', 'coursekit'; got 'flux'"
        ):
            models.lenet5(layers="flux")


class TestOtherImages:
    """in_channels and size: the switch of book section 6.8 trains on 3x32x32 photographs."""

    @pytest.mark.parametrize("build", [models.model1, models.model2, models.lenet5])
    @pytest.mark.parametrize("shape", [(3, 32, 32), (1, 28, 28), (1, 16, 16)])
    def test_takes_the_shape_it_was_built_for(self, build, shape):
        net = build(in_channels=shape[0], size=shape[1])
        assert net.input_shape == shape
        assert net(torch.rand(2, *shape)).shape == (2, 10)
        with pytest.raises(ValueError, match=r"expects input of shape"):
            net(torch.rand(2, 2, *shape[1:]))

    @pytest.mark.parametrize("build", [models.model1, models.model2, models.lenet5])
    def test_defaults_unchanged(self, build):
        torch.manual_seed(0)
        default = build()
        torch.manual_seed(0)
        explicit = build(in_channels=1, size=28)
        assert repr(default) == repr(explicit)
        for (k1, v1), (k2, v2) in zip(
            default.state_dict().items(), explicit.state_dict().items()
        ):
            assert k1 == k2 and torch.equal(v1, v2)

    @pytest.mark.parametrize("build", [models.model1, models.model2, models.lenet5])
    def test_same_state_dict_keys_for_colour(self, build):
        assert list(build(in_channels=3, size=32).state_dict()) == list(
            build().state_dict()
        )

    def test_model2_shapes_on_cifar(self):
        net = models.model2(in_channels=3, size=32)
        assert shapes(net, torch.zeros(2, 3, 32, 32)) == [
            (8, 28, 28),
            (8, 28, 28),
            (8, 14, 14),
            (16, 12, 12),
            (16, 12, 12),
            (16, 6, 6),
            (576,),
            (10,),
        ]
        assert n_parameters(net) == 8 * (5 * 5 * 3 + 1) + 1_168 + (576 * 10 + 10)

    def test_model1_parameters_on_cifar(self):
        net = models.model1(in_channels=3, size=32)
        assert n_parameters(net) == (3072 * 200 + 200) + (200 * 100 + 100) + 1_010

    def test_lenet5_pads_to_32(self):
        colour = models.lenet5(in_channels=3, size=32)
        assert colour.c1.padding == (0, 0) and models.lenet5().c1.padding == (2, 2)
        assert (
            shapes(colour, torch.zeros(1, 3, 32, 32))[:7]
            == shapes(models.lenet5(), torch.zeros(1, 1, 28, 28))[:7]
        )
        assert models.lenet5(size=16).c1.padding == (8, 8)

    @pytest.mark.parametrize("build", [models.model2, models.lenet5])
    def test_coursekit_layers_match_torch_on_colour(self, build):
        torch.manual_seed(0)
        reference = build(in_channels=3, size=32, dtype=torch.float64)
        ours = build(layers="coursekit", in_channels=3, size=32, dtype=torch.float64)
        ours.load_state_dict(reference.state_dict())
        x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
        torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=1e-10)

    @pytest.mark.parametrize(
        "build, kwargs, error, message",
        [
            (models.model2, {"size": 8}, ValueError, r"size must be >= 12; got 8"),
            (models.model1, {"size": 0}, ValueError, r"size must be >= 1; got 0"),
            (
                models.model2,
                {"in_channels": 0},
                ValueError,
                r"in_channels must be >= 1; got 0",
            ),
            (
                models.model1,
                {"in_channels": 3.0},
                TypeError,
                r"in_channels must be an int; got float 3.0",
            ),
            (
                models.lenet5,
                {"size": (32, 32)},
                TypeError,
                r"size must be an int; got tuple",
            ),
            (
                models.lenet5,
                {"size": 33},
                ValueError,
                r"size must be even and between 8 and 32 \(lenet5 pads the image "
                r"to 32x32\); got 33",
            ),
            (
                models.lenet5,
                {"size": 64},
                ValueError,
                r"size must be even and between 8 and 32 .*; got 64",
            ),
            (models.lenet5, {"size": 6}, ValueError, r"size must be >= 8; got 6"),
        ],
    )
    def test_bad_arguments(self, build, kwargs, error, message):
        with pytest.raises(error, match=message):
            build(**kwargs)

    def test_keyword_only(self):
        with pytest.raises(TypeError):
            models.model2("torch", None, None, None, 3)
