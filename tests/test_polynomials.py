"""coursekit.polynomials against NumPy and SciPy, on random sequences drawn by hypothesis."""

import warnings
from fractions import Fraction

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
        "complex": st.complex_numbers(
            max_magnitude=1e3, allow_nan=False, allow_infinity=False
        ),
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


def exact_float_convolution(c, d):
    """``c * d`` and ``|c| * |d|`` of float arrays in exact fractions, over their non-zero entries."""
    out = [Fraction(0)] * (len(c) + len(d) - 1)
    absolute = [Fraction(0)] * (len(c) + len(d) - 1)
    for i in np.flatnonzero(c).tolist():
        for j in np.flatnonzero(d).tolist():
            product = Fraction(float(c[i])) * Fraction(float(d[j]))
            out[i + j] += product
            absolute[i + j] += abs(product)
    return out, absolute


def assert_within_direct_accuracy(actual, exact, absolute):
    """Every output within 1e-8 of the sum of the absolute values of its products (so exact zeros stay 0).

    The direct sums meet it with a wide margin (their error is about q eps of that sum);
    an FFT whose error is relative to the largest output does not, where the outputs
    span many orders of magnitude.
    """
    error = [abs(Fraction(float(a)) - e) for a, e in zip(actual.tolist(), exact)]
    bad = [
        k
        for k, (err, bound) in enumerate(zip(error, absolute))
        if err > Fraction(1, 10**8) * bound
    ]
    shown = [(k, float(exact[k]), float(error[k])) for k in bad[:5]]
    assert not bad, f"(output, exact value, error) {shown}"


def with_nonfinite(kind, length=lengths):
    """Float or complex arrays in which NaN, +inf, -inf and zeros are frequent among finite numbers."""
    real = st.one_of(
        st.sampled_from([np.nan, np.inf, -np.inf, 0.0]),
        st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
    )
    if kind == "float":
        return hnp.arrays(np.float64, length, elements=real)
    return hnp.arrays(np.complex128, length, elements=st.builds(complex, real, real))


def assert_nonfinite_as_numpy(actual, expected, scale):
    """Non-finite exactly where ``expected`` is; for real outputs the same NaN or infinity; the rest close.

    A complex output is compared as finite or not: which of its parts is NaN and which
    infinite depends on how the BLAS at hand sums complex products.
    """
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isfinite(actual), finite)
    if not np.iscomplexobj(expected):
        # NaN == NaN here, inf by sign
        np.testing.assert_array_equal(actual[~finite], expected[~finite])
    tolerance = 1000 * np.finfo(expected.dtype).eps * max(scale, 1.0)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=0, atol=tolerance)


def finite_bound(c, d):
    """:func:`bound` of the finite entries: the scale of the rounding errors of the finite outputs."""
    return bound(np.where(np.isfinite(c), c, 0), np.where(np.isfinite(d), d, 0))


@pytest.fixture(scope="class", params=["compiled", "numpy"])
def kernels(request):
    """Each test of a class twice: with the compiled loop (Numba) and with the NumPy kernels that replace it."""
    from coursekit import polynomials

    with pytest.MonkeyPatch.context() as patch:
        if request.param == "numpy":
            patch.setattr(polynomials, "compiled_sum", None)
        elif polynomials.compiled_sum is None:
            pytest.skip("Numba is not installed")
        yield request.param


@pytest.mark.usefixtures("kernels")
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
        assert_matches(
            convolve(c, d, mode=mode, method=method),
            np.convolve(c, d, mode=mode),
            bound(c, d),
        )

    @pytest.mark.parametrize("method", METHODS)
    @given(c=sequences("int", st.just(1)), d=sequences("float"))
    def test_length_one_scales(self, method, c, d):
        assert_matches(convolve(c, d, method=method), c[0] * d, bound(c, d))

    @pytest.mark.parametrize("mode", MODES)
    @given(c=sequences("complex"), d=sequences("complex"))
    def test_commutative(self, mode, c, d):
        assert_matches(
            convolve(c, d, mode=mode), convolve(d, c, mode=mode), bound(c, d)
        )

    @given(c=sequences("float"), d=sequences("float"))
    def test_fft_equals_direct(self, c, d):
        assert_matches(
            convolve(c, d, method="fft"), convolve(c, d, method="direct"), bound(c, d)
        )

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
        [
            (np.int8, np.int8),
            (np.uint8, np.int8),
            (np.int32, np.float32),
            (bool, bool),
            (np.float32, np.complex64),
        ],
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
            assert_matches(
                convolve(c, d, mode=mode, method=method),
                np.convolve(c, d, mode=mode),
                bound(c, d),
            )

    @pytest.mark.parametrize(
        "dtype", [np.float32, np.float64, np.complex64, np.complex128, np.int64]
    )
    @pytest.mark.parametrize(
        ("p", "q"), [(500, 30), (50000, 3), (3000, 100), (2000, 300), (300, 299)]
    )
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
                np.testing.assert_allclose(
                    actual, expected, rtol=0, atol=1e3 * np.finfo(dtype).eps * scale
                )

    @pytest.mark.parametrize("dtype", [">f8", ">c16", ">f4", "<f8"])
    def test_byte_orders(self, dtype):
        # big-endian arrays (from files written elsewhere) are summed like native ones
        c = np.array([1.0, 2.0, 3.0], dtype=dtype)
        d = np.array([1.0, -1.0], dtype=dtype)
        for method in METHODS:
            np.testing.assert_allclose(
                convolve(c, d, method=method), np.convolve(c, d), atol=1e-6
            )
        np.testing.assert_allclose(
            correlate(c, d), np.correlate(c, d, mode="full"), atol=1e-6
        )

    def test_long_signal_short_filter(self):
        rng = np.random.default_rng(2)
        x, h = rng.standard_normal(20000), rng.standard_normal(7)
        assert_matches(
            convolve(x, h, mode="same"), np.convolve(x, h, mode="same"), bound(x, h)
        )

    @pytest.mark.parametrize(
        ("c", "d", "expected"),
        [
            ([1.0, 2.0], [1.0, np.nan], [1.0, np.nan, np.nan]),
            ([1.0, 2.0], [1.0, np.inf], [1.0, np.inf, np.inf]),
            # 0 * NaN is NaN, and BLAS must not skip it
            ([np.nan, 1.0], [0.0, 0.0], [np.nan, np.nan, 0.0]),
            ([np.inf, -np.inf], [1.0, 1.0], [np.inf, np.nan, -np.inf]),  # inf - inf
        ],
    )
    @pytest.mark.filterwarnings("error::RuntimeWarning")  # silent, as NumPy
    @pytest.mark.parametrize("method", ["auto", "direct", "matrix"])
    def test_nonfinite_reaches_only_its_products(self, c, d, expected, method):
        np.testing.assert_array_equal(convolve(c, d, method=method), expected)
        np.testing.assert_array_equal(convolve(c, d, method=method), np.convolve(c, d))

    @pytest.mark.filterwarnings("error::RuntimeWarning")  # silent, as NumPy
    @pytest.mark.parametrize("method", ["auto", "direct", "matrix"])
    @pytest.mark.parametrize("mode", MODES)
    @pytest.mark.parametrize("kind", ["float", "complex"])
    @given(data=st.data())
    def test_nonfinite_matches_numpy(self, kind, mode, method, data):
        c = data.draw(with_nonfinite(kind), label="c")
        d = data.draw(with_nonfinite(kind), label="d")
        with np.errstate(all="ignore"):
            expected = np.convolve(c, d, mode=mode)
        assert_nonfinite_as_numpy(
            convolve(c, d, mode=mode, method=method), expected, finite_bound(c, d)
        )

    @pytest.mark.parametrize("method", ["auto", "direct"])
    @pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
    @pytest.mark.parametrize(
        ("p", "q"), [(500, 30), (50000, 3), (3000, 100), (2000, 300), (3000, 3000)]
    )
    @pytest.mark.filterwarnings("error::RuntimeWarning")  # silent, as NumPy
    def test_nonfinite_in_long_inputs(self, p, q, dtype, method):
        # every direct kernel (window product, one axpy per tap, blocks) and, for "auto", inputs
        # long enough for the FFT, which must not be used: a few NaN, inf, -inf and zeros
        rng = np.random.default_rng(p + q)
        c = (rng.standard_normal(p) * 100).astype(dtype)
        d = (rng.standard_normal(q) * 100).astype(dtype)
        for x in (c, d):
            x[rng.integers(0, len(x), 3)] = [np.nan, np.inf, -np.inf]
            x[rng.integers(0, len(x), 2)] = 0
        for mode in MODES:
            with np.errstate(all="ignore"):
                expected = np.convolve(c, d, mode=mode)
            assert_nonfinite_as_numpy(
                convolve(c, d, mode=mode, method=method), expected, finite_bound(c, d)
            )

    @pytest.mark.parametrize("method", ["auto", "direct"])
    @pytest.mark.parametrize("where", ["long", "short", "both"])
    @pytest.mark.parametrize("zero_tap", [False, True])
    @pytest.mark.parametrize(
        ("p", "q"),
        [(40, 7), (500, 30), (50000, 3), (3000, 100), (2000, 300), (3000, 3000)],
    )
    @pytest.mark.filterwarnings("error::RuntimeWarning")  # silent, as NumPy
    def test_nonfinite_in_one_or_both(self, p, q, zero_tap, where, method):
        # each kernel's own check of its result: a zero tap hides a NaN of the long input from
        # axpy, a non-finite tap times a zeroed entry must not turn -inf * inf into NaN
        rng = np.random.default_rng(p * q)
        c, d = rng.standard_normal(p), rng.standard_normal(q)
        if zero_tap:
            d[q // 2] = 0
        if where in ("long", "both"):
            c[[0, p // 3, p - 1]] = [np.inf, np.nan, -np.inf]
        if where in ("short", "both"):
            d[[1 % q, q - 1]] = [-np.inf, np.nan if q > 50 else np.inf]
        for mode in MODES:
            with np.errstate(all="ignore"):
                expected = np.convolve(c, d, mode=mode)
            assert_nonfinite_as_numpy(
                convolve(c, d, mode=mode, method=method), expected, finite_bound(c, d)
            )

    @pytest.mark.parametrize(
        ("p", "q"), [(40, 7), (50000, 3), (3000, 100), (2000, 300), (3000, 3000)]
    )
    def test_finite_inputs_are_not_scanned(self, p, q, monkeypatch):
        # every kernel checks its own result; the FFT of "auto" checks its largest output
        from coursekit import polynomials

        def scan(x):
            raise AssertionError("a finite input was scanned for NaN and infinities")

        monkeypatch.setattr(polynomials, "_nonfinite", scan)
        rng = np.random.default_rng(4)
        c, d = rng.standard_normal(p), rng.standard_normal(q)
        for method in ("auto", "direct", "matrix" if p * q < 10**6 else "direct"):
            assert_matches(
                convolve(c, d, method=method), np.convolve(c, d), bound(c, d)
            )

    @pytest.mark.parametrize(
        ("p", "q"), [(500, 30), (50000, 3), (3000, 100), (2000, 300), (3000, 3000)]
    )
    def test_each_input_is_scanned_at_most_once(self, p, q, monkeypatch):
        from coursekit import polynomials

        scanned, original = [], polynomials._nonfinite
        monkeypatch.setattr(
            polynomials, "_nonfinite", lambda x: scanned.append(len(x)) or original(x)
        )
        rng = np.random.default_rng(5)
        c, d = rng.standard_normal(p), rng.standard_normal(q)
        c[p // 2], d[0] = np.nan, 0
        with np.errstate(all="ignore"):
            expected = np.convolve(c, d)
        assert_nonfinite_as_numpy(convolve(c, d), expected, finite_bound(c, d))
        assert sorted(scanned) in ([], [p], sorted([p, q])), scanned

    @pytest.mark.parametrize(
        ("p", "q"), [(50000, 3), (3000, 100), (2000, 300), (3000, 3000)]
    )
    def test_nonfinite_raise_no_warning(self, p, q):
        # silent, as numpy.convolve is (the FFT of "auto", axpy and the blocked product)
        rng = np.random.default_rng(6)
        c, d = rng.standard_normal(p), rng.standard_normal(q)
        c[[1, p // 2]], d[q // 2] = [np.inf, -np.inf], 0
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            convolve(c, d)
            convolve(d, c, mode="same")

    def test_fft_spreads_nonfinite_values(self):
        # documented: every output of the FFT depends on every input
        with np.errstate(invalid="ignore"):
            assert np.isnan(
                convolve(np.arange(300.0), np.r_[np.nan, np.ones(299)], method="fft")
            ).all()

    def test_issue_example_of_dynamic_range(self):
        # the FFT's error is relative to the largest output (1e20): about 650 on the output 1
        a = np.zeros(180)
        a[0], a[-1] = 1.0, 1e10
        out = convolve(a, a)
        assert out[0] == 1.0
        # rounded once
        np.testing.assert_array_equal(
            out, np.array(exact_convolution(a, a), dtype=float)
        )

    @given(
        data=st.data(),
        p=st.integers(150, 700),
        q=st.integers(150, 700),
        exponents=st.lists(st.integers(-15, 15), min_size=2, max_size=8),
    )
    def test_sparse_inputs_of_wide_dynamic_range(self, data, p, q, exponents):
        # neighbours of the issue's example: a few spikes of magnitudes 10**-15 to 10**15, long
        # enough that the cost model picks the FFT; every output as accurate as a direct sum
        c, d = np.zeros(p), np.zeros(q)
        for e in exponents:
            x = data.draw(st.sampled_from([c, d]))
            x[data.draw(st.integers(0, len(x) - 1))] = (
                data.draw(st.sampled_from([1.0, -1.0])) * 10.0**e
            )
        c[0], d[-1] = 1.0, -3.0
        exact, absolute = exact_float_convolution(c, d)
        assert_within_direct_accuracy(convolve(c, d), exact, absolute)
        assert_within_direct_accuracy(convolve(c, d, method="direct"), exact, absolute)

    @pytest.mark.parametrize("n", [300, 1000, 4000])
    def test_dense_inputs_of_wide_dynamic_range(self, n):
        # magnitudes spread evenly over 16 orders: the FFT alone loses the smaller outputs
        rng = np.random.default_rng(n)
        c = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
        d = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
        reference = np.convolve(c.astype(np.longdouble), d.astype(np.longdouble))
        # positive terms: accurate to q eps on each output
        absolute = np.convolve(np.abs(c), np.abs(d))
        for mode in MODES:
            start = {"full": 0, "same": (n - 1) // 2, "valid": n - 1}[mode]
            out = convolve(c, d, mode=mode)
            window = slice(start, start + len(out))
            assert (np.abs(out - reference[window]) <= 1e-8 * absolute[window]).all()

    def test_auto_returns_exact_zeros_outside_the_support(self):
        # zero padding: the outputs with no non-zero product are 0, not rounding noise
        rng = np.random.default_rng(4)
        c = np.r_[np.zeros(400), rng.standard_normal(500), np.zeros(700)]
        d = np.r_[rng.standard_normal(300), np.zeros(300)]
        out = convolve(c, d)
        support = np.convolve(c != 0, d != 0) > 0
        assert (out[~support] == 0).all() and (out[support] != 0).all()
        assert_matches(out, np.convolve(c, d), bound(c, d))

    @pytest.mark.parametrize("n", [1000, 20000])
    def test_auto_keeps_the_fft_accuracy_on_ordinary_inputs(self, n):
        rng = np.random.default_rng(n)
        c, d = rng.standard_normal(n), rng.uniform(0, 1, n)
        assert_matches(convolve(c, d), convolve(c, d, method="fft"), bound(c, d))

    def test_scalars_are_sequences_of_length_one(self):
        # as numpy.convolve reads them
        np.testing.assert_array_equal(convolve(1289, 4567), [5886863])
        assert convolve(1289, 4567).tolist() == np.convolve(1289, 4567).tolist()
        np.testing.assert_array_equal(
            convolve(np.float32(2), [1, 2, 3]), np.convolve(np.float32(2), [1, 2, 3])
        )
        np.testing.assert_array_equal(
            convolve(torch.tensor(3), torch.tensor([1, 2])), [3, 6]
        )

    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("mode", MODES)
    @given(
        c=st.one_of(st.integers(-1000, 1000), st.floats(-1e3, 1e3)),
        d=sequences("float"),
    )
    def test_scalar_and_sequence_match_numpy(self, method, mode, c, d):
        scale = abs(c) * float(np.abs(d).max())
        assert_matches(
            convolve(c, d, mode=mode, method=method),
            np.convolve(c, d, mode=mode),
            scale,
        )
        assert_matches(
            convolve(d, c, mode=mode, method=method),
            np.convolve(d, c, mode=mode),
            scale,
        )

    @pytest.mark.parametrize("method", METHODS)
    def test_float16_sums_in_float32(self, device, method):
        rng = np.random.default_rng(6)
        c = torch.tensor(rng.standard_normal(300), dtype=torch.float16, device=device)
        d = torch.tensor(rng.standard_normal(40), dtype=torch.float16, device=device)
        out = convolve(c, d, method=method)
        exact = np.convolve(c.cpu().double().numpy(), d.cpu().double().numpy())
        assert (
            out.dtype
            == np.float16
            == np.convolve(c.cpu().numpy(), d.cpu().numpy()).dtype
        )
        # rounded once from float32 sums: within half a float16 ulp plus the float32 error
        scale = bound(c.cpu().double().numpy(), d.cpu().double().numpy())
        np.testing.assert_allclose(
            out.astype(np.float64), exact, rtol=2.0**-11, atol=1e-5 * scale
        )

    @pytest.mark.parametrize("dtype", [torch.bfloat16, torch.complex32])
    def test_tensor_dtypes_without_numpy(self, dtype):
        with pytest.raises(
            TypeError,
            match=rf"d must be a tensor of a dtype that NumPy supports .*; got {dtype}",
        ):
            convolve([1.0, 2.0], torch.ones(3, dtype=dtype))

    def test_torch_tensors(self, device):
        c = torch.tensor([3.0, 1.0], device=device, dtype=torch.float64)
        d = torch.tensor([1, 2], device=device)
        assert_matches(convolve(c, d), np.array([3.0, 7.0, 2.0]))

    def test_empty(self):
        with pytest.raises(ValueError, match="c must not be empty"):
            convolve([], [1])

    def test_two_dimensional(self):
        with pytest.raises(
            ValueError, match=r"d must be 1-D; got an array of shape \(2, 2\)"
        ):
            convolve([1], [[1, 2], [3, 4]])
        with pytest.raises(
            ValueError, match=r"c must be 1-D; got an array of shape \(1, 1\)"
        ):
            convolve([[1]], 1)

    def test_not_numbers(self):
        with pytest.raises(
            TypeError, match="c must be a 1-D array of numbers; got dtype <U1"
        ):
            convolve(["a", "b"], [1])

    def test_unknown_mode(self):
        with pytest.raises(
            ValueError, match="mode must be one of 'full', 'same', 'valid'; got 'wide'"
        ):
            convolve([1], [1], mode="wide")

    def test_unknown_method(self):
        with pytest.raises(
            ValueError,
            match="method must be one of 'auto', 'direct', 'matrix', 'fft'; got 'winograd'",
        ):
            convolve([1], [1], method="winograd")


@pytest.mark.usefixtures("kernels")
class TestCorrelate:
    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("mode", MODES)
    @pytest.mark.parametrize("kind", KINDS)
    @given(data=st.data())
    def test_matches_numpy(self, kind, mode, method, data):
        x = data.draw(sequences(kind), label="x")
        h = data.draw(sequences(kind), label="h")
        assert_matches(
            correlate(x, h, mode=mode, method=method),
            np.correlate(x, h, mode=mode),
            bound(x, h),
        )

    @pytest.mark.filterwarnings("error::RuntimeWarning")  # silent, as NumPy
    @pytest.mark.parametrize("method", ["auto", "direct", "matrix"])
    @pytest.mark.parametrize("mode", MODES)
    @pytest.mark.parametrize("kind", ["float", "complex"])
    @given(data=st.data())
    def test_nonfinite_matches_numpy(self, kind, mode, method, data):
        x = data.draw(with_nonfinite(kind), label="x")
        h = data.draw(with_nonfinite(kind), label="h")
        with np.errstate(all="ignore"):
            expected = np.correlate(x, h, mode=mode)
        assert_nonfinite_as_numpy(
            correlate(x, h, mode=mode, method=method), expected, finite_bound(x, h)
        )

    def test_issue_examples(self):
        np.testing.assert_array_equal(
            correlate([1.0, 2.0], [1.0, np.nan]), [np.nan, np.nan, 2.0]
        )
        a = np.zeros(180)
        a[0], a[-1] = 1.0, 1e10
        np.testing.assert_array_equal(
            correlate(a, a), np.array(exact_convolution(a, a[::-1]), dtype=float)
        )

    @given(
        p=st.integers(150, 600),
        q=st.integers(150, 600),
        exponents=st.lists(st.integers(-15, 15), max_size=6),
    )
    def test_wide_dynamic_range(self, p, q, exponents):
        rng = np.random.default_rng(p * q)
        x, h = np.zeros(p), np.zeros(q)
        x[0], h[0] = 1.0, 1e12
        for e in exponents:
            target = x if rng.random() < 0.5 else h
            target[rng.integers(len(target))] = 10.0**e
        exact, absolute = exact_float_convolution(x, h[::-1])
        assert_within_direct_accuracy(correlate(x, h), exact, absolute)

    def test_numbers_refused_like_numpy(self):
        with pytest.raises(ValueError):
            np.correlate(1289, 4567)
        with pytest.raises(
            ValueError, match=r"x must be 1-D; got an array of shape \(\)"
        ):
            correlate(1289, 4567)

    def test_unknown_method(self):
        with pytest.raises(
            ValueError,
            match="method must be one of 'auto', 'direct', 'matrix', 'fft'; got 'dft'",
        ):
            correlate([1], [1], method="dft")

    def test_default_mode_is_full(self):
        np.testing.assert_array_equal(
            correlate([1, 2, 3], [0, 1, 2]), np.correlate([1, 2, 3], [0, 1, 2], "full")
        )

    @pytest.mark.parametrize("mode", MODES)
    def test_same_with_longer_filter(self, mode):
        x, h = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 10.0, 100.0, 1e3, 1e4])
        assert_matches(
            correlate(x, h, mode=mode), np.correlate(x, h, mode=mode), bound(x, h)
        )

    @given(x=sequences("complex"), h=sequences("complex"))
    def test_is_convolution_with_flipped_conjugate(self, x, h):
        assert_matches(correlate(x, h), convolve(x, np.conj(h[::-1])), bound(x, h))

    def test_empty(self):
        with pytest.raises(ValueError, match="h must not be empty"):
            correlate([1], np.array([]))

    def test_unknown_mode(self):
        with pytest.raises(
            ValueError,
            match="mode must be one of 'full', 'same', 'valid'; got 'circular'",
        ):
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
        np.testing.assert_array_equal(
            convolution_matrix(h, len(x), mode) @ x, np.convolve(h, x, mode)
        )

    @given(x=sequences("int"), y=sequences("int"))
    def test_toeplitz_matrices_commute_on_vectors(self, x, y):
        # T(x) y = T(y) x: both are x * y
        np.testing.assert_array_equal(
            convolution_matrix(x, len(y)) @ y, convolution_matrix(y, len(x)) @ x
        )

    def test_returns_a_new_array(self):
        T = convolution_matrix([1, 2], 3)
        T[0, 0] = 9
        assert T.flags.c_contiguous and convolution_matrix([1, 2], 3)[0, 0] == 1

    def test_torch_tensor(self, device):
        h = torch.tensor([1, 2, 3], device=device)
        np.testing.assert_array_equal(
            convolution_matrix(h, 2), scipy.linalg.convolution_matrix([1, 2, 3], 2)
        )

    def test_n_not_int(self):
        with pytest.raises(TypeError, match="n must be an int; got float 2.0"):
            convolution_matrix([1, 2], 2.0)

    def test_n_too_small(self):
        with pytest.raises(ValueError, match="n must be >= 1; got 0"):
            convolution_matrix([1, 2], 0)

    def test_two_dimensional(self):
        with pytest.raises(
            ValueError, match=r"h must be 1-D; got an array of shape \(1, 2\)"
        ):
            convolution_matrix([[1, 2]], 2)

    def test_unknown_mode(self):
        with pytest.raises(
            ValueError,
            match="mode must be one of 'full', 'same', 'valid'; got 'periodic'",
        ):
            convolution_matrix([1, 2], 2, mode="periodic")


@pytest.mark.usefixtures("kernels")
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
        assert_matches(
            cyclic_convolve(c, d),
            expected if kind == "complex" else expected.real,
            bound(c, d),
        )

    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("kind", KINDS)
    @given(data=st.data())
    def test_is_circulant_product(self, kind, method, data):
        n = data.draw(lengths, label="n")
        c = data.draw(sequences(kind, st.just(n)), label="c")
        d = data.draw(sequences(kind, st.just(n)), label="d")
        assert_matches(
            cyclic_convolve(c, d, method=method),
            scipy.linalg.circulant(c) @ d,
            bound(c, d),
        )

    @pytest.mark.filterwarnings("error::RuntimeWarning")  # silent, as NumPy
    @pytest.mark.parametrize("method", ["auto", "direct", "matrix"])
    @pytest.mark.parametrize("kind", ["float", "complex"])
    @given(data=st.data())
    def test_nonfinite_as_circulant_product(self, kind, method, data):
        # the circulant's product sums exactly the n products of each output, nothing else
        n = data.draw(lengths, label="n")
        c = data.draw(with_nonfinite(kind, st.just(n)), label="c")
        d = data.draw(with_nonfinite(kind, st.just(n)), label="d")
        with np.errstate(all="ignore"):
            expected = scipy.linalg.circulant(c) @ d
        assert_nonfinite_as_numpy(
            cyclic_convolve(c, d, method=method), expected, finite_bound(c, d)
        )

    def test_wide_dynamic_range(self):
        a = np.zeros(180)
        a[0], a[-1] = 1.0, 1e10
        expected = scipy.linalg.circulant(a.astype(np.int64).astype(object)) @ a.astype(
            np.int64
        ).astype(object)
        np.testing.assert_array_equal(
            cyclic_convolve(a, a), expected.astype(np.float64)
        )

    def test_numbers(self):
        np.testing.assert_array_equal(cyclic_convolve(3, 4), [12])
        np.testing.assert_array_equal(cyclic_convolve(3, [4]), [12])

    def test_exact_for_big_integers(self):
        c = np.array([2**40 + 1, 3, 2**41], dtype=np.int64)
        d = np.array([2**11 + 1, -5, 7], dtype=np.int64)
        expected = [
            sum(int(c[i]) * int(d[(k - i) % 3]) for i in range(3)) for k in range(3)
        ]
        assert cyclic_convolve(c, d).tolist() == expected

    def test_mismatched_lengths(self):
        with pytest.raises(
            ValueError,
            match="c and d must have the same length for cyclic convolution; got 2 and 3",
        ):
            cyclic_convolve([1, 2], [1, 2, 3])

    def test_empty(self):
        with pytest.raises(ValueError, match="d must not be empty"):
            cyclic_convolve([1], [])

    def test_unknown_method(self):
        with pytest.raises(
            ValueError,
            match="method must be one of 'auto', 'direct', 'matrix', 'fft'; got 'ntt'",
        ):
            cyclic_convolve([1], [1], method="ntt")


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

    @pytest.mark.parametrize(
        ("a", "b"),
        [(0, 0), (0, -(2**100)), (-1, -1), (2**16, 2**16), (-(2**64) + 1, 2**64 - 1)],
    )
    def test_edge_cases(self, a, b):
        assert multiply_integers(a, b) == a * b

    def test_all_ones_carry_chain(self):
        # every limb of the product's low half carries: the worst case of the carry rounds
        a = 2**50000 - 1
        assert multiply_integers(a, a) == a * a

    def test_long_enough_for_narrow_limbs(self):
        # 300,000 bits per operand: past 10**4 digits the limbs narrow below 16 bits
        a, b = 3**189000 + 1, -(7**107000) - 5
        assert multiply_integers(a, b) == a * b

    def test_numpy_integer(self):
        assert multiply_integers(np.int64(-12), 11) == -132

    @pytest.mark.parametrize(
        ("a", "b", "name", "shown"),
        [(True, 2, "a", "bool True"), (2, 1.5, "b", "float 1.5")],
    )
    def test_not_int(self, a, b, name, shown):
        with pytest.raises(TypeError, match=f"{name} must be an int; got {shown}"):
            multiply_integers(a, b)
