"""coursekit: the tested code behind "Convolution: from polynomial multiplication to ImageNet".

Every number in the book is computed by a function of this package. Importing it
is fast: the public names below load their module (and torch, matplotlib or
scikit-learn) on first use.

>>> import coursekit
>>> sorted(coursekit.__all__)[:3]
['LTISystem', 'PMF', 'bccb']
"""

import importlib

__version__ = "0.1.0"

# public name -> module that defines it (chapter in the comment)
_EXPORTS = {
    # runtime: every chapter
    "device": "runtime",
    "seed_everything": "runtime",
    # chapter 1: polynomial multiplication
    "convolve": "polynomials",
    "correlate": "polynomials",
    "convolution_matrix": "polynomials",
    "cyclic_convolve": "polynomials",
    "multiply_integers": "polynomials",
    # chapter 2: LTI systems and the CNN view of 1-D convolution
    "conv_output_size": "strided",
    "conv1d": "strided",
    "LTISystem": "lti",
    "impulse_response": "lti",
    "is_linear": "lti",
    "is_time_invariant": "lti",
    # chapter 3: probability
    "PMF": "probability",
    # chapter 4: circulants, Fourier, the convolution rule
    "fourier_matrix": "fourier",
    "shift_matrix": "fourier",
    "circulant": "fourier",
    "circulant_eigenvalues": "fourier",
    "fft_convolve": "fourier",
    "bccb": "fourier",
    "blur": "fourier",
    "deconvolve": "fourier",
    "convolution_operator_basis": "fourier",
    "kron_sum": "laplacian",
    "laplacian_1d": "laplacian",
    "laplacian_2d": "laplacian",
    # chapter 6: architectures
    "summary": "summarize",
    "receptive_field": "summarize",
}

_SUBMODULES = (
    "data",
    "lti",
    "probability",
    "fourier",
    "fft",
    "laplacian",
    "nn",
    "models",
    "train",
    "summarize",
    "localization",
    "distributed",
    "plotting",
    "interpret",
)

__all__ = sorted(_EXPORTS) + list(_SUBMODULES)


def __getattr__(name):
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'coursekit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
