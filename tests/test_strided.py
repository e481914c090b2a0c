from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

from coursekit import conv1d, conv_output_size

paddings = st.one_of(st.integers(0, 4), st.tuples(st.integers(0, 4), st.integers(0, 4)))


def as_pair(padding):
    return padding if isinstance(padding, tuple) else (padding, padding)


def torch_conv1d(x, h, stride, padding, dilation):
    """The reference: torch's conv1d with one channel, uneven padding done by F.pad first."""
    padded = F.pad(x, as_pair(padding))
    return F.conv1d(
        padded[None, None], h[None, None], stride=stride, dilation=dilation
    )[0, 0]


@st.composite
def layers(draw):
    """A signal length, kernel length, stride, padding and dilation whose padded input holds the kernel."""
    n, k = draw(st.integers(1, 20)), draw(st.integers(1, 5))
    stride, dilation, padding = (
        draw(st.integers(1, 4)),
        draw(st.integers(1, 3)),
        draw(paddings),
    )
    assume(n + sum(as_pair(padding)) >= dilation * (k - 1) + 1)
    return n, k, stride, padding, dilation


class TestConvOutputSize:
    def test_worked_example(self):
        assert conv_output_size(9, 3, padding=2) == 11
        assert conv_output_size(9, 3, padding=0) == 7
        assert conv_output_size(9, 3, stride=2, padding=1) == 5

    def test_poll_2d(self):
        assert conv_output_size((300, 400), (4, 5), stride=1, padding=2) == (301, 400)

    def test_floor(self):
        assert conv_output_size(10, 3, stride=2) == 4  # (10 - 3)/2 + 1 = 4.5

    def test_uneven_padding(self):
        assert conv_output_size(9, 3, padding=(0, 2)) == 9
        assert conv_output_size(9, 3, padding=(1, 2), stride=2) == 5

    def test_dilation(self):
        assert conv_output_size(9, 3, dilation=2) == 5

    @given(layers())
    def test_matches_torch_1d(self, layer):
        n, k, stride, padding, dilation = layer
        out = torch_conv1d(torch.zeros(n), torch.zeros(k), stride, padding, dilation)
        assert conv_output_size(n, k, stride, padding, dilation) == out.shape[0]

    @given(
        st.tuples(st.integers(1, 12), st.integers(1, 12)),
        st.tuples(st.integers(1, 4), st.integers(1, 4)),
        st.tuples(st.integers(1, 3), st.integers(1, 3)),
        st.tuples(st.integers(0, 3), st.integers(0, 3)),
        st.tuples(st.integers(1, 2), st.integers(1, 2)),
    )
    def test_matches_torch_2d(self, size, kernel, stride, padding, dilation):
        spans = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
        assume(all(s + 2 * p >= span for s, p, span in zip(size, padding, spans)))
        out = F.conv2d(
            torch.zeros(1, 1, *size),
            torch.zeros(1, 1, *kernel),
            None,
            stride,
            padding,
            dilation,
        )
        assert conv_output_size(size, kernel, stride, padding, dilation) == tuple(
            out.shape[2:]
        )

    def test_2d_uneven_padding(self):
        assert conv_output_size((5, 5), 3, padding=((1, 0), 2)) == (4, 7)

    def test_2d_int_n_with_pair_kernel(self):
        assert conv_output_size(7, (3, 1)) == (5, 7)

    def test_kernel_too_long(self):
        with pytest.raises(
            ValueError,
            match=r"padded input \(2 = n 2 \+ padding 0 \+ 0\) is shorter than the dilated",
        ):
            conv_output_size(2, 3)

    def test_dilated_kernel_too_long(self):
        with pytest.raises(
            ValueError, match=r"kernel \(5 = dilation 2 \* \(kernel_size 3 - 1\) \+ 1\)"
        ):
            conv_output_size(4, 3, dilation=2)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"stride": 0}, "stride must be >= 1; got 0"),
            ({"dilation": 0}, "dilation must be >= 1; got 0"),
            ({"padding": -1}, "padding must be >= 0; got -1"),
            ({"padding": (1, -2)}, "padding must be >= 0; got -2"),
            ({"kernel_size": 0}, "kernel_size must be >= 1; got 0"),
            ({"n": 0}, "n must be >= 1; got 0"),
        ],
    )
    def test_out_of_range(self, kwargs, message):
        args = {"n": 9, "kernel_size": 3, **kwargs}
        with pytest.raises(ValueError, match=message):
            conv_output_size(**args)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"n": 9.0}, "n must be an int; got float 9.0"),
            ({"kernel_size": "3"}, "kernel_size must be an int; got str '3'"),
            ({"stride": 1.5}, "stride must be an int; got float 1.5"),
            ({"padding": True}, "padding must be an int; got bool True"),
        ],
    )
    def test_not_int(self, kwargs, message):
        args = {"n": 9, "kernel_size": 3, **kwargs}
        with pytest.raises(TypeError, match=message):
            conv_output_size(**args)

    def test_padding_of_wrong_length(self):
        with pytest.raises(
            ValueError,
            match=r"padding must be an int or a pair of ints; got \(1, 2, 3\)",
        ):
            conv_output_size(9, 3, padding=(1, 2, 3))

    def test_2d_padding_of_wrong_length(self):
        with pytest.raises(
            ValueError,
            match=r"padding must be an int or an \(H, W\) pair; got \(1, 2, 3\)",
        ):
            conv_output_size((9, 9), 3, padding=(1, 2, 3))

    def test_2d_kernel_too_long(self):
        with pytest.raises(ValueError, match="shorter than the dilated kernel"):
            conv_output_size((9, 2), 3)


class TestConv1d:
    x = np.array([1, 2, 3, 1, 2, 3, 1, 2, 3])
    h = np.ones(3) / 3

    def test_worked_example_full_padding(self):
        y = conv1d(self.x, self.h, padding=2)
        expected = [Fraction(1, 3), 1, 2, 2, 2, 2, 2, 2, 2, Fraction(5, 3), 1]
        np.testing.assert_allclose(y, np.array(expected, dtype=float), rtol=1e-14)

    def test_worked_example_no_padding(self):
        np.testing.assert_allclose(conv1d(self.x, self.h), np.full(7, 2.0), rtol=1e-14)

    def test_worked_example_stride(self):
        y = conv1d(self.x, self.h, stride=2, padding=1)
        np.testing.assert_allclose(y, [1, 2, 2, 2, 5 / 3], rtol=1e-14)

    def test_does_not_flip(self):
        np.testing.assert_array_equal(conv1d([1, 2, 3], [1, 0]), [1, 2])

    def test_integers_stay_integers(self):
        y = conv1d(
            np.array([1, 2, 3], dtype=np.int32), np.array([1, 1], dtype=np.int32)
        )
        assert y.dtype == np.int32
        np.testing.assert_array_equal(y, [3, 5])

    @given(layers(), st.integers(0, 2**32 - 1))
    def test_matches_torch(self, layer, seed):
        n, k, stride, padding, dilation = layer
        rng = np.random.default_rng(seed)
        x, h = rng.standard_normal(n), rng.standard_normal(k)
        expected = torch_conv1d(
            torch.from_numpy(x), torch.from_numpy(h), stride, padding, dilation
        )
        np.testing.assert_allclose(
            conv1d(x, h, stride, padding, dilation),
            expected.numpy(),
            rtol=1e-10,
            atol=1e-12,
        )

    @given(
        st.lists(st.integers(-9, 9), min_size=1, max_size=15),
        st.lists(st.integers(-9, 9), min_size=1, max_size=4),
    )
    def test_matches_numpy_correlate(self, x, h):
        assume(len(x) >= len(h))
        np.testing.assert_array_equal(conv1d(x, h), np.correlate(x, h, mode="valid"))

    @given(layers())
    def test_padding_matches_numpy_correlate_of_padded(self, layer):
        n, k, _, padding, _ = layer
        assume(n + sum(as_pair(padding)) >= k)
        x, h = np.arange(1, n + 1), np.arange(1, k + 1)
        expected = np.correlate(np.pad(x, as_pair(padding)), h, mode="valid")
        np.testing.assert_array_equal(conv1d(x, h, padding=padding), expected)

    def test_tensor_keeps_device_and_dtype(self, device):
        x = torch.arange(9, dtype=torch.float32, device=device)
        y = conv1d(
            x,
            torch.ones(3, dtype=torch.float32, device=device),
            stride=2,
            padding=(1, 0),
        )
        assert y.device.type == device.type and y.dtype == torch.float32
        expected = torch_conv1d(x, torch.ones(3, device=device), 2, (1, 0), 1)
        torch.testing.assert_close(y, expected)

    def test_tensor_with_list_kernel(self, device):
        x = torch.arange(5, dtype=torch.float32, device=device)
        y = conv1d(x, [1.0, -1.0])
        assert y.dtype == torch.float32 and y.device.type == device.type
        torch.testing.assert_close(y.cpu(), torch.full((4,), -1.0))

    def test_list_signal_with_tensor_kernel(self):
        y = conv1d([1.0, 2.0, 4.0], torch.tensor([1.0, -1.0], dtype=torch.float64))
        assert isinstance(y, torch.Tensor) and y.dtype == torch.float64
        torch.testing.assert_close(y, torch.tensor([-1.0, -2.0], dtype=torch.float64))

    def test_integer_tensor(self, device):
        y = conv1d(
            torch.arange(5, device=device),
            torch.tensor([1, 1], device=device),
            dilation=2,
        )
        assert y.dtype == torch.int64
        assert y.tolist() == [2, 4, 6]

    @pytest.mark.parametrize(
        ("stride", "padding", "dilation"), [(1, 0, 1), (2, 1, 1), (3, (2, 0), 2)]
    )
    def test_gradcheck(self, device, stride, padding, dilation):
        gen = torch.Generator().manual_seed(0)
        x = (
            torch.randn(11, dtype=torch.float64, generator=gen)
            .to(device)
            .requires_grad_()
        )
        h = (
            torch.randn(3, dtype=torch.float64, generator=gen)
            .to(device)
            .requires_grad_()
        )
        assert torch.autograd.gradcheck(
            lambda a, b: conv1d(a, b, stride, padding, dilation), (x, h)
        )

    def test_not_1d(self):
        with pytest.raises(
            ValueError, match=r"x must be 1-D; got an array of shape \(2, 2\)"
        ):
            conv1d(np.ones((2, 2)), [1])

    def test_tensor_not_1d(self):
        with pytest.raises(
            ValueError, match=r"h must be 1-D; got an array of shape \(1, 2\)"
        ):
            conv1d(torch.ones(4), torch.ones(1, 2))

    def test_empty(self):
        with pytest.raises(ValueError, match="h must not be empty"):
            conv1d([1, 2], [])

    def test_empty_tensor(self):
        with pytest.raises(ValueError, match="x must not be empty"):
            conv1d(torch.ones(0), torch.ones(1))

    def test_not_numeric(self):
        with pytest.raises(
            TypeError, match="x must be a 1-D array of numbers; got dtype <U1"
        ):
            conv1d(["a", "b"], [1])

    def test_kernel_longer_than_padded_signal(self):
        with pytest.raises(
            ValueError, match=r"padded input \(4 = n 2 \+ padding 1 \+ 1\) is shorter"
        ):
            conv1d([1, 2], [1, 1, 1], dilation=2, padding=1)

    def test_bad_stride(self):
        with pytest.raises(ValueError, match="stride must be >= 1; got 0"):
            conv1d([1, 2], [1], stride=0)

    def test_bad_dilation(self):
        with pytest.raises(TypeError, match="dilation must be an int; got float 2.0"):
            conv1d([1, 2], [1], dilation=2.0)

    def test_negative_padding(self):
        with pytest.raises(ValueError, match="padding must be >= 0; got -1"):
            conv1d([1, 2], [1], padding=(0, -1))
