"""GoogLeNet: parameter counts, torchvision's state_dict layout, the Inception module, auxiliary outputs."""

import pytest
import torch

from coursekit.models.googlenet import (
    INCEPTIONS,
    BasicConv2d,
    GoogLeNetOutputs,
    Inception,
    googlenet,
)
from nn_strategies import assert_empty_batch

META = torch.device("meta")

# a selection of torchvision.models.googlenet(aux_logits=True).state_dict(): key -> shape
KNOWN = {
    "conv1.conv.weight": (64, 3, 7, 7),
    "conv1.bn.running_var": (64,),
    "conv2.conv.weight": (64, 64, 1, 1),
    "conv3.conv.weight": (192, 64, 3, 3),
    "inception3a.branch1.conv.weight": (64, 192, 1, 1),
    "inception3a.branch2.0.conv.weight": (96, 192, 1, 1),
    "inception3a.branch2.1.conv.weight": (128, 96, 3, 3),
    "inception3a.branch3.0.conv.weight": (16, 192, 1, 1),
    "inception3a.branch3.1.conv.weight": (32, 16, 3, 3),
    "inception3a.branch4.1.conv.weight": (32, 192, 1, 1),
    "inception4e.branch2.1.bn.weight": (320,),
    "inception5b.branch4.1.conv.weight": (128, 832, 1, 1),
    "aux1.conv.conv.weight": (128, 512, 1, 1),
    "aux1.fc1.weight": (1024, 2048),
    "aux2.conv.conv.weight": (128, 528, 1, 1),
    "aux2.fc2.weight": (1000, 1024),
    "fc.weight": (1000, 1024),
    "fc.bias": (1000,),
}


def count(model):
    return sum(p.numel() for p in model.parameters())


class TestGooglenet:
    def test_parameter_counts(self):
        assert count(googlenet(device=META)) == 6_624_904
        assert count(googlenet(aux_logits=True, device=META)) == 13_004_888

    def test_state_dict_keys_and_shapes(self):
        state = googlenet(aux_logits=True, device=META).state_dict()
        assert {k: tuple(state[k].shape) for k in KNOWN} == KNOWN
        keys = list(state)
        assert keys[:6] == [
            "conv1.conv.weight",
            "conv1.bn.weight",
            "conv1.bn.bias",
            "conv1.bn.running_mean",
            "conv1.bn.running_var",
            "conv1.bn.num_batches_tracked",
        ]
        assert keys[-2:] == ["fc.weight", "fc.bias"]
        assert keys.index("inception5b.branch4.1.bn.num_batches_tracked") < keys.index(
            "aux1.conv.conv.weight"
        )

    def test_no_aux_has_no_aux_keys(self):
        assert not any(k.startswith("aux") for k in googlenet(device=META).state_dict())

    def test_basic_conv_is_torchvisions(self):
        block = BasicConv2d(3, 4, kernel_size=3, device=META)
        assert block.conv.bias is None and block.bn.eps == 0.001

    def test_inception_concatenates_branches(self, device):
        torch.manual_seed(0)
        module = Inception(*INCEPTIONS["inception3a"], device=device).eval()
        x = torch.rand(2, 192, 5, 5, device=device)
        out = module(x)
        assert out.shape == (2, 64 + 128 + 32 + 32, 5, 5)
        torch.testing.assert_close(out[:, :64], module.branch1(x))
        torch.testing.assert_close(out[:, -32:], module.branch4(x))

    def test_inception_channels_chain(self):
        ins = [v[0] for v in INCEPTIONS.values()]
        outs = [v[1] + v[3] + v[5] + v[6] for v in INCEPTIONS.values()]
        assert ins[1:] == outs[:-1] and outs[-1] == 1024

    def test_output_shape_224(self):
        model = googlenet(num_classes=10, device=META).eval()
        assert model(torch.empty(2, 3, 224, 224, device=META)).shape == (2, 10)

    def test_aux_outputs_in_training(self):
        model = googlenet(num_classes=10, aux_logits=True, device=META)
        out = model(torch.empty(2, 3, 224, 224, device=META))
        assert isinstance(out, GoogLeNetOutputs)
        assert [o.shape for o in out] == [(2, 10)] * 3
        assert model.eval()(torch.empty(2, 3, 224, 224, device=META)).shape == (2, 10)

    def test_forward_on_real_tensors(self, device):
        torch.manual_seed(0)
        model = googlenet(num_classes=3, device=device).eval()
        out = model(torch.rand(1, 3, 32, 32, device=device))
        assert (
            out.shape == (1, 3)
            and out.device.type == device.type
            and torch.isfinite(out).all()
        )

    def test_empty_batch(self, device):
        model = googlenet(num_classes=3, device=device).eval()
        assert assert_empty_batch(model, (3, 32, 32), device).shape == (0, 3)
        train = googlenet(num_classes=3, aux_logits=True, device=device)
        out = train(torch.zeros(0, 3, 224, 224, device=device))
        assert [o.shape for o in out] == [(0, 3)] * 3

    def test_aux_logits_must_be_bool(self):
        with pytest.raises(TypeError, match="aux_logits must be a bool; got int 1"):
            googlenet(aux_logits=1)

    def test_bad_num_classes(self):
        with pytest.raises(TypeError, match="num_classes must be an int; got str '10'"):
            googlenet(num_classes="10")

    def test_wrong_input(self):
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(N, 3, H, W\); got \(1, 4, 64, 64\)",
        ):
            googlenet(device=META)(torch.empty(1, 4, 64, 64, device=META))
