from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from coursekit import PMF
from coursekit.probability import Density

F = Fraction


@st.composite
def exact_pmfs(draw):
    """A PMF with Fraction probabilities proportional to small nonnegative integer weights."""
    weights = draw(st.lists(st.integers(0, 5), min_size=1, max_size=6).filter(any))
    start = draw(st.integers(-4, 4))
    return PMF([F(w, sum(weights)) for w in weights], start=start)


def reference_sum(p, q):
    """The PMF of the sum by numpy.convolve of the (object) probability vectors."""
    return np.convolve(p.probs, q.probs), p.start + q.start


class TestPMF:
    X = PMF([F(1, 4), F(1, 2), F(1, 4)], start=1)

    def test_dice_example(self):
        Z = self.X + PMF.die()
        assert Z.start == 2
        assert list(Z.support) == list(range(2, 10))
        assert (Z.pmf(2), Z.pmf(4), Z.pmf(9)) == (F(1, 24), F(1, 6), F(1, 24))
        assert list(Z.probs) == [
            F(1, 24),
            F(1, 8),
            F(1, 6),
            F(1, 6),
            F(1, 6),
            F(1, 6),
            F(1, 8),
            F(1, 24),
        ]
        assert Z.exact and all(isinstance(p, Fraction) for p in Z.probs)

    def test_sum_is_commutative(self):
        assert self.X + PMF.die() == PMF.die() + self.X

    @given(exact_pmfs(), exact_pmfs())
    def test_matches_numpy_convolve_exactly(self, p, q):
        probs, start = reference_sum(p, q)
        Z = p + q
        assert Z == PMF(list(probs), start=start)
        assert sum(Z.probs) == 1

    @given(exact_pmfs(), exact_pmfs())
    def test_mean_and_variance_add(self, p, q):
        Z = p + q
        assert Z.mean == p.mean + q.mean
        assert Z.var == p.var + q.var

    @given(exact_pmfs(), exact_pmfs(), st.fractions(-2, 2))
    def test_generating_functions_multiply(self, p, q, s):
        if s == 0 and min(p.start, q.start) < 0:
            s = F(1, 3)
        assert (p + q).pgf(s) == p.pgf(s) * q.pgf(s)

    def test_large_denominators_stay_exact(self):
        p = PMF([F(1, 3**40), 1 - F(1, 3**40)])
        q = PMF([F(1, 2**61), 1 - F(1, 2**61)])
        probs, start = reference_sum(p, q)
        assert p + q == PMF(list(probs), start=start)

    def test_thirty_dice(self):
        thirty = PMF.die().sum_of(30)
        assert (
            thirty.pmf(30) == F(1, 6**30)
            and thirty.mean == 105
            and thirty.var == 30 * F(35, 12)
        )

    @pytest.mark.parametrize("n", [1, 2, 3, 5])
    def test_n_dice_match_repeated_numpy_convolve(self, n):
        probs = np.array([F(1, 6)] * 6, dtype=object)
        expected = probs
        for _ in range(n - 1):
            expected = np.convolve(expected, probs)
        assert PMF.die().sum_of(n) == PMF(list(expected), start=n)
        assert sum([PMF.die()] * n) == PMF.die().sum_of(n)

    def test_two_dice(self):
        two = PMF.die().sum_of(2)
        assert two.pmf(7) == F(1, 6) and two.pmf(2) == F(1, 36)
        assert two.mean == 7 and two.var == F(35, 6)

    def test_die_moments(self):
        d = PMF.die()
        assert (d.mean, d.var) == (F(7, 2), F(35, 12))
        assert d.std == pytest.approx(np.sqrt(35 / 12))

    def test_die_matches_scipy_randint(self):
        d = PMF.die(8)
        np.testing.assert_allclose(
            d.pmf(np.arange(-1, 11)).astype(float),
            scipy.stats.randint(1, 9).pmf(np.arange(-1, 11)),
        )
        assert float(d.var) == pytest.approx(scipy.stats.randint(1, 9).var())

    def test_binomial_from_bernoulli(self):
        coin = PMF([0.7, 0.3])
        ten = coin.sum_of(10)
        np.testing.assert_allclose(
            ten.probs, scipy.stats.binom(10, 0.3).pmf(np.arange(11)), rtol=1e-12
        )
        assert ten.mean == pytest.approx(3.0) and ten.var == pytest.approx(2.1)

    def test_float_sum_matches_numpy_convolve(self):
        p, q = PMF([0.2, 0.3, 0.5], start=-1), PMF([0.6, 0.4], start=2)
        Z = p + q
        assert not Z.exact and Z.start == 1
        np.testing.assert_allclose(Z.probs, np.convolve(p.probs, q.probs))

    def test_exact_plus_float_is_float(self):
        Z = PMF.die(2) + PMF([0.5, 0.5])
        assert not Z.exact and Z.probs.dtype == np.float64
        np.testing.assert_allclose(Z.probs, [0.25, 0.5, 0.25])

    def test_integers_are_exact(self):
        point = PMF([0, 1, 0], start=3)
        assert point.exact and point.start == 4 and point.mean == 4 and point.var == 0

    def test_shift_by_integer(self):
        assert self.X + 2 == PMF([F(1, 4), F(1, 2), F(1, 4)], start=3)
        assert 0 + self.X == self.X

    def test_trims_zeros(self):
        p = PMF([0, 0, F(1, 2), 0, F(1, 2), 0], start=-3)
        assert p.start == -1 and len(p.probs) == 3 and list(p.support) == [-1, 0, 1]

    def test_probs_read_only(self):
        with pytest.raises(ValueError, match="read-only"):
            self.X.probs[0] = F(1, 2)

    def test_pmf_outside_support_and_non_integers(self):
        assert (
            self.X.pmf(0) == 0
            and self.X.pmf(4) == 0
            and self.X.pmf(1.5) == 0
            and self.X.pmf(float("nan")) == 0
        )
        assert self.X.pmf(2.0) == F(1, 2) and self.X.pmf(np.int64(3)) == F(1, 4)

    def test_pmf_of_array(self):
        values = self.X.pmf(np.array([[0, 1], [2, 3]]))
        assert values.shape == (2, 2) and values.tolist() == [
            [0, F(1, 4)],
            [F(1, 2), F(1, 4)],
        ]

    def test_repr(self):
        assert repr(self.X) == "PMF([1/4, 1/2, 1/4], start=1)"
        assert repr(PMF([0.25, 0.75])) == "PMF([0.25, 0.75], start=0)"

    def test_equality(self):
        assert PMF([F(1, 2), F(1, 2)]) == PMF([0.5, 0.5])
        assert PMF([F(1, 2), F(1, 2)]) != PMF([F(1, 2), F(1, 2)], start=1)
        assert PMF([1]) != 1

    def test_sample_is_seeded_and_in_support(self):
        Z = self.X + PMF.die()
        a, b = Z.sample(1000, seed=0), Z.sample(1000, seed=0)
        np.testing.assert_array_equal(a, b)
        assert a.min() >= 2 and a.max() <= 9 and np.issubdtype(a.dtype, np.integer)
        assert Z.sample((2, 3), seed=1).shape == (2, 3)

    def test_monte_carlo_frequencies(self):
        Z = self.X + PMF.die()
        empirical = PMF.from_samples(Z.sample(200_000, seed=0))
        np.testing.assert_allclose(empirical.probs, Z.probs.astype(float), atol=5e-3)

    def test_from_samples(self):
        assert PMF.from_samples([3, 1, 3, 3]) == PMF([0.25, 0.0, 0.75], start=1)

    def test_plot(self):
        fig, ax = plt.subplots()
        assert PMF.die().plot(ax=ax) is ax
        assert ax.get_ylabel() == "$P(X = t)$"
        plt.close(fig)

    def test_negative(self):
        with pytest.raises(
            ValueError, match=r"probs must be nonnegative; got -0.5 at index 1"
        ):
            PMF([1.5, -0.5])

    def test_not_summing_to_one_exact(self):
        with pytest.raises(ValueError, match="probs must sum to 1; got 5/4"):
            PMF([F(3, 4), F(1, 2)])

    def test_not_summing_to_one_float(self):
        with pytest.raises(
            ValueError, match=r"probs must sum to 1 \(within 1e-09\); got 0.9"
        ):
            PMF([0.4, 0.5])

    def test_float_tolerance(self):
        assert PMF([0.1] * 10).exact is False

    def test_empty(self):
        with pytest.raises(ValueError, match="probs must not be empty"):
            PMF([])

    def test_not_1d(self):
        with pytest.raises(
            ValueError, match=r"probs must be 1-D; got an array of shape \(1, 2\)"
        ):
            PMF([[0.5, 0.5]])

    def test_not_numbers(self):
        with pytest.raises(
            TypeError, match="probs must hold real numbers; got str 'a' at index 0"
        ):
            PMF(["a"])

    def test_nan(self):
        with pytest.raises(
            ValueError, match="probs must be nonnegative; got nan at index 0"
        ):
            PMF([float("nan"), 1.0])

    def test_start_not_int(self):
        with pytest.raises(TypeError, match="start must be an int; got float 1.0"):
            PMF([1], start=1.0)

    def test_bad_sides(self):
        with pytest.raises(ValueError, match="sides must be >= 1; got 0"):
            PMF.die(0)

    def test_bad_n(self):
        with pytest.raises(ValueError, match="n must be >= 1; got 0"):
            PMF.die().sum_of(0)

    def test_samples_not_integers(self):
        with pytest.raises(
            TypeError, match="samples must be integers; got dtype float64"
        ):
            PMF.from_samples([1.5, 2.0])

    def test_pmf_of_string(self):
        with pytest.raises(TypeError, match="t must be a real number; got str 'a'"):
            self.X.pmf("a")

    def test_pgf_of_string(self):
        with pytest.raises(TypeError, match="s must be a number; got str 'x'"):
            self.X.pgf("x")

    def test_add_unsupported(self):
        with pytest.raises(TypeError, match="unsupported operand"):
            self.X + "a"


def uniform(dx=0.01):
    return Density.from_pdf(scipy.stats.uniform.pdf, 0, 1, dx=dx)


def exponential(dx=0.01):
    return Density.from_pdf(scipy.stats.expon.pdf, 0, 40, dx=dx)


class TestDensity:
    def test_uniform_plus_uniform_is_triangular(self):
        T = uniform() + uniform()
        np.testing.assert_allclose(
            T.values, scipy.stats.triang(c=0.5, scale=2).pdf(T.grid), atol=1e-12
        )
        assert T.mean == pytest.approx(1.0, abs=1e-12)
        assert T.var == pytest.approx(1 / 6, abs=1e-4)

    @pytest.mark.parametrize("n", [2, 3, 5])
    def test_sum_of_exponentials_is_gamma(self, n):
        G = exponential().sum_of(n)
        np.testing.assert_allclose(
            G.values, scipy.stats.gamma(n).pdf(G.grid), atol=5e-5
        )
        assert G.mean == pytest.approx(n, rel=1e-4) and G.var == pytest.approx(
            n, rel=1e-4
        )

    def test_sum_of_normals_is_normal(self):
        N = Density.from_pdf(scipy.stats.norm.pdf, -8, 8, dx=0.01)
        S = N + N
        np.testing.assert_allclose(
            S.values, scipy.stats.norm(scale=np.sqrt(2)).pdf(S.grid), atol=1e-6
        )

    def test_mass_is_one(self):
        U = Density(np.full(100, 0.995), dx=0.01)
        assert U.values[0] == pytest.approx(1.0)
        assert np.sum(U.values) * U.dx == pytest.approx(1.0)
        assert np.sum((U + U + U).values) * U.dx == pytest.approx(1.0)

    def test_shift(self):
        U = uniform()
        assert (U + 2).start == pytest.approx(U.start + 2) and (
            2.5 + U
        ).mean == pytest.approx(3.0)

    def test_pdf(self):
        T = uniform(0.25) + uniform(0.25)
        assert T.pdf(1.0) == pytest.approx(1.0) and T.pdf(0.625) == pytest.approx(0.625)
        assert T.pdf(-1.0) == 0.0 and T.pdf(3.0) == 0.0
        np.testing.assert_allclose(T.pdf(np.array([0.5, 1.5])), [0.5, 0.5])

    def test_from_pdf_midpoints(self):
        D = Density.from_pdf(lambda x: 2 * x, 0, 1, dx=0.25)
        np.testing.assert_allclose(D.grid, [0.125, 0.375, 0.625, 0.875])
        fine = Density.from_pdf(lambda x: 2 * x, 0, 1, dx=0.01)
        assert fine.mean == pytest.approx(scipy.stats.triang(c=1).mean(), abs=1e-4)

    def test_values_read_only(self):
        with pytest.raises(ValueError, match="read-only"):
            uniform().values[0] = 2.0

    def test_repr(self):
        assert (
            repr(Density([0.5, 0.5], dx=1.0)) == "Density(2 values, dx=1.0, start=0.0)"
        )

    def test_plot(self):
        fig, ax = plt.subplots()
        assert uniform().plot(ax=ax) is ax
        assert len(ax.lines) == 1
        plt.close(fig)

    def test_different_steps(self):
        with pytest.raises(
            ValueError, match="densities must share one grid step dx; got 0.01 and 0.02"
        ):
            uniform(0.01) + uniform(0.02)

    def test_mass_far_from_one(self):
        with pytest.raises(
            ValueError,
            match=r"values must integrate to 1 \(sum\(values\) \* dx within 0.01 of 1\); got 0.5",
        ):
            Density([0.5, 0.5], dx=0.5)

    def test_negative(self):
        with pytest.raises(
            ValueError, match="values must be nonnegative; got -1.0 at index 1"
        ):
            Density([2.0, -1.0, 1.0], dx=1.0)

    def test_not_finite(self):
        with pytest.raises(ValueError, match="values must be finite"):
            Density([np.inf, 1.0], dx=1.0)

    def test_empty(self):
        with pytest.raises(ValueError, match="values must not be empty"):
            Density([], dx=1.0)

    def test_bad_dx(self):
        with pytest.raises(ValueError, match="dx must be > 0; got -1.0"):
            Density([1.0], dx=-1.0)
        with pytest.raises(TypeError, match="dx must be a real number; got str '1'"):
            Density([1.0], dx="1")
        with pytest.raises(ValueError, match="dx must be finite; got nan"):
            Density([1.0], dx=float("nan"))

    def test_bad_start(self):
        with pytest.raises(
            TypeError, match="start must be a real number; got NoneType None"
        ):
            Density([1.0], dx=1.0, start=None)

    def test_from_pdf_bad_interval(self):
        with pytest.raises(ValueError, match="b must be > a = 1.0; got 0.0"):
            Density.from_pdf(scipy.stats.uniform.pdf, 1, 0, dx=0.1)

    def test_from_pdf_bad_dx(self):
        with pytest.raises(ValueError, match="dx must be > 0; got 0.0"):
            Density.from_pdf(scipy.stats.uniform.pdf, 0, 1, dx=0)

    def test_from_pdf_truncated(self):
        with pytest.raises(ValueError, match="values must integrate to 1"):
            Density.from_pdf(scipy.stats.expon.pdf, 0, 1, dx=0.01)

    def test_add_unsupported(self):
        with pytest.raises(TypeError, match="unsupported operand"):
            uniform() + PMF.die()
