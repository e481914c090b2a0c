"""``python -m homework grade``: grade a folder of submissions into a CSV gradebook and feedback.

Every file in the folder gets exactly one gradebook row, whatever it contains. A file is first
inspected here (is it JSON, a notebook, a notebook of this assignment?); a notebook that passes is
graded by ``homework._worker`` in a subprocess of its own, in a sandbox folder of its own holding a
copy of the submission and a fresh copy of the autograder, with HOME pointing into the sandbox. The
input folder is only read. Limits: each notebook cell is interrupted after ``cell_timeout`` seconds,
each call into student code from a test after 2 s (``homework/checks.py``), and the whole grading
of one submission is killed after ``timeout`` seconds. Afterwards the results are checked against
the manifest written at build time: the question names and maximum points must match, and the
test files in the sandbox must still have their recorded SHA-256, or the submission is marked
``tampered``.

Statuses (the ``status`` column), each with a score and a reason:

``graded``            ran to the end; score = points of the passed checks (a cell that raised or
                      looped costs only the checks that depend on it)
``timeout``           killed at the wall-clock limit; score 0
``tampered``          the notebook changed or deleted the grading files, or its results do not
                      match the assignment's questions and points; score 0, grade by hand
``invalid``           not a readable notebook (not ``.ipynb``, not JSON, not notebook JSON); score 0
``wrong-assignment``  a notebook of another assignment (otter metadata); score 0
``error``             the grader itself failed on this submission; score 0, see the reason
"""

import concurrent.futures
import csv
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat

from .build import DIST, load_manifest

HERE = pathlib.Path(__file__).resolve().parent
WORKER = HERE / "_worker.py"
SHIM = HERE / "_shim"
MAX_NOTEBOOK_BYTES = 20_000_000
OUTPUT_LIMIT = 100_000
MARKER = "HOMEWORK_GRADING_SANDBOX"


def student_id(filename, assignment):
    """The student id in a submission's file name: its stem without the assignment name.

    ``alice.ipynb``, ``alice_hw1.ipynb``, ``hw1-alice.ipynb`` and ``alice hw1 (1).ipynb`` all give
    ``alice``.
    """
    stem = pathlib.Path(filename).stem
    stem = re.sub(r"\s*\(\d+\)$", "", stem)
    stem = re.sub(rf"^{assignment}[\s_-]+|[\s_-]+{assignment}$", "", stem, flags=re.IGNORECASE)
    return stem or pathlib.Path(filename).stem


def inspect_submission(path, assignment):
    """``None`` if ``path`` is a notebook of ``assignment``; else ``(status, reason)``."""
    if path.suffix.lower() != ".ipynb":
        return "invalid", f"expected a Jupyter notebook (.ipynb), got a {path.suffix or 'extension-less'} file"
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return "invalid", f"the notebook is {size} bytes, over the limit of {MAX_NOTEBOOK_BYTES}"
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as error:
        return "invalid", f"the file is not valid JSON, so not a notebook ({error})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return "invalid", "the file is JSON but not a Jupyter notebook (no list of cells)"
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as error:  # nbformat raises several types for malformed notebooks
        return "invalid", f"the notebook cannot be read by nbformat ({type(error).__name__}: {error})"[:400]
    got = nb.metadata.get("otter", {}).get("assignment_name")
    if got != assignment:
        found = f"assignment {got!r}" if got else "no otter assignment name in its metadata"
        return "wrong-assignment", f"this is not a notebook of {assignment}: it has {found}"
    return None


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tampered_files(sandbox, manifest):
    """Names of test files that are missing or changed in the sandbox, sorted."""
    found = set()
    for folder in ("source/tests", "submission/tests"):
        tests = sandbox / "autograder" / folder
        for name, digest in manifest["tests"].items():
            path = tests / name
            if not path.is_file() or _digest(path) != digest:
                found.add(f"tests/{name}")
    return sorted(found)


def _kill_sandbox_processes(sandbox):
    """Kill every process (the worker, its kernel, anything they spawned) tagged with this sandbox."""
    import psutil

    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get(MARKER) == str(sandbox):
                proc.kill()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue


def _run_worker(sandbox, manifest, timeout, cell_timeout):
    env = dict(os.environ, HOME=str(sandbox), **{MARKER: str(sandbox)})
    env["PYTHONPATH"] = os.pathsep.join([str(SHIM), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    zip_path = DIST / manifest["assignment"] / "autograder" / manifest["autograder_zip"]
    command = [
        sys.executable, str(WORKER), str(sandbox), str(zip_path),
        f"{manifest['assignment']}.ipynb", str(cell_timeout), str(OUTPUT_LIMIT),
    ]
    with open(sandbox / "worker.log", "wb") as log:
        proc = subprocess.Popen(command, cwd=sandbox, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_sandbox_processes(sandbox)
            proc.wait()
    return timed_out


def _score_row(row, summary, manifest, sandbox):
    """Fill ``row`` from the worker's summary, checked against the manifest."""
    changed = tampered_files(sandbox, manifest)
    questions = summary.get("questions", {})
    unexpected = sorted(set(questions) - set(manifest["questions"]))
    wrong_points = sorted(
        q for q, res in questions.items() if q in manifest["questions"] and res["possible"] != manifest["questions"][q]
    )
    if changed or unexpected or wrong_points:
        problems = []
        if changed:
            problems.append("the notebook changed or deleted grading files: " + ", ".join(changed))
        if unexpected:
            problems.append("results name questions this assignment does not have: " + ", ".join(unexpected))
        if wrong_points:
            problems.append("results give other maximum points than the assignment for " + ", ".join(wrong_points))
        row.update(status="tampered", reason="; ".join(problems) + "; score set to 0, grade by hand")
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
                feedback.extend("    " + line for line in failure["message"].splitlines())
        else:
            feedback.append(f"{q}: {score:g}/{possible}: all checks passed")
    row["score"] = total
    errors = summary.get("cell_errors", [])
    if errors:
        feedback.append("Cells that raised an error while the notebook ran:")
        feedback.extend(f"  `{first}`: {name}: {message}" for first, name, message in errors)
    if summary.get("error") and not questions:
        row.update(status="error", reason=f"grading failed: {summary['error']}")
        return feedback
    parts = [f"lost points on {', '.join(lost)}" if lost else "all checks passed"]
    timeouts = sum(1 for _, name, _ in errors if name in ("CellTimeout", "KeyboardInterrupt"))
    if timeouts:
        parts.append(f"{timeouts} cell(s) interrupted at the per-cell timeout")
    if len(errors) > timeouts:
        parts.append(f"{len(errors) - timeouts} cell(s) raised errors")
    if summary.get("truncated_outputs"):
        parts.append(f"output of {len(summary['truncated_outputs'])} cell(s) cut at {OUTPUT_LIMIT} characters")
    row.update(status="graded", reason="; ".join(parts))
    return feedback


def grade_file(path, manifest, timeout=180, cell_timeout=60):
    """Grade one file; return ``(row, feedback_lines)``. Never raises for a bad submission."""
    path = pathlib.Path(path)
    name = manifest["assignment"]
    row = {"file": path.name, "student_id": student_id(path.name, name), "score": 0.0, "max_score": manifest["max_score"]}
    row.update({q: 0.0 for q in manifest["questions"]})
    problem = inspect_submission(path, name)
    if problem:
        row.update(status=problem[0], reason=problem[1])
        return row, []
    sandbox = pathlib.Path(tempfile.mkdtemp(prefix=f"grade-{name}-"))
    try:
        shutil.copyfile(path, sandbox / "submission.ipynb")
        started = time.monotonic()
        timed_out = _run_worker(sandbox, manifest, timeout, cell_timeout)
        summary_path = sandbox / "summary.json"
        if timed_out or not summary_path.is_file():
            reason = (
                f"grading was killed at the wall-clock limit of {timeout} s (an infinite loop that ignores interrupts?)"
                if timed_out
                else f"the grading process ended after {time.monotonic() - started:.0f} s without results"
            )
            row.update(status="timeout" if timed_out else "error", reason=reason)
            return row, []
        try:
            summary = json.loads(summary_path.read_text())
        except ValueError as error:
            row.update(status="error", reason=f"unreadable grading summary: {error}")
            return row, []
        return row, _score_row(row, summary, manifest, sandbox)
    except Exception as error:  # one submission must never stop the others
        row.update(status="error", reason=f"grader error: {type(error).__name__}: {error}"[:500], score=0.0)
        return row, []
    finally:
        _kill_sandbox_processes(sandbox)
        shutil.rmtree(sandbox, ignore_errors=True)


def gradescope_results(row, manifest, feedback):
    """A Gradescope results dict (the format of otter's results.json) for one gradebook row."""
    tests = [
        {"name": q, "score": row[q], "max_score": possible, "visibility": "after_published"}
        for q, possible in manifest["questions"].items()
    ]
    return {"score": row["score"], "output": f"{row['status']}: {row['reason']}\n\n" + "\n".join(feedback), "tests": tests}


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
    (folder / f"{row['file']}.results.json").write_text(json.dumps(results, indent=2) + "\n")


def grade(assignment, submissions, out, feedback_dir=None, jobs=2, timeout=180, cell_timeout=60):
    """Grade every file in ``submissions``; write the CSV gradebook ``out``; return its rows."""
    manifest = load_manifest(assignment)
    folder = pathlib.Path(submissions)
    if not folder.is_dir():
        raise NotADirectoryError(f"submissions must be a folder; got {str(folder)!r}")
    files = sorted(path for path in folder.iterdir() if path.is_file())
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        graded = list(pool.map(lambda path: grade_file(path, manifest, timeout, cell_timeout), files))
    columns = ["file", "student_id", "score", "max_score", *manifest["questions"], "status", "reason"]
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row, _ in graded:
            writer.writerow(row)
    if feedback_dir is not None:
        for row, feedback in graded:
            write_feedback(pathlib.Path(feedback_dir), row, manifest, feedback)
    return [row for row, _ in graded]
