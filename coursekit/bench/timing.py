"""Timing with warm-up, adaptive repeats and medians; CUDA work is synchronised."""

import statistics
import time


def _synchronize(device):
    if device is not None and str(device).startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def median_time(fn, min_total=0.2, max_repeat=15, device=None):
    """Median wall-clock seconds of ``fn()`` after one warm-up call.

    Repeats until ``min_total`` seconds have been spent or ``max_repeat`` calls
    were made; a call slower than ``min_total`` is repeated three times.

    >>> median_time(lambda: sum(range(10)), min_total=0.001) < 0.1
    True
    """
    fn()
    _synchronize(device)
    times = []
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        fn()
        _synchronize(device)
        times.append(time.perf_counter() - t0)
        spent = time.perf_counter() - start
        if len(times) >= max_repeat or (spent >= min_total and len(times) >= 3):
            break
        if len(times) >= 3 and times[0] > min_total:
            break
    return statistics.median(times)
