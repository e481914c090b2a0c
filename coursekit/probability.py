"""Sums of independent random variables: their distribution is the convolution of theirs.

If ``X`` and ``Y`` are independent integer-valued variables, ``P(X + Y = t) =
sum_tau P(Y = tau) P(X = t - tau)``: the probability vectors convolve, just as
polynomial coefficients do. For densities the sum becomes an integral, which a
grid turns back into a convolution times the grid step (book part 3, "Probability";
section 3.3, "Densities", for the grid).

``PMF`` holds a probability mass function on consecutive integers, exactly when
its probabilities are fractions; ``Density`` holds a probability density sampled
on an evenly spaced grid.
"""

import math
import numbers
from fractions import Fraction

import numpy as np

from ._validation import check_array_1d, check_int

_SUM_ATOL = 1e-9  # how far float probabilities may sum from 1
_MASS_RTOL = 1e-2  # how far a sampled density's rectangle-rule mass may be from 1


def _check_real(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number; got {type(value).__name__} {value!r}"
        )
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return value


def _check_probs(probs):
    """Validate ``probs`` and return it as an object array of Fractions or a float64 array."""
    values = np.asarray(probs, dtype=object)
    if values.ndim != 1:
        raise ValueError(f"probs must be 1-D; got an array of shape {values.shape}")
    if values.size == 0:
        raise ValueError("probs must not be empty")
    for i, p in enumerate(values):
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(
                f"probs must hold real numbers; got {type(p).__name__} {p!r} at index {i}"
            )
        if not p >= 0:
            raise ValueError(f"probs must be nonnegative; got {p!r} at index {i}")
    if all(isinstance(p, numbers.Rational) for p in values):
        values = np.array(
            [Fraction(int(p.numerator), int(p.denominator)) for p in values],
            dtype=object,
        )
        total = sum(values)
        if total != 1:
            raise ValueError(f"probs must sum to 1; got {total}")
        return values
    values = values.astype(np.float64)
    total = math.fsum(values)
    if not abs(total - 1) <= _SUM_ATOL:
        raise ValueError(f"probs must sum to 1 (within {_SUM_ATOL:g}); got {total!r}")
    return values


def _convolve_fractions(p, q):
    """The exact convolution of two lists of Fractions.

    Over common denominators the probabilities are integer weights (for dice: the
    number of ways to throw each total), which ``coursekit.convolve`` convolves
    exactly in int64; weights too large for int64 are convolved with Python ints.
    """
    from .polynomials import convolve

    lp, lq = (
        math.lcm(*(f.denominator for f in p)),
        math.lcm(*(f.denominator for f in q)),
    )
    a, b = [int(f * lp) for f in p], [int(f * lq) for f in q]
    if max(a) * max(b) * min(len(a), len(b)) < 2**63:
        counts = convolve(
            np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
        ).tolist()
    else:
        counts = [0] * (len(a) + len(b) - 1)
        for i, ai in enumerate(a):
            for j, bj in enumerate(b):
                counts[i + j] += ai * bj
    return [Fraction(c, lp * lq) for c in counts]


def _iid_sum(variable, n):
    """``variable + variable + ... + variable`` (``n`` terms), for a PMF or a Density."""
    n = check_int(n, "n", minimum=1)
    total = variable
    for _ in range(n - 1):
        total = total + variable
    return total


class PMF:
    """The probability mass function of an integer-valued random variable.

    ``P(X = start + i) = probs[i]``; every other integer has probability 0. The
    probabilities are kept exact when they are all ints or ``fractions.Fraction``
    (then means, variances and sums are exact too), as floats otherwise. Zeros at
    either end are dropped, so two PMFs of the same variable compare equal.

    ``X + Y`` is the PMF of the sum of independent variables with PMFs ``X`` and
    ``Y``: the convolution of their probability vectors, starting at
    ``X.start + Y.start``. ``X + c`` for an int ``c`` shifts the support, so the
    built-in ``sum`` works on a list of PMFs.

    Parameters
    ----------
    probs : sequence of real numbers
        Nonnegative probabilities of ``start, start + 1, ...``; they must sum to 1,
        exactly for fractions, within 1e-9 for floats.
    start : int, default 0
        The smallest value of the support.

    Attributes
    ----------
    start : int
        Smallest value with positive probability.
    probs : numpy.ndarray
        Probabilities of ``support`` (object array of Fractions, or float64), read-only.
    support : numpy.ndarray of int
        ``start, start + 1, ..., start + len(probs) - 1``.
    exact : bool
        Whether the probabilities are Fractions.
    mean, var, std
        Moments of the distribution (Fractions when exact; ``std`` is a float).

    Raises
    ------
    TypeError
        If ``probs`` holds something other than real numbers or ``start`` is not an int.
    ValueError
        If ``probs`` is empty, not 1-D, has a negative entry or does not sum to 1.

    See Also
    --------
    coursekit.convolve : computes the sums (book section 3.1, "Sums of independent
        variables: the dice").
    Density : the same for densities on a grid.

    Examples
    --------
    The payoff ``X`` of book section 3.1 plus a fair die:

    >>> from fractions import Fraction
    >>> X = PMF([Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)], start=1)
    >>> Z = X + PMF.die()
    >>> Z.start, Z.pmf(2), Z.pmf(4), Z.pmf(9), Z.pmf(10)
    (2, Fraction(1, 24), Fraction(1, 6), Fraction(1, 24), Fraction(0, 1))
    >>> Z.mean == X.mean + PMF.die().mean
    True
    >>> PMF([0.5, 0.5]) + PMF([0.5, 0.5])
    PMF([0.25, 0.5, 0.25], start=0)
    """

    def __init__(self, probs, start=0):
        start = check_int(start, "start")
        probs = _check_probs(probs)
        nonzero = np.flatnonzero(probs != 0)
        probs = probs[nonzero[0] : nonzero[-1] + 1].copy()
        probs.flags.writeable = False
        self.probs = probs
        self.start = start + int(nonzero[0])
        self.exact = probs.dtype == object

    @classmethod
    def die(cls, sides=6):
        """A fair die: ``1, ..., sides``, each with probability ``Fraction(1, sides)``.

        >>> PMF.die(4)
        PMF([1/4, 1/4, 1/4, 1/4], start=1)
        """
        sides = check_int(sides, "sides", minimum=1)
        return cls([Fraction(1, sides)] * sides, start=1)

    @classmethod
    def from_samples(cls, samples):
        """The empirical PMF (relative frequencies, as floats) of integer ``samples``.

        >>> PMF.from_samples([3, 1, 3, 3])
        PMF([0.25, 0, 0.75], start=1)
        """
        samples = check_array_1d(samples, "samples")
        if not np.issubdtype(samples.dtype, np.integer):
            raise TypeError(f"samples must be integers; got dtype {samples.dtype}")
        low = int(samples.min())
        counts = np.bincount(samples - low)
        return cls(counts / samples.size, start=low)

    @property
    def support(self):
        return np.arange(self.start, self.start + len(self.probs))

    def _zero(self):
        return Fraction(0) if self.exact else 0.0

    def _probability(self, t):
        if isinstance(t, bool) or not isinstance(t, numbers.Real):
            raise TypeError(f"t must be a real number; got {type(t).__name__} {t!r}")
        if (
            not math.isfinite(t)
            or t != int(t)
            or not 0 <= int(t) - self.start < len(self.probs)
        ):
            return self._zero()
        return self.probs[int(t) - self.start]

    def pmf(self, t):
        """``P(X = t)``: 0 outside the support. ``t`` is a number or an array of numbers.

        >>> PMF.die().pmf(3), PMF.die().pmf(7)
        (Fraction(1, 6), Fraction(0, 1))
        >>> PMF([0.5, 0.5], start=1).pmf([0, 1, 2])
        array([0. , 0.5, 0.5])
        """
        if np.ndim(t) == 0:
            return self._probability(t.item() if isinstance(t, np.generic) else t)
        values = np.asarray(t)
        result = [self._probability(v) for v in values.ravel().tolist()]
        return np.array(result, dtype=self.probs.dtype).reshape(values.shape)

    def _expectation(self, f):
        return sum(
            (
                f(t) * p
                for t, p in zip(
                    range(self.start, self.start + len(self.probs)), self.probs.tolist()
                )
            )
        )

    @property
    def mean(self):
        return self._expectation(lambda t: t)

    @property
    def var(self):
        mean = self.mean
        return self._expectation(lambda t: (t - mean) ** 2)

    @property
    def std(self):
        return math.sqrt(self.var)

    def pgf(self, s):
        """The probability generating function ``E[s**X] = sum_t P(X = t) s**t`` at a number ``s``.

        Its coefficients are the probabilities, so ``(X + Y).pgf = X.pgf * Y.pgf``:
        multiplying polynomials convolves their coefficients (book section 1.1; section
        3.2 uses this).

        >>> PMF.die(2).pgf(Fraction(1, 2))
        Fraction(3, 8)
        """
        if isinstance(s, bool) or not isinstance(s, numbers.Number):
            raise TypeError(f"s must be a number; got {type(s).__name__} {s!r}")
        return self._expectation(lambda t: s**t)

    def __add__(self, other):
        if isinstance(other, numbers.Integral) and not isinstance(other, bool):
            return PMF(self.probs, start=self.start + int(other))
        if not isinstance(other, PMF):
            return NotImplemented
        from .polynomials import convolve

        if self.exact and other.exact:
            probs = _convolve_fractions(self.probs.tolist(), other.probs.tolist())
        else:
            # FFT could dip below 0
            probs = convolve(
                self.probs.astype(float), other.probs.astype(float), method="direct"
            )
        return PMF(probs, start=self.start + other.start)

    __radd__ = __add__

    def sum_of(self, n):
        """The PMF of ``X_1 + ... + X_n`` for ``n`` independent copies of this variable.

        >>> PMF.die().sum_of(2).pmf(7)
        Fraction(1, 6)
        """
        return _iid_sum(self, n)

    def sample(self, size, seed=None):
        """``size`` independent draws (an int or a shape), by a NumPy Generator seeded with ``seed``.

        >>> PMF([0, 1], start=5).sample(3, seed=0)
        array([6, 6, 6])
        """
        rng = np.random.default_rng(seed)
        return rng.choice(self.support, size=size, p=self.probs.astype(float))

    def plot(self, ax=None, **kwargs):
        """Stem plot of ``P(X = t)`` against ``t`` on ``ax`` (default: the current axes); returns ``ax``."""
        import matplotlib.pyplot as plt

        ax = plt.gca() if ax is None else ax
        ax.stem(self.support, self.probs.astype(float), **kwargs)
        ax.set_xlabel("$t$")
        ax.set_ylabel("$P(X = t)$")
        return ax

    def __eq__(self, other):
        if not isinstance(other, PMF):
            return NotImplemented
        return (
            self.start == other.start
            and len(self.probs) == len(other.probs)
            and bool(np.all(self.probs == other.probs))
        )

    __hash__ = None

    def __repr__(self):
        probs = ", ".join(
            str(p) if self.exact else f"{p:.6g}" for p in self.probs.tolist()
        )
        return f"PMF([{probs}], start={self.start})"


class Density:
    """A probability density sampled on the grid ``start, start + dx, start + 2 dx, ...``.

    ``values[i]`` approximates the density at ``start + i * dx`` and integrals are
    rectangle-rule sums times ``dx``. On construction the values are rescaled so
    that ``sum(values) * dx == 1`` (the input must be within 1% of that already):
    sums of many variables then keep total mass 1. Sampling at cell midpoints, as
    ``from_pdf`` does, makes the grid's mean exact for a symmetric cell and makes
    the sum of two uniforms the exact triangle at the grid points.

    ``X + Y`` is the density of the sum of independent variables: the
    convolution of the values times ``dx``, on the grid starting at
    ``X.start + Y.start``. Both grids must have the same ``dx``. ``X + c`` for a
    real ``c`` shifts the grid.

    Parameters
    ----------
    values : array_like, shape (n,)
        Nonnegative density values on the grid.
    dx : float
        Grid step, positive.
    start : float, default 0.0
        First grid point.

    Attributes
    ----------
    values : numpy.ndarray of float64, shape (n,)
        The normalized density values, read-only.
    dx, start : float
    grid : numpy.ndarray of float64, shape (n,)
        The points ``start + i * dx``.
    mean, var, std : float
        Moments of the grid distribution (rectangle rule).

    Raises
    ------
    TypeError
        If ``values`` is not numeric or ``dx``/``start`` not a real number.
    ValueError
        If ``values`` is empty, not 1-D, negative or not finite, ``dx`` is not
        positive, or ``sum(values) * dx`` is more than 1% away from 1.

    See Also
    --------
    PMF : the same for integer-valued variables (book section 3.3, "Densities").

    Examples
    --------
    Two uniform variables on [0, 1) on a grid of step 1/4; their sum has the
    triangular density:

    >>> U = Density.from_pdf(lambda x: np.ones_like(x), 0, 1, dx=0.25)
    >>> U.grid, U.values
    (array([0.125, 0.375, 0.625, 0.875]), array([1., 1., 1., 1.]))
    >>> T = U + U
    >>> T.grid, T.values
    (array([0.25, 0.5 , 0.75, 1.  , 1.25, 1.5 , 1.75]), array([0.25, 0.5 , 0.75, 1.  , 0.75, 0.5 , 0.25]))
    >>> float(T.mean)
    1.0
    """

    def __init__(self, values, dx, start=0.0):
        values = check_array_1d(values, "values").astype(np.float64)
        dx = float(_check_real(dx, "dx"))
        self.start = float(_check_real(start, "start"))
        if dx <= 0:
            raise ValueError(f"dx must be > 0; got {dx!r}")
        if not np.all(np.isfinite(values)):
            raise ValueError("values must be finite")
        if np.any(values < 0):
            i = int(np.argmax(values < 0))
            raise ValueError(
                f"values must be nonnegative; got {float(values[i])!r} at index {i}"
            )
        mass = math.fsum(values) * dx
        if not abs(mass - 1) <= _MASS_RTOL:
            raise ValueError(
                f"values must integrate to 1 (sum(values) * dx within {_MASS_RTOL:g} of 1); got {mass:.6g}"
            )
        values = values / mass
        values.flags.writeable = False
        self.values = values
        self.dx = dx

    @classmethod
    def from_pdf(cls, pdf, a, b, dx):
        """Sample the function ``pdf`` at the midpoints of the cells of width ``dx`` covering ``[a, b)``.

        ``round((b - a) / dx)`` cells; ``pdf`` must accept a NumPy array (as
        ``scipy.stats`` densities do).

        >>> Density.from_pdf(lambda x: 2 * x, 0, 1, dx=0.5).values
        array([0.5, 1.5])
        """
        a, b, dx = (
            float(_check_real(v, name)) for v, name in ((a, "a"), (b, "b"), (dx, "dx"))
        )
        if not b > a:
            raise ValueError(f"b must be > a = {a!r}; got {b!r}")
        if dx <= 0:
            raise ValueError(f"dx must be > 0; got {dx!r}")
        n = max(1, round((b - a) / dx))
        grid = a + (np.arange(n) + 0.5) * dx  # n
        return cls(pdf(grid), dx, start=grid[0])

    @property
    def grid(self):
        return self.start + self.dx * np.arange(len(self.values))

    def pdf(self, t):
        """The density at ``t`` (a number or an array) by linear interpolation; 0 off the grid's span."""
        result = np.interp(t, self.grid, self.values, left=0.0, right=0.0)
        return float(result) if np.ndim(result) == 0 else result

    @property
    def mean(self):
        return float(np.sum(self.grid * self.values) * self.dx)

    @property
    def var(self):
        return float(np.sum((self.grid - self.mean) ** 2 * self.values) * self.dx)

    @property
    def std(self):
        return math.sqrt(self.var)

    def __add__(self, other):
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return Density(self.values, self.dx, start=self.start + float(other))
        if not isinstance(other, Density):
            return NotImplemented
        if not math.isclose(self.dx, other.dx, rel_tol=1e-12):
            raise ValueError(
                f"densities must share one grid step dx; got {self.dx!r} and {other.dx!r}"
            )
        from .polynomials import convolve

        # FFT round-off can dip below 0
        values = np.clip(convolve(self.values, other.values) * self.dx, 0.0, None)
        return Density(values, self.dx, start=self.start + other.start)

    __radd__ = __add__

    def sum_of(self, n):
        """The density of the sum of ``n`` independent copies of this variable."""
        return _iid_sum(self, n)

    def plot(self, ax=None, **kwargs):
        """Line plot of the density against the grid on ``ax`` (default: the current axes); returns ``ax``."""
        import matplotlib.pyplot as plt

        ax = plt.gca() if ax is None else ax
        ax.plot(self.grid, self.values, **kwargs)
        ax.set_xlabel("$t$")
        ax.set_ylabel("density")
        return ax

    def __repr__(self):
        return (
            f"Density({len(self.values)} values, dx={self.dx!r}, start={self.start!r})"
        )
