"""Timing with warm-up, adaptive repeats and medians; CUDA work is synchronised."""

import statistics
import time


def _synchronize(device):
    if device is not None and str(device).startswith("cuda"):
        import torch

        torch.cuda.synchronize()


# A call shorter than a tenth of this is timed in batches of calls that take about this
# long together (one reading of the clock per batch, as timeit does): single calls of a
# microsecond are as short as the clock's own overhead, and their median wanders by 10%.
_BATCH = 1e-3


def median_time(fn, min_total=0.2, max_repeat=15, device=None):
    """Median wall-clock seconds of ``fn()`` after one warm-up call.

    Repeats until ``min_total`` seconds have been spent or ``max_repeat`` samples
    were taken; a call slower than ``min_total`` is repeated three times. A sample is
    one call, or, for calls shorter than 0.1 ms (timed once after the warm-up), the
    mean of a batch of calls that take about 1 ms together.

    >>> median_time(lambda: sum(range(10)), min_total=0.001) < 0.1
    True
    """
    fn()
    _synchronize(device)
    t0 = time.perf_counter()
    fn()
    _synchronize(device)
    once = time.perf_counter() - t0
    number = 1 if once >= _BATCH / 10 else min(int(_BATCH / max(once, 1e-8)), 10_000)
    times = []
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        _synchronize(device)
        times.append((time.perf_counter() - t0) / number)
        spent = time.perf_counter() - start
        if len(times) >= max_repeat or (spent >= min_total and len(times) >= 3):
            break
        if len(times) >= 3 and times[0] > min_total:
            break
    return statistics.median(times)
