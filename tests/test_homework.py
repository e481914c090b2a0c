"""The homework: sources, published student notebooks, the build and the sandboxed grader.

The slow tests build every assignment, then grade planted submissions written here from the
solution notebook (one parallel grade run per assignment): the solution, the untouched student
notebook, a partly wrong notebook, and, for hw1, every kind of bad submission the grader promises
to survive. Each must get the documented score, status and reason.
"""

import copy
import csv
import hashlib
import json
import pathlib
import re
import shutil

import nbformat
import pytest

from homework import build, checks, grade

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOK = ROOT / "book" / "homework"
NAMES = [f"hw{n}" for n in range(1, 7)]


def source_cells(name):
    return nbformat.read(build.SOURCES / f"{name}.ipynb", as_version=4).cells


def hidden_test_cells(name):
    return [
        c.source
        for c in source_cells(name)
        if c.cell_type == "code" and "hidden: true" in c.source
    ]


def solution_lines(name):
    """Lines of code between the solution markers of a source notebook."""
    lines = []
    for cell in source_cells(name):
        inside = False
        for line in cell.source.splitlines():
            if "# END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) > 12:
                lines.append(line.strip())
            elif "# BEGIN SOLUTION" in line:
                inside = True
    return lines


def published_text():
    """Every published homework file (and the built site, if any), as one string."""
    paths = [p for p in BOOK.rglob("*") if p.is_file()]
    site = ROOT / "_build" / "html"
    if site.is_dir():
        paths += [
            p
            for p in site.rglob("*")
            if p.is_file() and p.suffix in (".html", ".ipynb", ".py", ".txt", ".js")
        ]
    return "\n".join(p.read_text(errors="replace") for p in paths)


class TestSources:
    @pytest.mark.parametrize("name", NAMES)
    def test_six_to_eight_questions_each_with_hidden_tests(self, name):
        cells = source_cells(name)
        questions = [
            c
            for c in cells
            if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION")
        ]
        assert 6 <= len(questions) <= 8
        assert len(hidden_test_cells(name)) >= len(questions)

    @pytest.mark.parametrize("name", NAMES)
    def test_tests_compare_through_checks_helpers(self, name):
        # tests never call numpy's comparisons, which a submission could replace
        for cell in source_cells(name):
            if "BEGIN TEST CONFIG" in cell.source:
                assert not re.search(r"allclose|array_equal|assert_", cell.source), (
                    cell.source
                )


class TestPublished:
    @pytest.mark.parametrize("name", NAMES)
    def test_student_notebook_has_no_solution_lines(self, name):
        student = (BOOK / f"{name}.ipynb").read_text()
        leaked = [
            line for line in solution_lines(name) if json.dumps(line)[1:-1] in student
        ]
        assert not leaked, f"solution lines in the student notebook: {leaked}"

    @pytest.mark.parametrize("name", NAMES)
    def test_hidden_tests_are_not_published(self, name):
        text = published_text()
        for source in hidden_test_cells(name):
            test_name = re.search(r"def (test_\w+)\(", source).group(1)
            assert test_name not in text, (
                f"hidden test {test_name} of {name} is readable in the book"
            )
        assert "hidden=True" not in text

    @pytest.mark.parametrize("name", NAMES)
    def test_notebook_is_published_without_outputs(self, name):
        nb = nbformat.read(BOOK / f"{name}.ipynb", as_version=4)
        assert nb.metadata["otter"]["assignment_name"] == name
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert any("grader.check" in c.source for c in nb.cells)

    def test_index_page_explains_the_checks(self):
        text = (BOOK / "index.md").read_text()
        assert text.startswith("# Homework")
        assert "grader.check" in text
        assert all(f"{name}.ipynb" in text or f"{name}" in text for name in NAMES)


class TestChecks:
    def test_close_accepts_equal_numbers_and_arrays(self):
        np = pytest.importorskip("numpy")
        checks.close(np.array([1.0, 2.0]), [1, 2])
        checks.close((1 + 1e-9, [2, 3]), [1, [2, 3]])

    def test_close_names_the_first_difference(self):
        with pytest.raises(AssertionError, match=r"result\[1\]: expected 3, got 4"):
            checks.close([1, 4], [1, 3])
        with pytest.raises(AssertionError, match="expected length 2, got length 3"):
            checks.close([1, 2, 3], [1, 2])

    def test_plain_rejects_objects_that_claim_equality(self):
        class Liar:
            def __eq__(self, other):
                return True

        with pytest.raises(
            AssertionError, match="expected numbers or arrays of numbers, got Liar"
        ):
            checks.plain(Liar())
        with pytest.raises(
            AssertionError, match="got None: the function returns nothing"
        ):
            checks.plain(None)

    def test_call_stops_a_loop(self):
        def forever():
            while True:
                pass

        with pytest.raises(checks.CallTimeout, match="did not return within"):
            checks.call(forever)
        with pytest.raises(AssertionError, match="the function is not defined"):
            checks.call(None)

    def test_shape(self):
        assert checks.shape([[1, 2, 3], [4, 5, 6]]) == (2, 3)

    def test_with_checks_inserts_the_helpers(self):
        out = build.with_checks(
            "from otter.test_files import test_case\n\nname = 'q1'\n"
        )
        assert "def close(" in out and out.index("def close(") < out.index(
            "name = 'q1'"
        )
        with pytest.raises(ValueError, match="unexpected test file"):
            build.with_checks("name = 'q1'\n")


class TestStudentId:
    @pytest.mark.parametrize(
        "filename",
        [
            "alice.ipynb",
            "alice_hw1.ipynb",
            "hw1-alice.ipynb",
            "alice hw1 (1).ipynb",
            "HW1_alice.ipynb",
        ],
    )
    def test_assignment_name_is_removed(self, filename):
        assert grade.student_id(filename, "hw1") == "alice"


class TestInspectSubmission:
    def test_outcomes(self, tmp_path):
        cases = {
            "a.txt": ("hello", "invalid", "expected a Jupyter notebook"),
            "b.ipynb": ("{not json", "invalid", "not valid JSON"),
            "c.ipynb": ('{"hello": 1}', "invalid", "not a Jupyter notebook"),
            "d.ipynb": (
                nbformat.writes(nbformat.v4.new_notebook()),
                "wrong-assignment",
                "no otter assignment name",
            ),
        }
        for filename, (text, status, reason) in cases.items():
            path = tmp_path / filename
            path.write_text(text)
            got = grade.inspect_submission(path, "hw1")
            assert got[0] == status and reason in got[1], (filename, got)


# ---------------------------------------------------------------------------------------------
# Building and grading (slow: each graded notebook starts a kernel)


@pytest.fixture(scope="module")
def built():
    before = {
        p: p.read_bytes()
        for p in BOOK.rglob("*")
        if p.is_file() and p.name != "index.md"
    }
    manifests = build.build()
    after = {
        p: p.read_bytes()
        for p in BOOK.rglob("*")
        if p.is_file() and p.name != "index.md"
    }
    return manifests, before, after


def joined(nb):
    for cell in nb.cells:
        if isinstance(cell.source, list):
            cell.source = "".join(cell.source)
    return nb


def solution(name):
    return joined(
        nbformat.read(build.DIST / name / "autograder" / f"{name}.ipynb", as_version=4)
    )


def defining_cell(nb, function):
    return next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and re.search(rf"^(def|class) {function}\b", c.source, re.M)
    )


def replaced(nb, function, source):
    nb = copy.deepcopy(nb)
    nb.cells[defining_cell(nb, function)].source = source
    return nb


def inserted(nb, source, after_function=None):
    nb = copy.deepcopy(nb)
    index = defining_cell(nb, after_function) + 1 if after_function else 2
    nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


WRONG = {  # assignment -> (question, function, wrong definition)
    "hw1": (
        "q4",
        "cyclic_multiply",
        "def cyclic_multiply(c, d):\n    return [c[i] * d[i] for i in range(len(c))]",
    ),
    "hw2": (
        "q2",
        "conv1d",
        "def conv1d(x, h, stride=1, padding=0, dilation=1):\n    return np.convolve(x, h, 'same')",
    ),
    "hw3": (
        "q3",
        "mean_and_variance",
        "def mean_and_variance(p):\n    return 0.0, 0.0",
    ),
    "hw4": (
        "q5",
        "tikhonov_deblur",
        "def tikhonov_deblur(y, h, alpha):\n    return np.asarray(y, dtype=float)",
    ),
    "hw5": (
        "q3",
        "maxpool2d_backward",
        "def maxpool2d_backward(dy, x, kernel_size=2, stride=2):\n    return np.zeros(np.shape(x))",
    ),
    "hw6": (
        "q3",
        "receptive_field",
        "def receptive_field(layers):\n    return len(layers)",
    ),
}


def write_submissions(folder, name):
    """Plant the submissions of one assignment; return {file name: (status, score, reason pattern)}."""
    sol = solution(name)
    manifest = build.load_manifest(name)
    full = manifest["max_score"]
    question, function, wrong = WRONG[name]
    planted = {
        "solution.ipynb": (sol, "graded", full, "all checks passed"),
        "untouched.ipynb": (
            nbformat.read(BOOK / f"{name}.ipynb", as_version=4),
            "graded",
            0,
            "lost points",
        ),
        "partial.ipynb": (
            replaced(sol, function, wrong),
            "graded",
            full - manifest["questions"][question],
            question,
        ),
    }
    if name == "hw1":
        forever = "while True:\n    pass"
        stubborn = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"
        wrong_q1 = "def poly_multiply(c, d):\n    return [0]"
        rewrite = (
            "import glob\nfor path in glob.glob('tests/*.py') + glob.glob('../source/tests/*.py'):\n"
            "    text = open(path).read()\n    open(path, 'w').write(text.replace('raise AssertionError', 'return'))"
        )
        planted.update(
            {
                "loop_top.ipynb": (
                    inserted(sol, forever),
                    "graded",
                    full,
                    "1 cell\\(s\\) interrupted",
                ),
                "loop_in_function.ipynb": (
                    replaced(
                        sol,
                        "poly_multiply",
                        "def poly_multiply(c, d):\n"
                        + "    "
                        + forever.replace("\n", "\n    "),
                    ),
                    "graded",
                    full - 3,
                    "q1",
                ),
                "exception.ipynb": (
                    inserted(sol, "raise RuntimeError('my bug')"),
                    "graded",
                    full,
                    "1 cell\\(s\\) raised errors",
                ),
                "deletes_tests.ipynb": (
                    inserted(sol, "import shutil\nshutil.rmtree('tests')"),
                    "tampered",
                    0,
                    "deleted grading files",
                ),
                "rewrites_tests.ipynb": (
                    inserted(
                        replaced(sol, "poly_multiply", wrong_q1),
                        rewrite,
                        "poly_multiply",
                    ),
                    "tampered",
                    0,
                    "tests/q1.py",
                ),
                "patches_allclose.ipynb": (
                    inserted(
                        replaced(sol, "poly_multiply", wrong_q1),
                        "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.array_equal = lambda *a, **k: True",
                        "poly_multiply",
                    ),
                    "graded",
                    full - 3,
                    "q1",
                ),
                "huge_output.ipynb": (
                    inserted(sol, "print('spam ' * 5_000_000)"),
                    "graded",
                    full,
                    "all checks passed; output of 1 cell",
                ),
                "missing_function.ipynb": (
                    replaced(sol, "multiply_digits", "# I did not do this one"),
                    "graded",
                    full - 4,
                    "q3",
                ),
                "stubborn_loop.ipynb": (
                    inserted(sol, stubborn),
                    "timeout",
                    0,
                    "wall-clock limit",
                ),
                "wrong_assignment.ipynb": (
                    solution("hw2"),
                    "wrong-assignment",
                    0,
                    "assignment 'hw2'",
                ),
                "Copy of alice_hw1 (1).ipynb": (
                    sol,
                    "graded",
                    full,
                    "all checks passed",
                ),
            }
        )
        (folder / "invalid_json.ipynb").write_text('{"cells": [')
        (folder / "not_a_notebook.ipynb").write_text(
            json.dumps({"name": "my homework"})
        )
        (folder / "notes.txt").write_text("I could not finish q3")
        expected_other = {
            "invalid_json.ipynb": ("invalid", 0, "not valid JSON"),
            "not_a_notebook.ipynb": ("invalid", 0, "not a Jupyter notebook"),
            "notes.txt": ("invalid", 0, "expected a Jupyter notebook"),
        }
    else:
        expected_other = {}
    for filename, (nb, *_rest) in planted.items():
        nbformat.write(nb, folder / filename)
    return {**{f: tuple(rest) for f, (_nb, *rest) in planted.items()}, **expected_other}


def digest_folder(folder):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
    }


@pytest.mark.slow
def test_build_is_deterministic_and_committed(built):
    manifests, before, after = built
    assert set(manifests) == set(NAMES)
    assert before == after, (
        "rebuilding changed book/homework: commit the output of `python -m homework build`"
    )
    for name, manifest in manifests.items():
        assert manifest["max_score"] == sum(manifest["questions"].values()) > 0
        assert (build.DIST / name / "autograder" / manifest["autograder_zip"]).is_file()


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_grading(built, name, tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    expected = write_submissions(submissions, name)
    digests = digest_folder(submissions)
    out, feedback = tmp_path / "gradebook.csv", tmp_path / "feedback"
    limit = (
        {"timeout": 75, "cell_timeout": 10}
        if name == "hw1"
        else {"timeout": 150, "cell_timeout": 60}
    )
    grade.grade(name, submissions, out, feedback, jobs=2, **limit)

    assert digest_folder(submissions) == digests, "the submissions folder was modified"
    with open(out, newline="") as f:
        rows = {row["file"]: row for row in csv.DictReader(f)}
    assert set(rows) == set(expected), "one gradebook row per submitted file"
    manifest = build.load_manifest(name)
    for filename, (status, score, reason) in expected.items():
        row = rows[filename]
        assert (row["status"], float(row["score"])) == (status, score), (filename, row)
        assert float(row["max_score"]) == manifest["max_score"]
        assert sum(float(row[q]) for q in manifest["questions"]) == float(row["score"])
        text = (feedback / f"{filename}.feedback.txt").read_text()
        assert re.search(reason, row["reason"] + "\n" + text), (
            filename,
            row["reason"],
            text[:2000],
        )
        results = json.loads((feedback / f"{filename}.results.json").read_text())
        assert results["score"] == score and len(results["tests"]) == len(
            manifest["questions"]
        )

    question = WRONG[name][0]
    partial = (feedback / "partial.ipynb.feedback.txt").read_text()
    assert re.search(rf"^{question}: 0/\d+$", partial, re.M) and "check" in partial
    if name == "hw1":
        assert rows["Copy of alice_hw1 (1).ipynb"]["student_id"] == "Copy of alice"
        assert (
            "did not return within"
            in (feedback / "loop_in_function.ipynb.feedback.txt").read_text()
        )
        assert (
            "not defined"
            in (feedback / "missing_function.ipynb.feedback.txt").read_text()
        )
        assert (feedback / "huge_output.ipynb.feedback.txt").stat().st_size < 20_000


@pytest.mark.slow
def test_public_checks_run_in_the_published_layout(built, tmp_path):
    """A student's notebook next to tests/hwN/, as in book/homework: grader.check finds the tests."""
    from nbclient import NotebookClient

    shutil.copytree(BOOK / "tests" / "hw1", tmp_path / "tests" / "hw1")
    nb = solution("hw1")
    nbformat.write(nb, tmp_path / "hw1.ipynb")
    NotebookClient(
        nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    checks_out = [
        "".join(
            str(o.get("data", {}).get("text/plain", "")) + o.get("text", "")
            for o in c.outputs
        )
        for c in nb.cells
        if c.cell_type == "code" and "grader.check(" in c.source
    ]
    assert len(checks_out) == 6 and all("passed" in text for text in checks_out), (
        checks_out
    )
