"""Suites for NumPy-side code: 1-D ``convolve``, ``fft_convolve`` (1-D, 2-D), ``multiply_integers``, the FFT."""

import random

import numpy as np

from .rows import Row, failed, skipped
from .timing import median_times

# a direct O(p q) product above this many multiply-adds is not timed (it would take minutes)
DIRECT_LIMIT = 3e9


def _get(name):
    import coursekit

    try:
        return getattr(coursekit, name)
    except (AttributeError, ImportError) as err:
        return err


def _close(a, b, rtol=1e-7):
    scale = max(float(np.max(np.abs(b))), 1e-300)
    return a.shape == b.shape and np.max(np.abs(a - b)) <= rtol * scale * max(
        1, np.sqrt(b.size)
    )


def convolve_1d(quick):
    """convolve(method=...) against numpy.convolve and scipy.signal's convolve, fftconvolve, oaconvolve."""
    import scipy.signal

    convolve = _get("convolve")
    rng = np.random.default_rng(0)
    equal = (
        [16, 256, 4096]
        if quick
        else [16, 64, 256, 1024, 2048, 4096, 16384, 65536, 262144, 1_000_000]
    )
    filters = [3, 31] if quick else [3, 11, 31, 101]
    long = 20_000 if quick else 1_000_000
    cases = [(f"n={n}", n, n) for n in equal] + [
        (f"long {long} * k={k}", long, k) for k in filters
    ]
    for case, p, q in cases:
        x, h = rng.standard_normal(p), rng.standard_normal(q)
        refs = {"scipy.signal.fftconvolve": lambda: scipy.signal.fftconvolve(x, h)}
        if p * q <= DIRECT_LIMIT:
            refs["numpy.convolve"] = lambda: np.convolve(x, h)
        expected = refs["scipy.signal.fftconvolve"]()
        others = {
            "scipy.signal.convolve": lambda: scipy.signal.convolve(x, h),
            "scipy.signal.oaconvolve": lambda: scipy.signal.oaconvolve(x, h),
        }
        subjects, rows = {}, []  # rows: the subjects' failures and skips
        if isinstance(convolve, Exception):
            rows.append(("coursekit.convolve", f"not available ({convolve})", skipped))
        else:
            for method in ("auto", "direct", "fft"):
                subject = f"convolve {method}"
                if method == "direct" and p * q > DIRECT_LIMIT:
                    rows.append((subject, "O(n^2): too slow to time", skipped))
                elif not _close(np.asarray(convolve(x, h, method=method)), expected):
                    rows.append(
                        (
                            subject,
                            "result differs from scipy.signal.fftconvolve",
                            failed,
                        )
                    )
                else:
                    subjects[subject] = lambda m=method: convolve(x, h, method=m)
        # one set of alternating rounds: the ratios do not move with the machine's state
        fns = {**refs, **others, **subjects}
        times = dict(zip(fns, median_times(list(fns.values()))))
        best_name = min(refs, key=times.get)
        for name in (*refs, *others):
            yield Row("convolve", case, name, times[name], best_name, times[best_name])
        for subject, why, row in rows:
            yield row("convolve", case, subject, best_name, why)
        for subject in subjects:
            yield Row(
                "convolve",
                case,
                subject,
                times[subject],
                best_name,
                times[best_name],
                limit=1.3 if subject == "convolve auto" else None,
            )


def fft_convolve_nd(quick):
    """fft_convolve against scipy.signal.fftconvolve, in 1-D and 2-D."""
    import scipy.signal

    fft_convolve = _get("fft_convolve")
    rng = np.random.default_rng(1)
    sizes_1d = [1000, 10_000] if quick else [1000, 10_000, 100_000, 1_000_000]
    images = [128] if quick else [256, 512, 1024, 2048]
    kernels = [3, 15] if quick else [3, 15, 31, 63]
    cases = [(f"1-D n={n}, k=n/10", (n,), (max(n // 10, 1),)) for n in sizes_1d]
    cases += [
        (f"2-D {s}x{s} * {k}x{k}", (s, s), (k, k)) for s in images for k in kernels
    ]
    for case, xs, hs in cases:
        x, h = rng.standard_normal(xs), rng.standard_normal(hs)
        if isinstance(fft_convolve, Exception):
            yield skipped(
                "fft_convolve",
                case,
                "coursekit.fft_convolve",
                "scipy.signal.fftconvolve",
                f"not available ({fft_convolve})",
            )
            continue
        if not _close(np.asarray(fft_convolve(x, h)), scipy.signal.fftconvolve(x, h)):
            yield failed(
                "fft_convolve",
                case,
                "fft_convolve",
                "scipy.signal.fftconvolve",
                "result differs",
            )
            continue
        ref, seconds = median_times(
            [lambda: scipy.signal.fftconvolve(x, h), lambda: fft_convolve(x, h)]
        )
        yield Row(
            "fft_convolve",
            case,
            "fft_convolve",
            seconds,
            "scipy.signal.fftconvolve",
            ref,
            limit=1.5,
        )


def _random_int(digits, rng):
    bits = int(digits * 3.321928094887362)
    return rng.getrandbits(bits) | (1 << (bits - 1))


def integers(quick):
    """multiply_integers against CPython's ``*`` (and GMP through gmpy2 when installed)."""
    multiply = _get("multiply_integers")
    rng = random.Random(2)
    try:
        import gmpy2
    except ImportError:
        gmpy2 = None
    for digits in (
        [1000, 10_000, 100_000] if quick else [1000, 10_000, 100_000, 1_000_000]
    ):
        a, b = _random_int(digits, rng), _random_int(digits, rng)
        case = f"{digits:,} digits"
        expected = a * b
        if isinstance(multiply, Exception):
            yield skipped(
                "integers",
                case,
                "multiply_integers",
                "int *",
                f"not available ({multiply})",
            )
            continue
        if multiply(a, b) != expected:
            yield failed(
                "integers", case, "multiply_integers", "int *", "product is not exact"
            )
            continue
        fns = [lambda: a * b, lambda: multiply(a, b)]
        if gmpy2 is not None:
            ga, gb = gmpy2.mpz(a), gmpy2.mpz(b)
            fns.append(lambda: ga * gb)
        ref, seconds, *gmp = median_times(fns, min_total=0.5, max_repeat=5)
        yield Row(
            "integers",
            case,
            "multiply_integers",
            seconds,
            "int *",
            ref,
            limit=0.1 if digits >= 1_000_000 else None,
        )
        if gmp:
            yield Row(
                "integers",
                case,
                "multiply_integers",
                seconds,
                "gmpy2 (GMP): the limit",
                gmp[0],
            )


def fft_1d(quick):
    """coursekit.fft.fft (radix-2 for powers of two, Bluestein otherwise) against numpy.fft.fft.

    Complex float64 input; the target, within 10x of NumPy's FFT (C, mixed radix) from
    n = 4096 on, is for the radix-2 path. Bluestein runs three radix-2 FFTs of length
    at least 2n - 1 where NumPy's own Bluestein picks a shorter fast length.
    """
    try:
        from coursekit import fft as ckfft
    except ImportError as err:
        ckfft = err
    rng = np.random.default_rng(3)
    powers = [1024, 4096, 16384] if quick else [1024, 4096, 16384, 65536, 2**18, 2**20]
    others = [1000, 4099] if quick else [1000, 4099, 10007, 100_003]
    for n in powers + others:
        case = f"n={n:,} ({'radix-2' if n & (n - 1) == 0 else 'Bluestein'})"
        x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        if isinstance(ckfft, Exception):
            yield skipped(
                "fft",
                case,
                "coursekit.fft.fft",
                "numpy.fft.fft",
                f"not available ({ckfft})",
            )
            continue
        if not _close(ckfft.fft(x), np.fft.fft(x), rtol=1e-12):
            yield failed(
                "fft", case, "coursekit.fft.fft", "numpy.fft.fft", "result differs"
            )
            continue
        ref, seconds = median_times([lambda: np.fft.fft(x), lambda: ckfft.fft(x)])
        limit = 10.0 if n >= 4096 and n & (n - 1) == 0 else None
        yield Row(
            "fft", case, "coursekit.fft.fft", seconds, "numpy.fft.fft", ref, limit=limit
        )
