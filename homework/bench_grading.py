"""Benchmark: grade many copies of one assignment's solution and print the wall-clock time.

Usage (from the repository root, after ``python -m homework build``)::

    python -m homework.bench_grading [--assignment hw1] [--copies 50] [--jobs 2]

Every copy is graded as a separate submission (own sandbox, own worker, own kernel), exactly as
``python -m homework grade`` does; the script checks that each copy scored full marks.
"""

import argparse
import pathlib
import shutil
import sys
import tempfile
import time

from . import build, grade


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="hw1")
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    manifest = build.load_manifest(args.assignment)
    solution = build.DIST / args.assignment / "autograder" / f"{args.assignment}.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / "submissions"
        folder.mkdir()
        for index in range(args.copies):
            shutil.copyfile(solution, folder / f"student{index:03d}_{args.assignment}.ipynb")
        started = time.perf_counter()
        rows = grade.grade(args.assignment, folder, pathlib.Path(tmp) / "gradebook.csv", jobs=args.jobs)
        elapsed = time.perf_counter() - started
    full = sum(1 for row in rows if row["score"] == manifest["max_score"])
    print(
        f"{args.assignment}: graded {len(rows)} submissions with {args.jobs} jobs in {elapsed:.1f} s "
        f"({elapsed / len(rows):.2f} s each); {full} scored full marks"
    )
    return 0 if full == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
