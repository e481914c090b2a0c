"""``python -m homework grade``: grade a folder of submissions into a CSV gradebook and feedback.

Every file in the folder gets exactly one gradebook row, whatever it contains. A file is first
inspected here (is it JSON, a notebook, a notebook of this assignment?); a notebook that passes is
graded by ``homework._worker`` in a bubblewrap sandbox of its own (``homework/sandbox.py``), which
sees only this submission, a fresh copy of the autograder, the Python environment and the course
package. The input folder is only read, and the gradebook and feedback are written here, after
every sandbox has ended. Limits: each notebook cell is interrupted after ``cell_timeout`` seconds,
each call into student code from a test after 2 s (``homework/checks.py``), the whole grading of
one submission is killed after ``timeout`` seconds, and memory, CPU time, file size and processes
are limited by ``sandbox.Limits``. Afterwards the results are checked against the manifest written
at build time: the question names and maximum points must match, and the test files must still
have their recorded SHA-256, or the submission is marked ``tampered``.

Statuses (the ``status`` column), each with a score and a reason:

``graded``              ran to the end; score = points of the passed checks (a cell that raised or
                        looped costs only the checks that depend on it)
``timeout``             killed at the wall-clock limit; score 0
``out-of-memory``       a cell hit the memory limit; score = points of the checks that passed
``too-many-processes``  a cell hit the limit on processes and threads; score as above
``file-too-large``      a cell hit the file-size limit or filled the sandbox's folders; as above
``cpu-time``            the kernel was killed at the CPU-time limit; score as above (0 if no check ran)
``kernel-died``         the notebook's kernel died (``os._exit``, a crash, a signal): the reason says
                        how and in which cell; score as above
``tampered``            the notebook changed or deleted the grading files, or its results do not
                        match the assignment's questions and points; score 0, grade by hand
``invalid``             not a readable notebook (not ``.ipynb``, not JSON, not notebook JSON); score 0
``wrong-assignment``    a notebook of another assignment (otter metadata); score 0
``error``               the grader itself failed on this submission; score 0, see the reason

The ``sandbox`` column says whether the submission ran in bubblewrap or, with ``sandboxed=False``
(``--no-sandbox``), unisolated as the grader's own user.
"""

import concurrent.futures
import csv
import dataclasses
import json
import pathlib
import queue
import re
import shutil
import signal
import sys
import tempfile

import nbformat

from . import sandbox
from .build import DIST, load_manifest

MAX_NOTEBOOK_BYTES = 20_000_000
OUTPUT_LIMIT = 100_000
NO_SANDBOX_WARNING = (
    "grading without a sandbox (--no-sandbox): student code runs as your user, can read and change "
    "your files (the other submissions, the gradebook) and can outlive grading"
)
# what a cell's error says when it hit a limit: (status, name of the limit, pattern on "ename: evalue")
LIMIT_ERRORS = [
    (
        "out-of-memory",
        "the memory limit",
        r"^\w*MemoryError:|[Cc]an(no|')t allocate memory",
    ),
    (
        "too-many-processes",
        "the limit on processes and threads",
        r"Resource temporarily unavailable|new thread",
    ),
    (
        "file-too-large",
        "the file-size limit",
        r"File too large|No space left on device",
    ),
]


def student_id(filename, assignment):
    """The student id in a submission's file name: its stem without the assignment name.

    ``alice.ipynb``, ``alice_hw1.ipynb``, ``hw1-alice.ipynb`` and ``alice hw1 (1).ipynb`` all give
    ``alice``.
    """
    stem = pathlib.Path(filename).stem
    stem = re.sub(r"\s*\(\d+\)$", "", stem)
    stem = re.sub(
        rf"^{assignment}[\s_-]+|[\s_-]+{assignment}$", "", stem, flags=re.IGNORECASE
    )
    return stem or pathlib.Path(filename).stem


def inspect_submission(path, assignment):
    """``None`` if ``path`` is a notebook of ``assignment``; else ``(status, reason)``."""
    if path.suffix.lower() != ".ipynb":
        return (
            "invalid",
            f"expected a Jupyter notebook (.ipynb), got a {path.suffix or 'extension-less'} file",
        )
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return (
            "invalid",
            f"the notebook is {size} bytes, over the limit of {MAX_NOTEBOOK_BYTES}",
        )
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as error:
        return "invalid", f"the file is not valid JSON, so not a notebook ({error})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return (
            "invalid",
            "the file is JSON but not a Jupyter notebook (no list of cells)",
        )
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as error:  # nbformat raises several types for malformed notebooks
        return (
            "invalid",
            f"the notebook cannot be read by nbformat ({type(error).__name__}: {error})"[
                :400
            ],
        )
    got = nb.metadata.get("otter", {}).get("assignment_name")
    if got != assignment:
        found = (
            f"assignment {got!r}" if got else "no otter assignment name in its metadata"
        )
        return (
            "wrong-assignment",
            f"this is not a notebook of {assignment}: it has {found}",
        )
    return None


def tampered_files(digests, manifest):
    """Names of test files missing or changed after grading (``digests``: as the worker reports), sorted."""
    found = set()
    for folder in ("source/tests", "submission/tests"):
        for name, digest in manifest["tests"].items():
            if digests.get(f"{folder}/{name}") != digest:
                found.add(f"tests/{name}")
    return sorted(found)


def _size(n):
    return f"{n / 2**30:g} GiB" if n >= 2**30 else f"{n / 2**20:g} MiB"


def limit_hit(summary, limits):
    """``(status, reason)`` if the kernel died or a cell hit a resource limit, else ``None``."""
    died = summary.get("kernel_died")
    if died:
        found = f"the grader found it dead at the cell `{died['cell']}`"
        sig, cpu = died["signal"], died["cpu_seconds"]
        if sig == "SIGXCPU" or (sig == "SIGKILL" and cpu >= limits.cpu):
            return (
                "cpu-time",
                f"the kernel was killed at the CPU-time limit of {limits.cpu} s (--cpu-limit); {found}",
            )
        if sig == "SIGXFSZ":
            size = _size(limits.file_size)
            return (
                "file-too-large",
                f"the kernel was killed at the file-size limit of {size}; {found}",
            )
        how = (
            f"was killed by {sig}"
            if sig
            else f"exited with code {died['exit_code']} (os._exit?)"
        )
        if sig in ("SIGSEGV", "SIGBUS", "SIGABRT"):
            how += f" (a crash in compiled code; running out of memory at {_size(limits.memory)} can cause it)"
        return "kernel-died", f"the notebook's kernel {how}; {found}"
    values = {
        "out-of-memory": f"{_size(limits.memory)} (--memory-limit)",
        "too-many-processes": f"{limits.processes} (--process-limit)",
        "file-too-large": f"{_size(limits.file_size)} (--file-size-limit)",
    }
    errors = [
        (f"the cell `{first}`", f"{name}: {message}")
        for first, name, message in summary.get("cell_errors", [])
    ]
    if summary.get("error"):
        errors.append(("grading", summary["error"]))
    for status, what, pattern in LIMIT_ERRORS:
        for where, text in errors:
            if re.search(pattern, text):
                return status, f"{where} hit {what} of {values[status]}: {text[:200]}"
    return None


def _score_row(row, summary, manifest, limits):
    """Fill ``row`` from the worker's summary, checked against the manifest; return the feedback."""
    changed = tampered_files(summary.get("test_digests", {}), manifest)
    questions = summary.get("questions", {})
    unexpected = sorted(set(questions) - set(manifest["questions"]))
    wrong_points = sorted(
        q
        for q, res in questions.items()
        if q in manifest["questions"] and res["possible"] != manifest["questions"][q]
    )
    if changed or unexpected or wrong_points:
        problems = []
        if changed:
            problems.append(
                "the notebook changed or deleted grading files: " + ", ".join(changed)
            )
        if unexpected:
            problems.append(
                "results name questions this assignment does not have: "
                + ", ".join(unexpected)
            )
        if wrong_points:
            problems.append(
                "results give other maximum points than the assignment for "
                + ", ".join(wrong_points)
            )
        row.update(
            status="tampered",
            reason="; ".join(problems) + "; score set to 0, grade by hand",
        )
        return []
    feedback, lost, total = [], [], 0.0
    for q, possible in manifest["questions"].items():
        res = questions.get(q)
        if res is None:
            row[q] = 0.0
            lost.append(q)
            feedback.append(f"{q}: 0/{possible}: not graded (the tests could not run)")
            continue
        score = max(0.0, min(float(res["score"]), float(possible)))
        row[q] = score
        total += score
        if score < possible:
            lost.append(q)
            feedback.append(f"{q}: {score:g}/{possible}")
            for failure in res["failures"]:
                kind = "hidden check" if failure["hidden"] else "check"
                feedback.append(f"  {kind} {failure['test']} failed:")
                feedback.extend(
                    "    " + line for line in failure["message"].splitlines()
                )
        else:
            feedback.append(f"{q}: {score:g}/{possible}: all checks passed")
    row["score"] = total
    errors = summary.get("cell_errors", [])
    if errors:
        feedback.append("Cells that raised an error while the notebook ran:")
        feedback.extend(
            f"  `{first}`: {name}: {message}" for first, name, message in errors
        )
    hit = limit_hit(summary, limits)
    if summary.get("error") and not questions and hit is None:
        row.update(status="error", reason=f"grading failed: {summary['error']}")
        return feedback
    parts = [f"lost points on {', '.join(lost)}" if lost else "all checks passed"]
    timeouts = sum(
        1 for _, name, _ in errors if name in ("CellTimeout", "KeyboardInterrupt")
    )
    if timeouts:
        parts.append(f"{timeouts} cell(s) interrupted at the per-cell timeout")
    if len(errors) > timeouts:
        parts.append(f"{len(errors) - timeouts} cell(s) raised errors")
    if summary.get("truncated_outputs"):
        parts.append(
            f"output of {len(summary['truncated_outputs'])} cell(s) cut at {OUTPUT_LIMIT} characters"
        )
    if hit is not None:
        parts.insert(0, hit[1])
    row.update(status=hit[0] if hit else "graded", reason="; ".join(parts))
    return feedback


def _ended(finished):
    """How the worker ended without results, for the reason column."""
    code = finished.returncode  # bwrap reports a worker killed by signal N as 128 + N
    number = -code if code < 0 else code - 128 if code > 128 else 0
    killed = number in signal.valid_signals()
    how = (
        f"was killed by {signal.Signals(number).name}"
        if killed
        else f"exited with status {code}"
    )
    last = finished.log.strip().splitlines()[-1:] or ["no output"]
    return f"the grading process {how} without results (last output: {last[0][:300]})"


def grade_file(
    path, manifest, timeout=180, cell_timeout=60, limits=None, sandboxed=True, slot=0
):
    """Grade one file; return ``(row, feedback_lines)``. Never raises for a bad submission.

    ``limits`` (``sandbox.Limits``, defaults if ``None``) with ``cpu=None`` takes ``timeout``;
    ``slot`` tells concurrent sandboxes apart (``0 <= slot < sandbox.MAX_JOBS``).
    """
    path = pathlib.Path(path)
    name = manifest["assignment"]
    limits = limits or sandbox.Limits()
    limits = dataclasses.replace(limits, cpu=limits.cpu or timeout)
    row = {"file": path.name, "student_id": student_id(path.name, name), "score": 0.0}
    row.update(
        max_score=manifest["max_score"], **{q: 0.0 for q in manifest["questions"]}
    )
    problem = inspect_submission(path, name)
    if problem:
        row.update(status=problem[0], reason=problem[1])
        return row, []
    # 0700: only the grader enters
    private = pathlib.Path(tempfile.mkdtemp(prefix=f"grade-{name}-"))
    try:
        # what the sandbox's user may read: the submission, the autograder
        given = private / "input"
        given.mkdir()
        given.chmod(0o755)
        shutil.copyfile(path, given / "submission.ipynb")
        shutil.copyfile(
            DIST / name / "autograder" / manifest["autograder_zip"],
            given / "autograder.zip",
        )
        for copy in given.iterdir():
            copy.chmod(0o644)
        config = {
            "notebook": f"{name}.ipynb",
            "cell_timeout": cell_timeout,
            "output_limit": OUTPUT_LIMIT,
            "rlimits": limits.rlimits(sandboxed),
        }
        finished = sandbox.run(
            config, given, timeout, sandboxed, slot, limits.file_size
        )
        if finished.timed_out:
            why = "an infinite loop that ignores interrupts?"
            row.update(
                status="timeout",
                reason=f"grading was killed at the wall-clock limit of {timeout} s ({why})",
            )
            return row, []
        if not finished.result:
            row.update(status="error", reason=_ended(finished))
            return row, []
        try:
            summary = json.loads(finished.result)
        except ValueError as error:
            row.update(status="error", reason=f"unreadable grading summary: {error}")
            return row, []
        return row, _score_row(row, summary, manifest, limits)
    except Exception as error:  # one submission must never stop the others
        row.update(
            status="error",
            reason=f"grader error: {type(error).__name__}: {error}"[:500],
            score=0.0,
        )
        return row, []
    finally:
        shutil.rmtree(private, ignore_errors=True)


def gradescope_results(row, manifest, feedback):
    """A Gradescope results dict (the format of otter's results.json) for one gradebook row."""
    tests = [
        {
            "name": q,
            "score": row[q],
            "max_score": possible,
            "visibility": "after_published",
        }
        for q, possible in manifest["questions"].items()
    ]
    return {
        "score": row["score"],
        "output": f"{row['status']}: {row['reason']}\n\n" + "\n".join(feedback),
        "tests": tests,
    }


def write_feedback(folder, row, manifest, feedback):
    """``FILE.feedback.txt`` (for the student) and ``FILE.results.json`` (Gradescope format)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"Feedback for {row['file']} ({manifest['assignment']}, student {row['student_id']})",
        f"Score: {row['score']:g} / {row['max_score']}",
        f"Status: {row['status']}: {row['reason']}",
        "",
        *feedback,
    ]
    (folder / f"{row['file']}.feedback.txt").write_text("\n".join(lines) + "\n")
    results = gradescope_results(row, manifest, feedback)
    (folder / f"{row['file']}.results.json").write_text(
        json.dumps(results, indent=2) + "\n"
    )


def grade(
    assignment,
    submissions,
    out,
    feedback_dir=None,
    jobs=2,
    timeout=180,
    cell_timeout=60,
    limits=None,
    sandboxed=True,
):
    """Grade every file in ``submissions``; write the CSV gradebook ``out``; return its rows.

    Raises ``sandbox.SandboxUnavailable`` (with how to install bubblewrap) if no sandbox can be made
    and ``sandboxed`` is true; with ``sandboxed=False`` it warns, and says so in every row.
    """
    sandbox.check(sandboxed)
    manifest = load_manifest(assignment)
    folder = pathlib.Path(submissions)
    if not folder.is_dir():
        raise NotADirectoryError(f"submissions must be a folder; got {str(folder)!r}")
    if not sandboxed:
        print(f"warning: {NO_SANDBOX_WARNING}", file=sys.stderr)
    files = sorted(path for path in folder.iterdir() if path.is_file())
    jobs = max(1, min(jobs, sandbox.MAX_JOBS))
    slots = queue.SimpleQueue()
    for slot in range(jobs):
        slots.put(slot)

    def one(path):
        slot = slots.get()
        try:
            return grade_file(
                path, manifest, timeout, cell_timeout, limits, sandboxed, slot
            )
        finally:
            slots.put(slot)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        graded = list(pool.map(one, files))
    # every sandbox has ended: only now are the gradebook and the feedback written
    columns = [
        "file",
        "student_id",
        "score",
        "max_score",
        *manifest["questions"],
        "status",
        "reason",
        "sandbox",
    ]
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row, _ in graded:
            row["sandbox"] = "bubblewrap" if sandboxed else "none (--no-sandbox)"
            writer.writerow(row)
    if feedback_dir is not None:
        for row, feedback in graded:
            write_feedback(pathlib.Path(feedback_dir), row, manifest, feedback)
    return [row for row, _ in graded]
