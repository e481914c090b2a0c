"""coursekit.nn.batchnorm against torch: outputs, running statistics over several steps, gradients, the layer."""

import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

from coursekit.nn import BatchNorm2d
from coursekit.nn.batchnorm import batch_norm, batch_norm_backward
from nn_strategies import assert_matches, randn, with_device

DTYPES = [torch.float32, torch.float64]


@st.composite
def bn_cases(draw):
    """Shape (N, C, *spatial) with at least 2 values per channel, and the options of one call."""
    spatial = draw(st.lists(st.integers(1, 4), min_size=0, max_size=2))
    N = draw(st.integers(1 if spatial and max(spatial) > 1 else 2, 4))
    return {
        "shape": (N, draw(st.integers(1, 3)), *spatial),
        "affine": draw(st.booleans()),
        "momentum": draw(st.sampled_from([0.0, 0.1, 0.5, 1.0])),
        "eps": draw(st.sampled_from([1e-5, 0.1])),
        "seed": draw(st.integers(0, 2**16)),
    }


def _tensors(case, dtype, device):
    C = case["shape"][1]
    x = randn(case["seed"], *case["shape"], dtype=dtype, device=device) * 3 + 1
    w = (
        randn(case["seed"] + 1, C, dtype=dtype, device=device)
        if case["affine"]
        else None
    )
    b = (
        randn(case["seed"] + 2, C, dtype=dtype, device=device)
        if case["affine"]
        else None
    )
    mean = randn(case["seed"] + 3, C, dtype=dtype, device=device)
    var = randn(case["seed"] + 4, C, dtype=dtype, device=device).abs() + 0.5
    return x, w, b, mean, var


class TestBatchNorm:
    @with_device
    @given(case=bn_cases())
    def test_matches_torch(self, device, case):
        for dtype in DTYPES:
            for training in (True, False):
                x, w, b, mean, var = _tensors(case, dtype, device)
                ref_mean, ref_var = mean.clone(), var.clone()
                options = {
                    "training": training,
                    "momentum": case["momentum"],
                    "eps": case["eps"],
                }
                out = batch_norm(x, mean, var, w, b, **options)
                ref = TF.batch_norm(x, ref_mean, ref_var, w, b, **options)
                assert_matches(out, ref)
                assert_matches(mean, ref_mean)
                assert_matches(var, ref_var)

    def test_running_statistics_over_steps(self, device):
        mean, var = torch.zeros(3, device=device), torch.ones(3, device=device)
        ref_mean, ref_var = mean.clone(), var.clone()
        for step in range(5):
            x = (
                randn(step, 4, 3, 5, 2, dtype=torch.float32, device=device) * (step + 1)
                + step
            )
            batch_norm(x, mean, var, training=True, momentum=0.3)
            TF.batch_norm(x, ref_mean, ref_var, training=True, momentum=0.3)
        assert_matches(mean, ref_mean)
        assert_matches(var, ref_var)

    def test_running_variance_is_unbiased(self):
        x = torch.tensor([[1.0], [2.0], [6.0]])  # N=3, C=1: biased var 14/3, unbiased 7
        mean, var = torch.zeros(1), torch.zeros(1)
        batch_norm(x, mean, var, training=True, momentum=1.0)
        assert mean.item() == pytest.approx(3.0) and var.item() == pytest.approx(7.0)

    def test_without_running_statistics(self, device):
        x = randn(0, 3, 2, 4, 4, device=device)
        assert_matches(
            batch_norm(x, None, None, training=True),
            TF.batch_norm(x, None, None, training=True),
        )

    @pytest.mark.parametrize("training", [True, False])
    def test_gradcheck(self, training):
        x = randn(0, 3, 2, 3, 2).requires_grad_()
        w, b = randn(1, 2).requires_grad_(), randn(2, 2).requires_grad_()
        mean, var = randn(3, 2), randn(4, 2).abs() + 0.5
        assert torch.autograd.gradcheck(
            lambda x, w, b: batch_norm(
                x, mean, var, w, b, training=training, momentum=0.0
            ),
            (x, w, b),
        )

    @pytest.mark.parametrize("training", [True, False])
    def test_gradients_match_torch(self, device, training):
        x = randn(0, 4, 3, 5, 5, device=device)
        w, b = randn(1, 3, device=device), randn(2, 3, device=device)
        g = randn(5, 4, 3, 5, 5, device=device)
        grads = []
        for fn in (batch_norm, TF.batch_norm):
            xs, ws, bs = (t.clone().requires_grad_() for t in (x, w, b))
            mean, var = (
                torch.zeros(3, device=device, dtype=x.dtype),
                torch.ones(3, device=device, dtype=x.dtype),
            )
            (fn(xs, mean, var, ws, bs, training=training) * g).sum().backward()
            grads.append((xs.grad, ws.grad, bs.grad))
        for ours, theirs in zip(*grads):
            assert_matches(ours, theirs)

    def test_gradient_without_weight(self):
        x = randn(0, 4, 2, 3).requires_grad_()
        assert torch.autograd.gradcheck(
            lambda x: batch_norm(x, None, None, training=True), (x,)
        )

    def test_keeps_dtype_and_device(self, device):
        x = randn(0, 2, 3, 4, dtype=torch.float32, device=device)
        out = batch_norm(x, None, None, training=True)
        assert out.dtype == torch.float32 and out.device == x.device

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            ({"input": [[1.0]]}, TypeError, "input must be a torch.Tensor; got list"),
            (
                {"input": torch.zeros(4)},
                ValueError,
                r"input must have shape \(N, C, \.\.\.\), at least 2 dim",
            ),
            (
                {"running_mean": torch.zeros(4)},
                ValueError,
                r"running_mean must have shape \(3,\), one entry per channel of input of size \[2, 3, 4\]; got \(4,\)",
            ),
            (
                {"weight": torch.ones(3, dtype=torch.float64)},
                TypeError,
                r"weight must have the dtype of input \(torch.float32\); got torch.float64",
            ),
            (
                {"running_var": None},
                ValueError,
                "running_mean and running_var are needed when training=False",
            ),
            (
                {"input": torch.zeros(1, 3), "training": True},
                ValueError,
                r"Expected more than 1 value per channel when training, got input of size \[1, 3\]",
            ),
            (
                {"momentum": 1.5},
                ValueError,
                "momentum must be between 0.0 and 1.0; got 1.5",
            ),
            ({"momentum": None}, TypeError, "momentum must be a number; got NoneType"),
            ({"eps": -1}, ValueError, "eps must be >= 0.0; got -1"),
            ({"eps": 0, "training": True}, ValueError, "eps must be > 0 when training"),
            ({"training": 1}, TypeError, "training must be a bool; got int"),
        ],
    )
    def test_bad_input(self, kwargs, error, message):
        args = {
            "input": torch.zeros(2, 3, 4),
            "running_mean": torch.zeros(3),
            "running_var": torch.ones(3),
        }
        with pytest.raises(error, match=message):
            batch_norm(**{**args, **kwargs})


class TestBatchNormBackward:
    @pytest.mark.parametrize("training", [True, False])
    def test_matches_autograd_of_torch(self, training):
        x, w, g = (
            randn(0, 3, 2, 4).requires_grad_(),
            randn(1, 2).requires_grad_(),
            randn(2, 3, 2, 4),
        )
        mean, var = (
            (x.mean((0, 2)), x.var((0, 2), unbiased=False))
            if training
            else (randn(3, 2), randn(4, 2).abs())
        )
        b = torch.zeros(2, dtype=x.dtype, requires_grad=True)
        mean, var = mean.detach(), var.detach()
        (
            TF.batch_norm(
                x, mean.clone(), var.clone(), w, b, training=training, eps=1e-3
            )
            * g
        ).sum().backward()
        invstd = (var + 1e-3).rsqrt()
        normalized = (x.detach() - mean[:, None]) * invstd[:, None]
        for ours, theirs in zip(
            batch_norm_backward(g, normalized, invstd, w.detach(), training),
            (x.grad, w.grad, b.grad),
        ):
            assert_matches(ours, theirs)

    def test_shape_mismatch(self):
        with pytest.raises(
            ValueError, match=r"grad_output and normalized must have the same shape"
        ):
            batch_norm_backward(torch.zeros(2, 3), torch.zeros(3, 2), torch.ones(2))


def _pair(*args, **kwargs):
    """Our layer and torch's with the same arguments and the same (random) affine parameters."""
    ours, theirs = BatchNorm2d(*args, **kwargs), torch.nn.BatchNorm2d(*args, **kwargs)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.rand_like(p) + 0.5)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


class TestBatchNorm2d:
    @pytest.mark.parametrize(
        "kwargs",
        [
            {},
            {"momentum": None},
            {"momentum": 0.5, "eps": 1e-3},
            {"affine": False},
            {"track_running_stats": False},
            {"track_running_stats": False, "affine": False},
            {"bias": False},
        ],
        ids=[
            "default",
            "cumulative",
            "momentum-eps",
            "no-affine",
            "no-running",
            "bare",
            "no-bias",
        ],
    )
    def test_training_then_evaluation_match_torch(self, device, kwargs):
        torch.manual_seed(0)
        ours, theirs = _pair(3, device=device, dtype=torch.float64, **kwargs)
        # training steps: outputs, gradients and buffers agree after each
        for step in range(4):
            x = randn(step, 5, 3, 4, 4, device=device) * (step + 1) + step
            inputs = [x.clone().requires_grad_() for _ in range(2)]
            outs = [m(xs) for m, xs in zip((ours, theirs), inputs)]
            assert_matches(*outs)
            for out in outs:
                out.square().sum().backward()
            assert_matches(inputs[0].grad, inputs[1].grad)
            for p, q in zip(ours.parameters(), theirs.parameters()):
                assert_matches(p.grad, q.grad)
            for (name, a), (_, b) in zip(
                ours.state_dict().items(), theirs.state_dict().items()
            ):
                assert torch.allclose(a, b, rtol=1e-10, atol=1e-10), name
        ours.eval(), theirs.eval()
        x = randn(9, 2, 3, 4, 4, device=device)
        assert_matches(ours(x), theirs(x))
        # one image: no batch statistics needed
        assert_matches(ours(x[:1]), theirs(x[:1]))

    def test_eval_differs_from_train(self):
        bn = BatchNorm2d(1)
        x = torch.arange(8.0).reshape(2, 1, 2, 2)
        train_out = bn(x)
        eval_out = bn.eval()(x)
        assert torch.allclose(train_out.mean(), torch.tensor(0.0), atol=1e-6)
        # after one step the running stats are far from (3.5, 6)
        assert not torch.allclose(train_out, eval_out)

    def test_cumulative_average(self):
        bn = BatchNorm2d(2, momentum=None)
        batches = [randn(i, 4, 2, 3, 3, dtype=torch.float32) + i for i in range(3)]
        for x in batches:
            bn(x)
        means = torch.stack([x.mean((0, 2, 3)) for x in batches])
        assert torch.allclose(bn.running_mean, means.mean(0), atol=1e-6)
        assert int(bn.num_batches_tracked) == 3

    def test_state_dict_repr_and_init(self):
        for kwargs in (
            {},
            {"affine": False, "momentum": None},
            {"track_running_stats": False},
            {"bias": False},
        ):
            ours, theirs = BatchNorm2d(4, **kwargs), torch.nn.BatchNorm2d(4, **kwargs)
            assert repr(ours) == repr(theirs)
            assert {k: (v.shape, v.dtype) for k, v in ours.state_dict().items()} == {
                k: (v.shape, v.dtype) for k, v in theirs.state_dict().items()
            }
            for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()):
                assert torch.equal(a, b)
            theirs.load_state_dict(ours.state_dict())

    def test_loads_state_dict_without_num_batches_tracked(self):
        state = torch.nn.BatchNorm2d(2).state_dict()
        del state["num_batches_tracked"]
        bn = BatchNorm2d(2)
        bn.num_batches_tracked.fill_(7)
        bn._load_from_state_dict(state, "", {"version": 1}, True, [], [], [])
        assert int(bn.num_batches_tracked) == 0

    def test_device_and_dtype(self, device):
        bn = BatchNorm2d(3, device=device, dtype=torch.float64)
        assert (
            bn.weight.device.type == device.type
            and bn.running_var.dtype == torch.float64
        )
        assert bn.num_batches_tracked.dtype == torch.long

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            ({"num_features": 0}, ValueError, "num_features must be >= 1; got 0"),
            (
                {"num_features": 2.0},
                TypeError,
                "num_features must be an int; got float",
            ),
            (
                {"momentum": -0.1},
                ValueError,
                "momentum must be between 0.0 and 1.0; got -0.1",
            ),
            ({"affine": "yes"}, TypeError, "affine must be a bool; got str"),
            (
                {"track_running_stats": 1},
                TypeError,
                "track_running_stats must be a bool; got int",
            ),
            ({"bias": None}, TypeError, "bias must be a bool; got NoneType"),
        ],
    )
    def test_bad_arguments(self, kwargs, error, message):
        with pytest.raises(error, match=message):
            BatchNorm2d(**{"num_features": 3, **kwargs})

    def test_bad_input(self):
        with pytest.raises(
            ValueError,
            match=r"BatchNorm2d expects 4-D input \(N, C, H, W\); got 3-D input",
        ):
            BatchNorm2d(3)(torch.zeros(3, 4, 4))
        with pytest.raises(
            ValueError,
            match=r"BatchNorm2d\(3\) expects input with 3 channels; got .* \[2, 4",
        ):
            BatchNorm2d(3)(torch.zeros(2, 4, 4, 4))
