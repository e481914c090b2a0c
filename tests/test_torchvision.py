"""coursekit._torchvision: torchvision imports, also where its compiled extension cannot load.

The workaround is tested in fresh interpreters against stand-in ``torchvision`` packages that fail the
way the real one does (the real one may or may not fail on a given machine).
"""

import pathlib
import subprocess
import sys
import textwrap

import pytest

from coursekit._torchvision import import_torchvision

ROOT = pathlib.Path(__file__).resolve().parent.parent

# fails like torchvision 0.28 beside a CPU torch: unless torchvision::nms has a schema
FAILS_WITHOUT_NMS = """
import torch
try:
    torch._C._dispatch_find_schema_or_throw("torchvision::nms", "")
except RuntimeError:
    raise RuntimeError("operator torchvision::nms does not exist")
__version__ = "stand-in"
"""


def run_with(tmp_path, package_source, code):
    """Run ``code`` in a fresh interpreter that finds a stand-in ``torchvision`` package first."""
    (tmp_path / "torchvision").mkdir()
    (tmp_path / "torchvision" / "__init__.py").write_text(
        textwrap.dedent(package_source)
    )
    env = {"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


class TestImportTorchvision:
    def test_real_torchvision(self):
        tv = import_torchvision()
        assert tv.__version__.startswith("0.28")
        from torchvision.transforms import v2

        assert callable(tv.models.densenet121) and callable(v2.RandomCrop)
        assert import_torchvision() is tv

    def test_defines_the_schemas_when_the_import_fails(self, tmp_path):
        result = run_with(
            tmp_path,
            FAILS_WITHOUT_NMS,
            """
            import gc
            from coursekit._torchvision import import_torchvision
            tv = import_torchvision()
            gc.collect()
            import torch
            torch._C._dispatch_find_schema_or_throw("torchvision::qnms", "")
            print(tv.__version__, import_torchvision() is tv)
        """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["stand-in", "True"]

    def test_defines_nothing_when_the_import_works(self, tmp_path):
        result = run_with(
            tmp_path,
            "__version__ = 'fine'",
            """
            import coursekit._torchvision as helper
            print(helper.import_torchvision().__version__, helper._library is None)
        """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["fine", "True"]

    def test_other_errors_propagate(self, tmp_path):
        result = run_with(
            tmp_path,
            "raise RuntimeError('something else broke')",
            """
            from coursekit._torchvision import import_torchvision
            import_torchvision()
        """,
        )
        assert (
            result.returncode != 0
            and "RuntimeError: something else broke" in result.stderr
        )

    def test_missing_torchvision(self, monkeypatch):
        # makes `import torchvision` fail
        monkeypatch.setitem(sys.modules, "torchvision", None)
        with pytest.raises(ImportError, match=r"pip install torchvision==0\.28\.0"):
            import_torchvision()
