"""The code's style: `ruff check` and `ruff format --check` pass over the whole repository.

One configuration, ``[tool.ruff]`` in ``pyproject.toml``, covers the package, the tests, the
homework and the code cells of the notebooks: lines of at most 88 characters (what a code cell of
the website shows at 1280 px without a scrollbar, which ``tests/test_website.py`` checks in the
browser), pyflakes, pycodestyle and isort. Fix a failure with ``ruff format`` and
``ruff check --fix``; CONTRIBUTING.md says more. Without ruff (``requirements.txt`` pins it) the
tests skip.
"""

import importlib.util
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NO_RUFF = "ruff not installed: pip install -r requirements.txt"

needs_ruff = pytest.mark.skipif(
    importlib.util.find_spec("ruff") is None, reason=NO_RUFF
)


def _ruff(*args):
    # --no-cache: a test run leaves no .ruff_cache behind
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@needs_ruff
def test_ruff_check_passes():
    done = _ruff("check", "--output-format", "concise")
    assert done.returncode == 0, (
        "ruff check failed (`ruff check --fix` fixes some):\n"
        + done.stdout
        + done.stderr
    )


@needs_ruff
def test_ruff_format_changes_nothing():
    done = _ruff("format", "--check")
    assert done.returncode == 0, (
        "these files need `ruff format`:\n" + done.stdout + done.stderr
    )
