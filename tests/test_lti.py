import itertools

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from coursekit import LTISystem, impulse_response, is_linear, is_time_invariant
from coursekit.lti import impulse, shift, step

kernels = st.lists(st.integers(-5, 5), min_size=1, max_size=6)


def clipper(x):
    return np.clip(x, -1.0, 1.0)


def ramp_gain(x):
    return (1.0 + np.arange(len(x))) * x


def affine(x):
    return 2.0 * x + 1.0


def moving_average_same(x):
    return np.convolve(x, np.ones(5) / 5, mode="same")


def recursive_filter(x):
    return scipy.signal.lfilter([1.0], [1.0, -0.9], x)


def torch_conv(x):
    signal = torch.from_numpy(x)[None, None]
    return F.conv1d(
        signal, torch.tensor([[[1.0, -2.0, 1.0]]], dtype=torch.float64), padding=2
    )[0, 0]


def first_sample_zeroed(x):
    y = x.copy()
    y[0] = 0.0
    return y


class TestImpulse:
    def test_values(self):
        np.testing.assert_array_equal(impulse(5, at=2), [0, 0, 1, 0, 0])
        assert impulse(3).dtype == np.float64

    def test_matches_scipy_unit_impulse(self):
        np.testing.assert_array_equal(impulse(7, at=3), scipy.signal.unit_impulse(7, 3))

    def test_at_outside(self):
        with pytest.raises(
            ValueError,
            match="at must be < n = 3 for the impulse to start inside the signal; got 3",
        ):
            impulse(3, at=3)

    def test_negative_at(self):
        with pytest.raises(ValueError, match="at must be >= 0; got -1"):
            impulse(3, at=-1)

    def test_bad_n(self):
        with pytest.raises(ValueError, match="n must be >= 1; got 0"):
            impulse(0)
        with pytest.raises(TypeError, match="n must be an int; got float 3.0"):
            impulse(3.0)


class TestStep:
    def test_values(self):
        np.testing.assert_array_equal(step(5, at=2), [0, 0, 1, 1, 1])

    def test_running_sum_of_impulse(self):
        np.testing.assert_array_equal(step(6, at=2), np.cumsum(impulse(6, at=2)))

    def test_at_outside(self):
        with pytest.raises(
            ValueError,
            match="at must be < n = 4 for the step to start inside the signal; got 9",
        ):
            step(4, at=9)


class TestShift:
    def test_values(self):
        np.testing.assert_array_equal(shift([1, 2, 3], 2), [0, 0, 1, 2, 3])
        np.testing.assert_array_equal(shift([1.5], 0), [1.5])

    def test_keeps_dtype(self):
        assert shift(np.array([1, 2], dtype=np.int32), 1).dtype == np.int32

    def test_negative(self):
        with pytest.raises(ValueError, match="k must be >= 0; got -1"):
            shift([1, 2], -1)

    def test_not_numeric(self):
        with pytest.raises(TypeError, match="x must be a 1-D array of numbers"):
            shift(["a"], 1)


class TestLTISystem:
    def test_output_is_full_convolution(self):
        np.testing.assert_array_equal(LTISystem([1, 1])([1, 2, 3]), [1, 3, 5, 3])

    @given(kernels, kernels)
    def test_matches_numpy_convolve(self, h, x):
        np.testing.assert_allclose(
            LTISystem(h)(np.array(x, dtype=float)), np.convolve(x, h), atol=1e-9
        )

    @given(kernels)
    def test_impulse_gives_h(self, h):
        system = LTISystem(h)
        np.testing.assert_allclose(system(impulse(1)), h, atol=1e-12)
        assert np.array_equal(system.h, h)

    def test_keeps_own_copy(self):
        h = np.array([1.0, 2.0])
        system = LTISystem(h)
        h[0] = 9.0
        assert system.h[0] == 1.0

    def test_repr(self):
        assert repr(LTISystem([1, -1])) == "LTISystem(h=[1, -1])"

    def test_empty(self):
        with pytest.raises(ValueError, match="h must not be empty"):
            LTISystem([])

    def test_bad_input(self):
        with pytest.raises(
            ValueError, match=r"x must be 1-D; got an array of shape \(2, 2\)"
        ):
            LTISystem([1])(np.ones((2, 2)))

    def test_not_1d(self):
        with pytest.raises(
            ValueError, match=r"h must be 1-D; got an array of shape \(1, 2\)"
        ):
            LTISystem([[1, 2]])


class TestImpulseResponse:
    @given(kernels, st.integers(1, 10))
    def test_recovers_h(self, h, n):
        expected = np.zeros(max(n, len(h)))
        expected[: len(h)] = h
        np.testing.assert_allclose(
            impulse_response(LTISystem(h), n), expected[:n], atol=1e-12
        )

    def test_recursive_filter(self):
        np.testing.assert_allclose(
            impulse_response(recursive_filter, 5), 0.9 ** np.arange(5)
        )

    def test_reconstructs_lti_system(self):
        rng = np.random.default_rng(0)
        x = rng.standard_normal(20)
        h = impulse_response(recursive_filter, 20)
        np.testing.assert_allclose(
            LTISystem(h)(x)[:20], recursive_filter(x), atol=1e-12
        )

    def test_output_too_short(self):
        with pytest.raises(
            ValueError,
            match="system returned 2 samples for an impulse of length 4; expected at least 4",
        ):
            impulse_response(lambda x: x[:2], 4)

    def test_output_not_1d(self):
        with pytest.raises(
            ValueError,
            match=r"system must map a 1-D array to a 1-D array; got an output of shape \(1, 4\)",
        ):
            impulse_response(lambda x: x[None], 4)

    def test_bad_n(self):
        with pytest.raises(ValueError, match="n must be >= 1; got 0"):
            impulse_response(clipper, 0)


LTI_SYSTEMS = [
    LTISystem([1, 2, 1]),
    moving_average_same,
    recursive_filter,
    torch_conv,
    np.cumsum,
    lambda x: -3 * x,
]


class TestIsLinear:
    @pytest.mark.parametrize("system", LTI_SYSTEMS)
    def test_lti_systems(self, system):
        assert is_linear(system)

    def test_time_varying_gain_is_linear(self):
        assert is_linear(ramp_gain)

    @pytest.mark.parametrize("system", [clipper, np.square, affine, np.abs])
    def test_nonlinear_systems(self, system):
        assert not is_linear(system)

    @given(kernels)
    def test_every_convolution(self, h):
        assert is_linear(LTISystem(h), n=8, trials=1)

    def test_output_length_changing_between_calls(self):
        calls = itertools.count(1)
        assert not is_linear(lambda x: np.zeros(next(calls)))

    def test_bad_trials(self):
        with pytest.raises(ValueError, match="trials must be >= 1; got 0"):
            is_linear(clipper, trials=0)

    def test_bad_rtol(self):
        with pytest.raises(ValueError, match="rtol must be >= 0; got -1"):
            is_linear(clipper, rtol=-1)

    def test_bad_output(self):
        with pytest.raises(
            ValueError, match="system must map a 1-D array to a 1-D array"
        ):
            is_linear(lambda x: np.outer(x, x))


class TestIsTimeInvariant:
    @pytest.mark.parametrize("system", LTI_SYSTEMS)
    def test_lti_systems(self, system):
        assert is_time_invariant(system)

    @pytest.mark.parametrize("system", [clipper, np.square, affine])
    def test_memoryless_nonlinear_systems(self, system):
        assert is_time_invariant(system)

    @pytest.mark.parametrize(
        "system",
        [
            ramp_gain,
            first_sample_zeroed,
            lambda x: np.cos(0.3 * np.arange(len(x))) * x,
            lambda x: x[::2],
        ],
    )
    def test_time_varying_systems(self, system):
        assert not is_time_invariant(system)

    def test_valid_convolution(self):
        assert is_time_invariant(
            lambda x: np.convolve(x, [1.0, 2.0, 3.0], mode="valid")
        )

    @given(kernels, st.integers(1, 10))
    def test_every_convolution(self, h, n):
        assert is_time_invariant(LTISystem(h), n=n, trials=1)

    def test_bad_n(self):
        with pytest.raises(TypeError, match="n must be an int; got float 8.0"):
            is_time_invariant(clipper, n=8.0)

    def test_bad_output(self):
        with pytest.raises(
            ValueError, match="system must map a 1-D array to a 1-D array"
        ):
            is_time_invariant(lambda x: x.reshape(2, -1))
