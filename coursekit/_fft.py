"""The FFT engine shared by every convolution routine that uses the convolution rule.

Linear convolution of ``x`` and ``h`` along some axes is the cyclic convolution of
both signals zero-padded to length ``len(x) + len(h) - 1`` (or any longer, fast,
length), and cyclic convolution is a pointwise product after the FFT
(book sections 4.3, "The convolution rule", and 4.4, "The FFT from scratch").
"""

import numpy as np
import scipy.fft


def fast_length(n):
    """Smallest length >= ``n`` whose only prime factors are 2, 3, 5 (and 7, 11 for complex).

    >>> fast_length(1000), fast_length(1021)
    (1000, 1024)
    """
    return scipy.fft.next_fast_len(int(n), real=True)


def full_shape(x_shape, h_shape, axes):
    """Lengths of the full linear convolution along ``axes``."""
    return [x_shape[a] + h_shape[a] - 1 for a in axes]


def fftconvolve_numpy(x, h, axes):
    """Full linear convolution of NumPy arrays ``x`` and ``h`` along ``axes`` by the FFT.

    Other axes broadcast. Real inputs use the real FFT; the result is real then.

    >>> np.round(fftconvolve_numpy(np.array([3.0, 1.0]), np.array([1.0, 2.0]), axes=(0,)), 12)
    array([3., 7., 2.])
    """
    axes = tuple(axes)
    shape = full_shape(x.shape, h.shape, axes)
    fshape = [fast_length(s) for s in shape]
    if np.iscomplexobj(x) or np.iscomplexobj(h):
        spectrum = scipy.fft.fftn(x, fshape, axes=axes) * scipy.fft.fftn(
            h, fshape, axes=axes
        )
        out = scipy.fft.ifftn(spectrum, fshape, axes=axes)
    else:
        spectrum = scipy.fft.rfftn(x, fshape, axes=axes) * scipy.fft.rfftn(
            h, fshape, axes=axes
        )
        out = scipy.fft.irfftn(spectrum, fshape, axes=axes)
    index = [slice(None)] * out.ndim
    for a, s in zip(axes, shape):
        index[a] = slice(0, s)
    return out[tuple(index)]


def fftconvolve_torch(x, h, dims):
    """Full linear convolution of torch tensors along ``dims`` by ``torch.fft``.

    Runs on the device of the inputs; autograd flows through it.
    """
    import torch

    dims = tuple(dims)
    shape = full_shape(x.shape, h.shape, dims)
    fshape = [fast_length(s) for s in shape]
    if x.is_complex() or h.is_complex():
        spectrum = torch.fft.fftn(x, s=fshape, dim=dims) * torch.fft.fftn(
            h, s=fshape, dim=dims
        )
        out = torch.fft.ifftn(spectrum, s=fshape, dim=dims)
    else:
        spectrum = torch.fft.rfftn(x, s=fshape, dim=dims) * torch.fft.rfftn(
            h, s=fshape, dim=dims
        )
        out = torch.fft.irfftn(spectrum, s=fshape, dim=dims)
    for d, s in zip(dims, shape):
        out = out.narrow(d, 0, s)
    return out


def centered(full, shape, axes):
    """The centred block of ``full`` with lengths ``shape`` along ``axes`` (as scipy's "same").

    >>> centered(np.arange(5), [3], axes=(0,))
    array([1, 2, 3])
    """
    index = [slice(None)] * full.ndim
    for a, s in zip(axes, shape):
        start = (full.shape[a] - s) // 2
        index[a] = slice(start, start + s)
    return full[tuple(index)]
