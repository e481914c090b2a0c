"""The benchmark runs end to end in quick mode; speed itself is never asserted here."""

import json
import math

import pytest

from coursekit.bench.__main__ import main
from coursekit.bench.report import table
from coursekit.bench.rows import Row, failed


class TestRow:
    def test_ratio_and_target(self):
        row = Row("s", "c", "mine", 2.0, "ref", 4.0, limit=1.3)
        assert row.ratio == 0.5 and row.met is True
        assert Row("s", "c", "mine", 4.0, "ref", 2.0, limit=1.3).met is False

    def test_failed_rows_meet_nothing(self):
        row = failed("s", "c", "mine", "ref", "result differs")
        assert row.ratio is None and row.met is None and row.status.startswith("FAILED")

    def test_table_counts_targets(self):
        rows = [
            Row("s", "c", "a", 1.0, "r", 1.0, limit=1.3),
            Row("s", "c", "b", 3.0, "r", 1.0, limit=1.3),
        ]
        text = table(rows, {"cpu": "test"})
        assert "Targets met: 1 of 2" in text and "MISSED" in text


class TestMemoryGuard:
    def test_backward_bytes_counts_every_window(self):
        from coursekit.bench.layers import backward_bytes

        # 256x256, 16 channels, 31x31 "same": 65,536 outputs of 16 * 961 values, float32
        assert (
            backward_bytes((1, 16, 256, 256), (16, 16, 31, 31), 1, 15)
            == 4 * 65536 * 16 * 961
        )
        assert backward_bytes((2, 1, 5, 5), (1, 1, 3, 3), 2, 0) == 4 * 2 * 4 * 9

    def test_memory_is_positive(self):
        from coursekit.bench.layers import memory_bytes

        assert memory_bytes("cpu") > 2**28


def test_small_resnet_with_coursekit_layers_computes_the_same_function():
    import torch

    from coursekit import nn as cknn
    from coursekit.bench.layers import small_resnet

    mine, ref = small_resnet("coursekit").eval(), small_resnet("torch").eval()
    assert sum(isinstance(m, cknn.Conv2d) for m in mine.modules()) == 9
    assert not any(type(m) is torch.nn.Conv2d for m in mine.modules())
    x = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(mine(x), ref(x), atol=1e-5)


@pytest.mark.slow
def test_quick_mode_runs_checks_and_writes_finite_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert main(["--quick", "--json", str(path), "--device", "cpu"]) == 0, (
        "a correctness check failed"
    )
    out = capsys.readouterr().out
    assert "Machine:" in out and "Targets met:" in out
    result = json.loads(path.read_text())
    assert result["mode"] == "quick" and result["machine"]["cores"] >= 1
    timed = [r for r in result["rows"] if r["seconds"] is not None]
    assert timed, "nothing was timed"
    assert all(math.isfinite(r["seconds"]) and r["seconds"] > 0 for r in timed)


class TestPlots:
    def test_every_figure_draws_from_the_committed_json(self):
        import pathlib

        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from coursekit.bench import plots

        result = plots.load(
            pathlib.Path(__file__).parent.parent / "book" / "data" / "benchmarks.json"
        )
        fig, axes = plt.subplots(1, 5)
        plots.plot_convolve(result, axes[0])
        plots.plot_integers(result, axes[1])
        plots.plot_conv2d_ratios(result, axes[2])
        plots.plot_fft(result, axes[3])
        plots.plot_winograd(result, axes[4])
        assert axes[0].get_xscale() == "log" and axes[0].lines
        # every reference the appendix names is in the committed run: GMP, numpy.fft, Winograd
        assert "GMP (gmpy2)" in [line.get_label() for line in axes[1].lines]
        assert len(axes[3].lines) == 4 and not axes[3].texts
        assert axes[4].patches and not axes[4].texts
        plt.close(fig)


class TestNewPlots:
    """The FFT and Winograd figures, from rows shaped like the benchmark's."""

    ROWS = [
        {
            "suite": "fft",
            "case": f"n={n:,} ({kind})",
            "subject": "coursekit.fft.fft",
            "seconds": t,
            "reference": "numpy.fft.fft",
            "reference_seconds": t / 5,
            "status": "ok",
            "ratio": 5.0,
        }
        for n, kind, t in [
            (1024, "radix-2", 1e-4),
            (4096, "radix-2", 5e-4),
            (4099, "Bluestein", 3e-3),
        ]
    ] + [
        {
            "suite": "conv2d",
            "case": "VGG-16 conv3_3 [cpu]",
            "subject": f"{m} forward",
            "seconds": t,
            "reference": "im2col forward",
            "reference_seconds": 0.05,
            "status": "ok",
            "ratio": t / 0.05,
        }
        for m, t in [("winograd", 0.03), ("winograd4x4", 0.025)]
    ]

    def _axes(self):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        return plt.subplots(1, 2)

    def test_draw(self):
        from coursekit.bench import plots

        fig, axes = self._axes()
        plots.plot_fft({"rows": self.ROWS}, axes[0])
        plots.plot_winograd({"rows": self.ROWS}, axes[1])
        assert len(axes[0].lines) == 4 and axes[0].get_xscale() == "log"
        assert len(axes[1].patches) == 2
        fig.clf()

    def test_say_so_without_rows(self):
        from coursekit.bench import plots

        fig, axes = self._axes()
        plots.plot_fft({"rows": []}, axes[0])
        plots.plot_winograd({"rows": []}, axes[1])
        assert axes[0].texts[0].get_text() == "no FFT timings in this run"
        assert axes[1].texts[0].get_text() == "no Winograd timings on cpu in this run"
        fig.clf()


def _fake_clock(monkeypatch):
    """Replace the bench's clock by one that only the timed functions advance."""
    from types import SimpleNamespace

    from coursekit.bench import timing

    clock = [0.0]
    monkeypatch.setattr(timing, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    return clock


def test_median_times_settles_then_alternates_rounds(monkeypatch):
    from itertools import groupby

    from coursekit.bench import timing

    clock, calls = _fake_clock(monkeypatch), []

    def function(name, cost):
        def call():
            calls.append(name)
            clock[0] += cost

        return call

    # 4 ms and 20 ms calls: one call per sample, after 10 ms of untimed calls (3 and
    # 1), one sample a round each (5 ms hold one 4 ms call; a 20 ms call gets its one)
    a, b = timing.median_times(
        [function("a", 0.004), function("b", 0.02)], min_total=0.0, max_repeat=3
    )
    assert (a, b) == (pytest.approx(0.004), pytest.approx(0.02))
    runs = [(name, len(list(group))) for name, group in groupby(calls)]
    # a warm-up and a sizing call each, then rounds a-b, b-a, a-b (each one later)
    assert runs == [
        ("a", 2),
        ("b", 2),
        ("a", 4),
        ("b", 4),
        ("a", 8),
        ("b", 2),
    ]


def test_median_times_outvotes_a_stall_in_each_round(monkeypatch):
    from coursekit.bench import timing

    clock = _fake_clock(monkeypatch)
    count = [0]

    def call():  # 0.4 ms, but every tenth call stalls for 4 ms
        count[0] += 1
        clock[0] += 4e-4 + (4e-3 if count[0] % 10 == 0 else 0)

    # 12 samples a round (sized from the second call, 0.4 ms): a tenth of all stall
    assert timing.median_times([call], min_total=0.0, max_repeat=3) == [
        pytest.approx(4e-4)
    ]


def test_median_times_batches_short_calls(monkeypatch):
    from coursekit.bench import timing

    clock = _fake_clock(monkeypatch)

    def call():  # 10 us a call
        clock[0] += 1e-5

    # sized from its second call: batches of 100 calls, about 1 ms, five a round; a sample
    # is a batch's mean
    assert timing._plan(call, None) == (100, 5)
    assert timing.median_times([call], min_total=0.0, max_repeat=3) == [
        pytest.approx(1e-5)
    ]
