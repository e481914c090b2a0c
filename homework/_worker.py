"""Grade one submission with otter, inside a sandbox folder; run as a subprocess by ``grade``.

Usage: ``python homework/_worker.py SANDBOX AUTOGRADER_ZIP NOTEBOOK_NAME CELL_TIMEOUT OUTPUT_LIMIT``

The sandbox already holds ``submission.ipynb`` (a copy of the student's file). This process lays out
otter's autograder folders in the sandbox, grades with otter's own runner, and writes
``SANDBOX/summary.json``. It closes two gaps of ``otter run``: every notebook cell gets a timeout
after which the kernel is interrupted and execution goes on with the next cell, and each cell keeps
at most ``OUTPUT_LIMIT`` characters of output, so a submission that prints gigabytes cannot exhaust
memory. The wall-clock limit around the whole process is enforced by the parent.
"""

import json
import os
import pathlib
import shutil
import sys
import zipfile


TRUNCATED = []  # indices of the cells whose output was cut (one grading per process)


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

    return nbformat.v4.new_output("stream", name="stderr", text=f"[output truncated after {output_limit} characters]\n")


def cell_errors(notebook):
    """(first line of the cell, exception name, message) for each code cell that raised."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                source = "".join(cell.source) if isinstance(cell.source, list) else cell.source
                first = next((line for line in source.splitlines() if line.strip()), "")
                found.append([first[:80], out.get("ename", ""), str(out.get("evalue", ""))[:300]])
    return found


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
            {"test": r.test_case.name, "hidden": r.test_case.hidden, "message": failure_reason(r.message)}
            for r in test_file.test_case_results
            if not r.passed
        ]
        table[name] = {"score": test_file.score, "possible": test_file.possible, "failures": failures}
    return table


def main(sandbox, autograder_zip, notebook_name, cell_timeout, output_limit):
    import nbconvert.preprocessors

    nbconvert.preprocessors.ExecutePreprocessor = limited_preprocessor(
        nbconvert.preprocessors.ExecutePreprocessor, cell_timeout, output_limit
    )
    import dill
    from otter.run.run_autograder import main as run_autograder

    sandbox = pathlib.Path(sandbox)
    ag_dir = sandbox / "autograder"
    for sub in ("source", "submission", "results"):
        (ag_dir / sub).mkdir(parents=True)
    (ag_dir / "submission_metadata.json").write_text("{}")
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(ag_dir / "source")
    shutil.copyfile(sandbox / "submission.ipynb", ag_dir / "submission" / notebook_name)

    summary = {"questions": {}, "cell_errors": [], "truncated_outputs": TRUNCATED, "error": None}
    try:
        run_autograder(str(ag_dir), logo=False, debug=False, otter_run=True, print_summary=False, print_score=False)
        with open(ag_dir / "results" / "results.pkl", "rb") as f:
            results = dill.load(f)
        summary["questions"] = question_results(results)
        if results.notebook is not None:
            summary["cell_errors"] = cell_errors(results.notebook)
        if results._catastrophic_error is not None:
            summary["error"] = f"otter could not read the results: {results._catastrophic_error!r}"[:1000]
    except BaseException as error:  # the grader must report, whatever the submission did
        summary["error"] = f"{type(error).__name__}: {error}"[:1000]
    (sandbox / "summary.json").write_text(json.dumps(summary, default=str))


if __name__ == "__main__":
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
