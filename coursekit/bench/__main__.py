"""``python -m coursekit.bench [--quick] [--json PATH] [--device cpu|cuda] [--suite NAME ...]``."""

import argparse
import math
import sys

import torch

from . import layers, signals
from .machine import describe
from .report import table, write_json

SUITES = ("convolve", "fft_convolve", "fft", "integers", "conv2d", "training")


def _devices(choice):
    if choice:
        return [torch.device(choice)]
    found = [torch.device("cpu")]
    if torch.cuda.is_available():
        found.append(torch.device("cuda"))
    return found


def run(quick=False, suites=SUITES, device=None, log=sys.stderr):
    """Run the chosen suites and return the list of rows."""
    rows = []

    def collect(generator):
        for row in generator:
            print(f"  {row.suite}: {row.case} / {row.subject}", file=log, flush=True)
            rows.append(row)

    if "convolve" in suites:
        collect(signals.convolve_1d(quick))
    if "fft_convolve" in suites:
        collect(signals.fft_convolve_nd(quick))
    if "fft" in suites:
        collect(signals.fft_1d(quick))
    if "integers" in suites:
        collect(signals.integers(quick))
    for dev in _devices(device):
        if "conv2d" in suites:
            collect(layers.conv2d(dev, quick))
        if "training" in suites:
            collect(layers.training(dev, quick))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.bench", description=__doc__
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, few repeats: under 2 minutes"
    )
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        help="only this device (default: every one present)",
    )
    parser.add_argument(
        "--suite",
        action="append",
        choices=SUITES,
        help="run only these suites (repeatable)",
    )
    args = parser.parse_args(argv)
    machine = describe()
    rows = run(quick=args.quick, suites=args.suite or SUITES, device=args.device)
    print(table(rows, machine))
    if args.json:
        write_json(args.json, rows, machine, "quick" if args.quick else "full")
    bad = [r for r in rows if r.status.startswith("FAILED")]
    nonfinite = [
        r for r in rows if r.seconds is not None and not math.isfinite(r.seconds)
    ]
    return 1 if bad or nonfinite else 0


if __name__ == "__main__":
    sys.exit(main())
