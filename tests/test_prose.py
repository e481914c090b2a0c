"""The prose keeps the code's promise: numbers are computed, and the book is self-contained.

A number that the prose states about a computation is glued from it (``{glue:text}``) or sits in
math or code; ``prose.typed_numbers`` finds the others. No page mentions slides, lectures, notes or
documents that the reader does not have. Both checks are shown to fail on planted fixture pages.
"""

import pathlib
import re

import pytest

import prose
from sitecheck import ROOT, SITE, toc_pages

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "prose"


def _sources():
    pages = []
    for page in toc_pages():
        for suffix in (".ipynb", ".md"):
            path = ROOT / pathlib.PurePosixPath(page).with_suffix(suffix)
            if path.is_file():
                pages.append(path)
    return pages


SOURCES = _sources()
# The chapters, their part pages and the reader's front matter: prose about computations.
# Homework pages state points and question numbers; the API page is generated from docstrings.
PROSE = [
    p
    for p in SOURCES
    if "homework" not in p.parts
    and p.stem not in ("api", "execution_times", "references")
]


def _id(path):
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", PROSE, ids=map(_id, PROSE))
def test_every_number_in_the_prose_is_computed(path):
    typed = prose.typed_numbers(path)
    assert not typed, (
        "glue these numbers from their cells, put them in math, or allow them in tests/prose.py:\n"
        + "\n".join(f"  {number!r} in: {line}" for line, number in typed)
    )


@pytest.mark.parametrize("path", SOURCES, ids=map(_id, SOURCES))
def test_no_page_points_outside_the_book(path):
    found = [
        p for cell in prose.markdown_cells(path) for p in prose.outside_pointers(cell)
    ]
    assert not found, f"the reader has the book and nothing else: {found}"


def test_the_built_site_points_nowhere_outside_the_book():
    if not (SITE / "index.html").is_file():
        pytest.skip("the website is not built: run `make book`")
    found = {}
    for page in toc_pages():
        if page.endswith("references.html"):
            continue  # titles of cited works may name a lecture series
        html = (SITE / page).read_text()
        text = re.sub(
            r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", html, flags=re.S
        )
        hits = prose.outside_pointers(text)
        if hits:
            found[page] = hits
    assert not found


def test_a_planted_typed_number_is_found():
    typed = prose.typed_numbers(FIXTURES / "planted_number.md")
    assert [number for _, number in typed] == ["90", "138"]


def test_a_planted_pointer_is_found():
    assert prose.outside_pointers((FIXTURES / "planted_pointer.md").read_text()) == [
        "the slides"
    ]


def test_glue_math_code_citations_and_allowed_names_pass():
    assert prose.typed_numbers(FIXTURES / "good.md") == []
