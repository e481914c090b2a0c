"""coursekit.fft against numpy.fft and torch.fft: values, dtypes, devices, round-off, gradients."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit.fft import bit_reversal, fft, fft_recursive, ifft
from nn_strategies import with_device

EPS64 = np.finfo(np.float64).eps / 2  # unit round-off
EPS32 = np.finfo(np.float32).eps / 2


def _complex(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _relative_error(out, ref):
    return float(np.linalg.norm(np.asarray(out) - ref) / np.linalg.norm(ref))


class TestFFT:
    def test_every_length_up_to_1024_matches_numpy(self):
        rng = np.random.default_rng(0)
        for n in range(1, 1025):
            x = _complex(rng, 2, n)  # a batch of two rows
            for mine, ref in ((fft, np.fft.fft), (ifft, np.fft.ifft)):
                expected = ref(x)
                scale = np.abs(expected).max()
                assert np.abs(mine(x) - expected).max() <= 1e-13 * scale, (
                    mine.__name__,
                    n,
                )

    @pytest.mark.parametrize("n", [2**16, 2**20, 65537, 100_003, 3 * 2**15])
    def test_large_powers_of_two_and_primes(self, n):
        x = _complex(np.random.default_rng(n), n)
        assert _relative_error(fft(x), np.fft.fft(x)) < 1e-14
        assert _relative_error(ifft(x), np.fft.ifft(x)) < 1e-14

    def test_worked_example(self):
        np.testing.assert_array_equal(
            fft(np.array([1.0, 2, 3, 4])), [10, -2 + 2j, -2, -2 - 2j]
        )
        assert fft(np.array([5.0])).tolist() == [5 + 0j]

    @given(
        values=hnp.arrays(
            np.float64,
            hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=40),
            elements=st.floats(-100, 100),
        ),
        dtype=st.sampled_from(
            [
                np.bool_,
                np.int8,
                np.uint8,
                np.int64,
                np.float16,
                np.float32,
                np.float64,
                np.complex64,
                np.complex128,
            ]
        ),
    )
    def test_numpy_shapes_and_dtypes(self, values, dtype):
        if np.issubdtype(dtype, np.complexfloating):
            values = values * (1 + 0.5j)
        x = (np.abs(values) if dtype in (np.bool_, np.uint8) else values).astype(dtype)
        for mine, ref in ((fft, np.fft.fft), (ifft, np.fft.ifft)):
            out, expected = mine(x), ref(x)
            assert (
                isinstance(out, np.ndarray)
                and out.dtype == expected.dtype
                and out.shape == x.shape
            )
            # NumPy's float16 transform rounds to float16 on the way; float32 and complex64 compute in float32
            tol = {np.float16: 2e-3, np.float32: 1e-5, np.complex64: 1e-5}.get(
                dtype, 1e-12
            )
            scale = max(1.0, np.abs(expected).max()) * np.sqrt(x.shape[-1])
            np.testing.assert_allclose(out, expected, rtol=0, atol=tol * scale)

    @with_device
    @given(
        shape=st.lists(st.integers(1, 40), min_size=1, max_size=3),
        dtype=st.sampled_from(
            [
                torch.int64,
                torch.bool,
                torch.float32,
                torch.float64,
                torch.complex64,
                torch.complex128,
            ]
        ),
        seed=st.integers(0, 2**16),
    )
    def test_torch_matches_torch_fft(self, device, shape, dtype, seed):
        g = torch.Generator().manual_seed(seed)
        x = (torch.randn(*shape, dtype=torch.complex128, generator=g) * 10).to(device)
        x = x.to(dtype) if dtype.is_complex else x.real.to(dtype)
        for mine, ref in ((fft, torch.fft.fft), (ifft, torch.fft.ifft)):
            out, expected = mine(x), ref(x)
            assert isinstance(out, torch.Tensor)
            assert (
                out.dtype == expected.dtype
                and out.device == expected.device
                and out.shape == x.shape
            )
            tol = 1e-4 if expected.dtype == torch.complex64 else 1e-11
            scale = max(1.0, float(expected.abs().max()))
            torch.testing.assert_close(out, expected, rtol=0, atol=tol * scale)

    def test_lists_are_arrays(self):
        np.testing.assert_allclose(fft([1, 2, 3]), np.fft.fft([1, 2, 3]), atol=1e-14)

    def test_inverse_undoes_forward(self):
        x = _complex(np.random.default_rng(1), 3, 100)
        np.testing.assert_allclose(ifft(fft(x)), x, atol=1e-13)

    def test_convolution_rule(self):
        from coursekit import cyclic_convolve

        rng = np.random.default_rng(2)
        a, b = rng.standard_normal(12), rng.standard_normal(12)
        np.testing.assert_allclose(
            ifft(fft(a) * fft(b)).real, cyclic_convolve(a, b), atol=1e-12
        )

    def test_never_calls_the_library_fft(self, monkeypatch):
        def refuse(*args, **kwargs):
            raise AssertionError("coursekit.fft called a library FFT")

        for module in (np.fft, torch.fft):
            for name in ("fft", "ifft", "rfft", "fftn"):
                monkeypatch.setattr(module, name, refuse)
        for n in (8, 12):
            fft(np.ones(n))
            ifft(torch.ones(n))


class TestRoundOff:
    """The relative error grows like log2 n times the unit round-off, not like sqrt(n) or n."""

    @pytest.mark.skipif(
        np.finfo(np.longdouble).eps >= 1e-17, reason="long double is double here"
    )
    def test_float64_error_grows_like_log_n(self):
        rng = np.random.default_rng(3)
        for k in range(1, 19):
            n = 2**k
            x = _complex(rng, n)
            err = _relative_error(fft(x), np.fft.fft(x.astype(np.clongdouble)))
            # measured 0.3-0.5 eps log2 n
            assert err <= EPS64 * k, (n, err / (EPS64 * k))

    @pytest.mark.skipif(
        np.finfo(np.longdouble).eps >= 1e-17, reason="long double is double here"
    )
    def test_bluestein_error_grows_like_log_of_its_length(self):
        rng = np.random.default_rng(4)
        for n in (3, 17, 100, 1000, 4099, 65537):
            x = _complex(rng, n)
            M = 1 << (2 * n - 2).bit_length()  # the radix-2 length Bluestein uses
            err = _relative_error(fft(x), np.fft.fft(x.astype(np.clongdouble)))
            # measured 0.4-1.5
            assert err <= 2 * EPS64 * np.log2(M), (n, err / (EPS64 * np.log2(M)))

    def test_float32_error_grows_like_log_n(self):
        rng = np.random.default_rng(5)
        for k in range(1, 19):
            x = _complex(rng, 2**k).astype(np.complex64)
            err = _relative_error(fft(x), np.fft.fft(x.astype(np.complex128)))
            assert err <= EPS32 * k, (k, err / (EPS32 * k))


class TestGradients:
    @pytest.mark.parametrize("n", [1, 8, 6, 7])
    @pytest.mark.parametrize("transform", [fft, ifft])
    def test_gradcheck(self, transform, n):
        g = torch.Generator().manual_seed(n)
        real = torch.randn(2, n, dtype=torch.float64, generator=g, requires_grad=True)
        complex_ = torch.randn(
            2, n, dtype=torch.complex128, generator=g, requires_grad=True
        )
        assert torch.autograd.gradcheck(transform, (real,))
        assert torch.autograd.gradcheck(transform, (complex_,))

    def test_gradient_equals_torch_fft(self):
        x = torch.randn(3, 12, dtype=torch.float64, requires_grad=True)
        weights = torch.randn(3, 12, dtype=torch.complex128)
        (grad,) = torch.autograd.grad((fft(x) * weights).real.sum(), x)
        (expected,) = torch.autograd.grad((torch.fft.fft(x) * weights).real.sum(), x)
        torch.testing.assert_close(grad, expected)


class TestRecursive:
    @pytest.mark.parametrize("n", [1, 2, 4, 64, 1024])
    def test_matches_numpy(self, n):
        x = _complex(np.random.default_rng(n), 3, n)
        np.testing.assert_allclose(fft_recursive(x), np.fft.fft(x), atol=1e-11)

    def test_torch(self, device):
        x = torch.randn(2, 16, device=device)
        out = fft_recursive(x)
        assert out.dtype == torch.complex64 and out.device == x.device
        torch.testing.assert_close(out, torch.fft.fft(x), atol=1e-5, rtol=0)

    def test_rejects_other_lengths(self):
        with pytest.raises(
            ValueError,
            match="the length of the last axis of x must be a power of two; got 6",
        ):
            fft_recursive(np.ones(6))


class TestBitReversal:
    def test_example(self):
        assert bit_reversal(8).tolist() == [0, 4, 2, 6, 1, 5, 3, 7]
        assert bit_reversal(1).tolist() == [0]

    def test_is_an_involution(self):
        rev = bit_reversal(1024)
        assert sorted(rev.tolist()) == list(range(1024))
        assert rev[rev].tolist() == list(range(1024))

    def test_returns_a_copy(self):
        bit_reversal(4)[0] = 3
        assert bit_reversal(4)[0] == 0

    def test_errors(self):
        with pytest.raises(ValueError, match="n must be a power of two; got 12"):
            bit_reversal(12)
        with pytest.raises(TypeError, match="n must be an int; got float 8.0"):
            bit_reversal(8.0)
        with pytest.raises(ValueError, match="n must be >= 1; got 0"):
            bit_reversal(0)


class TestErrors:
    @pytest.mark.parametrize("transform", [fft, ifft, fft_recursive])
    def test_messages(self, transform):
        with pytest.raises(
            ValueError, match="x must have at least one axis; got a 0-d ndarray"
        ):
            transform(3.0)
        with pytest.raises(
            ValueError,
            match=r"the last axis of x must have length >= 1; got shape \(2, 0\)",
        ):
            transform(np.ones((2, 0)))
        with pytest.raises(
            TypeError,
            match="x must be an array of float32, float64, complex or integer numbers; "
            "got dtype <U1",
        ):
            transform(["a", "b"])
        with pytest.raises(TypeError, match="got dtype float128|got dtype longdouble"):
            transform(np.ones(4, dtype=np.longdouble))
        with pytest.raises(
            TypeError,
            match=r"x must be float32, float64, complex or integer; got torch.float16 "
            r"\(convert it to float32 first\)",
        ):
            transform(torch.ones(4, dtype=torch.float16))
