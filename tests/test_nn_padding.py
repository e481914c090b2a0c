"""coursekit.nn.functional.pad against torch.nn.functional.pad: every mode, negative amounts, dtypes, gradients."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

from coursekit.nn.padding import MODES, pad
from nn_strategies import randn, with_device


def torch_pad(x, amounts, mode):
    """torch's result, or the exception it raises."""
    try:
        return TF.pad(x, amounts, mode=mode)
    except (RuntimeError, NotImplementedError, ValueError) as error:
        return error


def documented_difference(shape, amounts, mode):
    """Where coursekit refuses what torch accepts: the two documented differences of ``pad``.

    * "circular" wrapping more than once: torch checks each amount against the axis before
      cropping, then wraps what is left after cropping, reading past it (uninitialized
      memory); coursekit requires each amount to be at most what is left.
    * "reflect"/"replicate" leaving an axis with no element: torch refuses it for one
      padded axis but returns an empty (with an empty batch even a negative-size) axis for
      two or three; coursekit refuses it always.
    """
    for k in range(len(amounts) // 2):
        n, before, after = shape[len(shape) - 1 - k], amounts[2 * k], amounts[2 * k + 1]
        kept = n + min(before, 0) + min(after, 0)
        if mode == "circular" and max(before, after) > max(kept, 0):
            return True
        if mode in ("reflect", "replicate") and n + before + after < 1:
            return True
    return False


@st.composite
def pad_cases(draw, modes=MODES):
    mode = draw(st.sampled_from(modes))
    axes = draw(st.integers(0 if mode == "constant" else 1, 3))
    ndim = draw(
        st.integers(max(axes, 1), 5)
        if mode == "constant"
        else st.integers(axes + 1, axes + 2)
    )
    shape = tuple(draw(st.integers(0, 4)) for _ in range(ndim))
    amounts = tuple(draw(st.integers(-4, 4)) for _ in range(2 * axes))
    return shape, amounts, mode


class TestPad:
    @with_device
    @given(
        case=pad_cases(),
        dtype=st.sampled_from(
            [torch.float64, torch.float32, torch.int64, torch.complex64]
        ),
    )
    def test_matches_torch_or_is_a_documented_difference(self, device, case, dtype):
        shape, amounts, mode = case
        x = randn(len(shape), *shape, device=device).mul(10).to(dtype)
        expected = torch_pad(x, amounts, mode)
        try:
            out = pad(x, amounts, mode=mode)
        except ValueError:
            assert isinstance(expected, Exception) or documented_difference(
                shape, amounts, mode
            )
            return
        assert not isinstance(expected, Exception), f"torch refused {case}: {expected}"
        assert out.dtype == x.dtype and out.device == x.device
        torch.testing.assert_close(out, expected, rtol=0, atol=0)

    @given(case=pad_cases(modes=["constant", "circular"]))
    def test_bool(self, case):
        shape, amounts, mode = case
        x = randn(0, *shape) > 0
        expected = torch_pad(x, amounts, mode)
        if isinstance(expected, Exception) or documented_difference(
            shape, amounts, mode
        ):
            return
        assert torch.equal(pad(x, amounts, mode=mode), expected)

    @given(
        case=pad_cases(modes=["constant"]),
        value=st.sampled_from([1.5, -2, float("inf")]),
    )
    def test_constant_value(self, case, value):
        shape, amounts, _ = case
        x = randn(1, *shape)
        expected = torch_pad(x, amounts, "constant")
        if not isinstance(expected, Exception):
            torch.testing.assert_close(
                pad(x, amounts, value=value),
                TF.pad(x, amounts, value=value),
                rtol=0,
                atol=0,
            )

    @given(
        case=pad_cases(modes=["constant"]),
        layout=st.sampled_from(["transposed", "strided", "expanded"]),
    )
    def test_constant_any_layout_with_gradient(self, case, layout):
        # the constant mode copies into a strided view of its output: inputs of any layout, and autograd
        shape, amounts, _ = case
        base = randn(2, *shape)
        x = {
            "transposed": base.mT if base.dim() > 1 else base,
            "strided": torch.repeat_interleave(base, 2, dim=-1)[..., ::2]
            if base.numel()
            else base,
            "expanded": base[..., :1].expand(shape) if base.numel() else base,
        }[layout].requires_grad_()
        expected = torch_pad(x, amounts, "constant")
        if isinstance(expected, Exception):
            return
        out = pad(x, amounts)
        torch.testing.assert_close(out, expected, rtol=0, atol=0)
        assert out.is_contiguous()
        dy = randn(3, *out.shape)
        (ours,) = torch.autograd.grad(out, x, dy, allow_unused=True)
        (theirs,) = torch.autograd.grad(expected, x, dy, allow_unused=True)
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-12)

    def test_numpy_ints_and_sizes(self):
        x = torch.arange(6).view(2, 3)
        expected = TF.pad(x, (1, -1, 0, 2))
        assert torch.equal(pad(x, [np.int64(1), np.int8(-1), 0, 2]), expected)
        assert torch.equal(pad(x, torch.Size((1, -1, 0, 2))), expected)

    def test_integer_input_truncates_a_float_value(self):
        assert pad(torch.tensor([1, 2]), (1, 1), value=2.7).tolist() == [2, 1, 2, 2]

    @pytest.mark.parametrize("mode", MODES)
    def test_gradcheck(self, mode):
        x = randn(0, 2, 3, 4, 5).requires_grad_()
        amounts = (2, -1, 3, 1) if mode != "circular" else (2, -1, -2, 1)
        assert torch.autograd.gradcheck(lambda x: pad(x, amounts, mode=mode), (x,))
        assert torch.autograd.gradgradcheck(lambda x: pad(x, amounts, mode=mode), (x,))

    @pytest.mark.parametrize("mode", MODES)
    def test_gradient_matches_torch(self, mode):
        x = randn(0, 2, 3, 5, 6).requires_grad_()
        amounts = (4, 3, -1, 2)
        dy = randn(1, 2, 3, 6, 13)
        (ours,) = torch.autograd.grad(pad(x, amounts, mode=mode), x, dy)
        (theirs,) = torch.autograd.grad(TF.pad(x, amounts, mode=mode), x, dy)
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-12)

    def test_examples(self):
        x = torch.tensor([[1, 2, 3]])
        assert pad(x, (2, 2), mode="reflect").tolist() == [[3, 2, 1, 2, 3, 2, 1]]
        assert pad(x, (2, 2), mode="replicate").tolist() == [[1, 1, 1, 2, 3, 3, 3]]
        assert pad(x, (2, 2), mode="circular").tolist() == [[2, 3, 1, 2, 3, 1, 2]]
        assert pad(x, (2, 1), value=9).tolist() == [[9, 9, 1, 2, 3, 9]]

    def test_circular_crops_before_it_wraps(self):
        # torch's rule: the cropped axis (2, 3) is then wrapped, so the extra column repeats 2
        x = torch.tensor([[[1, 2, 3]]])
        assert pad(x, (-1, 1), mode="circular").tolist() == [[[2, 3, 2]]]
        assert torch.equal(
            pad(x, (-1, 1), mode="circular"), TF.pad(x, (-1, 1), mode="circular")
        )

    def test_empty_batch(self):
        x = torch.zeros(0, 3, 4, 4)
        for mode in MODES:
            assert pad(x, (1, 2, 0, 1), mode=mode).shape == (0, 3, 5, 7)

    def test_never_calls_torch_pad(self, monkeypatch):
        def forbidden(*args, **kwargs):
            raise AssertionError("coursekit must pad by indexing")

        monkeypatch.setattr(TF, "pad", forbidden)
        monkeypatch.setattr(torch._C._nn, "pad", forbidden)
        monkeypatch.setattr(torch, "constant_pad_nd", forbidden)
        for mode in MODES:
            pad(randn(0, 1, 2, 4, 4), (1, 1, 1, 1), mode=mode)

    def test_input_must_be_a_tensor(self):
        with pytest.raises(TypeError, match="input must be a torch.Tensor; got list"):
            pad([1, 2], (1, 1))

    def test_pad_must_be_a_tuple_of_ints(self):
        with pytest.raises(TypeError, match="pad must be a tuple of ints; got int 1"):
            pad(torch.zeros(2), 1)
        with pytest.raises(TypeError, match="pad must be an int; got float 1.5"):
            pad(torch.zeros(2), (1.5, 1))

    def test_odd_length(self):
        with pytest.raises(
            ValueError,
            match=r"pad must have an even length .*got 3 entries: \(1, 1, 1\)",
        ):
            pad(torch.zeros(2, 2), (1, 1, 1))

    def test_too_many_entries(self):
        with pytest.raises(
            ValueError,
            match=r"pad may have at most 2 entries per axis of input \(2 for size \[3\]\)",
        ):
            pad(torch.zeros(3), (1, 1, 1, 1))

    def test_unknown_mode(self):
        with pytest.raises(
            ValueError,
            match="mode must be one of 'constant', 'reflect', 'replicate', 'circular'",
        ):
            pad(torch.zeros(1, 3), (1, 1), mode="mirror")

    def test_value_only_for_constant(self):
        with pytest.raises(
            ValueError,
            match="value applies to mode='constant' only; got value=1 with mode='reflect'",
        ):
            pad(torch.zeros(1, 3), (1, 1), mode="reflect", value=1)

    def test_axes_for_non_constant_modes(self):
        with pytest.raises(
            ValueError,
            match=r"mode='reflect' pads the last 1, 2 or 3 axes .*got pad of length 2 for input",
        ):
            pad(torch.zeros(1, 1, 3, 3), (1, 1), mode="reflect")

    def test_reflect_pad_smaller_than_axis(self):
        with pytest.raises(
            ValueError,
            match=r"mode='reflect' needs each pad smaller .*got \(3, 0\) for input's axis 1",
        ):
            pad(torch.zeros(1, 3), (3, 0), mode="reflect")

    def test_circular_wraps_once(self):
        with pytest.raises(
            ValueError,
            match=r"mode='circular' wraps around at most once: pad \(-2, 2\)",
        ):
            pad(torch.zeros(1, 3), (-2, 2), mode="circular")

    def test_replicate_leaves_an_element(self):
        with pytest.raises(
            ValueError,
            match=r"mode='replicate' must leave at least 1 element; pad \(-2, -1\) leaves 0",
        ):
            pad(torch.zeros(1, 3), (-2, -1), mode="replicate")

    def test_replicate_needs_non_empty_channels(self):
        with pytest.raises(
            ValueError,
            match=r"mode='replicate' needs every axis of input but the batch axis non-empty",
        ):
            pad(torch.zeros(2, 0, 3), (1, 1), mode="replicate")

    def test_constant_crops_at_most_the_axis(self):
        with pytest.raises(
            ValueError,
            match=r"pad \(-2, -2\) crops more than the 3 elements of input's axis 1",
        ):
            pad(torch.zeros(1, 3), (-2, -2))
