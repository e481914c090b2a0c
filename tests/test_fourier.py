"""Tests of coursekit.fourier against numpy.fft, scipy.linalg, scipy.signal, scipy.ndimage and torch."""

import itertools

import numpy as np
import pytest
import scipy.linalg
import scipy.ndimage
import scipy.signal
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from coursekit.fourier import (
    bccb,
    blur,
    circulant,
    circulant_eigenvalues,
    convolution_operator_basis,
    deconvolve,
    fft_convolve,
    fourier_matrix,
    shift_matrix,
)

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


@st.composite
def signals(draw, shape, complex_allowed=True):
    """A float64 array of ``shape``, complex128 half of the time when allowed."""
    x = draw(arrays(np.float64, shape, elements=finite))
    if complex_allowed and draw(st.booleans()):
        x = x + 1j * draw(arrays(np.float64, shape, elements=finite))
    return x


def vectors(min_size=1, max_size=13, complex_allowed=True):
    return st.integers(min_size, max_size).flatmap(
        lambda n: signals((n,), complex_allowed)
    )


def cyclic_reference(c, d):
    """(c (*) d)_k = sum_j c_j d_{(k - j) mod n}, by the definition."""
    n = len(c)
    return np.array([sum(c[j] * d[(k - j) % n] for j in range(n)) for k in range(n)])


class TestFourierMatrix:
    @pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 8, 12, 13])
    def test_columns_are_orthogonal(self, n):
        F = fourier_matrix(n)
        assert F.dtype == np.complex128 and F.shape == (n, n)
        np.testing.assert_allclose(F @ F.conj().T, n * np.eye(n), atol=1e-9)
        np.testing.assert_allclose(F, F.T)

    def test_entries_are_powers_of_w(self):
        w = np.exp(2j * np.pi / 4)
        F = fourier_matrix(4)
        for j, k in itertools.product(range(4), range(4)):
            assert F[j, k] == pytest.approx(w ** (j * k))
        np.testing.assert_allclose(F[1], [1, 1j, -1, -1j], atol=1e-15)

    @given(vectors())
    def test_numpy_fft_is_conjugate_matrix(self, x):
        F = fourier_matrix(len(x))
        np.testing.assert_allclose(np.fft.fft(x), F.conj() @ x, atol=1e-8)
        np.testing.assert_allclose(np.fft.ifft(x), F @ x / len(x), atol=1e-8)

    def test_errors(self):
        with pytest.raises(ValueError, match="n must be >= 1; got 0"):
            fourier_matrix(0)
        with pytest.raises(TypeError, match="n must be an int; got float 2.0"):
            fourier_matrix(2.0)


class TestShiftMatrix:
    @given(vectors())
    def test_shifts_up(self, x):
        np.testing.assert_array_equal(shift_matrix(len(x)) @ x, np.roll(x, -1))

    @given(vectors(max_size=9))
    def test_lecture_circulant_has_first_row_c(self, c):
        n = len(c)
        P = shift_matrix(n)
        C = sum(c[k] * np.linalg.matrix_power(P, k) for k in range(n))
        np.testing.assert_allclose(C[0], c)
        np.testing.assert_allclose(C, scipy.linalg.circulant(c).T)
        F = fourier_matrix(n)  # the lecture: eigenvectors F's columns, eigenvalues F c
        np.testing.assert_allclose(C @ F, F @ np.diag(F @ c), atol=1e-8)
        # SciPy's first-column circulant is the same polynomial in the down-shift
        S = P.T
        np.testing.assert_allclose(
            sum(c[k] * np.linalg.matrix_power(S, k) for k in range(n)), circulant(c)
        )

    @pytest.mark.parametrize("n", [1, 2, 5, 6])
    def test_fourier_columns_are_eigenvectors(self, n):
        P, F = shift_matrix(n), fourier_matrix(n)
        w = np.exp(2j * np.pi / n)
        np.testing.assert_allclose(P @ F, F @ np.diag(w ** np.arange(n)), atol=1e-12)
        np.testing.assert_array_equal(np.linalg.matrix_power(P, n), np.eye(n))

    def test_errors(self):
        with pytest.raises(ValueError, match="n must be >= 1; got -1"):
            shift_matrix(-1)
        with pytest.raises(TypeError, match="n must be an int; got str '3'"):
            shift_matrix("3")


class TestCirculant:
    @given(vectors())
    def test_matches_scipy(self, c):
        np.testing.assert_array_equal(circulant(c), scipy.linalg.circulant(c))

    @given(st.integers(1, 9).flatmap(lambda n: st.tuples(signals((n,)), signals((n,)))))
    def test_product_is_cyclic_convolution_and_commutes(self, cd):
        c, d = cd
        np.testing.assert_allclose(circulant(c) @ d, cyclic_reference(c, d), atol=1e-8)
        np.testing.assert_allclose(
            circulant(c) @ circulant(d), circulant(cyclic_reference(c, d)), atol=1e-8
        )
        np.testing.assert_allclose(
            circulant(c) @ circulant(d), circulant(d) @ circulant(c), atol=1e-8
        )

    def test_integers_lists_and_batches(self):
        np.testing.assert_array_equal(
            circulant([1, 2, 3]), [[1, 3, 2], [2, 1, 3], [3, 2, 1]]
        )
        assert circulant([1, 2, 3]).dtype == np.asarray([1, 2, 3]).dtype
        batch = np.arange(12.0).reshape(2, 2, 3)
        np.testing.assert_array_equal(circulant(batch), scipy.linalg.circulant(batch))
        np.testing.assert_array_equal(circulant(5), [[5]])

    def test_torch(self, device):
        c = torch.arange(5, dtype=torch.float32, device=device)
        C = circulant(c)
        assert C.device.type == device.type and C.dtype == torch.float32
        np.testing.assert_array_equal(
            C.cpu().numpy(), scipy.linalg.circulant(np.arange(5.0))
        )

    def test_errors(self):
        with pytest.raises(
            ValueError, match=r"c must have at least one entry; got shape \(0,\)"
        ):
            circulant([])


class TestCirculantEigenvalues:
    @given(vectors())
    def test_is_fft_and_pairs_with_fourier_columns(self, c):
        lam = circulant_eigenvalues(c)
        np.testing.assert_allclose(lam, np.fft.fft(c), atol=1e-8)
        F = fourier_matrix(len(c))
        np.testing.assert_allclose(circulant(c) @ F, F @ np.diag(lam), atol=1e-7)
        np.testing.assert_allclose(lam, F.conj() @ c, atol=1e-8)

    @given(
        st.integers(1, 13).flatmap(lambda n: st.tuples(signals((n,)), signals((n,))))
    )
    def test_convolution_rule_in_both_conventions(self, cd):
        c, d = cd
        F = fourier_matrix(len(c))
        cd_cyclic = cyclic_reference(c, d)
        np.testing.assert_allclose(F @ cd_cyclic, (F @ c) * (F @ d), atol=1e-6)
        np.testing.assert_allclose(
            circulant_eigenvalues(cd_cyclic),
            circulant_eigenvalues(c) * circulant_eigenvalues(d),
            atol=1e-6,
        )

    def test_lecture_two_by_two(self):
        # (3 + x)(1 + 2x) cyclically with n = 2 is 5 + 7x; F = [[1, 1], [1, -1]]
        np.testing.assert_allclose(circulant_eigenvalues([5, 7]), [12, -2])
        np.testing.assert_allclose(
            circulant_eigenvalues([3, 1]) * circulant_eigenvalues([1, 2]), [12, -2]
        )

    def test_torch(self, device):
        c = torch.tensor([2.0, 1.0, 0.0, 1.0], dtype=torch.float64, device=device)
        lam = circulant_eigenvalues(c)
        assert lam.device.type == device.type and lam.is_complex()
        np.testing.assert_allclose(lam.cpu().numpy(), [4, 2, 0, 2], atol=1e-12)

    def test_errors(self):
        with pytest.raises(ValueError, match="c must have at least one entry"):
            circulant_eigenvalues(np.zeros((2, 0)))
        with pytest.raises(ValueError, match="c must have at least one entry"):
            circulant_eigenvalues(torch.zeros(0))


@st.composite
def convolution_pairs(draw, max_ndim=2, max_size=9):
    ndim = draw(st.integers(1, max_ndim))
    sizes = st.lists(st.integers(1, max_size), min_size=ndim, max_size=ndim).map(tuple)
    return draw(signals(draw(sizes))), draw(signals(draw(sizes)))


class TestFftConvolve:
    @pytest.mark.parametrize("mode", ["full", "same", "valid"])
    @given(pair=convolution_pairs(max_ndim=3))
    def test_matches_scipy(self, pair, mode):
        x, h = pair
        try:
            expected = scipy.signal.fftconvolve(x, h, mode)
        except ValueError:
            with pytest.raises(
                ValueError, match="mode='valid' needs one input at least as large"
            ):
                fft_convolve(x, h, mode)
            return
        out = fft_convolve(x, h, mode)
        assert out.shape == expected.shape and out.dtype == expected.dtype
        np.testing.assert_allclose(out, expected, atol=1e-8)

    @pytest.mark.parametrize("n", [1000, 1021, 1024])  # even, prime, power of 2
    @pytest.mark.parametrize("mode", ["full", "same", "valid"])
    def test_long_signals(self, n, mode):
        rng = np.random.default_rng(n)
        x, h = rng.standard_normal(n), rng.standard_normal(31)
        np.testing.assert_allclose(
            fft_convolve(x, h, mode), scipy.signal.fftconvolve(x, h, mode), atol=1e-9
        )

    def test_dtypes_and_integers(self):
        x32 = np.arange(6, dtype=np.float32)
        assert fft_convolve(x32, x32[:3]).dtype == np.float32
        out = fft_convolve([1, 2, 3], [0, 1, 0.5])
        assert out.dtype == np.float64
        np.testing.assert_allclose(out, np.convolve([1, 2, 3], [0, 1, 0.5]), atol=1e-12)
        assert fft_convolve(np.float64(3), np.float64(2)) == 6
        assert fft_convolve(np.zeros(0), np.zeros(0)).size == 0

    def test_polynomial_example(self):
        np.testing.assert_allclose(fft_convolve([3, 1], [1, 2]), [3, 7, 2], atol=1e-12)

    @pytest.mark.parametrize("mode", ["full", "same", "valid"])
    def test_torch_matches_scipy(self, device, mode):
        rng = np.random.default_rng(0)
        for x, h in [
            (rng.standard_normal(17), rng.standard_normal(5)),
            (rng.standard_normal((6, 7)), rng.standard_normal((3, 4))),
        ]:
            xt = torch.tensor(x, dtype=torch.float32, device=device)
            out = fft_convolve(
                xt, torch.tensor(h, dtype=torch.float32, device=device), mode
            )
            assert out.device.type == device.type and out.dtype == torch.float32
            np.testing.assert_allclose(
                out.cpu().numpy(), scipy.signal.fftconvolve(x, h, mode), atol=1e-4
            )
        z = torch.tensor([1 + 1j, 2], dtype=torch.complex128, device=device)
        np.testing.assert_allclose(
            fft_convolve(z, z).cpu().numpy(), np.convolve(z.cpu(), z.cpu()), atol=1e-12
        )
        mixed = fft_convolve(torch.arange(3, device=device), np.array([1, 1]))
        assert mixed.device.type == device.type and mixed.is_floating_point()

    @pytest.mark.parametrize("mode", ["full", "same", "valid"])
    def test_gradcheck(self, device, mode):
        x = torch.randn(7, 6, dtype=torch.float64, device=device, requires_grad=True)
        h = torch.randn(3, 2, dtype=torch.float64, device=device, requires_grad=True)
        assert torch.autograd.gradcheck(lambda a, b: fft_convolve(a, b, mode), (x, h))

    def test_errors(self):
        with pytest.raises(
            ValueError, match="mode must be one of 'full', 'same', 'valid'; got 'wide'"
        ):
            fft_convolve([1, 2], [1], mode="wide")
        with pytest.raises(
            ValueError,
            match=r"x and h must have the same number of dimensions; got 1 .* and 2",
        ):
            fft_convolve(np.ones(3), np.ones((2, 2)))
        with pytest.raises(
            ValueError, match=r"got x of shape \(3, 5\) and h of shape \(4, 2\)"
        ):
            fft_convolve(np.ones((3, 5)), np.ones((4, 2)), mode="valid")


class TestBccb:
    @given(
        st.tuples(
            st.integers(1, 3), st.integers(1, 3), st.integers(0, 3), st.integers(0, 3)
        ).flatmap(
            lambda s: st.tuples(signals(s[:2]), st.just((s[0] + s[2], s[1] + s[3])))
        )
    )
    def test_is_periodic_convolution_with_fft_eigenvalues(self, kernel_shape):
        kernel, (H, W) = kernel_shape
        M = bccb(kernel, (H, W))
        assert M.shape == (H * W, H * W)
        u = np.arange(H * W, dtype=float).reshape(H, W) ** 1.5
        expected = np.zeros((H, W), dtype=complex)
        for i, j, a, b in itertools.product(
            range(H), range(W), *map(range, kernel.shape)
        ):
            expected[i, j] += kernel[a, b] * u[(i - a) % H, (j - b) % W]
        np.testing.assert_allclose(M @ u.ravel(), expected.ravel(), atol=1e-7)
        eigenvalues = np.fft.fft2(M[:, 0].reshape(H, W)).ravel()
        F2 = np.kron(fourier_matrix(H), fourier_matrix(W))
        np.testing.assert_allclose(M @ F2, F2 @ np.diag(eigenvalues), atol=1e-7)

    def test_blocks_are_circulant(self):
        kernel = np.arange(1, 7).reshape(2, 3)
        M = bccb(kernel, (3, 4))
        K = np.zeros((3, 4), dtype=int)
        K[:2, :3] = kernel
        blocks = [
            [M[4 * i : 4 * i + 4, 4 * p : 4 * p + 4] for p in range(3)]
            for i in range(3)
        ]
        for i, p in itertools.product(range(3), range(3)):
            np.testing.assert_array_equal(
                blocks[i][p], scipy.linalg.circulant(K[(i - p) % 3])
            )
        np.testing.assert_array_equal(
            bccb([[1, 2, 3]], (1, 5)), circulant([1, 2, 3, 0, 0])
        )

    def test_errors(self):
        with pytest.raises(
            ValueError,
            match=r"kernel must fit in shape \(2, 2\); got a kernel of shape \(3, 1\)",
        ):
            bccb(np.ones((3, 1)), (2, 2))
        with pytest.raises(
            ValueError, match=r"kernel must be 2-D; got an array of shape \(3,\)"
        ):
            bccb(np.ones(3), (4, 4))
        with pytest.raises(
            ValueError, match=r"shape must be a pair of ints \(H, W\); got 4"
        ):
            bccb(np.ones((1, 1)), 4)


class TestBlur:
    @pytest.mark.parametrize("kernel_shape", [(1, 1), (3, 3), (1, 5), (3, 1), (5, 3)])
    def test_matches_ndimage_wrap_for_odd_kernels(self, kernel_shape):
        rng = np.random.default_rng(1)
        image, kernel = rng.standard_normal((6, 7)), rng.standard_normal(kernel_shape)
        np.testing.assert_allclose(
            blur(image, kernel),
            scipy.ndimage.convolve(image, kernel, mode="wrap"),
            atol=1e-12,
        )

    @given(
        st.tuples(st.integers(1, 4), st.integers(1, 4)).flatmap(
            lambda k: st.tuples(signals((k[0] + 3, k[1] + 2)), signals(k))
        )
    )
    def test_is_same_mode_convolution_of_the_wrapped_image(self, image_kernel):
        image, kernel = image_kernel
        padded = np.pad(image, 4, mode="wrap")
        expected = scipy.signal.fftconvolve(padded, kernel, mode="same")[4:-4, 4:-4]
        np.testing.assert_allclose(blur(image, kernel), expected, atol=1e-7)

    def test_agrees_with_bccb_and_basis(self):
        rng = np.random.default_rng(2)
        image, kernel = rng.standard_normal((5, 6)), rng.standard_normal((3, 3))
        origin_first = np.roll(np.pad(kernel, ((0, 2), (0, 3))), (-1, -1), axis=(0, 1))
        np.testing.assert_allclose(
            blur(image, kernel).ravel(),
            bccb(origin_first, (5, 6)) @ image.ravel(),
            atol=1e-12,
        )
        K = (
            convolution_operator_basis((3, 3), (5, 6), "periodic") @ kernel.ravel()
        ).reshape(30, 30)
        np.testing.assert_allclose(
            blur(image, kernel).ravel(), K @ image.ravel(), atol=1e-12
        )

    def test_errors(self):
        with pytest.raises(
            ValueError,
            match=r"kernel must be non-empty and fit in the image of shape \(3,\)",
        ):
            blur(np.ones(3), np.ones(4))
        with pytest.raises(
            ValueError, match=r"kernel must have as many dimensions as image \(2\)"
        ):
            blur(np.ones((3, 3)), np.ones(3))


class TestDeconvolve:
    @given(signals((7, 9), complex_allowed=False))
    def test_recovers_without_noise(self, image):
        # transfer function > 0 on odd grids
        kernel = np.outer([1, 2, 1], [1, 2, 1]) / 16
        np.testing.assert_allclose(
            deconvolve(blur(image, kernel), kernel, alpha=0), image, atol=1e-8
        )

    @pytest.mark.parametrize("alpha", [0.0, 0.01, 1.0])
    def test_solves_the_regularised_normal_equations(self, alpha):
        rng = np.random.default_rng(3)
        b, kernel = rng.standard_normal(11), rng.standard_normal(4)
        # the circulant blur matrix
        A = np.column_stack([blur(e, kernel) for e in np.eye(11)])
        expected = np.linalg.solve(A.T @ A + alpha * np.eye(11), A.T @ b)
        np.testing.assert_allclose(deconvolve(b, kernel, alpha), expected, atol=1e-8)

    def test_regularisation_shrinks(self):
        rng = np.random.default_rng(4)
        b = rng.standard_normal((8, 8))
        kernel = np.full((3, 3), 1 / 9)
        norms = [np.linalg.norm(deconvolve(b, kernel, a)) for a in (1e-3, 1e-1, 10.0)]
        assert norms[0] > norms[1] > norms[2]

    @pytest.mark.parametrize("width", [2, 3, 4, 5, 6])
    @pytest.mark.parametrize("multiple", [1, 2, 3, 7])
    def test_box_kernels_have_vanishing_spectra(self, width, multiple):
        # a box of width w on a length that w divides: its transfer function is exactly 0 at
        # the frequencies k n / w, which the FFT computes as about 1e-16 (the issue: width 3,
        # length 6); naive inversion must refuse, not divide by rounding errors
        rng = np.random.default_rng(width * multiple)
        u, box = rng.standard_normal(width * multiple), np.ones(width)
        with pytest.raises(
            ValueError,
            match="alpha = 0 needs a kernel whose transfer function never vanishes",
        ):
            deconvolve(blur(u, box), box, alpha=0)

    @given(
        st.sampled_from(["box", "difference", "nyquist", "box2d", "laplacian"]),
        st.integers(1, 6),
        arrays(
            np.float64,
            3,
            elements=st.one_of(
                st.just(0.0), st.floats(0.01, 10), st.floats(-10, -0.01)
            ),
        ),
    )
    def test_kernels_with_exact_spectral_zeros(self, zero_maker, multiple, factor):
        # a kernel with a spectral zero convolved with any other keeps that zero (the convolution rule)
        if zero_maker == "box":
            kernel, shape = np.convolve(np.ones(3), factor), (3 * (multiple + 2),)
        elif zero_maker == "difference":  # zero at frequency 0
            kernel, shape = np.convolve([1.0, -1.0], factor), (multiple + 4,)
        # [1, 2, 1] is zero at the Nyquist frequency of even lengths
        elif zero_maker == "nyquist":
            kernel, shape = np.convolve([1.0, 2.0, 1.0], factor), (2 * (multiple + 3),)
        elif zero_maker == "box2d":
            kernel, shape = (
                np.outer(np.ones(2), np.convolve(factor, [1.0, 1.0])),
                (2 * multiple, 5 + multiple),
            )
        else:  # the 5-point Laplacian: zero at frequency (0, 0)
            kernel = (
                np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
                * factor[0]
            )
            shape = (multiple + 3, multiple + 4)
        image = np.arange(np.prod(shape), dtype=float).reshape(shape) % 7
        with pytest.raises(
            ValueError,
            match=r"transfer function never vanishes; got min \|K\| = .* <= ",
        ):
            deconvolve(blur(image, kernel), kernel, alpha=0)
        assert np.isfinite(deconvolve(blur(image, kernel), kernel, alpha=1e-3)).all()

    @given(st.integers(3, 40), arrays(np.float64, 5, elements=st.floats(-1, 1)))
    def test_kernels_without_zeros_still_deconvolve(self, n, others):
        # |K| >= 6 - sum |others| >= 1 at every frequency: no zero, and exact inversion
        kernel = np.r_[others[:2], 6.0, others[2:]][: min(n, 5)]
        u = np.sin(np.arange(n) * 1.3) + np.arange(n) % 3
        np.testing.assert_allclose(
            deconvolve(blur(u, kernel), kernel, alpha=0), u, atol=1e-10
        )

    def test_gaussian_blur_has_small_but_invertible_eigenvalues(self):
        # the book's 15 x 15 Gaussian (sigma = 2) on 300 x 256: min |K| = 1.8e-12 of the largest
        r = np.arange(-7, 8)
        g = np.exp(-(r**2) / 8.0)
        kernel = np.outer(g, g) / np.outer(g, g).sum()
        image = np.add.outer(np.sin(np.arange(300) / 9.0), np.cos(np.arange(256) / 5.0))
        restored = deconvolve(blur(image, kernel), kernel, alpha=0)
        assert np.linalg.norm(restored - image) / np.linalg.norm(image) < 1e-4

    def test_errors(self):
        with pytest.raises(
            ValueError, match="alpha must be a finite number >= 0; got -0.1"
        ):
            deconvolve(np.ones((4, 4)), np.ones((1, 1)), alpha=-0.1)
        with pytest.raises(TypeError, match="alpha must be a real number; got str"):
            deconvolve(np.ones((4, 4)), np.ones((1, 1)), alpha="1")
        with pytest.raises(
            ValueError,
            match="alpha = 0 needs a kernel whose transfer function never vanishes",
        ):
            deconvolve(np.ones(4), np.array([1.0, 1.0]), alpha=0)
        with pytest.raises(
            ValueError,
            match=r"kernel must be non-empty and fit in the image of shape \(4, 4\)",
        ):
            deconvolve(np.ones((4, 4)), np.ones((5, 1)), alpha=1)


class TestConvolutionOperatorBasis:
    @pytest.mark.parametrize(
        ("p", "n"), [(3, 5), (3, 3), (5, 5), (2, 6), (4, 7), (1, 3)]
    )
    def test_one_dimension(self, p, n):
        rng = np.random.default_rng(p * n)
        theta, y = rng.standard_normal(p), rng.standard_normal(n)
        K = (convolution_operator_basis(p, n) @ theta).reshape(n, n)
        np.testing.assert_allclose(K @ y, np.convolve(y, theta, "same"), atol=1e-12)
        column = np.r_[theta[(p - 1) // 2 :], np.zeros(n)][:n]
        row = np.r_[theta[: (p - 1) // 2 + 1][::-1], np.zeros(n)][:n]
        np.testing.assert_allclose(K, scipy.linalg.toeplitz(column, row))
        Kp = (convolution_operator_basis(p, n, "periodic") @ theta).reshape(n, n)
        np.testing.assert_allclose(Kp @ y, blur(y, theta), atol=1e-12)
        np.testing.assert_allclose(Kp, scipy.linalg.circulant(Kp[:, 0]))

    def test_document_004_example(self):
        # z_i = sum_j theta_j y_{i-j}; theta_3 multiplies y_{i-1}
        t1, t2, t3 = 1.0, 2.0, 3.0
        zero = (convolution_operator_basis(3, 4) @ [t1, t2, t3]).reshape(4, 4)
        np.testing.assert_array_equal(
            zero, [[t2, t1, 0, 0], [t3, t2, t1, 0], [0, t3, t2, t1], [0, 0, t3, t2]]
        )
        periodic = (
            convolution_operator_basis(3, 4, "periodic") @ [t1, t2, t3]
        ).reshape(4, 4)
        np.testing.assert_array_equal(
            periodic,
            [[t2, t1, 0, t3], [t3, t2, t1, 0], [0, t3, t2, t1], [t1, 0, t3, t2]],
        )

    @pytest.mark.parametrize("boundary", ["zero", "periodic"])
    def test_two_dimensions(self, boundary):
        rng = np.random.default_rng(5)
        theta, y = rng.standard_normal((3, 3)), rng.standard_normal((4, 5))
        K = (
            convolution_operator_basis((3, 3), (4, 5), boundary) @ theta.ravel()
        ).reshape(20, 20)
        expected = scipy.signal.convolve2d(
            y, theta, "same", boundary="fill" if boundary == "zero" else "wrap"
        )
        np.testing.assert_allclose(K @ y.ravel(), expected.ravel(), atol=1e-12)

    @pytest.mark.parametrize("boundary", ["zero", "periodic"])
    def test_jacobian_against_autograd(self, boundary):
        Q = convolution_operator_basis(3, 6, boundary)
        Qt = torch.tensor(Q)
        theta = torch.randn(3, dtype=torch.float64)
        v, w = (
            torch.randn(3, dtype=torch.float64),
            torch.randn(6, 6, dtype=torch.float64),
        )

        def K(t):
            return (Qt @ t).reshape(6, 6)

        _, jv = torch.autograd.functional.jvp(K, theta, v)
        _, jtw = torch.autograd.functional.vjp(K, theta, w)
        np.testing.assert_allclose(
            jv.numpy(), (Q @ v.numpy()).reshape(6, 6), atol=1e-12
        )
        np.testing.assert_allclose(jtw.numpy(), Q.T @ w.numpy().ravel(), atol=1e-12)

    def test_errors(self):
        with pytest.raises(
            ValueError,
            match=r"kernel_size and n must have the same number of entries; got \(3,\) and \(4, 4\)",
        ):
            convolution_operator_basis(3, (4, 4))
        with pytest.raises(
            ValueError,
            match="boundary must be one of 'zero', 'periodic'; got 'reflect'",
        ):
            convolution_operator_basis(3, 4, "reflect")
        with pytest.raises(ValueError, match="n must be >= 1; got 0"):
            convolution_operator_basis(3, 0)
        with pytest.raises(
            TypeError, match="kernel_size must be an int; got float 3.0"
        ):
            convolution_operator_basis(3.0, 4)
