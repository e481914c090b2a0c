"""Grade one submission with otter; run by ``homework.sandbox.run``, inside the sandbox if there is one.

Usage: ``python homework/_worker.py SETTINGS_JSON``, where the settings name ``input`` (a folder
holding ``submission.ipynb`` and ``autograder.zip``), ``work`` (the writable working folder),
``notebook`` (the file name otter expects), ``cell_timeout``, ``output_limit``, ``rlimits``
(``{"RLIMIT_AS": [soft, hard], ...}``) and ``result_fd`` (a pipe to the grader).

The worker first sets the resource limits on itself, so that they hold for the notebook's kernel
and everything it starts; then it lays out otter's autograder folders in ``work`` with a fresh
copy of the autograder, grades with otter's own runner, and writes its summary as JSON to
``result_fd``: per question the score and failures, the cells that raised, the truncated outputs,
the SHA-256 of every test file after grading, and, if the kernel died, how. It closes two gaps of
``otter run``: every notebook cell gets a timeout after which the kernel is interrupted and
execution goes on with the next cell, and each cell keeps at most ``output_limit`` characters of
output, so a submission that prints gigabytes cannot exhaust memory. The wall-clock limit around
the whole process is enforced by the grader.
"""

import hashlib
import json
import os
import pathlib
import resource
import shutil
import signal
import sys
import zipfile

TRUNCATED = []  # indices of the cells whose output was cut (one grading per process)
KERNEL = {}  # the kernel's process, and how it died if it did (one grading per process)


def limited_preprocessor(base, cell_timeout, output_limit):
    """A subclass of nbconvert's ExecutePreprocessor with a per-cell timeout and an output cap."""

    class LimitedExecutePreprocessor(base):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.timeout = cell_timeout
            self.interrupt_on_timeout = True
            self.error_on_timeout = {
                "ename": "CellTimeout",
                "evalue": f"the cell ran longer than {cell_timeout} s and was interrupted",
                "traceback": [],
            }
            self._chars = {}

        def start_new_kernel(self, **kwargs):
            super().start_new_kernel(**kwargs)
            KERNEL["process"] = self.km.provisioner.process

        def preprocess_cell(self, cell, resources, index):
            from nbclient.exceptions import DeadKernelError

            try:
                return super().preprocess_cell(cell, resources, index)
            except DeadKernelError:
                KERNEL["died"] = kernel_death(KERNEL["process"], cell)
                raise

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            size = len(str(content.get("text", ""))) + len(str(content.get("data", "")))
            used = self._chars.get(cell_index, 0)
            self._chars[cell_index] = used + size
            if used + size > output_limit:
                if used <= output_limit:
                    TRUNCATED.append(cell_index)
                    outs.append(_truncation_notice(output_limit))
                return None
            return super().output(outs, msg, display_id, cell_index)

    return LimitedExecutePreprocessor


def _truncation_notice(output_limit):
    import nbformat

    return nbformat.v4.new_output(
        "stream",
        name="stderr",
        text=f"[output truncated after {output_limit} characters]\n",
    )


def _first_line(cell):
    source = "".join(cell.source) if isinstance(cell.source, list) else cell.source
    return next((line for line in source.splitlines() if line.strip()), "")[:80]


def cell_errors(notebook):
    """(first line of the cell, exception name, message) for each code cell that raised."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(
                    [
                        _first_line(cell),
                        out.get("ename", ""),
                        str(out.get("evalue", ""))[:300],
                    ]
                )
    return found


def kernel_death(process, cell):
    """How the kernel died while it ran ``cell``: exit code or signal, and its CPU seconds."""
    code = process.poll()
    # the kernel is this process's only child
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cell": _first_line(cell),
        "signal": _signal_name(-code) if code is not None and code < 0 else None,
        "exit_code": code if code is not None and code >= 0 else None,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
    }


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def test_digests(ag_dir):
    """SHA-256 of every test file in the autograder's two test folders, by relative path."""
    return {
        str(path.relative_to(ag_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in ("source/tests", "submission/tests")
        for path in sorted((ag_dir / folder).glob("*"))
        if path.is_file() and not path.is_symlink()
    }


def failure_reason(message):
    """The exception lines of an otter failure message, without the test's source line."""
    lines = message.splitlines()
    if len(lines) > 3 and lines[1].startswith("Error at line"):
        lines = lines[3:]
    return "\n".join(lines)[:1500]


def question_results(results):
    """Per question: score, possible points and the messages of the failed test cases."""
    table = {}
    for name, test_file in results.results.items():
        failures = [
            {
                "test": r.test_case.name,
                "hidden": r.test_case.hidden,
                "message": failure_reason(r.message),
            }
            for r in test_file.test_case_results
            if not r.passed
        ]
        table[name] = {
            "score": test_file.score,
            "possible": test_file.possible,
            "failures": failures,
        }
    return table


def set_limits(rlimits):
    for name, (soft, hard) in rlimits.items():
        resource.setrlimit(getattr(resource, name), (soft, hard))


def main(settings):
    set_limits(settings["rlimits"])
    # for the grader's eyes only, not the kernel's
    os.set_inheritable(settings["result_fd"], False)
    import nbconvert.preprocessors

    nbconvert.preprocessors.ExecutePreprocessor = limited_preprocessor(
        nbconvert.preprocessors.ExecutePreprocessor,
        settings["cell_timeout"],
        settings["output_limit"],
    )
    import dill
    from otter.run.run_autograder import main as run_autograder

    given, ag_dir = (
        pathlib.Path(settings["input"]),
        pathlib.Path(settings["work"]) / "autograder",
    )
    summary = {
        "questions": {},
        "cell_errors": [],
        "truncated_outputs": TRUNCATED,
        "error": None,
        "kernel_died": None,
    }
    try:
        for sub in ("source", "submission", "results"):
            (ag_dir / sub).mkdir(parents=True)
        (ag_dir / "submission_metadata.json").write_text("{}")
        with zipfile.ZipFile(given / "autograder.zip") as zf:
            zf.extractall(ag_dir / "source")
        shutil.copyfile(
            given / "submission.ipynb", ag_dir / "submission" / settings["notebook"]
        )
        run_autograder(
            str(ag_dir),
            logo=False,
            debug=False,
            otter_run=True,
            print_summary=False,
            print_score=False,
        )
        with open(ag_dir / "results" / "results.pkl", "rb") as f:
            results = dill.load(f)
        summary["questions"] = question_results(results)
        if results.notebook is not None:
            summary["cell_errors"] = cell_errors(results.notebook)
        if results._catastrophic_error is not None:
            summary["error"] = (
                f"otter could not read the results: {results._catastrophic_error!r}"[
                    :1000
                ]
            )
    # the grader must report, whatever the submission did
    except BaseException as error:
        summary["error"] = f"{type(error).__name__}: {error}"[:1000]
    summary["kernel_died"] = KERNEL.get("died")
    summary["test_digests"] = test_digests(ag_dir)
    with os.fdopen(settings["result_fd"], "w") as out:
        out.write(json.dumps(summary, default=str))


if __name__ == "__main__":
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    main(json.loads(sys.argv[1]))
