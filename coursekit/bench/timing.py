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
# Before each sample a function runs untimed for at least this long (and at least once): a
# memory-bound loop right after an FFT that filled the caches with dirty lines runs 2x slower,
# and takes several calls of 0.5 ms to get back to its own pace (5 ms were not always enough).
_SETTLE = 1e-2


# In each round a function takes as many samples as take about this long by its sizing
# call (at least one): a call of 0.4 ms takes 12, and their median over a few rounds is
# not moved by a thread that stalls for 4 ms one call in ten for a while after a long,
# heavy call of another function (seen on this 2-core virtual machine), as a median of
# three single calls was. (A count fixed in advance: stopping on time would end rounds
# right after stalls.)
_ROUND = 5e-3


def _plan(fn, device):
    """Calls per sample and samples per round for ``fn``, from its second call (the first warms up).

    A sample is one call, or for calls shorter than ``_BATCH / 10`` about ``_BATCH``
    worth; a round takes as many samples as fill ``_ROUND`` (at least one).
    """
    fn()
    _synchronize(device)
    t0 = time.perf_counter()
    fn()
    _synchronize(device)
    once = max(time.perf_counter() - t0, 1e-8)
    number = 1 if once >= _BATCH / 10 else min(int(_BATCH / once), 10_000)
    return number, max(1, int(_ROUND / (once * number)))


def _samples(fn, number, count, device):
    """``count`` samples of ``fn``, each the mean seconds of ``number`` calls, after ``_SETTLE`` seconds of calls.

    The untimed calls are at least one.
    """
    settled = time.perf_counter() + _SETTLE
    while True:
        fn()
        _synchronize(device)
        if time.perf_counter() >= settled:
            break
    means = []
    for _ in range(count):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        _synchronize(device)
        means.append((time.perf_counter() - t0) / number)
    return means


def median_times(fns, min_total=0.2, max_repeat=15, device=None):
    """Median wall-clock seconds of each call in ``fns``, timed in alternating rounds.

    Each round samples every function in turn, so that a machine that slows down or
    speeds up while they are timed (other work, the clock's frequency) moves all of
    them alike, and their ratios, which is what the benchmark reports, stay put. In
    each round a function first runs untimed for 10 ms (at least once), so that its
    samples measure the steady state that repeated calls reach, as timing it alone
    would, and not the state that the previous function left (a memory-bound loop
    runs 2x slower right after an FFT has filled the caches); then it takes as many
    samples as fill about 5 ms (at least one). A sample is one call, or, for calls
    shorter than 0.1 ms, the mean of a batch of calls that take about 1 ms together.
    Each round starts one function later than the last, and a function's time is the
    median of all its samples. Rounds go on until ``min_total`` seconds per function
    have been spent (at least three rounds) or ``max_repeat`` rounds were taken.
    Every function is called twice first (a warm-up and the call that sizes its
    samples).

    >>> fast, slow = median_times([lambda: None, lambda: sum(range(10_000))], min_total=0.001)
    >>> fast < slow
    True
    """
    plans = [_plan(fn, device) for fn in fns]
    samples = [[] for _ in fns]
    start, rounds = time.perf_counter(), 0
    while True:
        for k in range(len(fns)):  # each round starts one function later
            i = (k + rounds) % len(fns)
            samples[i].extend(_samples(fns[i], *plans[i], device))
        rounds, spent = rounds + 1, time.perf_counter() - start
        if rounds >= max_repeat or (rounds >= 3 and spent >= min_total * len(fns)):
            break
    return [statistics.median(times) for times in samples]


def median_time(fn, min_total=0.2, max_repeat=15, device=None):
    """Median wall-clock seconds of ``fn()``: :func:`median_times` of one function.

    >>> median_time(lambda: sum(range(10)), min_total=0.001) < 0.1
    True
    """
    return median_times([fn], min_total, max_repeat, device)[0]
