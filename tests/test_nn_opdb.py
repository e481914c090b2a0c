"""PyTorch's own test inputs for its operators (``op_db``), fed to their coursekit.nn counterparts.

``torch.testing._internal.common_methods_invocations.op_db`` holds, for every operator, the
sample inputs and the error inputs PyTorch tests it with (importing it needs ``expecttest``).
Every sample of the operators below runs, in every dtype torch supports on the device and
with every conv method, through coursekit and torch; the outputs (and for float64 the
gradients) must agree within the dtype's tolerance, exactly for integers. Every error input
must make coursekit raise a ValueError or TypeError. What differs is listed in
``DIFFERENCES``, and the test checks that exactly those differ.

The inputs are pinned to torch 2.13.0: the number of samples is asserted, so that a new
torch that changes them fails here rather than silently testing something else. To run
in about a minute on 2 cores, the largest families are cut down deterministically:

- every ``STRIDE``-th sample only, the offset turning with the dtype, so that each sample
  still runs in some dtype;
- max_pool2d (1,440 samples a dtype, each made anew) in the dtypes ``ONLY`` names: one
  integer type of each signedness (int8, int16 and int32 take int64's path) and every
  floating type; the samples of max_unpool2d's "grad" variant, a subset of its main
  variant's with unique indices, in float64 only, where the gradients are checked.
"""

import pytest
import torch

from coursekit.nn import functional as F
from coursekit.nn.conv import METHODS as ALL_METHODS

# The methods that serve every convolution; Winograd's serve stride-1 3x3 kernels only and are
# compared with torch on those in tests/test_nn_winograd.py.
METHODS = tuple(m for m in ALL_METHODS if not m.startswith("winograd"))

OPS = {  # op_db name -> coursekit's counterpart, called with torch's arguments
    "nn.functional.conv1d": F.conv1d,
    "nn.functional.conv2d": F.conv2d,
    "nn.functional.conv_transpose2d": F.conv_transpose2d,
    "nn.functional.max_pool2d": F.max_pool2d,
    "nn.functional.avg_pool2d": F.avg_pool2d,
    "nn.functional.max_unpool2d": F.max_unpool2d,
    "nn.functional.unfold": F.unfold,
    "nn.functional.pad": F.pad,
}
CONVOLUTIONS = {
    "nn.functional.conv1d",
    "nn.functional.conv2d",
    "nn.functional.conv_transpose2d",
}
WITH_ERROR_INPUTS = [
    "nn.functional.avg_pool2d",
    "nn.functional.conv1d",
    "nn.functional.conv2d",
    "nn.functional.max_pool2d",
    "nn.functional.max_unpool2d",
]
STRIDE = {
    "nn.functional.max_pool2d": 6,
    "nn.functional.max_unpool2d": 3,
    "nn.functional.unfold": 2,
}
ONLY = {
    ("nn.functional.max_pool2d", ""): [
        torch.bfloat16,
        torch.float16,
        torch.float32,
        torch.float64,
        torch.int64,
        torch.uint8,
    ],
    ("nn.functional.max_unpool2d", "grad"): [torch.float64],
}

# (op, variant) -> samples over the dtypes torch 2.13.0 supports on the CPU (or ONLY), before STRIDE
PINNED = {
    ("nn.functional.conv1d", ""): 70,
    ("nn.functional.conv2d", ""): 210,
    ("nn.functional.conv_transpose2d", ""): 84,
    ("nn.functional.max_pool2d", ""): 8640,
    ("nn.functional.avg_pool2d", ""): 35,
    ("nn.functional.max_unpool2d", ""): 1152,
    ("nn.functional.max_unpool2d", "grad"): 35,
    ("nn.functional.unfold", ""): 1141,
    ("nn.functional.pad", "constant"): 612,
    ("nn.functional.pad", "reflect"): 132,
    ("nn.functional.pad", "replicate"): 132,
    ("nn.functional.pad", "replicate_negative"): 66,
    ("nn.functional.pad", "circular"): 90,
}

# (op, variant, dtype, method) -> why coursekit differs from torch there; empty: none is known.
# coursekit also serves inputs torch refuses (integer unfold and transposed convolutions,
# complex average pooling), which op_db does not feed; pad's own differences (torch reading
# past the input for circular padding that wraps twice) are in tests/test_nn_padding.py.
DIFFERENCES = {}

TOLERANCE = {  # relative, and absolute relative to the largest |value|; integers are exact
    torch.float16: 1e-3,
    torch.bfloat16: 1.6e-2,
    torch.float32: 1.3e-6,
    torch.complex64: 1.3e-6,
    torch.float64: 1e-7,
    torch.complex128: 1e-7,
}


@pytest.fixture(scope="module")
def op_db():
    """The entries of OPS in torch's op_db (imported here: it takes seconds, and needs expecttest)."""
    from torch.testing._internal.common_methods_invocations import op_db

    return {(op.name, op.variant_test_name): op for op in op_db if op.name in OPS}


def _tensors(out):
    return [
        t
        for t in (out if isinstance(out, (tuple, list)) else [out])
        if isinstance(t, torch.Tensor)
    ]


def _mismatch(out, ref):
    """Why ``out`` is not ``ref`` within the dtype's tolerance, or None."""
    if out.shape != ref.shape or out.dtype != ref.dtype or out.device != ref.device:
        return f"{tuple(out.shape)} {out.dtype} {out.device} for {tuple(ref.shape)} {ref.dtype} {ref.device}"
    if ref.dtype not in TOLERANCE:
        return None if torch.equal(out, ref) else "integers differ"
    tol = TOLERANCE[ref.dtype]
    scale = max(1.0, float(ref.detach().abs().max())) if ref.numel() else 1.0
    try:
        torch.testing.assert_close(out, ref, rtol=tol, atol=tol * scale, equal_nan=True)
    except AssertionError as error:
        return str(error).splitlines()[-2].strip()
    return None


def _gradients(outputs, leaves, seed):
    """Gradients of the floating outputs, each times a fixed random tensor, with respect to ``leaves``."""
    outputs = [o for o in outputs if o.is_floating_point() or o.is_complex()]
    g = torch.Generator().manual_seed(seed)
    weights = [
        torch.randn(o.shape, generator=g, dtype=o.dtype).to(o.device) for o in outputs
    ]
    return torch.autograd.grad(outputs, leaves, weights, allow_unused=True)


def _run(op, ours, device, dtype, offset):
    """Every (strided) sample of ``op`` in ``dtype``: how many there are, how many were checked, what differed."""
    name = op.name
    methods = METHODS if name in CONVOLUTIONS else (None,)
    stride = STRIDE.get(name, 1)
    gradients = dtype == torch.float64 and op.supports_autograd
    torch.manual_seed(0)
    total, checked, differ = 0, 0, {}
    for i, sample in enumerate(
        op.sample_inputs(device, dtype, requires_grad=gradients)
    ):
        total += 1
        if i % stride != offset % stride:
            continue
        args = (sample.input, *sample.args)
        ref = _tensors(op.op(*args, **sample.kwargs))
        leaves = [
            t
            for t in (*args, *sample.kwargs.values())
            if isinstance(t, torch.Tensor) and t.requires_grad
        ]
        ref_grads = _gradients(ref, leaves, i) if gradients and leaves else None
        for method in methods:
            key = (name, op.variant_test_name, dtype, method)
            kwargs = (
                sample.kwargs if method is None else dict(sample.kwargs, method=method)
            )
            checked += 1
            try:
                out = _tensors(ours(*args, **kwargs))
            except (TypeError, ValueError) as error:
                differ.setdefault(key, f"sample {i} raised {error}")
                continue
            problems = [_mismatch(o, r) for o, r in zip(out, ref)]
            if ref_grads is not None:
                for a, b in zip(_gradients(out, leaves, i), ref_grads):
                    if (a is None) != (b is None):
                        problems.append("a gradient is missing")
                    elif a is not None:
                        problems.append(_mismatch(a, b))
            problems = [p for p in problems if p]
            if problems:
                differ.setdefault(key, f"sample {i}: {problems[0]}")
    return total, checked, differ


@pytest.mark.parametrize("name, variant", sorted(PINNED))
def test_samples_match_torch(device, op_db, name, variant):
    op = op_db[name, variant]
    dtypes = sorted(op.supported_dtypes(device.type), key=str)
    dtypes = [d for d in ONLY.get((name, variant), dtypes) if d in dtypes]
    total, checked, differ = 0, 0, {}
    for offset, dtype in enumerate(dtypes):
        n, c, d = _run(op, OPS[name], device.type, dtype, offset)
        total, checked = total + n, checked + c
        differ.update(d)
    assert checked >= total // STRIDE.get(name, 1) > 0
    if device.type == "cpu" and torch.__version__.startswith("2.13.0"):
        assert total == PINNED[name, variant], (
            "op_db's samples changed: update PINNED after checking them"
        )
    documented = {
        key for key in DIFFERENCES if key[:2] == (name, variant) and key[2] in dtypes
    }
    assert {k: v for k, v in differ.items() if k not in documented} == {}
    assert documented <= set(differ), (
        f"documented differences that no longer occur: {documented - set(differ)}"
    )


@pytest.mark.parametrize("name", WITH_ERROR_INPUTS)
def test_error_inputs_raise_clearly(device, op_db, name):
    op = op_db[name, ""]
    errors = list(op.error_inputs(device.type))
    assert errors
    for error in errors:
        sample = error.sample_input
        for method in METHODS if name in CONVOLUTIONS else (None,):
            kwargs = (
                sample.kwargs if method is None else dict(sample.kwargs, method=method)
            )
            with pytest.raises((TypeError, ValueError)):
                OPS[name](sample.input, *sample.args, **kwargs)


def test_pinned_to_torch_2_13(op_db):
    if not torch.__version__.startswith("2.13.0"):
        pytest.skip(
            f"the samples are those of torch 2.13.0; this is torch {torch.__version__}"
        )
    assert set(op_db) == set(PINNED)
    assert (
        sorted(
            name for (name, _), op in op_db.items() if op.error_inputs_func is not None
        )
        == WITH_ERROR_INPUTS
    )


def test_a_difference_is_caught(op_db):
    # the comparison itself: an average pooling whose every output is off by 1 is reported
    op = op_db["nn.functional.avg_pool2d", ""]
    total, checked, differ = _run(
        op,
        lambda *args, **kwargs: F.avg_pool2d(*args, **kwargs) + 1,
        "cpu",
        torch.float64,
        0,
    )
    assert checked == total == 7 and list(differ) == [
        ("nn.functional.avg_pool2d", "", torch.float64, None)
    ]
