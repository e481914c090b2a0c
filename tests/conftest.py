"""Shared fixtures: the devices to test on and the hypothesis profiles."""

import os

import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _devices():
    found = [pytest.param("cpu", id="cpu")]
    found.append(
        pytest.param(
            "cuda", id="cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
        )
    )
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append(pytest.param("mps", id="mps"))
    return found


@pytest.fixture(params=_devices())
def device(request):
    """Each available torch device in turn: cpu, then cuda (skipped without one), then mps if present."""
    return torch.device(request.param)
