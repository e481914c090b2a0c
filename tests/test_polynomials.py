"""coursekit.polynomials against NumPy and SciPy, on random sequences drawn by hypothesis."""

import numpy as np
import pytest
import scipy.linalg
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit.polynomials import (
    convolution_matrix,
    convolve,
    correlate,
    cyclic_convolve,
    multiply_integers,
)

MODES = ["full", "same", "valid"]
METHODS = ["auto", "direct", "matrix", "fft"]
KINDS = ["int", "float", "complex"]

lengths = st.integers(min_value=1, max_value=60)


def sequences(kind, length=lengths):
    """1-D arrays of small integers, finite floats or complex numbers."""
    elements = {
        "int": st.integers(-1000, 1000),
        "float": st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
        "complex": st.complex_numbers(max_magnitude=1e3, allow_nan=False, allow_infinity=False),
    }[kind]
    dtype = {"int": np.int64, "float": np.float64, "complex": np.complex128}[kind]
    return hnp.arrays(dtype, length, elements=elements)


def bound(c, d):
    """An upper bound on the entries of c * d, the scale of its rounding errors."""
    return float(np.abs(c).sum() * np.abs(d).max())


def assert_matches(actual, expected, scale=1.0):
    """Same dtype and shape; equal for integers, else equal up to rounding errors on entries of size ``scale``."""
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    if np.issubdtype(expected.dtype, np.integer) or expected.dtype == bool:
        np.testing.assert_array_equal(actual, expected)
    else:
        tolerance = 1000 * np.finfo(expected.dtype).eps * max(scale, 1.0)
        np.testing.assert_allclose(actual, expected, rtol=0, atol=tolerance)


def exact_convolution(c, d):
    """Linear convolution in Python ints (no overflow, no rounding): the slow reference."""
    out = [0] * (len(c) + len(d) - 1)
    for i, ci in enumerate(c):
        for j, dj in enumerate(d):
            out[i + j] += int(ci) * int(dj)
    return out


class TestConvolve:
    def test_worked_example(self):
        # (3 + x)(1 + 2x) = 3 + 7x + 2x^2
        np.testing.assert_array_equal(convolve([3, 1], [1, 2]), [3, 7, 2])

    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("mode", MODES)
    @pytest.mark.parametrize("kind", KINDS)
    @given(data=st.data())
    def test_matches_numpy(self, kind, mode, method, data):
        c = data.draw(sequences(kind), label="c")
        d = data.draw(sequences(kind), label="d")
        assert_matches(convolve(c, d, mode=mode, method=method), np.convolve(c, d, mode=mode), bound(c, d))

    @pytest.mark.parametrize("method", METHODS)
    @given(c=sequences("int", st.just(1)), d=sequences("float"))
    def test_length_one_scales(self, method, c, d):
        assert_matches(convolve(c, d, method=method), c[0] * d, bound(c, d))

    @pytest.mark.parametrize("mode", MODES)
    @given(c=sequences("complex"), d=sequences("complex"))
    def test_commutative(self, mode, c, d):
        assert_matches(convolve(c, d, mode=mode), convolve(d, c, mode=mode), bound(c, d))

    @given(c=sequences("float"), d=sequences("float"))
    def test_fft_equals_direct(self, c, d):
        assert_matches(convolve(c, d, method="fft"), convolve(c, d, method="direct"), bound(c, d))

    @pytest.mark.parametrize("method", METHODS)
    @given(
        c=hnp.arrays(np.int64, lengths, elements=st.integers(-(2**40), 2**40)),
        d=hnp.arrays(np.int64, lengths, elements=st.integers(-(2**10), 2**10)),
    )
    def test_big_integers_stay_exact(self, method, c, d):
        # products reach 2**50 * 60: beyond float64's 53 bits, so a rounded FFT would be wrong
        out = convolve(c, d, method=method)
        assert out.dtype == np.int64
        assert out.tolist() == exact_convolution(c, d)

    def test_fft_of_big_integers_falls_back_to_exact(self):
        c = np.full(1000, 2**40 + 1, dtype=np.int64)
        d = np.full(1000, 2**12 + 1, dtype=np.int64)
        assert convolve(c, d, method="fft").tolist() == exact_convolution(c, d)

    def test_integer_fft_is_exact_for_long_inputs(self):
        rng = np.random.default_rng(0)
        c = rng.integers(-(2**15), 2**15, size=5000)
        d = rng.integers(-(2**15), 2**15, size=3000)
        np.testing.assert_array_equal(convolve(c, d, method="fft"), np.convolve(c, d))

    @pytest.mark.parametrize(
        ("c_dtype", "d_dtype"),
        [(np.int8, np.int8), (np.uint8, np.int8), (np.int32, np.float32), (bool, bool), (np.float32, np.complex64)],
    )
    @pytest.mark.parametrize("method", METHODS)
    def test_dtype_as_numpy(self, c_dtype, d_dtype, method):
        c = np.array([100, 3, 0, 7, 1]).astype(c_dtype)
        d = np.array([100, 1, 5]).astype(d_dtype)
        assert_matches(convolve(c, d, method=method), np.convolve(c, d), bound(c, d))

    @pytest.mark.parametrize("method", ["auto", "fft"])
    def test_long_inputs(self, method):
        rng = np.random.default_rng(1)
        c, d = rng.standard_normal(3000), rng.standard_normal(2000)
        for mode in MODES:
            assert_matches(convolve(c, d, mode=mode, method=method), np.convolve(c, d, mode=mode), bound(c, d))

    @pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128, np.int64])
    @pytest.mark.parametrize(("p", "q"), [(500, 30), (50000, 3), (3000, 100), (2000, 300), (300, 299)])
    def test_direct_kernels(self, dtype, p, q):
        # window product, one axpy per tap (floats), blocks: every kernel of method="direct", in every mode
        rng = np.random.default_rng(3)
        c = (rng.standard_normal(p) * 100).astype(dtype)
        d = (rng.standard_normal(q) * 100).astype(dtype)
        if np.issubdtype(dtype, np.complexfloating):
            c, d = c + 1j * c[::-1], d - 2j * d[::-1]
        for mode in MODES:
            expected = np.convolve(c, d, mode=mode)
            actual = convolve(c, d, mode=mode, method="direct")
            if np.issubdtype(dtype, np.integer):
                np.testing.assert_array_equal(actual, expected)
                assert actual.dtype == expected.dtype
            else:
                assert actual.dtype == expected.dtype
                scale = np.abs(c).sum() * np.abs(d).max()
                np.testing.assert_allclose(actual, expected, rtol=0, atol=1e3 * np.finfo(dtype).eps * scale)

    def test_long_signal_short_filter(self):
        rng = np.random.default_rng(2)
        x, h = rng.standard_normal(20000), rng.standard_normal(7)
        assert_matches(convolve(x, h, mode="same"), np.convolve(x, h, mode="same"), bound(x, h))

    def test_torch_tensors(self, device):
        c = torch.tensor([3.0, 1.0], device=device, dtype=torch.float64)
        d = torch.tensor([1, 2], device=device)
        assert_matches(convolve(c, d), np.array([3.0, 7.0, 2.0]))

    def test_empty(self):
        with pytest.raises(ValueError, match="c must not be empty"):
            convolve([], [1])

    def test_two_dimensional(self):
        with pytest.raises(ValueError, match=r"d must be 1-D; got an array of shape \(2, 2\)"):
            convolve([1], [[1, 2], [3, 4]])

    def test_not_numbers(self):
        with pytest.raises(TypeError, match="c must be a 1-D array of numbers; got dtype <U1"):
            convolve(["a", "b"], [1])

    def test_unknown_mode(self):
        with pytest.raises(ValueError, match="mode must be one of 'full', 'same', 'valid'; got 'wide'"):
            convolve([1], [1], mode="wide")

    def test_unknown_method(self):
        with pytest.raises(
            ValueError, match="method must be one of 'auto', 'direct', 'matrix', 'fft'; got 'winograd'"
        ):
            convolve([1], [1], method="winograd")


class TestCorrelate:
    @pytest.mark.parametrize("mode", MODES)
    @pytest.mark.parametrize("kind", KINDS)
    @given(data=st.data())
    def test_matches_numpy(self, kind, mode, data):
        x = data.draw(sequences(kind), label="x")
        h = data.draw(sequences(kind), label="h")
        assert_matches(correlate(x, h, mode=mode), np.correlate(x, h, mode=mode), bound(x, h))

    def test_default_mode_is_full(self):
        np.testing.assert_array_equal(correlate([1, 2, 3], [0, 1, 2]), np.correlate([1, 2, 3], [0, 1, 2], "full"))

    @pytest.mark.parametrize("mode", MODES)
    def test_same_with_longer_filter(self, mode):
        x, h = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 10.0, 100.0, 1e3, 1e4])
        assert_matches(correlate(x, h, mode=mode), np.correlate(x, h, mode=mode), bound(x, h))

    @given(x=sequences("complex"), h=sequences("complex"))
    def test_is_convolution_with_flipped_conjugate(self, x, h):
        assert_matches(correlate(x, h), convolve(x, np.conj(h[::-1])), bound(x, h))

    def test_empty(self):
        with pytest.raises(ValueError, match="h must not be empty"):
            correlate([1], np.array([]))

    def test_unknown_mode(self):
        with pytest.raises(ValueError, match="mode must be one of 'full', 'same', 'valid'; got 'circular'"):
            correlate([1], [1], mode="circular")


class TestConvolutionMatrix:
    def test_document_example(self):
        # the 8 x 6 matrix T(x) of a length-3 x (chapter 1)
        T = convolution_matrix([1, 2, 3], 6)
        assert T.shape == (8, 6)
        np.testing.assert_array_equal(T[:, 0], [1, 2, 3, 0, 0, 0, 0, 0])
        np.testing.assert_array_equal(T[:, 5], [0, 0, 0, 0, 0, 1, 2, 3])

    @pytest.mark.parametrize("mode", MODES)
    @pytest.mark.parametrize("kind", KINDS)
    @given(data=st.data())
    def test_matches_scipy(self, kind, mode, data):
        h = data.draw(sequences(kind), label="h")
        n = data.draw(lengths, label="n")
        expected = scipy.linalg.convolution_matrix(h, n, mode)
        actual = convolution_matrix(h, n, mode)
        assert actual.dtype == expected.dtype
        np.testing.assert_array_equal(actual, expected)

    @pytest.mark.parametrize("mode", MODES)
    @given(h=sequences("int"), x=sequences("int"))
    def test_product_is_convolution(self, mode, h, x):
        np.testing.assert_array_equal(convolution_matrix(h, len(x), mode) @ x, np.convolve(h, x, mode))

    @given(x=sequences("int"), y=sequences("int"))
    def test_toeplitz_matrices_commute_on_vectors(self, x, y):
        # T(x) y = T(y) x: both are x * y
        np.testing.assert_array_equal(convolution_matrix(x, len(y)) @ y, convolution_matrix(y, len(x)) @ x)

    def test_returns_a_new_array(self):
        T = convolution_matrix([1, 2], 3)
        T[0, 0] = 9
        assert T.flags.c_contiguous and convolution_matrix([1, 2], 3)[0, 0] == 1

    def test_torch_tensor(self, device):
        h = torch.tensor([1, 2, 3], device=device)
        np.testing.assert_array_equal(convolution_matrix(h, 2), scipy.linalg.convolution_matrix([1, 2, 3], 2))

    def test_n_not_int(self):
        with pytest.raises(TypeError, match="n must be an int; got float 2.0"):
            convolution_matrix([1, 2], 2.0)

    def test_n_too_small(self):
        with pytest.raises(ValueError, match="n must be >= 1; got 0"):
            convolution_matrix([1, 2], 0)

    def test_two_dimensional(self):
        with pytest.raises(ValueError, match=r"h must be 1-D; got an array of shape \(1, 2\)"):
            convolution_matrix([[1, 2]], 2)

    def test_unknown_mode(self):
        with pytest.raises(ValueError, match="mode must be one of 'full', 'same', 'valid'; got 'periodic'"):
            convolution_matrix([1, 2], 2, mode="periodic")


class TestCyclicConvolve:
    def test_worked_example(self):
        # (3 + x)(1 + 2x) with x^2 = 1: 5 + 7x
        np.testing.assert_array_equal(cyclic_convolve([3, 1], [1, 2]), [5, 7])

    @pytest.mark.parametrize("kind", ["float", "complex"])
    @given(data=st.data())
    def test_matches_fft(self, kind, data):
        n = data.draw(lengths, label="n")
        c = data.draw(sequences(kind, st.just(n)), label="c")
        d = data.draw(sequences(kind, st.just(n)), label="d")
        expected = np.fft.ifft(np.fft.fft(c) * np.fft.fft(d))
        assert_matches(cyclic_convolve(c, d), expected if kind == "complex" else expected.real, bound(c, d))

    @given(data=st.data())
    def test_is_circulant_product(self, data):
        n = data.draw(lengths, label="n")
        c = data.draw(sequences("int", st.just(n)), label="c")
        d = data.draw(sequences("int", st.just(n)), label="d")
        assert_matches(cyclic_convolve(c, d), scipy.linalg.circulant(c) @ d)

    def test_exact_for_big_integers(self):
        c = np.array([2**40 + 1, 3, 2**41], dtype=np.int64)
        d = np.array([2**11 + 1, -5, 7], dtype=np.int64)
        expected = [sum(int(c[i]) * int(d[(k - i) % 3]) for i in range(3)) for k in range(3)]
        assert cyclic_convolve(c, d).tolist() == expected

    def test_mismatched_lengths(self):
        with pytest.raises(ValueError, match="c and d must have the same length for cyclic convolution; got 2 and 3"):
            cyclic_convolve([1, 2], [1, 2, 3])

    def test_empty(self):
        with pytest.raises(ValueError, match="d must not be empty"):
            cyclic_convolve([1], [])


class TestMultiplyIntegers:
    def test_worked_example(self):
        assert multiply_integers(123, 456) == 56088

    @given(a=st.integers(), b=st.integers())
    def test_matches_python(self, a, b):
        assert multiply_integers(a, b) == a * b

    @given(
        a=st.integers(min_value=-(2**20000), max_value=2**20000),
        b=st.integers(min_value=-(2**3000), max_value=2**3000),
    )
    def test_matches_python_on_long_integers(self, a, b):
        assert multiply_integers(a, b) == a * b

    @pytest.mark.parametrize(("a", "b"), [(0, 0), (0, -(2**100)), (-1, -1), (2**16, 2**16), (-(2**64) + 1, 2**64 - 1)])
    def test_edge_cases(self, a, b):
        assert multiply_integers(a, b) == a * b

    def test_all_ones_carry_chain(self):
        # every limb of the product's low half carries: the worst case of the carry rounds
        a = 2**50000 - 1
        assert multiply_integers(a, a) == a * a

    def test_long_enough_for_narrow_limbs(self):
        # 300,000 bits per operand: past 10**4 digits the limbs narrow below 16 bits
        a, b = 3 ** 189000 + 1, -(7 ** 107000) - 5
        assert multiply_integers(a, b) == a * b

    def test_numpy_integer(self):
        assert multiply_integers(np.int64(-12), 11) == -132

    @pytest.mark.parametrize(("a", "b", "name", "shown"), [(True, 2, "a", "bool True"), (2, 1.5, "b", "float 1.5")])
    def test_not_int(self, a, b, name, shown):
        with pytest.raises(TypeError, match=f"{name} must be an int; got {shown}"):
            multiply_integers(a, b)
