"""coursekit.nn.winograd: F(m, r)'s matrices and the Winograd convolution against numpy.correlate and torch."""

from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

from coursekit.nn import Conv2d
from coursekit.nn import winograd as wg
from coursekit.nn.functional import (
    conv1d,
    conv2d,
    conv_transpose2d,
    winograd_conv,
    winograd_matrices,
)
from nn_strategies import randn, with_device

WINOGRAD = ["winograd", "winograd4x4"]
# float32 tolerances relative to the largest output; F(4x4, 3x3) rounds ~10x more than F(2x2, 3x3)
TOLERANCE = {("winograd", torch.float32): 1e-5, ("winograd4x4", torch.float32): 1e-4}


def _assert_close(out, ref, method):
    assert (
        out.shape == ref.shape and out.dtype == ref.dtype and out.device == ref.device
    )
    tol = TOLERANCE.get((method, ref.dtype), 1e-10)
    scale = max(1.0, float(ref.detach().abs().max())) if ref.numel() else 1.0
    torch.testing.assert_close(out, ref, rtol=tol, atol=tol * scale)


class TestWinogradMatrices:
    @pytest.mark.parametrize("m", range(1, 7))
    @pytest.mark.parametrize("r", range(1, 6))
    def test_computes_the_valid_correlation(self, m, r):
        rng = np.random.default_rng(10 * m + r)
        AT, G, BT = winograd_matrices(m, r)
        assert (
            AT.shape == (m, m + r - 1)
            and G.shape == (m + r - 1, r)
            and BT.shape == (m + r - 1, m + r - 1)
        )
        assert AT.dtype == G.dtype == BT.dtype == torch.float64
        for _ in range(3):
            d, g = rng.standard_normal(m + r - 1), rng.standard_normal(r)
            out = AT @ ((G @ torch.from_numpy(g)) * (BT @ torch.from_numpy(d)))
            np.testing.assert_allclose(
                out.numpy(), np.correlate(d, g, "valid"), rtol=1e-9, atol=1e-9
            )

    def test_f23_is_exact_on_integers(self):
        AT, G, BT = winograd_matrices(2, 3)
        d = torch.tensor([3.0, -1, 4, 1], dtype=torch.float64)
        g = torch.tensor([5.0, 9, -2], dtype=torch.float64)
        assert (AT @ ((G @ g) * (BT @ d))).tolist() == np.correlate(
            d.numpy(), g.numpy(), "valid"
        ).tolist()

    def test_f23_rows_are_evaluations_and_lagrange_numerators(self):
        # points 0, 1, -1 and infinity: G rows g(a)/prod(a - b); BT rows the coefficients of prod(x - b)
        AT, G, BT = winograd_matrices(2, 3)
        assert AT.tolist() == [[1, 1, 1, 0], [0, 1, -1, 1]]
        assert G.tolist() == [[-1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        assert BT.tolist() == [
            [-1, 0, 1, 0],
            [0, 1, 1, 0],
            [0, -1, 1, 0],
            [0, -1, 0, 1],
        ]

    def test_lavin_and_gray_points(self):
        # the points 0, 1, -1, 2, -2 of Lavin and Gray's F(4, 3): the same filter transform
        G, BT = winograd_matrices(4, 3, points=[0, 1, -1, 2, -2])[1:]
        expected_G = [
            [1 / 4, 0, 0],
            [-1 / 6, -1 / 6, -1 / 6],
            [-1 / 6, 1 / 6, -1 / 6],
            [1 / 24, 1 / 12, 1 / 6],
            [1 / 24, -1 / 12, 1 / 6],
            [0, 0, 1],
        ]
        torch.testing.assert_close(G, torch.tensor(expected_G, dtype=torch.float64))
        assert BT[0].tolist() == [4, 0, -5, 0, 1, 0]

    def test_points_may_be_fractions_or_floats(self):
        a = winograd_matrices(3, 3, points=[0, 1, -1, Fraction(1, 2)])
        b = winograd_matrices(3, 3, points=[0.0, 1.0, -1.0, 0.5])
        assert all(torch.equal(x, y) for x, y in zip(a, b))
        assert all(torch.equal(x, y) for x, y in zip(a, winograd_matrices(3, 3)))

    def test_multiplications(self):
        assert (2 * 3) ** 2 / winograd_matrices(2, 3)[1].shape[0] ** 2 == 2.25
        assert (4 * 3) ** 2 / winograd_matrices(4, 3)[1].shape[0] ** 2 == 4.0

    def test_default_points(self):
        assert wg.winograd_points(0) == []
        assert [str(p) for p in wg.winograd_points(9)] == [
            "0",
            "1",
            "-1",
            "1/2",
            "-1/2",
            "2",
            "-2",
            "1/4",
            "-1/4",
        ]

    def test_errors(self):
        with pytest.raises(ValueError, match="m must be >= 1; got 0"):
            winograd_matrices(0, 3)
        with pytest.raises(TypeError, match="r must be an int; got float 3.0"):
            winograd_matrices(2, 3.0)
        with pytest.raises(
            ValueError, match=r"points must hold m \+ r - 2 = 3 finite points; got 2"
        ):
            winograd_matrices(2, 3, points=[0, 1])
        with pytest.raises(
            ValueError, match=r"points must be distinct; got \['0', '1', '1'\]"
        ):
            winograd_matrices(2, 3, points=[0, 1, 1])
        with pytest.raises(TypeError, match="points must be finite real numbers; got"):
            winograd_matrices(2, 3, points=[0, 1, "x"])
        with pytest.raises(TypeError, match="points must be finite real numbers; got"):
            winograd_matrices(2, 3, points=[0, 1, float("inf")])
        with pytest.raises(ValueError, match="count must be >= 0; got -1"):
            wg.winograd_points(-1)


@st.composite
def winograd_cases(draw):
    """A stride-1, dilation-1 conv2d call with 3x3 kernels: any batch, channels, groups and padding."""
    groups = draw(st.sampled_from([1, 2, 3]))
    padding = draw(
        st.one_of(
            st.integers(0, 2),
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
            st.sampled_from(["valid", "same"]),
        )
    )
    pads = {"valid": (0, 0), "same": (1, 1)}.get(
        padding, padding if isinstance(padding, tuple) else (padding,) * 2
    )
    sizes = [draw(st.integers(max(1, 3 - 2 * p), 14)) for p in pads]
    return {
        "input": (draw(st.integers(1, 3)), groups * draw(st.integers(1, 3)), *sizes),
        "weight_out": groups * draw(st.integers(1, 3)),
        "padding": padding,
        "groups": groups,
        "bias": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**16)),
    }


def _tensors(case, dtype, device):
    N, C, H, W = case["input"]
    x = randn(case["seed"], N, C, H, W, dtype=dtype, device=device)
    w = randn(
        case["seed"] + 1,
        case["weight_out"],
        C // case["groups"],
        3,
        3,
        dtype=dtype,
        device=device,
    )
    b = (
        randn(case["seed"] + 2, case["weight_out"], dtype=dtype, device=device)
        if case["bias"]
        else None
    )
    return x, w, b


class TestTransformPaths:
    """Which way the tiles are transformed: separable sums where nothing tracks them."""

    @pytest.fixture
    def counted(self, monkeypatch):
        monkeypatch.setattr(wg, "_SEPARABLE_MIN_VALUES", 0)
        calls = []
        real = wg._correlate_inference
        monkeypatch.setattr(
            wg, "_correlate_inference", lambda *args: calls.append(1) or real(*args)
        )
        return calls

    def test_separable_only_where_no_gradient_is_tracked(self, counted):
        x, w = randn(0, 1, 2, 6, 6), randn(1, 3, 2, 3, 3)
        conv2d(x, w, method="winograd")
        with torch.no_grad():
            conv2d(x.requires_grad_(), w, method="winograd")
        assert len(counted) == 2
        conv2d(x, w, method="winograd").sum().backward()
        assert len(counted) == 2 and x.grad is not None

    @pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")  # torch.func
    def test_forward_mode_and_vmap_take_the_differentiable_path(self, counted):
        import torch.autograd.forward_ad as fwAD

        x, w, t = randn(0, 2, 3, 8, 8), randn(1, 4, 3, 3, 3), randn(2, 2, 3, 8, 8)
        with fwAD.dual_level():
            out = conv2d(fwAD.make_dual(x, t), w, method="winograd")
            tangent = fwAD.unpack_dual(out).tangent
        _assert_close(tangent, TF.conv2d(t, w), "winograd")
        batched = torch.func.vmap(lambda xi: conv2d(xi, w, method="winograd"))
        _assert_close(batched(x.unsqueeze(1))[:, 0], TF.conv2d(x, w), "winograd")
        assert counted == []

    def test_default_threshold_routes_layers(self, counted, monkeypatch):
        monkeypatch.setattr(wg, "_SEPARABLE_MIN_VALUES", 2**19)
        x, w = torch.zeros(8, 64, 58, 58), torch.zeros(64, 64, 3, 3)
        wg._correlate(x, w, 1, 2)  # 16 * 64 * 8 * 28 * 9 values a block
        assert len(counted) == 1
        wg._correlate(x[:1, :, :30, :30], w, 1, 2)  # 2e5 values: small
        wg._correlate(x, w, 1, 4)  # F(4 x 4, 3 x 3): the products
        assert len(counted) == 1

    @pytest.mark.parametrize(("m", "r"), [(2, 3), (4, 3), (3, 2), (2, 5)])
    def test_separable_transforms_for_any_tile(self, m, r):
        # the general code, called directly: conv2d routes only F(2x2, r x r) to it
        x, w = randn(0, 2, 4, 13, 11), randn(1, 6, 2, r, r)
        for rows in (1, 2, 100):
            _assert_close(
                wg._correlate_inference(x, w, 2, m, None, rows),
                TF.conv2d(x, w, groups=2),
                "winograd",
            )

    def test_combine_skips_zeros_and_scales(self):
        v = [
            torch.tensor([1.0, 2.0]),
            torch.tensor([10.0, 20.0]),
            torch.tensor([5.0, 7.0]),
        ]
        out = torch.empty(2)
        for coefficients in ([2, 0, -3], [0, 1, 0], [-1, 1, 0.5], [0, 0, 4]):
            wg._combine(zip(coefficients, v), out)
            expected = sum(b * t for b, t in zip(coefficients, v))
            torch.testing.assert_close(out, expected)


@pytest.fixture(scope="class", params=["separable", "kronecker"])
def transforms(request):
    """Both ways of transforming tiles: the separable sums (inference, F(2x2, r x r)
    on a CPU, any block size) and the Kronecker products (always used where autograd
    needs them)."""
    patch = pytest.MonkeyPatch()
    least = 0 if request.param == "separable" else 10**12
    patch.setattr(wg, "_SEPARABLE_MIN_VALUES", least)
    yield request.param
    patch.undo()


@pytest.mark.usefixtures("transforms")
class TestConv2d:
    @with_device
    @given(case=winograd_cases())
    def test_matches_torch(self, device, case):
        for dtype in (torch.float32, torch.float64):
            x, w, b = _tensors(case, dtype, device)
            ref = TF.conv2d(x, w, b, padding=case["padding"], groups=case["groups"])
            for method in WINOGRAD:
                out = conv2d(
                    x,
                    w,
                    b,
                    padding=case["padding"],
                    groups=case["groups"],
                    method=method,
                )
                _assert_close(out, ref, method)

    @with_device
    @given(case=winograd_cases(), budget=st.integers(1, 300))
    def test_in_blocks_of_tile_rows(self, device, case, budget, monkeypatch):
        monkeypatch.setattr(wg, "_TILE_BUDGET", budget)
        monkeypatch.setattr(wg, "_TILE_BUDGET_ACCELERATOR", budget)
        x, w, b = _tensors(case, torch.float64, device)
        ref = TF.conv2d(x, w, b, padding=case["padding"], groups=case["groups"])
        for method in WINOGRAD:
            _assert_close(
                conv2d(
                    x,
                    w,
                    b,
                    padding=case["padding"],
                    groups=case["groups"],
                    method=method,
                ),
                ref,
                method,
            )

    def test_vgg_like_layer_float32(self):
        x, w = (
            randn(0, 2, 64, 30, 30, dtype=torch.float32),
            randn(1, 64, 64, 3, 3, dtype=torch.float32) / 8,
        )
        ref = TF.conv2d(x.double(), w.double(), padding=1)
        errors = {
            m: float(
                (conv2d(x, w, padding=1, method=m).double() - ref).abs().max()
                / ref.abs().max()
            )
            for m in ("im2col", *WINOGRAD)
        }
        # F(2x2, 3x3): as accurate as im2col
        assert errors["winograd"] < 3 * errors["im2col"] + 1e-7, errors
        assert errors["winograd4x4"] < 1e-4, errors

    @pytest.mark.parametrize("method", WINOGRAD)
    def test_gradcheck(self, method):
        x = randn(0, 2, 4, 6, 5).requires_grad_()
        w = randn(1, 4, 2, 3, 3).requires_grad_()
        b = randn(2, 4).requires_grad_()
        assert torch.autograd.gradcheck(
            lambda x, w, b: conv2d(x, w, b, padding=(1, 2), groups=2, method=method),
            (x, w, b),
            fast_mode=True,
        )
        same = torch.autograd.gradcheck(
            lambda x, w: conv2d(x, w, padding="same", method=method),
            (x[:, :2], w),
            fast_mode=True,
        )
        assert same

    def test_gradients_equal_torch(self, device):
        x = randn(3, 2, 3, 9, 7, device=device).requires_grad_()
        w = randn(4, 5, 3, 3, 3, device=device).requires_grad_()
        for method in WINOGRAD:
            grads = torch.autograd.grad(
                conv2d(x, w, padding=1, method=method).square().sum(), (x, w)
            )
            expected = torch.autograd.grad(
                TF.conv2d(x, w, padding=1).square().sum(), (x, w)
            )
            for g, e in zip(grads, expected):
                _assert_close(g, e, method)

    def test_unbatched_and_module(self):
        x, w = randn(0, 3, 8, 8), randn(1, 2, 3, 3, 3)
        _assert_close(conv2d(x, w, method="winograd"), TF.conv2d(x, w), "winograd")
        layer = Conv2d(3, 2, 3, padding=1, method="winograd", dtype=torch.float64)
        ref = TF.conv2d(x, layer.weight, layer.bias, padding=1)
        _assert_close(layer(x), ref, "winograd")

    def test_empty_batch(self):
        out = conv2d(
            torch.zeros(0, 2, 5, 5), torch.zeros(3, 2, 3, 3), method="winograd"
        )
        assert out.shape == (0, 3, 3, 3)

    @pytest.mark.parametrize("dtype", [torch.complex64, torch.complex128])
    def test_complex(self, dtype):
        x = torch.complex(randn(0, 2, 4, 9, 10), randn(1, 2, 4, 9, 10)).to(dtype)
        w = torch.complex(randn(2, 6, 2, 3, 3), randn(3, 6, 2, 3, 3)).to(dtype)
        ref = TF.conv2d(x, w, padding=1, groups=2)
        tol = 1e-4 if dtype == torch.complex64 else 1e-10
        for method in WINOGRAD:
            got = conv2d(x, w, padding=1, groups=2, method=method)
            scale = float(ref.abs().max())
            torch.testing.assert_close(got, ref, rtol=tol, atol=tol * scale)

    @pytest.mark.parametrize("method", WINOGRAD)
    def test_transposed_convolution(self, method):
        x, w = randn(0, 2, 4, 5, 6), randn(1, 4, 3, 3, 3)
        _assert_close(
            conv_transpose2d(x, w, padding=1, method=method),
            TF.conv_transpose2d(x, w, padding=1),
            method,
        )

    @pytest.mark.parametrize(
        ("kwargs", "got"),
        [
            (
                {"weight": (1, 1, 5, 5)},
                r"got a 5x5 kernel, stride=\(1, 1\), dilation=\(1, 1\)",
            ),
            ({"stride": 2}, r"got a 3x3 kernel, stride=\(2, 2\), dilation=\(1, 1\)"),
            (
                {"dilation": (1, 2)},
                r"got a 3x3 kernel, stride=\(1, 1\), dilation=\(1, 2\)",
            ),
        ],
    )
    @pytest.mark.parametrize("method", WINOGRAD)
    def test_refuses_what_it_cannot_compute(self, method, kwargs, got):
        kwargs = dict(kwargs)
        weight = torch.zeros(kwargs.pop("weight", (1, 1, 3, 3)))
        message = (
            rf"method='{method}' computes stride-1, dilation-1 convolutions with 3x3 kernels; {got}\. "
            r"Methods 'im2col', 'direct', 'fft' and 'auto' serve every case"
        )
        with pytest.raises(ValueError, match=message):
            conv2d(torch.zeros(1, 1, 9, 9), weight, method=method, **kwargs)

    def test_conv1d_refuses(self):
        with pytest.raises(ValueError, match="got a 1x3 kernel"):
            conv1d(torch.zeros(1, 1, 9), torch.zeros(1, 1, 3), method="winograd")


@pytest.mark.usefixtures("transforms")
class TestWinogradConv:
    @pytest.mark.parametrize(
        ("m", "r"), [(1, 3), (3, 3), (5, 3), (2, 5), (3, 2), (2, 1)]
    )
    def test_any_tile_and_square_kernel(self, m, r, device):
        x, w = randn(0, 2, 4, 11, 9, device=device), randn(1, 6, 2, r, r, device=device)
        _assert_close(
            winograd_conv(x, w, m=m, groups=2), TF.conv2d(x, w, groups=2), "winograd"
        )
        _assert_close(
            winograd_conv(x[0], w, m=m, groups=2),
            TF.conv2d(x[0], w, groups=2),
            "winograd",
        )

    def test_float32_error_grows_with_the_tile(self):
        x, w = (
            randn(0, 4, 32, 26, 26, dtype=torch.float32),
            randn(1, 32, 32, 3, 3, dtype=torch.float32),
        )
        ref = TF.conv2d(x.double(), w.double())

        def error(m):
            return float(
                (winograd_conv(x, w, m=m).double() - ref).abs().max() / ref.abs().max()
            )

        errors = [error(m) for m in (2, 4, 6, 8)]
        assert errors == sorted(errors), errors
        # measured: ~2.8e-7, 5e-6, 7e-6, 1.9e-3
        assert errors[-1] > 100 * errors[0], errors

    def test_points(self):
        x, w = randn(0, 1, 2, 8, 8), randn(1, 3, 2, 3, 3)
        out = winograd_conv(x, w, m=4, points=[0, 1, -1, 2, -2])
        _assert_close(out, TF.conv2d(x, w), "winograd")

    def test_errors(self):
        with pytest.raises(
            ValueError, match="winograd_conv needs a square kernel; got 3x2"
        ):
            winograd_conv(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 2))
        with pytest.raises(ValueError, match="m must be >= 1; got 0"):
            winograd_conv(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), m=0)
        with pytest.raises(
            ValueError, match=r"expected input\[1, 2, 5, 5\] to have 1 channels"
        ):
            winograd_conv(torch.zeros(1, 2, 5, 5), torch.zeros(1, 1, 3, 3))
        with pytest.raises(TypeError, match="input must be a torch.Tensor; got list"):
            winograd_conv([[1.0]], torch.zeros(1, 1, 3, 3))
        with pytest.raises(
            ValueError, match=r"points must hold m \+ r - 2 = 3 finite points; got 1"
        ):
            winograd_conv(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), points=[0])
        with pytest.raises(
            TypeError,
            match="winograd_conv takes a floating or complex input; got input of dtype torch.int64",
        ):
            winograd_conv(
                torch.ones(1, 1, 5, 5, dtype=torch.long),
                torch.ones(1, 1, 3, 3, dtype=torch.long),
            )

    def test_empty_batch_and_points(self):
        out = winograd_conv(torch.zeros(0, 2, 6, 7), torch.zeros(3, 2, 3, 3))
        assert out.shape == (0, 3, 4, 5)
        x, w = randn(0, 2, 3, 9, 8), randn(1, 4, 3, 3, 3)
        _assert_close(
            winograd_conv(x, w, points=[0, 2, -2]), TF.conv2d(x, w), "winograd"
        )
