"""``python -m homework build``: otter assign every source, then publish the student notebooks.

For each ``homework/source/hwN.ipynb`` this

1. runs ``otter assign`` into ``homework/dist/hwN/`` (``autograder/`` with the solution notebook, all
   tests and otter's Gradescope zip; ``student/`` with the student notebook and its public tests);
2. inserts ``homework/checks.py`` into every generated test file (the tests compare through it) and
   rewrites the Gradescope zip with those test files, under the fixed name ``hwN-autograder.zip``;
3. writes ``homework/dist/hwN/manifest.json``: the assignment name, each autograded question's
   maximum points, the points of the written questions graded by hand (``manual``) and the
   SHA-256 of every test file. The grader checks results against it; it lives outside the
   folders a submission runs in;
4. copies the student notebook, without outputs and with stable cell ids, to ``book/homework/hwN.ipynb``
   and its public tests to ``book/homework/tests/hwN/``. Hidden tests never leave ``homework/dist``.

The same sources give byte-identical published files, so git shows no diff after a rebuild.
"""

import contextlib
import hashlib
import io
import json
import pathlib
import shutil
import zipfile

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ROOT / "homework" / "source"
DIST = ROOT / "homework" / "dist"
BOOK = ROOT / "book" / "homework"
CHECKS = pathlib.Path(__file__).with_name("checks.py")
OTTER_IMPORT = "from otter.test_files import test_case\n"
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def assignments():
    """Names of the assignments that have a source notebook, in order (``["hw1", ...]``)."""
    return sorted(path.stem for path in SOURCES.glob("hw*.ipynb"))


def with_checks(test_source):
    """A generated test file with the comparison helpers of ``checks.py`` inserted after its import."""
    if OTTER_IMPORT not in test_source:
        raise ValueError(
            f"unexpected test file: it does not start with {OTTER_IMPORT!r}"
        )
    helpers = CHECKS.read_text()
    return test_source.replace(OTTER_IMPORT, OTTER_IMPORT + "\n" + helpers + "\n", 1)


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def question_points(tests_dir):
    """Map each question name to its maximum points, read from the generated test files."""
    points = {}
    for path in sorted(pathlib.Path(tests_dir).glob("*.py")):
        env = {}
        exec(compile(path.read_text(), str(path), "exec"), env)
        points[env["name"]] = sum(
            case.points for case in env.values() if type(case).__name__ == "test_case"
        )
    return points


def manual_points(source):
    """Map each written question (otter's ``manual: true``) of a source notebook to its points."""
    points = {}
    for cell in nbformat.read(source, as_version=4).cells:
        if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION"):
            config = dict(
                line.split(": ", 1)
                for line in cell.source.splitlines()[1:]
                if ": " in line
            )
            if config.get("manual") == "true":
                points[config["name"]] = int(config["points"])
    return points


def _rewrite_zip(autograder_dir, name):
    """Otter's Gradescope zip with our test files, a fixed name and fixed timestamps."""
    (old,) = autograder_dir.glob("*.zip")
    target = autograder_dir / f"{name}-autograder.zip"
    with zipfile.ZipFile(old) as src:
        members = {
            info.filename: src.read(info)
            for info in src.infolist()
            if not info.filename.startswith("tests/")
        }
    old.unlink()
    for path in sorted((autograder_dir / "tests").glob("*.py")):
        members[f"tests/{path.name}"] = path.read_bytes()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for filename in sorted(members):
            info = zipfile.ZipInfo(filename, ZIP_DATE)
            info.external_attr = (
                0o755 << 16 if filename == "run_autograder" else 0o644 << 16
            )
            out.writestr(info, members[filename])
    return target


def _student_notebook(path, name):
    """The student notebook as published: no outputs, stable ids, no execution counts."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{name}-{index:02d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def build_one(name, book=BOOK):
    """Build one assignment; return its manifest (a dict)."""
    from otter.assign import main as otter_assign

    out = DIST / name
    shutil.rmtree(out, ignore_errors=True)
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            otter_assign(str(SOURCES / f"{name}.ipynb"), str(out), no_pdfs=True)
    except Exception as error:
        raise RuntimeError(
            f"otter assign failed for {name}: {error}\n{log.getvalue()}"
        ) from error
    for tests_dir in (out / "autograder" / "tests", out / "student" / "tests"):
        for path in tests_dir.glob("*.py"):
            path.write_text(with_checks(path.read_text()))
    zip_path = _rewrite_zip(out / "autograder", name)
    tests_dir = out / "autograder" / "tests"
    manifest = {
        "assignment": name,
        "questions": question_points(tests_dir),
        "tests": {path.name: sha256(path) for path in sorted(tests_dir.glob("*.py"))},
        "autograder_zip": zip_path.name,
        "manual": manual_points(SOURCES / f"{name}.ipynb"),
    }
    manifest["max_score"] = sum(manifest["questions"].values())
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    book.mkdir(parents=True, exist_ok=True)
    nbformat.write(
        _student_notebook(out / "student" / f"{name}.ipynb", name),
        book / f"{name}.ipynb",
    )
    public = book / "tests" / name
    shutil.rmtree(public, ignore_errors=True)
    public.mkdir(parents=True)
    for path in sorted((out / "student" / "tests").glob("*.py")):
        shutil.copyfile(path, public / path.name)
    return manifest


def build(names=None):
    """Build the named assignments (all by default); return their manifests by name."""
    return {name: build_one(name) for name in (names or assignments())}


def load_manifest(name):
    """The manifest written by ``build`` for assignment ``name``."""
    path = DIST / name / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: run `python -m homework build {name}` first"
        )
    return json.loads(path.read_text())
