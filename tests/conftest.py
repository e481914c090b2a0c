"""Shared fixtures: the devices to test on and the hypothesis profiles."""

import os

import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _devices():
    found = [pytest.param("cpu", id="cpu")]
    found.append(
        pytest.param(
            "cuda",
            id="cuda",
            marks=pytest.mark.skipif(
                not torch.cuda.is_available(), reason="no CUDA device"
            ),
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


def pytest_terminal_summary(terminalreporter):
    """Say in one line each why whole groups of tests were skipped (no browser, no site, no GPU)."""
    reasons = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = (
            longrepr[2]
            if isinstance(longrepr, tuple) and len(longrepr) == 3
            else str(longrepr)
        )
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        terminalreporter.section("skipped tests, by reason")
        for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
            terminalreporter.write_line(f"{count:5d} skipped: {reason}")
