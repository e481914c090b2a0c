"""Benchmark: grade many copies of one assignment's solution and print the wall-clock time.

Usage (from the repository root, after ``python -m homework build``)::

    python -m homework.bench_grading [--assignment hw1] [--copies 50] [--jobs 2] [--compare]

Every copy is graded as a separate submission (own sandbox, own worker, own kernel), exactly as
``python -m homework grade`` does; the script checks that each copy scored full marks. With
``--compare`` the same copies are graded twice in the same run with the same ``--jobs``, without
the sandbox (``--no-sandbox``) and with it, and the sandbox's overhead is printed.
"""

import argparse
import contextlib
import io
import pathlib
import shutil
import sys
import tempfile
import time

from . import build, grade


def timed(assignment, folder, jobs, sandboxed):
    """Grade ``folder``; return (seconds, number of submissions, number at full marks)."""
    max_score = build.load_manifest(assignment)["max_score"]
    started = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):  # the --no-sandbox warning, once per run
        rows = grade.grade(assignment, folder, folder.parent / "gradebook.csv", jobs=jobs, sandboxed=sandboxed)
    elapsed = time.perf_counter() - started
    return elapsed, len(rows), sum(1 for row in rows if row["score"] == max_score)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="hw1")
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--compare", action="store_true", help="also grade without the sandbox; print the overhead")
    args = parser.parse_args(argv)
    solution = build.DIST / args.assignment / "autograder" / f"{args.assignment}.ipynb"
    modes = [False, True] if args.compare else [True]
    times, ok = {}, True
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / "submissions"
        folder.mkdir()
        for index in range(args.copies):
            shutil.copyfile(solution, folder / f"student{index:03d}_{args.assignment}.ipynb")
        for sandboxed in modes:
            elapsed, count, full = timed(args.assignment, folder, args.jobs, sandboxed)
            times[sandboxed] = elapsed
            ok = ok and full == count
            print(
                f"{args.assignment} {'with' if sandboxed else 'without'} the sandbox: graded {count} submissions "
                f"with {args.jobs} jobs in {elapsed:.1f} s ({elapsed / count:.2f} s each); {full} scored full marks"
            )
    if args.compare:
        extra = times[True] - times[False]
        print(
            f"sandbox overhead: {extra:+.1f} s in all, {extra / args.copies:+.2f} s per submission "
            f"({100 * extra / times[False]:+.0f}%)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
