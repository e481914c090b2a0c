"""Hypothesis strategies and comparisons shared by the tests of coursekit.nn."""

import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# the device fixture is function scoped, but it never changes between examples
with_device = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

TOLERANCE = {
    torch.float32: 1e-5,
    torch.float64: 1e-10,
    torch.complex64: 1e-5,
    torch.complex128: 1e-10,
}


def assert_matches(out, ref):
    """``out`` equals torch's ``ref`` in shape, dtype and device, and to 1e-5 (float32, complex64) / 1e-10 (64-bit)."""
    assert out.shape == ref.shape
    assert out.dtype == ref.dtype and out.device == ref.device
    tol = TOLERANCE[ref.dtype]
    scale = max(1.0, float(ref.detach().abs().max())) if ref.numel() else 1.0
    torch.testing.assert_close(out, ref, rtol=tol, atol=tol * scale)


def randn(seed, *shape, dtype=torch.float64, device="cpu"):
    """Reproducible standard normal tensor."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(
        device=device, dtype=dtype
    )


pairs = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))


@st.composite
def conv_cases(draw, max_stride=3):
    """A conv2d call that torch accepts: shapes and keyword arguments (small sizes)."""
    groups = draw(st.sampled_from([1, 2]))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(
        st.one_of(
            st.integers(0, 2),
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
            st.sampled_from(["valid", "same"]),
        )
    )
    stride = (
        (1, 1)
        if padding == "same"
        else (draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride)))
    )
    pads = {"valid": (0, 0), "same": (0, 0)}.get(
        padding, padding if isinstance(padding, tuple) else (padding,) * 2
    )
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if padding == "same":
        sizes = [draw(st.integers(1, 12)), draw(st.integers(1, 12))]
    else:
        sizes = [draw(st.integers(max(1, e - 2 * p), 12)) for e, p in zip(extent, pads)]
    N = draw(st.integers(1, 2))
    C, O = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    return {
        "input": (N, C, *sizes),
        "weight": (O, C // groups, *kernel),
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "bias": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**16)),
    }


def assert_empty_batch(model, shape, device="cpu"):
    """``model`` takes a batch of zero samples of ``shape``, forward and backward, as torch's layers do.

    The output is empty with the input's dtype and device; the input gradient is empty and
    every parameter gradient exists and is zero (no sample contributes to it).
    """
    x = torch.zeros(0, *shape, device=device, requires_grad=True)
    out = model(x)
    out.sum().backward()
    assert out.shape[0] == 0 and out.dtype == x.dtype and out.device == x.device
    assert x.grad.shape == x.shape
    for name, p in model.named_parameters():
        assert p.grad is not None and not p.grad.any(), name
    return out
