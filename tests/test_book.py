"""The book's structure: every page is in the table of contents, every notebook carries outputs."""

import json
import pathlib

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
    missing = {f for f in toc_files() if not any((ROOT / f).with_suffix(s).exists() for s in (".ipynb", ".md"))}
    assert not missing, f"_toc.yml names files that do not exist: {sorted(missing)}"


BOOK = ROOT / "book"
# A chapter is a notebook book/NN_name.ipynb or a part book/NN_name/ of section pages NN_slug.ipynb.
CHAPTERS = sorted(p for p in BOOK.glob("[0-9]*") if p.is_dir() or p.suffix == ".ipynb")
PAGES = sorted(BOOK.glob("[0-9]*.ipynb")) + sorted(BOOK.glob("[0-9]*/[0-9]*.ipynb"))


def test_six_chapters():
    assert len(CHAPTERS) == 6


@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(BOOK).with_suffix("")) for p in PAGES])
def test_page_is_committed_with_outputs(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c.get("execution_count") for c in code), "execute the notebook before committing it"
    assert any(c["outputs"] for c in code)
    assert nb["cells"][0]["source"][0].startswith("# "), "a page starts with its title"
