"""Figures of the appendix "How fast is it?", drawn from a benchmark JSON file."""

import json
import re


def load(path):
    """Read a JSON file written by ``python -m coursekit.bench --json PATH``."""
    with open(path) as f:
        return json.load(f)


def _series(rows, suite, pattern):
    """{subject: [(size, seconds), ...]} for the rows of ``suite`` whose case matches ``pattern``."""
    out = {}
    for r in rows:
        match = re.fullmatch(pattern, r["case"])
        if (
            r["suite"] == suite
            and match
            and r["seconds"] is not None
            and r["status"] == "ok"
        ):
            out.setdefault(r["subject"], []).append(
                (float(match.group(1).replace(",", "")), r["seconds"])
            )
    return {k: sorted(v) for k, v in out.items()}


def crossover(slow_small, fast_large):
    """First size at which the second series becomes faster than the first (or None).

    >>> crossover([(1, 1.0), (10, 5.0), (100, 50.0)], [(1, 2.0), (10, 3.0), (100, 4.0)])
    10
    """
    other = dict(fast_large)
    for size, seconds in slow_small:
        if size in other and other[size] < seconds:
            return size
    return None


def plot_convolve(result, ax):
    """Log-log time against length for 1-D convolution of two length-n signals; the crossover is marked."""
    series = _series(result["rows"], "convolve", r"n=(\d+)")
    for subject, points in series.items():
        sizes, times = zip(*points)
        style = "-o" if subject.startswith("convolve") else "--"
        ax.loglog(sizes, times, style, label=subject, markersize=4)
    cross = crossover(series.get("convolve direct", []), series.get("convolve fft", []))
    if cross:
        ax.axvline(cross, color="grey", linestyle=":")
        ax.annotate(
            f"FFT wins from n = {int(cross)}",
            (cross, ax.get_ylim()[0]),
            rotation=90,
            va="bottom",
            ha="right",
            fontsize=8,
        )
    ax.set_xlabel("length n of both signals")
    ax.set_ylabel("median time (s)")
    ax.set_title("1-D convolution")
    ax.legend(fontsize=7)


def plot_integers(result, ax):
    """Log-log time against the number of decimal digits for exact integer products."""
    rows = [
        r for r in result["rows"] if r["suite"] == "integers" and r["status"] == "ok"
    ]
    digits = [
        float(r["case"].split()[0].replace(",", ""))
        for r in rows
        if r["reference"] == "int *"
    ]
    mine = [r["seconds"] for r in rows if r["reference"] == "int *"]
    python = [r["reference_seconds"] for r in rows if r["reference"] == "int *"]
    gmp = [
        (float(r["case"].split()[0].replace(",", "")), r["reference_seconds"])
        for r in rows
        if r["reference"].startswith("gmpy2")
    ]
    ax.loglog(digits, python, "--", label="Python int *")
    ax.loglog(digits, mine, "-o", label="coursekit.multiply_integers", markersize=4)
    if gmp:
        ax.loglog(*zip(*gmp), ":", label="GMP (gmpy2)")
    ax.set_xlabel("decimal digits of each factor")
    ax.set_ylabel("median time (s)")
    ax.set_title("Exact long-integer multiplication")
    ax.legend(fontsize=7)


def plot_conv2d_ratios(result, ax, device="cpu"):
    """Bars of time / torch time for each conv2d method (forward) and shape; below 1 is faster than torch."""
    rows = [
        r
        for r in result["rows"]
        if r["suite"] == "conv2d"
        and r["case"].endswith(f"[{device}]")
        and r["subject"].endswith(" forward")
        and r["reference"] == "torch forward"
        and r["ratio"]
    ]
    cases = list(dict.fromkeys(r["case"].rsplit(" [", 1)[0] for r in rows))
    methods = list(dict.fromkeys(r["subject"].split()[0] for r in rows))
    width = 0.8 / max(len(methods), 1)
    for i, method in enumerate(methods):
        ratios = {
            r["case"].rsplit(" [", 1)[0]: r["ratio"]
            for r in rows
            if r["subject"].split()[0] == method
        }
        ax.barh(
            [j + i * width for j in range(len(cases))],
            [ratios.get(c, 0) for c in cases],
            height=width,
            label=method,
        )
    ax.set_yticks([j + 0.4 - width / 2 for j in range(len(cases))], cases, fontsize=7)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel(f"time / torch.nn.functional.conv2d time ({device}; < 1 is faster)")
    ax.set_title("conv2d forward, by method")
    if methods:
        ax.legend(fontsize=7)
    else:
        ax.text(
            0.5,
            0.5,
            f"no conv2d forward timings on {device} in this run",
            ha="center",
            transform=ax.transAxes,
        )


def plot_fft(result, ax):
    """Log-log time against length: the from-scratch FFT (radix-2 and Bluestein) and numpy.fft."""
    rows = [
        r
        for r in result["rows"]
        if r["suite"] == "fft" and r["status"] == "ok" and r["seconds"]
    ]
    if not rows:
        ax.text(
            0.5, 0.5, "no FFT timings in this run", ha="center", transform=ax.transAxes
        )
        return
    for kind, marker in (("radix-2", "o"), ("Bluestein", "s")):
        points = sorted(
            (float(re.match(r"n=([\d,]+)", r["case"]).group(1).replace(",", "")), r)
            for r in rows
            if kind in r["case"]
        )
        if points:
            sizes = [n for n, _ in points]
            ax.loglog(
                sizes,
                [r["seconds"] for _, r in points],
                f"-{marker}",
                markersize=4,
                label=f"coursekit.fft.fft ({kind})",
            )
            ax.loglog(
                sizes,
                [r["reference_seconds"] for _, r in points],
                f"--{marker}",
                markersize=4,
                label=f"numpy.fft.fft ({kind} lengths)",
                fillstyle="none",
            )
    ax.set_xlabel("length n")
    ax.set_ylabel("median time (s)")
    ax.set_title("The FFT from scratch against NumPy's")
    ax.legend(fontsize=7)


def plot_winograd(result, ax, device="cpu"):
    """Bars of the Winograd methods' forward time over im2col's, per 3x3 layer; below 1 Winograd is faster."""
    rows = [
        r
        for r in result["rows"]
        if r["suite"] == "conv2d"
        and r["case"].endswith(f"[{device}]")
        and r["reference"] == "im2col forward"
        and r["ratio"]
    ]
    cases = list(dict.fromkeys(r["case"].rsplit(" [", 1)[0] for r in rows))
    methods = list(dict.fromkeys(r["subject"].split()[0] for r in rows))
    width = 0.8 / max(len(methods), 1)
    for i, method in enumerate(methods):
        ratios = {
            r["case"].rsplit(" [", 1)[0]: r["ratio"]
            for r in rows
            if r["subject"].split()[0] == method
        }
        ax.barh(
            [j + i * width for j in range(len(cases))],
            [ratios.get(c, 0) for c in cases],
            height=width,
            label=method,
        )
    ax.set_yticks([j + 0.4 - width / 2 for j in range(len(cases))], cases, fontsize=7)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel(f"time / coursekit im2col time ({device}; < 1 is faster)")
    ax.set_title("Winograd F(2x2,3x3) and F(4x4,3x3) against im2col")
    if methods:
        ax.legend(fontsize=7)
    else:
        ax.text(
            0.5,
            0.5,
            f"no Winograd timings on {device} in this run",
            ha="center",
            transform=ax.transAxes,
        )
