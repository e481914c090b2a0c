"""Benchmark: grade many copies of one assignment's solution and print the wall-clock time.

Usage (from the repository root, after ``python -m homework build``)::

    python -m homework.bench_grading [--assignment hw1] [--copies 50] [--jobs 2] [--compare]

Every copy is graded as a separate submission (own sandbox, own worker, own kernel), exactly as
``python -m homework grade`` does; the script checks that each copy scored full marks. With
``--compare`` the same copies are also graded without the sandbox (``--no-sandbox``), in the same
run and with the same ``--jobs``: in rounds of ``--round`` copies that alternate the two modes
(without, with, with, without, ...), so that a change of the machine's load during the run falls
on both alike. It then prints the sandbox's overhead, and the time bubblewrap takes to start and
end a sandbox that runs ``/bin/true``.
"""

import argparse
import contextlib
import io
import pathlib
import shutil
import sys
import tempfile
import time

from . import build, grade, sandbox


def timed(assignment, folder, jobs, sandboxed):
    """Grade ``folder``; return (seconds, number of submissions, number at full marks)."""
    max_score = build.load_manifest(assignment)["max_score"]
    started = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):  # the --no-sandbox warning
        rows = grade.grade(
            assignment,
            folder,
            folder.parent / "gradebook.csv",
            jobs=jobs,
            sandboxed=sandboxed,
        )
    elapsed = time.perf_counter() - started
    return elapsed, len(rows), sum(1 for row in rows if row["score"] == max_score)


def empty_sandbox_seconds(repeats=20):
    """Mean wall-clock time of ``sandbox.check()``: bubblewrap starts a sandbox that runs /bin/true."""
    started = time.perf_counter()
    for _ in range(repeats):
        sandbox.check()
    return (time.perf_counter() - started) / repeats


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="hw1")
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also grade without the sandbox; print the overhead",
    )
    parser.add_argument(
        "--round",
        type=int,
        default=10,
        help="copies per round with --compare (default 10)",
    )
    args = parser.parse_args(argv)
    solution = build.DIST / args.assignment / "autograder" / f"{args.assignment}.ipynb"
    size = args.round if args.compare else args.copies
    rounds = [
        range(start, min(start + size, args.copies))
        for start in range(0, args.copies, size)
    ]
    seconds, graded, full = (
        {True: 0.0, False: 0.0},
        {True: 0, False: 0},
        {True: 0, False: 0},
    )
    with tempfile.TemporaryDirectory() as tmp:
        for number, copies in enumerate(rounds):
            folder = pathlib.Path(tmp) / f"round{number}" / "submissions"
            folder.mkdir(parents=True)
            for index in copies:
                shutil.copyfile(
                    solution, folder / f"student{index:03d}_{args.assignment}.ipynb"
                )
            modes = (
                ([False, True] if number % 2 == 0 else [True, False])
                if args.compare
                else [True]
            )
            for sandboxed in modes:
                elapsed, count, at_full = timed(
                    args.assignment, folder, args.jobs, sandboxed
                )
                seconds[sandboxed] += elapsed
                graded[sandboxed] += count
                full[sandboxed] += at_full
    for sandboxed in [False, True] if args.compare else [True]:
        print(
            f"{args.assignment} {'with' if sandboxed else 'without'} the sandbox: graded {graded[sandboxed]} "
            f"submissions with {args.jobs} jobs in {seconds[sandboxed]:.1f} s "
            f"({seconds[sandboxed] / graded[sandboxed]:.2f} s each); {full[sandboxed]} scored full marks"
        )
    if args.compare:
        extra = seconds[True] - seconds[False]
        print(
            f"sandbox overhead: {extra:+.1f} s in all, {extra / args.copies:+.2f} s per submission "
            f"({100 * extra / seconds[False]:+.0f}%); an empty sandbox starts and ends in "
            f"{1000 * empty_sandbox_seconds():.0f} ms"
        )
    return 0 if graded == full else 1


if __name__ == "__main__":
    sys.exit(main())
