"""The book's structure: every page is in the table of contents, every notebook carries outputs."""

import json
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _toc_files(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root"):
                yield value
            else:
                yield from _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _toc_files(item)


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return {str(pathlib.PurePosixPath(f).with_suffix("")) for f in _toc_files(toc)}


def book_pages():
    pages = set()
    for path in (ROOT / "book").rglob("*"):
        if path.suffix in (".ipynb", ".md") and ".ipynb_checkpoints" not in path.parts:
            pages.add(str(path.relative_to(ROOT).with_suffix("")))
    return pages


def test_every_page_in_book_is_in_the_toc():
    orphans = book_pages() - toc_files()
    assert not orphans, f"pages missing from _toc.yml: {sorted(orphans)}"


def test_every_toc_entry_exists():
    missing = {
        f
        for f in toc_files()
        if not any((ROOT / f).with_suffix(s).exists() for s in (".ipynb", ".md"))
    }
    assert not missing, f"_toc.yml names files that do not exist: {sorted(missing)}"


PARTS = sorted((ROOT / "book").glob("0[1-6]_*/index.md"))
SECTIONS = sorted((ROOT / "book").glob("0[1-6]_*/[0-9]*.ipynb"))
NOTEBOOKS = SECTIONS + sorted((ROOT / "book").glob("*.ipynb"))


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _source(cell):
    return "".join(cell["source"])


def test_six_parts_of_section_pages():
    assert len(PARTS) == 6
    for part in PARTS:
        assert list(part.parent.glob("[0-9]*.ipynb")), (
            f"{part.parent.name} has no section pages"
        )


@pytest.mark.parametrize(
    "path", NOTEBOOKS, ids=[f"{p.parent.name}/{p.stem}" for p in NOTEBOOKS]
)
def test_notebook_is_committed_with_outputs(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    assert code and all(c.get("execution_count") for c in code), (
        "execute the notebook before committing it"
    )
    assert any(c["outputs"] for c in code)
    assert _source(_cells(path)[0]).startswith("# "), "a page starts with its title"


@pytest.mark.parametrize(
    "path", SECTIONS, ids=[f"{p.parent.name}/{p.stem}" for p in SECTIONS]
)
class TestSectionPage:
    def test_set_up_cell_is_hidden_on_the_website(self, path):
        first_code = next(c for c in _cells(path) if c["cell_type"] == "code")
        assert "remove-cell" in first_code["metadata"].get("tags", []), (
            "tag the set-up cell remove-cell"
        )

    def test_ends_with_exercises(self, path):
        headings = [
            line
            for c in _cells(path)
            if c["cell_type"] == "markdown"
            for line in _source(c).splitlines()
            if line.startswith("## ")
        ]
        assert headings and headings[-1].startswith("## Exercises")

    def test_reads_in_one_sitting(self, path):
        words = sum(
            len(_source(c).split())
            for c in _cells(path)
            if c["cell_type"] == "markdown"
        )
        assert words <= 2500, f"{words} words: split the page"


def _tagged_cells():
    for path in NOTEBOOKS:
        for index, cell in enumerate(_cells(path)):
            if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", []):
                yield pytest.param(
                    path, cell, id=f"{path.parent.name}/{path.stem}:{index}"
                )


@pytest.mark.parametrize("path, cell", list(_tagged_cells()))
def test_machine_dependent_cell_says_why_and_asserts(path, cell):
    """A cell kept out of nbval's exact comparison states its reason and checks its results."""
    source = _source(cell)
    assert source.startswith("# machine-dependent: "), (
        "start the cell with '# machine-dependent: <reason>'"
    )
    assert re.search(r"^\s*assert ", source, re.M), (
        "assert the cell's results with measured tolerances"
    )


GLUE_PLAIN = "application/papermill.record/text/plain"


def _glued_text(path):
    """The text/plain of every value a notebook glues, by name."""
    values = {}
    for cell in _cells(path):
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name and GLUE_PLAIN in output.get("data", {}):
                values[name] = output["data"][GLUE_PLAIN]
    return values


@pytest.mark.parametrize(
    "path", SECTIONS, ids=[f"{p.parent.name}/{p.stem}" for p in SECTIONS]
)
def test_glued_numbers_are_python_numbers(path):
    """A NumPy or torch scalar is glued as ``np.float64(0.97)``, which the page then shows as
    that text, and which a format spec (``{glue:text}`key:.2f```) cannot read: the build fails."""
    from myst_nb.core.variables import format_plain_text

    glued = _glued_text(path)
    wrapped = {
        name: text
        for name, text in glued.items()
        if re.match(r"(np|numpy|torch)\.|tensor\(|array\(", text)
    }
    assert not wrapped, f"glue float(...) or int(...) of these: {wrapped}"
    markdown = "".join(_source(c) for c in _cells(path) if c["cell_type"] == "markdown")
    for name, spec in re.findall(r"\{glue(?::text)?\}`([^`:]+):([^`]+)`", markdown):
        assert name in glued, f"{name!r} is not glued on this page"
        format_plain_text(glued[name], spec)


def _code(path):
    return [_source(c) for c in _cells(path) if c["cell_type"] == "code"]


# the pages whose code trains a network with coursekit.train.fit
TRAINING = [p for p in SECTIONS if any(re.search(r"\bfit\(", s) for s in _code(p))]


def test_the_training_pages_are_found():
    found = {f"{p.parent.name}/{p.stem}" for p in TRAINING}
    assert {
        "05_cnn_layers/08_batch_norm",
        "05_cnn_layers/09_digit_networks",
        "06_architectures/03_nin",
        "06_architectures/05_resnet",
        "06_architectures/06_densenet",
        "06_architectures/08_augmentation_and_datasets",
        "06_architectures/09_interpretation",
        "06_architectures/10_transfer_learning",
    } <= found


@pytest.mark.parametrize(
    "path", TRAINING, ids=[f"{p.parent.name}/{p.stem}" for p in TRAINING]
)
def test_training_follows_the_dataset_switch(path):
    """COURSEKIT_DATASET (book section 6.8) reaches every page that trains.

    The page reads its data with ``data.dataset`` before it first trains, and no cell that
    trains reads the digits directly or builds a network for the digits' shape only
    (``models.model2()``: one channel of 28 x 28 pixels).
    """
    code = _code(path)
    trains = [i for i, s in enumerate(code) if re.search(r"\bfit\(", s)]
    reads = [i for i, s in enumerate(code) if "data.dataset(" in s]
    assert reads and reads[0] <= trains[0], (
        "read the training data with coursekit.data.dataset(...) before training"
    )
    for i in trains:
        assert "digits(" not in code[i], "train on data.dataset(...), not data.digits"
        assert not re.search(r"models\.\w+\(\)", code[i]), (
            "build the network for the data's shape (in_channels=..., size=...)"
        )


def _runnable(source):
    """A code cell's source as plain Python: a line of IPython magic (``%pip``) becomes ``pass``."""
    return re.sub(r"^(\s*)%.*$", r"\1pass", source, flags=re.M)


def test_the_switch_trains_a_page_on_cifar10(tmp_path, monkeypatch):
    """With ``COURSEKIT_DATASET=cifar10``, section 6.9 trains ``model2`` on 3x32x32 photographs.

    The page's code up to its training runs on tiny CIFAR-10 files in torchvision's format
    (``dataset_files``), never downloaded: a few seconds.
    """
    import torch

    import dataset_files
    from coursekit._torchvision import import_torchvision

    _, md5 = dataset_files.write_cifar10(tmp_path, per_batch=8)
    cifar = import_torchvision().datasets.CIFAR10
    batches = [f"data_batch_{i}" for i in range(1, 6)]
    monkeypatch.setattr(cifar, "train_list", [[b, md5[b]] for b in batches])
    monkeypatch.setattr(cifar, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(cifar, "meta", {**cifar.meta, "md5": md5["batches.meta"]})
    monkeypatch.setenv("COURSEKIT_DATASET", "cifar10")
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path))
    path = ROOT / "book" / "06_architectures" / "09_interpretation.ipynb"
    monkeypatch.chdir(path.parent)
    code = _code(path)
    last = next(i for i, s in enumerate(code) if re.search(r"\bfit\(", s))
    namespace = {}
    threads = torch.get_num_threads()
    try:
        for source in code[: last + 1]:
            exec(compile(_runnable(source), str(path), "exec"), namespace)
    finally:
        torch.set_num_threads(threads)
    net, history = namespace["net"], namespace["history"]
    assert net.input_shape == (3, 32, 32) and len(namespace["train"]) == 40
    assert len(history.valid_accuracy) == 6  # the page's six epochs, on 8 test images
