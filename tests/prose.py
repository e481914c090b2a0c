"""Checks of the book's prose: numbers come from computations, and no page points outside the book.

Used by ``tests/test_prose.py`` on every page and on the planted fixtures of ``tests/fixtures/prose``.
A page's markdown is stripped of what may hold numbers legitimately (math, code, MyST roles such as
``{glue:text}`` and ``{cite}``, directive options, link targets, labels); every digit left must be
covered by an entry of ``ALLOWED``, each with its reason.
"""

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent

# (pattern, reason): a digit inside a match of one of these is not a computed number.
ALLOWED = [
    (r"\b1[6-9]\d\d\b|\b20[0-4]\d\b", "a year: history, quoted with a citation"),
    (
        r"\b(?:[Cc]hapters?|[Ss]ections?|[Pp]arts?|[Ee]xercises?|[Ss]teps?|[Qq]uestions?)\s+\d+(?:\.\d+)?"
        r"(?:\s*(?:,|and|or|to|–|-)\s*\d+(?:\.\d+)?)*",
        "a reference to a chapter, section, exercise or step of the book",
    ),
    (r"\b[123]-D\b|\b[123]D\b", "the name of a dimension: 1-D, 2-D and 3-D signals"),
    (
        r"\b(?:LeNet-5|VGG-?1[169]|ResNet-?(?:18|34|50|101|152)|DenseNet-?121|Inception-?v[1-4]|"
        r"ILSVRC-?20\d\d|CIFAR-10|F\(\d+\s*[x×]?\s*\d*,\s*\d+\s*[x×]?\s*\d*\)|float(?:16|32|64)|"
        r"bfloat16|int(?:8|16|32|64)|complex(?:64|128)|ImageNet-1k|MNIST-\d+|L[12]|H[12]00|A100|"
        r"AVX-?512|AVX2|radix-2|conv[1-5]|fc[678]|f6|top-[15]|cuDNN\s*\d*|oneDNN|Python 3(?:\.\d+)?|"
        r"log_?2|x86-64|torch\s*2\.\d+)\b",
        "part of a proper name: a network, a data set, a dtype, an algorithm, a layer name",
    ),
    (r"CC BY \d\.\d|Attribution \d\.\d", "the name and version of a licence"),
    (
        r"\b(?:1[01]?|[2-9])\s*[x×]\s*(?:1[01]?|[2-9])\b",
        "a kernel or window size: a layer's configuration, not a result",
    ),
]
_ALLOWED = [re.compile(pattern) for pattern, _ in ALLOWED]

# What may hold numbers without breaking the rule: removed before the scan.
_STRIP = [
    # fenced code and directives' bodies that are code
    re.compile(r"```.*?```|~~~.*?~~~", re.S),
    re.compile(r"\$\$.*?\$\$", re.S),  # display math
    re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S),  # amsmath environments
    re.compile(r"(?<![\\$])\$(?!\$)(?:\\\$|[^$])+?\$"),  # inline math
    # MyST roles: {glue:text}`...`, {cite}`...`, {ref}`...`
    re.compile(r"\{[\w:-]+\}`[^`]*`"),
    re.compile(r"``.+?``|`[^`]*`"),  # inline code
    # directive options (:class: dropdown, :label: ...)
    re.compile(r"^\s*:[\w-]+:.*$", re.M),
    re.compile(r"^\s*\([\w:-]+\)=\s*$", re.M),  # MyST labels
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"<!--.*?-->", re.S),  # comments
    re.compile(r"<[^>]+>"),  # HTML tags
    re.compile(r"^#+\s.*$", re.M),  # headings (numbered by the toc, not by hand)
    re.compile(r"^\s*\d+\.\s", re.M),  # markers of numbered lists
]

# Pointers to material the reader does not have.
OUTSIDE = re.compile(
    r"\b(?:(?:the|these|those|our|course|lecture|class)\s+(?:slides?|notes|handouts?|transcripts?)|"
    r"slides? \d+|lectures?|lecturer|transcripts?|(?:source )?documents? \d+|source documents?|"
    r"one source of this course)\b",
    re.I,
)


def markdown_cells(path):
    """The markdown of a page: each markdown cell of a notebook, or the whole of a ``.md`` file."""
    path = pathlib.Path(path)
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    return [path.read_text()]


def strip(text):
    """The text of a markdown cell less math, code, roles, options, labels, links and headings."""
    for pattern in _STRIP:
        text = pattern.sub(" ", text)
    return text


def _allowed_spans(text):
    spans = []
    for pattern in _ALLOWED:
        spans.extend(match.span() for match in pattern.finditer(text))
    return spans


def typed_numbers(path):
    """The hand-typed numbers of a page: ``(line, number)`` for each digit run no rule allows."""
    found = []
    for cell in markdown_cells(path):
        for line in strip(cell).splitlines():
            spans = _allowed_spans(line)
            for match in re.finditer(r"\d+(?:[.,]\d+)*", line):
                if not any(
                    start <= match.start() and match.end() <= end
                    for start, end in spans
                ):
                    found.append((line.strip(), match.group()))
    return found


def outside_pointers(text):
    """The phrases of ``text`` that send the reader to slides, lectures, notes or documents."""
    return [match.group() for match in OUTSIDE.finditer(text)]
