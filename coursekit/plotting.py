"""Small helpers for the book's figures: discrete signals, images, and timings on log-log axes.

Every helper draws on a matplotlib ``Axes`` that the caller made (``fig, ax =
plt.subplots()``), so this module never imports matplotlib itself and importing it is free.
"""

import time

import numpy as np

from ._validation import check_array_1d, check_int


def _as_numpy(x):
    """A NumPy array from an array-like or a torch tensor (on any device)."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def stem(ax, x, start=0, label=None):
    """Draw the discrete signal ``x[0], x[1], ...`` at integer times ``start, start + 1, ...``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    x : array_like or torch.Tensor
        A non-empty 1-D real sequence.
    start : int
        Time of ``x[0]`` (negative for a filter centred at 0, say).
    label : str, optional
        Legend entry.

    Returns
    -------
    matplotlib.container.StemContainer
        The markers, stems and baseline.

    Raises
    ------
    TypeError
        If ``x`` is not an array of numbers or ``start`` not an int.
    ValueError
        If ``x`` is empty or not 1-D.

    See Also
    --------
    coursekit.polynomials.convolve : the sequences the book draws this way (parts 1 and 2).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> stems = stem(ax, [3, 7, 2], start=-1, label="c * d")
    >>> stems.markerline.get_xdata().tolist()
    [-1, 0, 1]
    >>> plt.close(fig)
    """
    x = check_array_1d(x, "x")
    start = check_int(start, "start")
    times = np.arange(start, start + len(x))
    container = ax.stem(times, x, label=label, basefmt="k-")
    ax.set_xlabel("n")
    return container


def show_image(ax, image, title=None, cmap="gray", colorbar=False):
    """Show a 2-D array as an image, without ticks, optionally with a colour bar.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    image : array_like or torch.Tensor
        A 2-D array (height, width), or 3-D with 3 or 4 colour channels last.
    title : str, optional
        Title above the image.
    cmap : str
        Colour map of a 2-D array.
    colorbar : bool
        Whether to add a colour bar beside the image.

    Returns
    -------
    matplotlib.image.AxesImage
        The image.

    Raises
    ------
    ValueError
        If ``image`` is neither 2-D nor 3-D with 3 or 4 channels last.

    See Also
    --------
    coursekit.data.photo : the photographs of parts 4 and 5.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> shown = show_image(ax, [[0, 1], [1, 0]], title="checkerboard")
    >>> shown.get_array().shape
    (2, 2)
    >>> plt.close(fig)
    """
    image = _as_numpy(image)
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        raise ValueError(
            f"image must be 2-D (height, width) or 3-D with 3 or 4 channels last; got shape {image.shape}"
        )
    shown = ax.imshow(image, cmap=cmap if image.ndim == 2 else None)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(shown, ax=ax)
    return shown


def best_time(func, *args, repeat=5):
    """The shortest of ``repeat`` wall-clock times of ``func(*args)``, in seconds.

    The minimum is the least disturbed by other programs on the machine.

    Parameters
    ----------
    func : callable
        What to time.
    *args
        Its arguments.
    repeat : int
        How many calls, >= 1.

    Returns
    -------
    float
        Seconds.

    Raises
    ------
    TypeError
        If ``repeat`` is not an int.
    ValueError
        If ``repeat < 1``.

    See Also
    --------
    loglog_timings : to plot the times against the sizes.

    Examples
    --------
    >>> best_time(sorted, [3, 1, 2], repeat=3) < 1.0
    True
    """
    repeat = check_int(repeat, "repeat", minimum=1)
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - begin)
    return min(times)


def loglog_timings(ax, sizes, times, label=None, slope=None):
    """Plot running times against problem sizes on log-log axes, with an optional ``size**slope`` guide.

    A cost ``C n^k`` is a straight line of slope ``k`` on log-log axes, so the slope
    reads off the exponent (2 for direct convolution, about 1 for the FFT).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    sizes, times : array_like
        Positive problem sizes and the matching times in seconds, of the same length.
    label : str, optional
        Legend entry of the measured curve.
    slope : float, optional
        If given, also draw a dashed line proportional to ``size**slope`` through the
        last measurement, labelled ``O(n^slope)``.

    Returns
    -------
    list of matplotlib.lines.Line2D
        The measured line, then the guide line if any.

    Raises
    ------
    ValueError
        If the lengths differ or a size or time is not positive.

    See Also
    --------
    best_time : to measure the times.
    coursekit.polynomials.convolve : whose cost book section 1.1 plots this way.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> lines = loglog_timings(ax, [10, 100], [1e-4, 1e-2], label="direct", slope=2)
    >>> [line.get_label() for line in lines]
    ['direct', 'O(n^2)']
    >>> plt.close(fig)
    """
    sizes = check_array_1d(sizes, "sizes").astype(np.float64)
    times = check_array_1d(times, "times").astype(np.float64)
    if len(sizes) != len(times):
        raise ValueError(
            f"sizes and times must have the same length; got {len(sizes)} and {len(times)}"
        )
    if np.any(sizes <= 0) or np.any(times <= 0):
        raise ValueError(
            "sizes and times must be positive for log-log axes; got a value <= 0"
        )
    lines = ax.loglog(sizes, times, "o-", label=label)
    if slope is not None:
        guide = times[-1] * (sizes / sizes[-1]) ** slope
        lines += ax.loglog(
            sizes,
            guide,
            "--",
            color=lines[0].get_color(),
            alpha=0.6,
            label=f"O(n^{slope:g})",
        )
    ax.set_xlabel("size n")
    ax.set_ylabel("time (seconds)")
    return lines
