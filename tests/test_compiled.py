"""coursekit._compiled: the convolution sum as a loop, in Python and compiled by Numba, against numpy.convolve."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit import _compiled, polynomials
from coursekit._compiled import compiled_sum, convolution_sum

needs_numba = pytest.mark.skipif(compiled_sum is None, reason="Numba is not installed")

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def pairs(max_length=40, nonfinite=False):
    """Two 1-D arrays of one float or complex dtype, the first at least as long, and a range of outputs."""
    real = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=32)
    if nonfinite:
        real = st.one_of(st.sampled_from([np.nan, np.inf, -np.inf, 0.0]), real)

    @st.composite
    def draw(draw):
        dtype = np.dtype(draw(st.sampled_from(DTYPES)))
        elements = real if dtype.kind == "f" else st.builds(complex, real, real)
        q = draw(st.integers(1, max_length))
        p = draw(st.integers(q, max_length))
        long = draw(hnp.arrays(dtype, p, elements=elements))
        short = draw(hnp.arrays(dtype, q, elements=elements))
        start = draw(st.integers(0, p + q - 2))
        stop = draw(st.integers(start + 1, p + q - 1))
        return long, short, start, stop

    return draw()


def run(kernel, long, short, start, stop):
    out = np.zeros(stop - start, dtype=long.dtype)
    assert kernel(long, short, start, out) is None  # it fills out
    return out


def tolerance(long, short):
    return (
        100
        * np.finfo(long.dtype).eps
        * float(np.abs(long).sum() * np.abs(short).max() + 1)
    )


class TestConvolutionSum:
    @given(pairs())
    def test_python_source_matches_numpy(self, case):
        long, short, start, stop = case
        expected = np.convolve(long, short)[start:stop]
        actual = run(convolution_sum, long, short, start, stop)
        assert actual.dtype == expected.dtype
        np.testing.assert_allclose(
            actual, expected, rtol=0, atol=tolerance(long, short)
        )

    @needs_numba
    @given(pairs(max_length=300))
    def test_compiled_equals_python_source_exactly(self, case):
        # no fastmath: the same products, added in the same order, rounded the same way
        long, short, start, stop = case
        np.testing.assert_array_equal(
            run(compiled_sum, long, short, start, stop),
            run(convolution_sum, long, short, start, stop),
        )

    @pytest.mark.parametrize(("p", "q"), [(7, 7), (5000, 3), (4100, 13), (2500, 700)])
    def test_same_roundings_as_one_tap_at_a_time(self, p, q):
        # taps grouped four or two per pass add the same products in the same order:
        # bit for bit the sums of one NumPy pass per tap
        rng = np.random.default_rng(p * q)
        long, short = rng.standard_normal(p), rng.standard_normal(q)
        full = np.zeros(p + q - 1)
        for j in range(q):
            full[j : j + p] += long * short[j]
        kernel = compiled_sum or convolution_sum
        for start, stop in [(0, p + q - 1), (q - 1, p), (1, p + q - 3)]:
            np.testing.assert_array_equal(
                run(kernel, long, short, start, stop), full[start:stop]
            )

    @needs_numba
    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize(("p", "q"), [(1, 1), (5000, 3), (4100, 700), (3000, 3000)])
    def test_compiled_matches_numpy_across_blocks(self, dtype, p, q):
        # outputs in several blocks of 2048, every mode's range
        rng = np.random.default_rng(p + q)
        long = rng.standard_normal(p).astype(dtype)
        short = rng.standard_normal(q).astype(dtype)
        if np.dtype(dtype).kind == "c":
            long, short = long + 1j * long[::-1], short - 2j * short[::-1]
        full = np.convolve(long, short)
        for start, stop in [
            (0, p + q - 1),
            (q - 1, p),
            ((q - 1) // 2, (q - 1) // 2 + p),
        ]:
            np.testing.assert_allclose(
                run(compiled_sum, long, short, start, stop),
                full[start:stop],
                rtol=0,
                atol=tolerance(long, short),
            )

    @needs_numba
    @given(pairs(nonfinite=True))
    def test_nonfinite_as_numpy(self, case):
        # only the products of each sum: NaN and inf reach exactly the outputs numpy.convolve gives them
        long, short, start, stop = case
        with np.errstate(all="ignore"):
            expected = np.convolve(long, short)[start:stop]
        actual = run(compiled_sum, long, short, start, stop)
        finite = np.isfinite(expected)
        np.testing.assert_array_equal(np.isfinite(actual), finite)
        if long.dtype.kind == "f":
            np.testing.assert_array_equal(actual[~finite], expected[~finite])

    @needs_numba
    def test_non_contiguous_inputs(self):
        x = np.arange(20.0)
        np.testing.assert_allclose(
            run(compiled_sum, x[::2], x[::-3], 0, 16), np.convolve(x[::2], x[::-3])
        )


class TestWhereNumbaIsMissing:
    def test_package_runs_without_numba(self):
        # a Python where "import numba" fails: no compiled loop, and convolve uses its NumPy kernels
        code = (
            "import sys; sys.modules['numba'] = None\n"
            "import numpy as np\n"
            "from coursekit import _compiled, convolve\n"
            "assert _compiled.compiled_sum is None\n"
            "print(convolve(np.array([3.0, 1.0]), np.array([1.0, 2.0])).tolist())\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == "[3.0, 7.0, 2.0]"

    @needs_numba
    def test_compiles_in_memory_where_no_cache_can_be_written(self, monkeypatch):
        import numba

        njit = numba.njit

        def no_cache_directory(**options):
            if options.get("cache"):
                raise RuntimeError("cannot cache function: no locator available")
            return njit(**options)

        monkeypatch.setattr(numba, "njit", no_cache_directory)
        kernel = _compiled._compile(convolution_sum)
        out = np.zeros(3)
        kernel(np.array([3.0, 1.0]), np.array([1.0, 2.0]), 0, out)
        np.testing.assert_array_equal(out, [3.0, 7.0, 2.0])


class TestChoice:
    @needs_numba
    @pytest.mark.parametrize("dtype", DTYPES)
    def test_direct_method_uses_the_loop_for_floats(self, dtype):
        assert (
            polynomials._direct_kernel(16, 16, 31, np.dtype(dtype)) is polynomials._loop
        )

    @pytest.mark.parametrize("dtype", [np.int64, np.int8, bool])
    def test_integers_keep_their_exact_numpy_kernels(self, dtype):
        assert (
            polynomials._direct_kernel(16, 16, 31, np.dtype(dtype))
            is not polynomials._loop
        )

    @pytest.mark.parametrize(
        ("loop", "direct", "fft"), [(True, 700, 740), (False, 115, 130)]
    )  # documented: from about 720 (Numba) or 120 (NumPy kernels) on, the FFT
    def test_auto_goes_to_the_fft_where_the_convolve_docstring_says(
        self, monkeypatch, loop, direct, fft
    ):
        if loop and compiled_sum is None:
            pytest.skip("Numba is not installed")
        if not loop:
            monkeypatch.setattr(polynomials, "compiled_sum", None)
        calls = []
        monkeypatch.setattr(
            polynomials, "_fft_resolved", lambda *args: calls.append("fft") or None
        )
        rng = np.random.default_rng(0)
        for n in (16, direct):
            polynomials.convolve(rng.standard_normal(n), rng.standard_normal(n))
        assert calls == []
        for n in (fft, 4096):
            polynomials.convolve(rng.standard_normal(n), rng.standard_normal(n))
        assert calls == ["fft", "fft"]
