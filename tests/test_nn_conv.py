import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.nn.conv import (
    choose_conv_method,
    conv1d,
    conv2d,
    conv2d_backward,
    conv_transpose2d,
)
from nn_strategies import assert_matches, conv_cases, randn, with_device

METHODS = ["direct", "im2col", "fft", "auto"]
DTYPES = [torch.float32, torch.float64]


def _tensors(case, dtype, device):
    x = randn(case["seed"], *case["input"], dtype=dtype, device=device)
    w = randn(case["seed"] + 1, *case["weight"], dtype=dtype, device=device)
    b = (
        randn(case["seed"] + 2, case["weight"][0], dtype=dtype, device=device)
        if case["bias"]
        else None
    )
    return x, w, b


def _kwargs(case):
    return {k: case[k] for k in ("stride", "padding", "dilation", "groups")}


class TestConv2d:
    @with_device
    @given(case=conv_cases())
    def test_matches_torch(self, device, case):
        for dtype in DTYPES:
            x, w, b = _tensors(case, dtype, device)
            ref = TF.conv2d(x, w, b, **_kwargs(case))
            for method in METHODS:
                assert_matches(conv2d(x, w, b, **_kwargs(case), method=method), ref)

    def test_worked_example(self):
        x = torch.arange(9.0).reshape(1, 1, 3, 3)
        w = torch.arange(4.0).reshape(1, 1, 2, 2)
        for method in METHODS:
            assert conv2d(x, w, method=method).round().tolist() == [
                [[[19.0, 25.0], [37.0, 43.0]]]
            ]

    def test_unbatched(self, device):
        x, w = randn(0, 3, 6, 5, device=device), randn(1, 4, 3, 2, 2, device=device)
        assert_matches(conv2d(x, w, padding=1), TF.conv2d(x, w, padding=1))

    def test_same_padding_uneven(self):
        x, w = randn(0, 1, 2, 5, 6), randn(1, 3, 2, 4, 2)
        with pytest.warns(UserWarning):  # torch warns that it pads unevenly
            ref = TF.conv2d(x, w, padding="same", dilation=(1, 3))
        assert_matches(conv2d(x, w, padding="same", dilation=(1, 3)), ref)
        assert ref.shape[-2:] == x.shape[-2:]

    @pytest.mark.parametrize("method", METHODS)
    def test_gradcheck(self, method):
        x = randn(0, 1, 4, 5, 4).requires_grad_()
        w = randn(1, 4, 2, 2, 3).requires_grad_()
        b = randn(2, 4).requires_grad_()
        assert torch.autograd.gradcheck(
            lambda x, w, b: conv2d(
                x,
                w,
                b,
                stride=(2, 1),
                padding=1,
                dilation=(2, 1),
                groups=2,
                method=method,
            ),
            (x, w, b),
            fast_mode=True,
        )
        same = torch.autograd.gradcheck(
            lambda x, w: conv2d(x, w, padding="same", method=method),
            (x[:, :2], w),
            fast_mode=True,
        )
        assert same

    @with_device
    @given(case=conv_cases(), budget=st.integers(1, 200))
    def test_im2col_in_row_blocks_matches_torch(self, device, case, budget):
        # a tiny column budget forces im2col to compute the output a few rows at a time
        from coursekit.nn import conv

        saved = conv._COLUMN_BUDGET, conv._COLUMN_BUDGET_ACCELERATOR
        conv._COLUMN_BUDGET = conv._COLUMN_BUDGET_ACCELERATOR = budget
        try:
            x, w, b = _tensors(case, torch.float64, device)
            assert_matches(
                conv2d(x, w, b, **_kwargs(case), method="im2col"),
                TF.conv2d(x, w, b, **_kwargs(case)),
            )
        finally:
            conv._COLUMN_BUDGET, conv._COLUMN_BUDGET_ACCELERATOR = saved

    def test_im2col_in_row_blocks_gradcheck(self, monkeypatch):
        from coursekit.nn import conv

        monkeypatch.setattr(conv, "_COLUMN_BUDGET", 50)
        x = randn(0, 2, 4, 7, 5).requires_grad_()
        w = randn(1, 4, 2, 3, 2).requires_grad_()
        assert torch.autograd.gradcheck(
            lambda x, w: conv2d(
                x,
                w,
                stride=(2, 1),
                padding=1,
                dilation=(1, 2),
                groups=2,
                method="im2col",
            ),
            (x, w),
            fast_mode=True,
        )

    def test_never_calls_torch_convolution(self, monkeypatch):
        def forbidden(*args, **kwargs):
            raise AssertionError("coursekit must compute convolutions itself")

        for name in ("conv1d", "conv2d", "conv_transpose2d", "unfold", "fold"):
            monkeypatch.setattr(TF, name, forbidden)
        for name in ("conv1d", "conv2d", "conv_transpose2d"):
            monkeypatch.setattr(torch, name, forbidden)
        x, w = randn(0, 1, 2, 6, 6), randn(1, 2, 2, 3, 3)
        for method in METHODS:
            conv2d(x, w, stride=2, padding=1, method=method)
            conv_transpose2d(x, w, stride=2, method=method)
        conv2d_backward(randn(2, 1, 2, 4, 4), x, w)

    def test_three_d_weight(self):
        with pytest.raises(
            ValueError,
            match=r"weight must be a 4-D tensor .*got a 3-D tensor of size \[8, 3, 5\]",
        ):
            conv2d(torch.zeros(1, 3, 28, 28), torch.zeros(8, 3, 5))

    def test_channel_mismatch(self):
        message = (
            r"Given groups=1, weight of size \[8, 3, 5, 5\], expected input\[1, 4, 28, 28\] to have 3 channels, "
            r"but got 4 channels instead"
        )
        with pytest.raises(ValueError, match=message):
            conv2d(torch.zeros(1, 4, 28, 28), torch.zeros(8, 3, 5, 5))

    def test_groups_not_dividing(self):
        with pytest.raises(
            ValueError,
            match=r"Given groups=2, expected weight to be divisible by 2 at dimension 0",
        ):
            conv2d(torch.zeros(1, 4, 8, 8), torch.zeros(3, 2, 3, 3), groups=2)
        with pytest.raises(
            ValueError,
            match=r"Given groups=3, weight of size \[3, 1, 3, 3\], expected .*3 channels",
        ):
            conv2d(torch.zeros(1, 4, 8, 8), torch.zeros(3, 1, 3, 3), groups=3)

    def test_kernel_larger_than_input(self):
        message = r"padded input size per channel: \(4 x 4\). Kernel size: \(5 x 5\). Kernel size can't be greater"
        with pytest.raises(ValueError, match=message):
            conv2d(
                torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 3), padding=1, dilation=2
            )

    @pytest.mark.parametrize("stride", [0, -1, (1, 0)])
    def test_bad_stride(self, stride):
        with pytest.raises(ValueError, match=r"stride must be >= 1; got (0|-1)"):
            conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), stride=stride)

    def test_negative_padding(self):
        with pytest.raises(ValueError, match=r"padding must be >= 0; got -1"):
            conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), padding=(1, -1))

    def test_unknown_padding_string(self):
        with pytest.raises(
            ValueError, match=r"padding must be one of 'valid', 'same'; got 'full'"
        ):
            conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), padding="full")

    def test_same_with_stride(self):
        with pytest.raises(
            ValueError,
            match=r"padding='same' is not supported for strided convolutions",
        ):
            conv2d(
                torch.zeros(1, 1, 5, 5),
                torch.zeros(1, 1, 3, 3),
                stride=2,
                padding="same",
            )

    def test_dtype_mismatch(self):
        with pytest.raises(
            TypeError,
            match=r"weight must have the dtype of input \(torch.float32\); got torch.float64",
        ):
            conv2d(
                torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3, dtype=torch.float64)
            )
        with pytest.raises(
            TypeError,
            match=r"bias must have the dtype of input \(torch.float32\); got torch.float64",
        ):
            conv2d(
                torch.zeros(1, 1, 5, 5),
                torch.zeros(1, 1, 3, 3),
                torch.zeros(1, dtype=torch.float64),
            )

    def test_device_mismatch(self):
        with pytest.raises(
            ValueError, match=r"weight must be on the device of input \(cpu\); got meta"
        ):
            conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3, device="meta"))

    def test_bias_shape(self):
        with pytest.raises(
            ValueError,
            match=r"bias must be a 1-D tensor of 2 elements \(out_channels\); got size \[3\]",
        ):
            conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(2, 1, 3, 3), torch.zeros(3))

    def test_unknown_method(self):
        with pytest.raises(
            ValueError,
            match=r"method must be one of 'auto', 'direct', 'im2col', 'fft', 'winograd', 'winograd4x4'; got 'gemm'",
        ):
            conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), method="gemm")

    def test_input_dimensions(self):
        with pytest.raises(
            ValueError,
            match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got",
        ):
            conv2d(torch.zeros(5, 5), torch.zeros(1, 1, 3, 3))
        with pytest.raises(TypeError, match=r"input must be a torch.Tensor; got list"):
            conv2d([[1.0]], torch.zeros(1, 1, 1, 1))

    def test_non_int_arguments(self):
        with pytest.raises(TypeError, match=r"dilation must be an int; got float 1.5"):
            conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), dilation=1.5)
        with pytest.raises(TypeError, match=r"groups must be an int; got str '1'"):
            conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), groups="1")


class TestConv1d:
    @with_device
    @given(case=conv_cases())
    def test_matches_torch(self, device, case):
        case = dict(
            case,
            input=case["input"][:2] + case["input"][3:],
            weight=case["weight"][:2] + case["weight"][3:],
        )
        kwargs = {
            k: v[1] if isinstance(v, tuple) else v for k, v in _kwargs(case).items()
        }
        for dtype in DTYPES:
            x, w, b = _tensors(case, dtype, device)
            ref = TF.conv1d(x, w, b, **kwargs)
            for method in METHODS:
                assert_matches(conv1d(x, w, b, **kwargs, method=method), ref)

    def test_worked_example(self):
        x = torch.tensor([[[1.0, 2, 3, 1, 2, 3, 1, 2, 3]]])
        h = torch.ones(1, 1, 3) / 3
        torch.testing.assert_close(conv1d(x, h, padding=0), torch.full((1, 1, 7), 2.0))
        torch.testing.assert_close(
            conv1d(x, h, stride=2, padding=1), torch.tensor([[[1.0, 2, 2, 2, 5 / 3]]])
        )

    def test_gradcheck(self):
        x, w, b = (
            randn(0, 2, 2, 9).requires_grad_(),
            randn(1, 3, 2, 3).requires_grad_(),
            randn(2, 3).requires_grad_(),
        )
        assert torch.autograd.gradcheck(
            lambda x, w, b: conv1d(x, w, b, stride=2, padding=1, dilation=2),
            (x, w, b),
            fast_mode=True,
        )

    def test_unbatched(self):
        x, w = randn(0, 2, 9), randn(1, 3, 2, 3)
        assert_matches(conv1d(x, w, padding="same"), TF.conv1d(x, w, padding="same"))

    def test_four_d_weight(self):
        with pytest.raises(
            ValueError, match=r"weight must be a 3-D tensor .*got a 4-D tensor"
        ):
            conv1d(torch.zeros(1, 1, 9), torch.zeros(1, 1, 1, 3))

    def test_pair_stride(self):
        with pytest.raises(
            ValueError,
            match=r"stride must be an int or a 1-tuple of an int; got \(1, 2\)",
        ):
            conv1d(torch.zeros(1, 1, 9), torch.zeros(1, 1, 3), stride=(1, 2))


class TestConvTranspose2d:
    @with_device
    @given(case=conv_cases(), data=st.data())
    def test_matches_torch(self, device, case, data):
        if isinstance(case["padding"], str):
            case["padding"] = 0
        O, Cg, kH, kW = case["weight"]
        groups = case["groups"]
        case = dict(case, weight=(case["input"][1], O // groups, kH, kW))
        output_padding = tuple(
            data.draw(st.integers(0, max(s, d) - 1))
            for s, d in zip(case["stride"], case["dilation"])
        )
        for dtype in DTYPES:
            x, w, _ = _tensors(case, dtype, device)
            b = (
                randn(case["seed"] + 2, O, dtype=dtype, device=device)
                if case["bias"]
                else None
            )
            kwargs = dict(
                stride=case["stride"],
                padding=case["padding"],
                output_padding=output_padding,
                groups=groups,
                dilation=case["dilation"],
            )
            try:
                ref = TF.conv_transpose2d(x, w, b, **kwargs)
            except RuntimeError:
                with pytest.raises(ValueError, match="output size"):
                    conv_transpose2d(x, w, b, **kwargs)
                return
            assert_matches(conv_transpose2d(x, w, b, **kwargs), ref)

    def test_gradcheck(self):
        x, w, b = (
            randn(0, 1, 4, 3, 4).requires_grad_(),
            randn(1, 4, 1, 2, 3).requires_grad_(),
            randn(2, 2).requires_grad_(),
        )
        kwargs = dict(
            stride=2, padding=(1, 0), output_padding=1, groups=2, dilation=(1, 2)
        )
        assert torch.autograd.gradcheck(
            lambda x, w, b: conv_transpose2d(x, w, b, **kwargs),
            (x, w, b),
            fast_mode=True,
        )

    def test_upsamples(self):
        x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        out = conv_transpose2d(x, torch.ones(1, 1, 2, 2), stride=2)
        assert out.tolist() == [
            [[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]
        ]

    def test_channel_mismatch(self):
        message = r"Given transposed=1, weight of size \[4, 8, 3, 3\], expected input\[1, 3, 5, 5\] to have 4 channels"
        with pytest.raises(ValueError, match=message):
            conv_transpose2d(torch.zeros(1, 3, 5, 5), torch.zeros(4, 8, 3, 3))

    def test_output_padding_too_large(self):
        with pytest.raises(
            ValueError,
            match=r"output_padding must be smaller than either stride or dilation",
        ):
            conv_transpose2d(
                torch.zeros(1, 1, 5, 5),
                torch.zeros(1, 1, 3, 3),
                stride=2,
                output_padding=2,
            )

    def test_empty_output(self):
        with pytest.raises(ValueError, match=r"output size would be \[-1, -1\]"):
            conv_transpose2d(
                torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 1, 1), padding=1
            )


class TestConv2dBackward:
    @with_device
    @given(case=conv_cases())
    def test_matches_autograd(self, device, case):
        x, w, b = _tensors(dict(case, bias=True), torch.float64, device)
        x.requires_grad_()
        w.requires_grad_()
        b.requires_grad_()
        out = TF.conv2d(x, w, b, **_kwargs(case))
        dy = randn(case["seed"] + 3, *out.shape, device=device)
        expected = torch.autograd.grad(out, (x, w, b), dy)
        got = conv2d_backward(dy, x.detach(), w.detach(), **_kwargs(case))
        for g, e in zip(got, expected):
            assert_matches(g, e)

    @with_device
    @given(
        case=conv_cases(),
        budget=st.sampled_from([1, 64, 2**22]),
        scatters=st.sampled_from([0, 2048]),
    )
    def test_autograd_of_every_method_matches_torch(
        self, device, case, budget, scatters, monkeypatch
    ):
        # im2col differentiates by these formulas (a custom autograd.Function), in row blocks or whole,
        # its input gradient by col2im or (no scatters allowed) one product per kernel tap
        from coursekit.nn import conv

        monkeypatch.setattr(conv, "_MAX_SCATTERS", scatters)

        x, w, b = _tensors(dict(case, bias=True), torch.float64, device)
        x.requires_grad_()
        w.requires_grad_()
        out = TF.conv2d(x, w, b, **_kwargs(case))
        dy = randn(case["seed"] + 3, *out.shape, device=device, dtype=torch.float64)
        expected = torch.autograd.grad(out, (x, w), dy)
        saved = conv._COLUMN_BUDGET, conv._COLUMN_BUDGET_ACCELERATOR
        conv._COLUMN_BUDGET = conv._COLUMN_BUDGET_ACCELERATOR = budget
        try:
            for method in METHODS:
                got = torch.autograd.grad(
                    conv2d(x, w, b, **_kwargs(case), method=method), (x, w), dy
                )
                for g, e in zip(got, expected):
                    assert_matches(g, e)
        finally:
            conv._COLUMN_BUDGET, conv._COLUMN_BUDGET_ACCELERATOR = saved

    def test_im2col_weight_only_gradient(self):
        # the first layer of a network: no gradient for the input is asked for
        x, w = randn(0, 3, 2, 7, 6), randn(1, 4, 2, 3, 3).requires_grad_()
        (dw,) = torch.autograd.grad(conv2d(x, w, padding=1).sum(), (w,))
        (ref,) = torch.autograd.grad(TF.conv2d(x, w, padding=1).sum(), (w,))
        assert_matches(dw, ref)

    def test_im2col_second_derivatives(self):
        x = randn(0, 1, 2, 5, 4, dtype=torch.float64).requires_grad_()
        w = randn(1, 2, 2, 2, 3, dtype=torch.float64).requires_grad_()
        assert torch.autograd.gradgradcheck(
            lambda x, w: conv2d(x, w, stride=(1, 2), padding=1), (x, w)
        )

    def test_worked_example(self):
        x = torch.arange(9.0).reshape(1, 1, 3, 3)
        w = torch.arange(4.0).reshape(1, 1, 2, 2)
        dx, dw, db = conv2d_backward(torch.ones(1, 1, 2, 2), x, w)
        # dX22 = W22 + W21 + W12 + W11, the slide's formula with all dh = 1
        assert dx.tolist() == [[[[0, 1, 1], [2, 6, 4], [2, 5, 3]]]]
        assert dw.tolist() == [[[[8, 12], [20, 24]]]]
        assert db.tolist() == [4]

    def test_unbatched(self):
        x, w = randn(0, 2, 5, 5), randn(1, 3, 2, 2, 2)
        dx, dw, db = conv2d_backward(randn(2, 3, 4, 4), x, w)
        assert dx.shape == x.shape and dw.shape == w.shape and db.shape == (3,)

    def test_grad_output_shape(self):
        with pytest.raises(
            ValueError,
            match=r"grad_output must have the shape of conv2d's output \[1, 1, 3, 3\]",
        ):
            conv2d_backward(
                torch.zeros(1, 1, 2, 2),
                torch.zeros(1, 1, 5, 5),
                torch.zeros(1, 1, 3, 3),
            )


def _empty_batch(case):
    return dict(case, input=(0, *case["input"][1:]))


def _autograd(f, x, w, b, dy=None):
    """The output of ``f(x, w, b)`` and its gradients with respect to x, w (and b) for ``dy`` (default zeros)."""
    leaves = [t.detach().requires_grad_() for t in (x, w, b) if t is not None]
    out = f(*leaves, *([None] if b is None else []))
    return (
        out,
        *torch.autograd.grad(out, leaves, torch.zeros_like(out) if dy is None else dy),
    )


class TestEmptyBatch:
    """N = 0: every function and method returns torch's empty output, and backward torch's gradients."""

    @with_device
    @given(case=conv_cases())
    def test_conv2d_every_method(self, device, case):
        case = _empty_batch(case)
        x, w, b = _tensors(case, torch.float64, device)
        expected = _autograd(
            lambda x, w, b: TF.conv2d(x, w, b, **_kwargs(case)), x, w, b
        )
        for method in METHODS:
            got = _autograd(
                lambda x, w, b, m=method: conv2d(x, w, b, **_kwargs(case), method=m),
                x,
                w,
                b,
            )
            for g, e in zip(got, expected):
                assert_matches(g, e)

    @with_device
    @given(case=conv_cases())
    def test_conv2d_backward(self, device, case):
        case = _empty_batch(case)
        x, w, b = _tensors(dict(case, bias=True), torch.float64, device)
        expected = _autograd(
            lambda x, w, b: TF.conv2d(x, w, b, **_kwargs(case)), x, w, b
        )
        got = conv2d_backward(torch.zeros_like(expected[0]), x, w, **_kwargs(case))
        for g, e in zip(got, expected[1:]):
            assert_matches(g, e)

    @pytest.mark.parametrize("method", METHODS)
    def test_conv1d_and_conv_transpose2d(self, device, method):
        x, w, b = (
            randn(0, 0, 3, 9, device=device),
            randn(1, 4, 3, 2, device=device),
            randn(2, 4, device=device),
        )
        expected = _autograd(lambda x, w, b: TF.conv1d(x, w, b, stride=2), x, w, b)
        got = _autograd(
            lambda x, w, b: conv1d(x, w, b, stride=2, method=method), x, w, b
        )
        for g, e in zip(got, expected):
            assert_matches(g, e)
        x, w = randn(0, 0, 4, 3, 3, device=device), randn(1, 4, 2, 2, 3, device=device)
        kwargs = dict(stride=2, padding=1, output_padding=1, groups=2)
        expected = _autograd(
            lambda x, w, b: TF.conv_transpose2d(x, w, b, **kwargs), x, w, None
        )
        got = _autograd(
            lambda x, w, b: conv_transpose2d(x, w, b, **kwargs, method=method),
            x,
            w,
            None,
        )
        for g, e in zip(got, expected):
            assert_matches(g, e)

    @pytest.mark.parametrize("method", METHODS)
    def test_issue_example(self, method):
        out = conv2d(torch.zeros(0, 1, 1, 1), torch.zeros(1, 1, 1, 1), method=method)
        assert out.shape == (0, 1, 1, 1) and out.dtype == torch.float32


INTEGERS = [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64]


def _integers(seed, shape, dtype, low=-20, high=20):
    g = torch.Generator().manual_seed(seed)
    low = max(low, torch.iinfo(dtype).min)
    return torch.randint(low, high, shape, generator=g).to(dtype)


class TestDtypes:
    """Every method returns torch's dtype; integers exactly, half precision as if computed in float32."""

    @given(case=conv_cases(), dtype=st.sampled_from(INTEGERS))
    def test_integers_are_exact(self, case, dtype):
        x, w = (
            _integers(case["seed"], case["input"], dtype),
            _integers(case["seed"] + 1, case["weight"], dtype),
        )
        b = (
            _integers(case["seed"] + 2, case["weight"][:1], dtype)
            if case["bias"]
            else None
        )
        # computed in int64 and wrapped to the dtype: what torch's kernels give where they have one
        ref = TF.conv2d(
            x.long(), w.long(), None if b is None else b.long(), **_kwargs(case)
        ).to(dtype)
        for method in METHODS:
            out = conv2d(x, w, b, **_kwargs(case), method=method)
            assert out.dtype == dtype and torch.equal(out, ref), method

    @given(case=conv_cases(), scale=st.sampled_from([1, 2**20, 2**40]))
    def test_int64_beyond_float_precision(self, case, scale):
        # products up to 2**86 would round in float64; int64 arithmetic wraps exactly as torch's
        x = _integers(case["seed"], case["input"], torch.int64) * scale + 1
        w = _integers(case["seed"] + 1, case["weight"], torch.int64) * scale + 1
        kwargs = _kwargs(case)
        ref = TF.conv2d(x, w, **kwargs)
        for method in METHODS:
            assert torch.equal(conv2d(x, w, **kwargs, method=method), ref), method

    @pytest.mark.parametrize("method", METHODS)
    def test_issue_example(self, method):
        out = conv2d(
            torch.tensor([[[[2**25 + 1]]]]),
            torch.ones(1, 1, 1, 1, dtype=torch.long),
            method=method,
        )
        assert out.dtype == torch.int64 and out.item() == 33554433

    def test_integer_conv1d_and_transpose(self):
        x, w = (
            _integers(0, (2, 3, 11), torch.int32),
            _integers(1, (4, 3, 3), torch.int32),
        )
        for method in METHODS:
            out = conv1d(x, w, stride=2, padding=1, method=method)
            assert out.dtype == torch.int32 and torch.equal(
                out, TF.conv1d(x, w, stride=2, padding=1)
            )
        x, w = (
            _integers(0, (2, 4, 5, 6), torch.int64) * 2**40 + 1,
            _integers(1, (4, 3, 3, 2), torch.int64) + 1,
        )
        for method in METHODS:
            out = conv_transpose2d(x, w, stride=2, padding=1, method=method)
            assert torch.equal(out, TF.conv_transpose2d(x, w, stride=2, padding=1))

    def test_choose_conv_method_keeps_integers_exact(self):
        big = (
            torch.zeros(1, 1, 256, 256, dtype=torch.int64),
            torch.zeros(1, 1, 31, 31, dtype=torch.int64),
        )
        assert choose_conv_method(*big) == "im2col"

    @with_device
    @given(case=conv_cases(), dtype=st.sampled_from([torch.float16, torch.bfloat16]))
    def test_half_precision_is_rounded_once(self, device, case, dtype):
        # every output within half a unit in the last place of the exact value (plus float32 rounding)
        x, w, b = (
            t if t is None else t.to(dtype)
            for t in _tensors(case, torch.float64, device)
        )
        exact = TF.conv2d(
            *(t if t is None else t.double() for t in (x, w, b)), **_kwargs(case)
        )
        unit = torch.finfo(dtype).eps / 2  # the unit roundoff
        for method in METHODS:
            out = conv2d(x, w, b, **_kwargs(case), method=method)
            assert out.dtype == dtype and out.device == x.device
            bound = unit * exact.abs() + 1e-5 * max(1.0, float(exact.abs().max()))
            assert ((out.double() - exact).abs() <= bound).all(), method

    @pytest.mark.parametrize("method", METHODS)
    def test_half_precision_accumulates_in_float32(self, method):
        # 1024 ones summed in bfloat16 (8 significant bits) stop at 256; in float32 they reach 1024
        ones = torch.ones(1, 1, 1024, dtype=torch.bfloat16)
        assert conv1d(ones, ones, method=method).item() == 1024

    @pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
    def test_half_precision_fft_everywhere(self, dtype):
        x, w = randn(0, 2, 3, 9, 9).to(dtype), randn(1, 3, 4, 3, 3).to(dtype)
        for out, ref in [
            (
                conv2d(x, w.transpose(0, 1), method="fft"),
                TF.conv2d(x, w.transpose(0, 1)),
            ),
            (
                conv1d(x[:, :, 0], w[:, :, 0].transpose(0, 1), method="fft"),
                TF.conv1d(x[:, :, 0], w[:, :, 0].transpose(0, 1)),
            ),
            (
                conv_transpose2d(x, w, stride=2, method="fft"),
                TF.conv_transpose2d(x, w, stride=2),
            ),
        ]:
            assert out.dtype == dtype
            # one rounding on each side: at most a unit in the last place apart
            scale = float(ref.abs().max())
            torch.testing.assert_close(
                out,
                ref,
                rtol=torch.finfo(dtype).eps,
                atol=torch.finfo(dtype).eps * scale,
            )
        dx, dw, db = conv2d_backward(
            torch.ones(2, 4, 7, 7, dtype=dtype), x, w.transpose(0, 1)
        )
        assert dx.dtype == dw.dtype == db.dtype == dtype

    @with_device
    @given(case=conv_cases())
    def test_complex_every_method_and_gradient(self, device, case):
        real = _tensors(case, torch.float64, device)
        imag = _tensors(dict(case, seed=case["seed"] + 7), torch.float64, device)
        x, w, b = (r if r is None else torch.complex(r, i) for r, i in zip(real, imag))
        out = TF.conv2d(x, w, b, **_kwargs(case))
        dy = torch.complex(
            *(randn(case["seed"] + k, *out.shape, device=device) for k in (3, 4))
        )
        expected = _autograd(
            lambda x, w, b: TF.conv2d(x, w, b, **_kwargs(case)), x, w, b, dy
        )
        for method in METHODS:
            got = _autograd(
                lambda x, w, b, m=method: conv2d(x, w, b, **_kwargs(case), method=m),
                x,
                w,
                b,
                dy,
            )
            for g, e in zip(got, expected):
                assert_matches(g, e)
        for g, e in zip(conv2d_backward(dy, x, w, **_kwargs(case)), expected[1:]):
            assert_matches(g, e)

    def test_complex_conv1d_and_transpose(self):
        x, w = (
            torch.complex(randn(0, 2, 2, 9), randn(1, 2, 2, 9)),
            torch.complex(randn(2, 2, 3, 3), randn(3, 2, 3, 3)),
        )
        for method in METHODS:
            assert_matches(
                conv1d(x, w.transpose(0, 1), padding=1, method=method),
                TF.conv1d(x, w.transpose(0, 1), padding=1),
            )
            assert_matches(
                conv_transpose2d(x[:, :, None], w[:, :, None], stride=2, method=method),
                TF.conv_transpose2d(x[:, :, None], w[:, :, None], stride=2),
            )

    def test_integers_on_the_cpu_only(self, device):
        x, w = (
            torch.ones(1, 1, 3, 3, dtype=torch.int64, device=device),
            torch.ones(1, 1, 2, 2, dtype=torch.int64),
        )
        if device.type == "cpu":
            assert conv2d(x, w).tolist() == [[[[4, 4], [4, 4]]]]
        elif device.type == "cuda":
            with pytest.raises(
                TypeError,
                match=r"input of dtype torch.int64 is convolved on the CPU only, by every",
            ):
                conv2d(x, w.to(device))

    def test_bool_is_refused(self):
        message = r"a convolution takes a floating, complex or integer input; got input of dtype torch.bool"
        with pytest.raises(TypeError, match=message):
            conv2d(
                torch.ones(1, 1, 3, 3, dtype=torch.bool),
                torch.ones(1, 1, 2, 2, dtype=torch.bool),
            )


class TestSizeTuples:
    """A one-element tuple means that size on both axes, as in torch."""

    @given(case=conv_cases(), method=st.sampled_from(METHODS))
    def test_conv2d(self, case, method):
        if isinstance(case["padding"], str):
            case["padding"] = 1
        x, w, b = _tensors(case, torch.float64, "cpu")
        kwargs = dict(
            _kwargs(case), stride=case["stride"][:1], dilation=case["dilation"][:1]
        )
        kwargs["padding"] = (
            case["padding"] if isinstance(case["padding"], int) else case["padding"][0],
        )
        try:
            ref = TF.conv2d(x, w, b, **kwargs)
        except RuntimeError:
            with pytest.raises(
                ValueError, match="Kernel size can't be greater than actual input size"
            ):
                conv2d(x, w, b, **kwargs, method=method)
            return
        assert_matches(conv2d(x, w, b, **kwargs, method=method), ref)

    def test_conv_transpose2d(self):
        x, w = randn(0, 1, 2, 4, 5), randn(1, 2, 3, 3, 2)
        kwargs = dict(stride=(2,), padding=(1,), output_padding=(1,), dilation=(2,))
        assert_matches(
            conv_transpose2d(x, w, **kwargs), TF.conv_transpose2d(x, w, **kwargs)
        )

    def test_three_entries(self):
        with pytest.raises(
            ValueError,
            match=r"stride must be an int or a tuple of one or two ints; got \(1, 2, 3\)",
        ):
            conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), stride=(1, 2, 3))

    def test_fewer_out_channels_than_groups(self):
        with pytest.raises(
            ValueError,
            match=r"Given groups=3, expected weight to be at least 3 at dimension 0",
        ):
            conv2d(torch.zeros(2, 2, 4, 3), torch.zeros(2, 2, 1, 3), groups=3)


class TestChooseConvMethod:
    def test_large_kernel_few_channels(self):
        assert (
            choose_conv_method(torch.zeros(1, 1, 256, 256), torch.zeros(1, 1, 31, 31))
            == "fft"
        )

    def test_small_kernel(self):
        assert (
            choose_conv_method(
                torch.zeros(1, 64, 56, 56), torch.zeros(64, 64, 3, 3), padding=1
            )
            == "im2col"
        )

    @pytest.mark.parametrize(
        "channels, size, expected",
        [(128, 112, "winograd"), (256, 56, "winograd"), (512, 14, "winograd")]
        + [(16, 256, "im2col"), (8, 12, "im2col")],
    )
    def test_winograd_for_deep_3x3_layers(self, channels, size, expected):
        # VGG-16's deeper 3x3 layers, where F(2x2, 3x3) measured 0.6-0.7x im2col's time
        x = torch.zeros(1, channels, size, size)
        w = torch.zeros(channels, channels, 3, 3)
        assert choose_conv_method(x, w, padding=1) == expected
        assert choose_conv_method(x, w, padding=1, stride=2) != "winograd"
        assert choose_conv_method(x, w, padding=2, dilation=2) != "winograd"

    def test_validates(self):
        with pytest.raises(ValueError, match="Given groups=1"):
            choose_conv_method(torch.zeros(1, 2, 8, 8), torch.zeros(1, 1, 3, 3))


_NONFINITE = st.sampled_from([float("nan"), float("inf"), -float("inf")])


@st.composite
def _nonfinite_entries(draw, shape):
    """One to three (index, value) pairs: positions in a tensor of ``shape`` and a NaN or an infinity for each."""
    positions = st.tuples(*(st.integers(0, n - 1) for n in shape))
    return draw(st.lists(st.tuples(positions, _NONFINITE), min_size=1, max_size=3))


def _spoil(t, entries):
    t = t.clone()
    for index, value in entries:
        t[index] = value
    return t


class TestNonFinite:
    """ "auto" never lets a transform see a NaN or an infinity: outputs are non-finite exactly where torch's are."""

    # (input, weight, padding): shapes on which the cost model chooses "fft" for finite tensors
    SHAPES = (
        ((1, 1, 24, 24), (1, 1, 9, 9), 0),
        ((2, 1, 40, 40), (2, 1, 9, 9), 4),
        ((1, 2, 32, 32), (1, 2, 11, 11), 5),
    )

    @pytest.mark.parametrize("xs, ws, padding", SHAPES)
    @given(data=st.data(), where=st.sampled_from(["input", "weight", "both"]))
    def test_conv2d_auto(self, xs, ws, padding, data, where):
        x, w = randn(0, *xs), randn(1, *ws)
        assert choose_conv_method(x, w, padding=padding) == "fft"
        if where in ("input", "both"):
            x = _spoil(x, data.draw(_nonfinite_entries(xs)))
        if where in ("weight", "both"):
            w = _spoil(w, data.draw(_nonfinite_entries(ws)))
        assert choose_conv_method(x, w, padding=padding) == "im2col"
        ref = TF.conv2d(x, w, padding=padding)
        for dtype in DTYPES:
            out = conv2d(x.to(dtype), w.to(dtype), padding=padding, method="auto")
            torch.testing.assert_close(
                out, ref.to(dtype), equal_nan=True, rtol=1e-4, atol=1e-4
            )

    @settings(max_examples=20, deadline=None)
    @given(data=st.data(), where=st.sampled_from(["input", "weight", "both"]))
    def test_conv2d_auto_winograd(self, data, where):
        # a 3x3 layer with many channels, on which the cost model chooses Winograd
        xs, ws = (1, 128, 12, 12), (128, 128, 3, 3)
        x, w = randn(2, *xs), randn(3, *ws) / 34
        assert choose_conv_method(x, w, padding=1) == "winograd"
        if where in ("input", "both"):
            x = _spoil(x, data.draw(_nonfinite_entries(xs)))
        if where in ("weight", "both"):
            w = _spoil(w, data.draw(_nonfinite_entries(ws)))
        assert choose_conv_method(x, w, padding=1) == "im2col"
        ref = TF.conv2d(x, w, padding=1)
        out = conv2d(x, w, padding=1, method="auto")
        assert torch.equal(out.isnan(), ref.isnan())
        torch.testing.assert_close(out, ref, equal_nan=True)

    @given(entries=_nonfinite_entries((1, 1, 200)))
    def test_conv1d_auto(self, entries):
        x, w = _spoil(randn(2, 1, 1, 200), entries), randn(3, 1, 1, 31)
        assert choose_conv_method(x.unsqueeze(2), w.unsqueeze(2)) == "im2col"
        assert choose_conv_method(x.nan_to_num().unsqueeze(2), w.unsqueeze(2)) == "fft"
        torch.testing.assert_close(
            conv1d(x, w, method="auto"), TF.conv1d(x, w), equal_nan=True
        )

    @given(entries=_nonfinite_entries((1, 1, 20, 20)))
    def test_conv_transpose2d_auto(self, entries):
        x, w = _spoil(randn(4, 1, 1, 20, 20), entries), randn(5, 1, 1, 9, 9)
        ref = TF.conv_transpose2d(x, w, stride=2, padding=1)
        torch.testing.assert_close(
            conv_transpose2d(x, w, stride=2, padding=1, method="auto"),
            ref,
            equal_nan=True,
        )

    def test_the_fft_itself_spreads_them(self):
        x, w = randn(0, 1, 1, 24, 24), randn(1, 1, 1, 9, 9)
        x[0, 0, 0, 0] = float("nan")
        assert int(torch.isnan(TF.conv2d(x, w)).sum()) == 1
        assert bool(torch.isnan(conv2d(x, w, method="fft")).all())

    def test_benchmark_mode_keeps_the_rule(self, monkeypatch):
        from coursekit.nn import autotune

        # whatever the timings say, a tensor with a NaN is not transformed
        monkeypatch.setattr(autotune, "benchmark_mode", lambda: True)
        for winner in ("fft", "winograd"):
            monkeypatch.setattr(
                autotune,
                "fastest",
                lambda run, methods, key, device, tracked, m=winner: m,
            )
            x, w = randn(6, 1, 2, 12, 12), randn(7, 3, 2, 3, 3)
            x[0, 1, 4, 4] = float("inf")
            torch.testing.assert_close(
                conv2d(x, w, padding=1, method="auto"),
                TF.conv2d(x, w, padding=1),
                equal_nan=True,
            )

    def test_modules_auto(self):
        from coursekit import nn as cknn

        x = randn(8, 1, 1, 24, 24)
        x[0, 0, 3, 5] = float("nan")
        layer = cknn.Conv2d(1, 2, 9, method="auto", dtype=torch.float64)
        ref = TF.conv2d(x, layer.weight, layer.bias)
        torch.testing.assert_close(layer(x), ref, equal_nan=True)
        assert (
            int(torch.isnan(ref).sum()) == 2 * 4 * 6
        )  # 2 channels, the windows that hold pixel (3, 5)
