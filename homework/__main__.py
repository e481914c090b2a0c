"""Command line: ``python -m homework build [hwN ...]``, ``grade hwN FOLDER`` and ``export FOLDER``."""

import argparse
import sys

from . import build, export, grade, sandbox


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m homework", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser(
        "build", help="run otter assign on the sources; publish student notebooks"
    )
    make.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    run = commands.add_parser(
        "grade", help="grade every file in a folder of submissions"
    )
    run.add_argument("assignment", help="assignment name, e.g. hw1")
    run.add_argument("submissions", help="folder of submitted files (only read)")
    run.add_argument("--out", required=True, help="CSV gradebook to write")
    run.add_argument(
        "--feedback-dir",
        help="folder for per-file feedback and Gradescope results JSON",
    )
    run.add_argument(
        "--jobs", type=int, default=2, help="submissions graded at once (default 2)"
    )
    run.add_argument(
        "--timeout",
        type=int,
        default=180,
        help="wall-clock seconds per submission (default 180)",
    )
    run.add_argument(
        "--cell-timeout",
        type=int,
        default=60,
        help="seconds per notebook cell (default 60)",
    )
    default = sandbox.Limits()
    run.add_argument(
        "--memory-limit",
        type=int,
        default=default.memory >> 20,
        metavar="MIB",
        help=f"address space per process, MiB (default {default.memory >> 20})",
    )
    run.add_argument(
        "--cpu-limit",
        type=int,
        metavar="SECONDS",
        help="CPU seconds per process (default: the --timeout)",
    )
    run.add_argument(
        "--file-size-limit",
        type=int,
        default=default.file_size >> 20,
        metavar="MIB",
        help=f"size of a file, MiB; each writable folder holds twice that (default {default.file_size >> 20})",
    )
    run.add_argument(
        "--process-limit",
        type=int,
        default=default.processes,
        metavar="N",
        help=f"processes and threads at once (default {default.processes})",
    )
    run.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code without bubblewrap, as your own user (unsafe; recorded in the gradebook)",
    )
    pdf = commands.add_parser(
        "export", help="PDFs of the written answers of every notebook in a folder"
    )
    pdf.add_argument("submissions", help="folder of submitted notebooks (only read)")
    pdf.add_argument(
        "--out", required=True, help="folder for one PDF (and its HTML) per notebook"
    )
    args = parser.parse_args(argv)
    if args.command == "build":
        for name, manifest in build.build(args.assignments).items():
            print(
                f"{name}: {len(manifest['questions'])} questions, {manifest['max_score']} points"
            )
        return 0
    if args.command == "export":
        for path in export.export(args.submissions, args.out):
            print(path)
        return 0
    try:
        limits = sandbox.Limits(
            args.memory_limit << 20,
            args.cpu_limit,
            args.file_size_limit << 20,
            args.process_limit,
        )
    except ValueError as error:
        parser.error(str(error))
    try:
        rows = grade.grade(
            args.assignment,
            args.submissions,
            args.out,
            args.feedback_dir,
            args.jobs,
            args.timeout,
            args.cell_timeout,
            limits,
            sandboxed=not args.no_sandbox,
        )
    except sandbox.SandboxUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for row in rows:
        print(
            f"{row['file']}: {row['score']:g}/{row['max_score']} {row['status']}: {row['reason']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
