import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

from coursekit.nn.pooling import (
    avg_pool2d,
    max_pool2d,
    max_unpool2d,
    pool_output_length,
)
from nn_strategies import assert_matches, randn, with_device

DTYPES = [torch.float32, torch.float64]
SLIDE = torch.tensor([[[[2.0, 3, 4, 0], [1, 5, 3, 2], [0, 4, 2, 3], [1, 0, 6, 1]]]])


@st.composite
def pool_cases(draw, dilation=True):
    """A pooling call torch accepts (padding at most half the window, output not empty)."""
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dil)]
    size = [draw(st.integers(max(1, e - 2 * p), 12)) for e, p in zip(extent, padding)]
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 4)), *size)
    return dict(
        shape=shape,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        dilation=dil,
        ceil_mode=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )


class TestMaxPool2d:
    @with_device
    @given(case=pool_cases())
    def test_matches_torch(self, device, case):
        kwargs = {
            k: case[k]
            for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
        }
        for dtype in DTYPES:
            x = randn(case["seed"], *case["shape"], dtype=dtype, device=device)
            ref, ref_indices = TF.max_pool2d(x, return_indices=True, **kwargs)
            out, indices = max_pool2d(x, return_indices=True, **kwargs)
            assert_matches(out, ref)
            assert torch.equal(indices, ref_indices)

    @with_device
    @given(case=pool_cases())
    def test_gradient_matches_torch(self, device, case):
        kwargs = {
            k: case[k]
            for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
        }
        x = randn(case["seed"], *case["shape"], device=device).requires_grad_()
        ref = TF.max_pool2d(x, **kwargs)
        dy = randn(case["seed"] + 1, *ref.shape, device=device)
        expected = torch.autograd.grad(ref, x, dy)[0]
        assert_matches(torch.autograd.grad(max_pool2d(x, **kwargs), x, dy)[0], expected)

    @with_device
    @given(case=pool_cases(), nan=st.booleans())
    def test_ties_and_nan_without_indices(self, device, case, nan):
        # rounded ReLU outputs tie often; without return_indices (the path layers take)
        # the value and the gradient must still go to the first maximum, NaN included
        kwargs = {
            k: case[k]
            for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
        }
        x = randn(case["seed"], *case["shape"], device=device).relu().round()
        if nan:
            x.view(-1)[case["seed"] % x.numel()] = float("nan")
        x.requires_grad_()
        ref = TF.max_pool2d(x, **kwargs)
        out = max_pool2d(x, **kwargs)
        assert torch.equal(out.isnan(), ref.isnan())
        assert torch.equal(out.nan_to_num(), ref.nan_to_num())
        dy = randn(case["seed"] + 1, *ref.shape, device=device)
        expected = torch.autograd.grad(ref, x, dy)[0]
        assert_matches(torch.autograd.grad(out, x, dy)[0], expected)

    def test_gradcheck(self):
        x = randn(0, 1, 2, 5, 6).requires_grad_()
        assert torch.autograd.gradcheck(
            lambda x: max_pool2d(x, (2, 3), stride=(1, 2), padding=1, ceil_mode=True),
            (x,),
        )

    def test_gradcheck_overlapping_windows(self):
        x = randn(0, 1, 2, 5, 6, dtype=torch.float64).requires_grad_()
        assert torch.autograd.gradcheck(lambda x: max_pool2d(x, 3, stride=1), (x,))

    def test_slide_example(self):
        out, indices = max_pool2d(SLIDE, 2, return_indices=True)
        assert out.tolist() == [[[[5, 4], [4, 6]]]]
        assert indices.tolist() == [[[[5, 2], [9, 14]]]]

    def test_ties_pick_the_first_maximum(self):
        # every window of a constant image ties: value, index and gradient go to its first element
        x = torch.ones(1, 1, 4, 4, requires_grad=True)
        out, indices = max_pool2d(x, 2, return_indices=True)
        ref_out, ref_indices = TF.max_pool2d(x, 2, return_indices=True)
        assert torch.equal(indices, ref_indices) and indices.tolist() == [
            [[[0, 2], [8, 10]]]
        ]
        (grad,) = torch.autograd.grad(out.sum(), x)
        assert torch.equal(grad, torch.autograd.grad(ref_out.sum(), x)[0])

    def test_ceil_mode_seven_to_four(self):
        assert max_pool2d(torch.zeros(1, 8, 7, 7), 2).shape == (1, 8, 3, 3)
        assert max_pool2d(torch.zeros(1, 8, 7, 7), 2, ceil_mode=True).shape == (
            1,
            8,
            4,
            4,
        )

    def test_window_outside_the_input(self):
        # with dilation a window can miss the input: torch gives -inf and an index past the plane
        x = randn(0, 1, 1, 1, 11)
        kwargs = dict(
            kernel_size=(3, 4),
            stride=(3, 2),
            padding=1,
            dilation=(2, 1),
            ceil_mode=True,
            return_indices=True,
        )
        out, indices = max_pool2d(x, **kwargs)
        ref, ref_indices = TF.max_pool2d(x, **kwargs)
        assert torch.equal(out, ref) and torch.equal(indices, ref_indices)

    def test_unbatched(self):
        x = randn(0, 3, 6, 6)
        assert_matches(max_pool2d(x, 3, 2, 1), TF.max_pool2d(x, 3, 2, 1))

    def test_non_int_kernel(self):
        with pytest.raises(
            TypeError, match=r"kernel_size must be an int; got float 2.5"
        ):
            max_pool2d(torch.zeros(1, 1, 4, 4), 2.5)

    def test_padding_too_large(self):
        with pytest.raises(
            ValueError,
            match=r"pad should be smaller than or equal to half of kernel size",
        ):
            max_pool2d(torch.zeros(1, 1, 4, 4), 2, padding=2)

    def test_output_too_small(self):
        with pytest.raises(
            ValueError,
            match=r"Calculated output size: \(0, 0\). Output size is too small",
        ):
            max_pool2d(torch.zeros(1, 1, 2, 2), 3)

    def test_bad_stride(self):
        with pytest.raises(ValueError, match=r"stride must be >= 1; got 0"):
            max_pool2d(torch.zeros(1, 1, 4, 4), 2, stride=0)

    def test_input_dimensions(self):
        with pytest.raises(
            ValueError,
            match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to max_pool2d",
        ):
            max_pool2d(torch.zeros(4, 4), 2)


class TestAvgPool2d:
    @with_device
    @given(
        case=pool_cases(dilation=False),
        include=st.booleans(),
        divisor=st.sampled_from([None, 1, 3]),
    )
    def test_matches_torch(self, device, case, include, divisor):
        kwargs = {k: case[k] for k in ("kernel_size", "stride", "padding", "ceil_mode")}
        kwargs.update(count_include_pad=include, divisor_override=divisor)
        for dtype in DTYPES:
            x = randn(case["seed"], *case["shape"], dtype=dtype, device=device)
            assert_matches(avg_pool2d(x, **kwargs), TF.avg_pool2d(x, **kwargs))

    def test_gradcheck(self):
        x = randn(0, 1, 2, 5, 6).requires_grad_()
        assert torch.autograd.gradcheck(
            lambda x: avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
            (x,),
            fast_mode=True,
        )

    def test_slide_example(self):
        assert avg_pool2d(SLIDE, 2).tolist() == [[[[2.75, 2.25], [1.25, 3.0]]]]

    def test_unbatched(self):
        x = randn(0, 3, 6, 6)
        assert_matches(avg_pool2d(x, 2), TF.avg_pool2d(x, 2))

    def test_zero_divisor(self):
        with pytest.raises(ValueError, match=r"divisor_override must not be 0"):
            avg_pool2d(torch.zeros(1, 1, 4, 4), 2, divisor_override=0)

    def test_padding_too_large(self):
        with pytest.raises(
            ValueError,
            match=r"pad should be smaller than or equal to half of kernel size",
        ):
            avg_pool2d(torch.zeros(1, 1, 4, 4), 3, padding=2)

    @given(
        case=pool_cases(dilation=False),
        include=st.booleans(),
        divisor=st.sampled_from([None, 3, -2]),
        dtype=st.sampled_from([torch.uint8, torch.int8, torch.int32, torch.int64]),
    )
    def test_integers_keep_their_dtype_and_truncate(
        self, case, include, divisor, dtype
    ):
        kwargs = {k: case[k] for k in ("kernel_size", "stride", "padding", "ceil_mode")}
        kwargs.update(count_include_pad=include, divisor_override=divisor)
        g = torch.Generator().manual_seed(case["seed"])
        x = torch.randint(
            max(-100, torch.iinfo(dtype).min), 100, case["shape"], generator=g
        )
        out = avg_pool2d(x.to(dtype), **kwargs)
        # torch pools int64 only: its mean of any integer type fits that type
        assert out.dtype == dtype and torch.equal(
            out, TF.avg_pool2d(x, **kwargs).to(dtype)
        )

    def test_integer_issue_example(self):
        out = avg_pool2d(torch.tensor([[[[1, 2], [4, 4]]]]), 2)
        assert out.dtype == torch.int64 and out.tolist() == [[[[2]]]]
        # -3.5 truncated towards zero
        assert avg_pool2d(torch.tensor([[[[-7, 0]]]]), (1, 2)).item() == -3

    @pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
    def test_half_precision_sums_in_float32(self, dtype):
        x = randn(0, 2, 3, 9, 9).to(dtype)
        exact = TF.avg_pool2d(x.double(), 3, 1, 1)
        out = avg_pool2d(x, 3, 1, 1)
        assert out.dtype == dtype
        assert (
            (out.double() - exact).abs()
            <= torch.finfo(dtype).eps / 2 * exact.abs() + 1e-6
        ).all()

    def test_complex_averages_both_parts(self):
        re, im = randn(0, 1, 2, 5, 6), randn(1, 1, 2, 5, 6)
        out = avg_pool2d(torch.complex(re, im), 2, 1, 1, count_include_pad=False)
        assert_matches(out.real, TF.avg_pool2d(re, 2, 1, 1, count_include_pad=False))
        assert_matches(out.imag, TF.avg_pool2d(im, 2, 1, 1, count_include_pad=False))

    def test_bool_is_refused(self):
        with pytest.raises(
            TypeError,
            match=r"avg_pool2d takes a floating, complex or integer input; got .*torch.bool",
        ):
            avg_pool2d(torch.ones(1, 1, 2, 2, dtype=torch.bool), 2)


class TestPoolingEdgeCases:
    """Empty batches, one-element size tuples and refused dtypes, for every pooling function."""

    @with_device
    @given(case=pool_cases())
    def test_one_element_tuples_mean_both_axes(self, device, case):
        k, s, p = (
            case["kernel_size"][0],
            (case["stride"] or case["kernel_size"])[0],
            case["padding"][0],
        )
        x = randn(
            case["seed"],
            case["shape"][0],
            case["shape"][1],
            max(case["shape"][2:]),
            max(case["shape"][2:]),
            device=device,
        )
        if (
            2 * p > k
            or pool_output_length(x.shape[-1], k, s, p, case["dilation"][0]) < 1
        ):
            return
        args = ((k,), (s,), (p,))
        for ours, theirs in [(max_pool2d, TF.max_pool2d), (avg_pool2d, TF.avg_pool2d)]:
            assert_matches(ours(x, *args), theirs(x, *args))
        out, indices = max_pool2d(
            x, *args, dilation=(case["dilation"][0],), return_indices=True
        )
        ref_out, ref_indices = TF.max_pool2d(
            x, *args, dilation=(case["dilation"][0],), return_indices=True
        )
        assert_matches(out, ref_out)
        assert torch.equal(indices, ref_indices)

    def test_issue_example(self):
        x = torch.arange(16.0).reshape(1, 1, 4, 4)
        assert_matches(avg_pool2d(x, 2, 2, (0,)), TF.avg_pool2d(x, 2, 2, (0,)))
        assert avg_pool2d(x, 2, 2, (0,)).shape == (1, 1, 2, 2)

    def test_three_entries(self):
        with pytest.raises(
            ValueError,
            match=r"kernel_size must be an int or a tuple of one or two ints; got \(2, 2, 2\)",
        ):
            avg_pool2d(torch.ones(1, 1, 4, 4), (2, 2, 2))

    @with_device
    @given(case=pool_cases())
    def test_empty_batch(self, device, case):
        x = randn(case["seed"], 0, *case["shape"][1:], device=device).requires_grad_()
        kwargs = {
            k: case[k]
            for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
        }
        (out, indices), (ref, ref_indices) = (
            f(x, **kwargs, return_indices=True) for f in (max_pool2d, TF.max_pool2d)
        )
        assert_matches(out, ref)
        assert torch.equal(indices, ref_indices)
        assert torch.autograd.grad(out.sum(), x)[0].shape == x.shape
        del kwargs["dilation"]
        assert_matches(avg_pool2d(x, **kwargs), TF.avg_pool2d(x, **kwargs))
        unpool = dict(
            kernel_size=case["kernel_size"],
            stride=case["stride"],
            padding=case["padding"],
            output_size=case["shape"][-2:],
        )
        # the input's size is a valid output size only when no window was dropped
        # (dilated windows can leave rows out: torch refuses the size then, as we do)
        if (
            not case["ceil_mode"]
            and case["stride"] is None
            and set(case["dilation"]) == {1}
        ):
            assert_matches(
                max_unpool2d(out, indices, **unpool),
                TF.max_unpool2d(ref, ref_indices, **unpool),
            )

    @pytest.mark.parametrize("dtype", [torch.bool, torch.complex64])
    def test_max_pool_refuses_bool_and_complex(self, dtype):
        message = rf"max_pool2d takes a real \(floating or integer\) input; got input of dtype {dtype}"
        with pytest.raises(TypeError, match=message):
            max_pool2d(torch.ones(1, 1, 2, 2, dtype=dtype), 2)


class TestMaxUnpool2d:
    @with_device
    @given(case=pool_cases(dilation=False))
    def test_matches_torch(self, device, case):
        kwargs = {k: case[k] for k in ("kernel_size", "stride", "padding")}
        x = randn(case["seed"], *case["shape"], device=device)
        pooled, indices = TF.max_pool2d(x, **kwargs, return_indices=True)
        ref = TF.max_unpool2d(pooled, indices, **kwargs, output_size=x.shape)
        assert_matches(
            max_unpool2d(pooled, indices, **kwargs, output_size=x.shape), ref
        )
        try:
            ref = TF.max_unpool2d(pooled, indices, **kwargs)
        except RuntimeError:  # the default size is too small for these indices
            with pytest.raises(ValueError, match="indices must lie in"):
                max_unpool2d(pooled, indices, **kwargs)
        else:
            assert_matches(max_unpool2d(pooled, indices, **kwargs), ref)

    def test_gradcheck(self):
        x = randn(0, 1, 2, 2, 3).requires_grad_()
        indices = torch.tensor([[[[0, 3, 5], [12, 10, 15]], [[1, 2, 6], [9, 11, 14]]]])
        assert torch.autograd.gradcheck(lambda x: max_unpool2d(x, indices, 2), (x,))

    def test_slide_example(self):
        pooled, indices = max_pool2d(SLIDE, 2, return_indices=True)
        out = max_unpool2d(pooled, indices, 2)
        assert out.tolist() == [
            [[[0, 0, 4, 0], [0, 5, 0, 0], [0, 4, 0, 0], [0, 0, 6, 0]]]
        ]

    def test_output_size_out_of_range(self):
        pooled, indices = max_pool2d(SLIDE, 2, return_indices=True)
        with pytest.raises(
            ValueError,
            match=r"output_size must have 2 sizes within \(2, 6\), \(2, 6\) .*got \[6, 4\]",
        ):
            max_unpool2d(pooled, indices, 2, output_size=(6, 4))

    def test_indices_shape(self):
        with pytest.raises(
            ValueError,
            match=r"indices must be an int64 tensor of the shape of input \[1, 1, 2, 2\]",
        ):
            max_unpool2d(
                torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 1, dtype=torch.int64), 2
            )

    def test_index_outside(self):
        with pytest.raises(
            ValueError,
            match=r"indices must lie in \[0, 4\) for an output of size \[2, 2\]; got 7",
        ):
            max_unpool2d(torch.zeros(1, 1, 1, 1), torch.tensor([[[[7]]]]), 2)


class TestPoolOutputLength:
    def test_examples(self):
        assert pool_output_length(32, 2, 2) == 16  # not 15, as one source says
        assert pool_output_length(7, 2, 2, ceil_mode=True) == 4
        # the last window would start in the right padding: dropped
        assert pool_output_length(5, 2, 2, padding=1, ceil_mode=True) == 3
