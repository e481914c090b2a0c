"""torchvision, imported so that it also works beside a CPU-only build of torch.

torchvision's wheels for Linux are built against CUDA: beside the CPU build of
torch that the course pins, its compiled extension cannot load (it links
``libc10_cuda.so``). torchvision 0.28 then fails at import with
``RuntimeError: operator torchvision::nms does not exist``, because it
registers fake kernels for its ``nms`` and ``qnms`` operators whether or not the
extension that defines them has loaded. Everything the course uses (models,
``transforms.v2``, datasets) is pure Python and needs neither operator, so
:func:`import_torchvision` defines the two operators' schemas (without kernels;
calling them raises) and imports again. Where the extension loads (a CUDA build of
torch, or a matching CPU build of torchvision) the first import succeeds and
nothing is defined.

Every use of torchvision in coursekit and its tests goes through this function.
"""

import sys

# The schemas of torchvision's own ``csrc/ops/nms.cpp``; only these two ops have fake kernels
# registered at import time.
_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_MISSING_OPERATOR = "operator torchvision::nms does not exist"
# The torch.library.Library holding the schemas; the definitions vanish when it is garbage collected.
_library = None


def import_torchvision():
    """Import and return ``torchvision``, working around a CUDA-only extension beside a CPU torch.

    Returns
    -------
    module
        The ``torchvision`` package.

    Raises
    ------
    ImportError
        If torchvision is not installed; the message names the version that matches the pinned torch.
    RuntimeError
        If torchvision fails to import for any reason other than the missing ``nms`` operator.

    Examples
    --------
    >>> tv = import_torchvision()
    >>> tv.__version__.startswith("0.28")
    True
    """
    global _library
    try:
        import torchvision
    except ModuleNotFoundError as err:
        raise ImportError(
            "coursekit needs torchvision for this (datasets, transforms, pretrained weights): "
            "pip install torchvision==0.28.0, the version built for torch 2.13"
        ) from err
    except RuntimeError as err:
        if _MISSING_OPERATOR not in str(err):
            raise
        import torch

        for name in [
            m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")
        ]:
            del sys.modules[name]  # forget the half-imported package
        _library = torch.library.Library("torchvision", "DEF")
        for schema in _SCHEMAS:
            _library.define(schema)
        import torchvision
    return torchvision
