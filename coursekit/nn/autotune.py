"""Benchmark mode for ``method="auto"``: time the methods once per configuration, then keep the fastest.

``conv2d(..., method="auto")`` normally asks a static cost model
(:func:`coursekit.nn.conv.choose_conv_method`), which knows the flop counts but not the
machine. With benchmark mode on, as with ``torch.backends.cudnn.benchmark = True`` for
cuDNN, the first call for each configuration (input and kernel shape, stride, dilation,
groups, dtype, device, and whether a gradient is tracked) runs every method that can
compute it, times each forward pass (the median
of five calls, in alternating rounds), and caches the winner; later calls with that
configuration use it at no cost. Worth it when the same shapes come back many times
(training); the first call of each shape is slower.
"""

import statistics
import time

import torch

__all__ = ["benchmark_cache", "benchmark_mode", "clear_benchmark_cache"]

_state = {"enabled": False}
_winners = {}  # configuration -> method


def benchmark_mode(enabled=None):
    """Switch benchmark mode for ``method="auto"`` on or off, or tell whether it is on.

    Parameters
    ----------
    enabled : bool, optional
        The new setting; omitted, nothing changes.

    Returns
    -------
    bool
        The setting before this call.

    Raises
    ------
    TypeError
        If ``enabled`` is not a bool.

    See Also
    --------
    benchmark_cache : the winners measured so far.
    coursekit.nn.functional.choose_conv_method : the static cost model used otherwise.
    Book section 5.7, "Three ways to compute a convolution, and Winograd".

    Examples
    --------
    >>> benchmark_mode(True)
    False
    >>> benchmark_mode(False)
    True
    >>> benchmark_mode()
    False
    """
    previous = _state["enabled"]
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise TypeError(
                f"enabled must be a bool; got {type(enabled).__name__} {enabled!r}"
            )
        _state["enabled"] = enabled
    return previous


def benchmark_cache():
    """The methods benchmark mode has chosen so far: a dict from configuration to method.

    A configuration is ``(input shape after padding, weight shape, stride, dilation,
    groups, dtype, device, tracked)``, ``tracked`` being whether autograd records the
    call (a method may compute its forward pass another way for training).

    Returns
    -------
    dict
        A copy; changing it changes nothing.

    See Also
    --------
    benchmark_mode, clear_benchmark_cache

    Examples
    --------
    >>> clear_benchmark_cache()
    >>> benchmark_cache()
    {}
    """
    return dict(_winners)


def clear_benchmark_cache():
    """Forget every method benchmark mode has chosen, so the next calls time them again.

    See Also
    --------
    benchmark_cache

    Examples
    --------
    >>> clear_benchmark_cache()
    """
    _winners.clear()


def candidates(kernel_size, stride, dilation):
    """The methods benchmark mode times for a configuration.

    "im2col" and "fft" always; "direct" for kernels of at most 3 x 3 taps (one
    product per tap: more taps never pay, and timing them would take long);
    "winograd", F(2x2, 3x3), for stride-1, dilation-1 3x3 kernels, whose float32
    error is that of im2col. "winograd4x4" is never chosen for you: its float32 error
    is an order of magnitude larger (book section 5.7 measures it).

    >>> candidates((3, 3), (1, 1), (1, 1))
    ('im2col', 'fft', 'direct', 'winograd')
    >>> candidates((5, 5), (1, 1), (1, 1))
    ('im2col', 'fft')
    """
    methods = ("im2col", "fft")
    if kernel_size[0] * kernel_size[1] <= 9:
        methods += ("direct",)
    if (
        tuple(kernel_size) == (3, 3)
        and tuple(stride) == (1, 1)
        and tuple(dilation) == (1, 1)
    ):
        methods += ("winograd",)
    return methods


def _synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_times(run, methods, device, rounds=5):
    """Median seconds of ``run(method)`` for each of ``methods``, timed in ``rounds`` alternating rounds.

    One warm-up call each, then each round times every method once, right after an
    untimed call of the same method (so that it is not timed in the caches that the
    previous method left), each round starting one method later. A machine that slows
    down for a moment slows all of them alike, and the median, not the fastest call,
    is what a method costs call after call.
    """
    for method in methods:
        run(method)
    _synchronize(device)
    times = {method: [] for method in methods}
    for r in range(rounds):
        for k in range(len(methods)):
            method = methods[(k + r) % len(methods)]
            run(method)  # untimed
            _synchronize(device)
            start = time.perf_counter()
            run(method)
            _synchronize(device)
            times[method].append(time.perf_counter() - start)
    return {method: statistics.median(t) for method, t in times.items()}


def fastest(run, methods, key, device, tracked=False):
    """The cached winner for ``key``, or the fastest of ``methods`` timed now with ``run(method)``.

    ``run`` is timed with autograd recording if ``tracked`` (the forward pass of a
    training step, which may take another path than inference), else without; the
    backward pass is not timed.
    """
    if key not in _winners:
        with torch.set_grad_enabled(tracked):
            seconds = _median_times(run, methods, device)
        _winners[key] = min(methods, key=seconds.__getitem__)
    return _winners[key]
