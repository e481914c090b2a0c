"""Tests of coursekit.laplacian against scipy.sparse.kronsum, numpy.kron, scipy.linalg and the stencil."""

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import scipy.sparse
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from coursekit.fourier import circulant, circulant_eigenvalues
from coursekit.laplacian import kron_sum, laplacian_1d, laplacian_2d

STENCIL = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])


def squares(max_size=5):
    return st.integers(1, max_size).flatmap(
        lambda n: arrays(np.float64, (n, n), elements=st.floats(-5, 5, allow_nan=False))
    )


class TestKronSum:
    @given(squares(), squares())
    def test_matches_scipy_kronsum_and_explicit_kron(self, A, B):
        n, m = len(A), len(B)
        K = kron_sum(A, B)
        assert isinstance(K, np.ndarray) and K.shape == (n * m, n * m)
        np.testing.assert_allclose(K, np.kron(A, np.eye(m)) + np.kron(np.eye(n), B))
        np.testing.assert_allclose(K, scipy.sparse.kronsum(B, A).toarray())

    @given(squares(4), squares(4))
    def test_sparse_in_sparse_out(self, A, B):
        K = kron_sum(scipy.sparse.csr_array(A), B)
        assert scipy.sparse.issparse(K) and K.format == "csr"
        np.testing.assert_allclose(K.toarray(), kron_sum(A, B))
        np.testing.assert_allclose(
            kron_sum(A, scipy.sparse.csr_matrix(B)).toarray(), kron_sum(A, B)
        )

    @given(squares(4), squares(4))
    def test_acts_on_both_axes_of_a_row_major_image(self, A, B):
        U = np.arange(len(A) * len(B), dtype=float).reshape(len(A), len(B))
        np.testing.assert_allclose(
            kron_sum(A, B) @ U.ravel(), (A @ U + U @ B.T).ravel(), atol=1e-9
        )

    def test_errors(self):
        with pytest.raises(
            ValueError, match=r"A must be a square matrix; got shape \(2, 3\)"
        ):
            kron_sum(np.ones((2, 3)), np.eye(2))
        with pytest.raises(
            ValueError, match=r"B must be a square matrix; got shape \(3,\)"
        ):
            kron_sum(np.eye(2), np.ones(3))
        with pytest.raises(
            ValueError, match=r"B must be a square matrix; got shape \(1, 2\)"
        ):
            kron_sum(scipy.sparse.eye_array(2), scipy.sparse.csr_array(np.ones((1, 2))))


class TestLaplacian1d:
    @pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 10])
    @pytest.mark.parametrize("h", [1.0, 0.25])
    def test_zero_boundary_is_toeplitz(self, n, h):
        L = laplacian_1d(n, h)
        assert scipy.sparse.issparse(L) and L.format == "csr"
        column = np.r_[2.0, -1.0, np.zeros(n)][:n] / h**2
        np.testing.assert_allclose(L.toarray(), scipy.linalg.toeplitz(column))
        assert np.all(np.linalg.eigvalsh(L.toarray()) > 0)  # positive definite: -d2/dx2

    @pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 10])
    def test_periodic_boundary_is_circulant(self, n):
        L = laplacian_1d(n, h=0.5, boundary="periodic", sparse=False)
        column = np.zeros(n)
        column[0] += 2
        column[1 % n] -= 1
        column[-1] -= 1
        np.testing.assert_allclose(L, scipy.linalg.circulant(column / 0.25))
        # constants are in the null space
        np.testing.assert_allclose(L @ np.ones(n), 0, atol=1e-12)
        # eigenvalues (2 - 2 cos(2 pi k / n)) / h^2, by the FFT of the first column
        k = np.arange(n)
        np.testing.assert_allclose(
            np.sort(np.linalg.eigvalsh(L)),
            np.sort((2 - 2 * np.cos(2 * np.pi * k / n)) / 0.25),
            atol=1e-9,
        )
        np.testing.assert_allclose(
            circulant_eigenvalues(L[:, 0]).real,
            (2 - 2 * np.cos(2 * np.pi * k / n)) / 0.25,
            atol=1e-9,
        )

    def test_second_difference_of_a_parabola(self):
        x = np.linspace(0, 1, 11)
        h = x[1] - x[0]
        interior = (laplacian_1d(11, h) @ x**2)[1:-1]
        np.testing.assert_allclose(interior, -2.0, atol=1e-9)  # -d2/dx2 of x^2

    def test_dense_matches_sparse(self):
        np.testing.assert_array_equal(
            laplacian_1d(5, sparse=False), laplacian_1d(5).toarray()
        )

    def test_errors(self):
        with pytest.raises(ValueError, match="n must be >= 1; got 0"):
            laplacian_1d(0)
        with pytest.raises(ValueError, match="h must be a positive number; got -1"):
            laplacian_1d(3, h=-1)
        with pytest.raises(TypeError, match="h must be a positive number; got str"):
            laplacian_1d(3, h="1")
        with pytest.raises(
            ValueError,
            match="boundary must be one of 'zero', 'periodic'; got 'neumann'",
        ):
            laplacian_1d(3, boundary="neumann")


class TestLaplacian2d:
    @pytest.mark.parametrize("shape", [(1, 1), (3, 3), (4, 5), (6, 2)])
    @pytest.mark.parametrize("boundary", ["zero", "periodic"])
    def test_is_kronecker_sum(self, shape, boundary):
        H, W = shape
        L = laplacian_2d(shape, h=0.5, boundary=boundary)
        assert scipy.sparse.issparse(L) and L.format == "csr"
        A, B = (
            laplacian_1d(H, 0.5, boundary, sparse=False),
            laplacian_1d(W, 0.5, boundary, sparse=False),
        )
        np.testing.assert_allclose(
            L.toarray(), np.kron(A, np.eye(W)) + np.kron(np.eye(H), B)
        )
        np.testing.assert_allclose(L.toarray(), scipy.sparse.kronsum(B, A).toarray())

    @pytest.mark.parametrize("shape", [(3, 3), (4, 5), (6, 2)])
    @pytest.mark.parametrize(
        ("boundary", "fill"), [("zero", "fill"), ("periodic", "wrap")]
    )
    def test_minus_laplacian_is_the_stencil(self, shape, boundary, fill):
        h = 0.5
        U = np.random.default_rng(0).standard_normal(shape)
        L = laplacian_2d(shape, h=h, boundary=boundary)
        expected = scipy.signal.convolve2d(
            U, STENCIL / h**2, mode="same", boundary=fill
        )
        np.testing.assert_allclose(-(L @ U.ravel()), expected.ravel(), atol=1e-9)

    def test_periodic_is_bccb_with_fft_eigenvalues(self):
        L = laplacian_2d((4, 6), boundary="periodic", sparse=False)
        symbol = np.fft.fft2(L[:, 0].reshape(4, 6)).real.ravel()
        np.testing.assert_allclose(
            np.sort(np.linalg.eigvalsh(L)), np.sort(symbol), atol=1e-9
        )
        np.testing.assert_allclose(L[:6, :6], circulant(L[:6, 0]))

    def test_unequal_spacings(self):
        L = laplacian_2d((3, 4), h=(0.5, 2.0), sparse=False)
        np.testing.assert_allclose(
            L,
            kron_sum(
                laplacian_1d(3, 0.5, sparse=False), laplacian_1d(4, 2.0, sparse=False)
            ),
        )

    def test_errors(self):
        with pytest.raises(
            ValueError, match=r"shape must be a pair of ints \(H, W\); got 5"
        ):
            laplacian_2d(5)
        with pytest.raises(ValueError, match=r"shape must be >= 1; got 0"):
            laplacian_2d((0, 3))
        with pytest.raises(
            ValueError,
            match=r"h must be a number or a pair of numbers; got \(1, 2, 3\)",
        ):
            laplacian_2d((3, 3), h=(1, 2, 3))
        with pytest.raises(ValueError, match="h must be a positive number; got 0"):
            laplacian_2d((3, 3), h=0)
