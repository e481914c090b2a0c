"""coursekit.nn.autotune: benchmark mode for conv2d's method="auto"."""

import pytest
import torch
import torch.nn.functional as TF

from coursekit.nn import autotune
from coursekit.nn.functional import (
    benchmark_cache,
    benchmark_mode,
    choose_conv_method,
    clear_benchmark_cache,
    conv2d,
    conv_transpose2d,
)
from nn_strategies import assert_matches, randn


@pytest.fixture
def benchmark():
    """Benchmark mode on with an empty cache; off and empty again afterwards."""
    clear_benchmark_cache()
    previous = benchmark_mode(True)
    yield
    benchmark_mode(previous)
    clear_benchmark_cache()


class TestBenchmarkMode:
    def test_off_by_default(self):
        assert benchmark_mode() is False

    def test_times_once_per_configuration_and_caches_the_winner(
        self, benchmark, device, monkeypatch
    ):
        timed = []

        # "fft" is fastest on this make-believe machine
        def fake_times(run, methods, device):
            timed.extend(methods)
            for method in methods:
                run(method)
            return {method: {"fft": 1.0}.get(method, 2.0) for method in methods}

        monkeypatch.setattr(autotune, "_median_times", fake_times)
        x, w = (
            randn(0, 2, 3, 10, 10, device=device),
            randn(1, 4, 3, 3, 3, device=device),
        )
        out = conv2d(x, w, padding=1, method="auto")
        assert_matches(out, TF.conv2d(x, w, padding=1))
        assert timed == ["im2col", "fft", "direct", "winograd"]
        key = (
            (2, 3, 12, 12),
            (4, 3, 3, 3),
            (1, 1),
            (1, 1),
            1,
            torch.float64,
            x.device,
            False,
        )
        assert benchmark_cache() == {key: "fft"}
        conv2d(x, w, padding=1, method="auto")
        assert len(timed) == 4, "a cached configuration is not timed again"
        conv2d(x.float(), w.float(), padding=1, method="auto")
        assert len(timed) == 8, "another dtype is another configuration"

    def test_training_is_timed_and_cached_as_training(self, benchmark, monkeypatch):
        # with a gradient to record, the methods are timed recording it (Winograd's
        # forward pass then takes its differentiable path), and cached apart
        modes = []

        def fake_times(run, methods, device):
            modes.append(torch.is_grad_enabled())
            return {method: 1.0 for method in methods}

        monkeypatch.setattr(autotune, "_median_times", fake_times)
        x, w = randn(0, 1, 2, 8, 8), randn(1, 3, 2, 3, 3)
        conv2d(x, w, method="auto")
        conv2d(x, w.requires_grad_(), method="auto")
        with torch.no_grad():
            conv2d(x, w, method="auto")  # inference again: cached
        assert modes == [False, True]
        assert sorted(key[-1] for key in benchmark_cache()) == [False, True]

    def test_median_of_alternating_rounds(self, monkeypatch):
        # a make-believe clock that each call advances by its cost; every timed call follows an
        # untimed one (cost 0 here), after a warm-up of each method (cost 5)
        from types import SimpleNamespace

        clock, calls = [0.0], []
        timed = {"im2col": iter([1, 3, 3, 9, 3]), "fft": iter([2, 2, 2, 2, 2])}
        untimed = {"im2col": 0, "fft": 0}

        def run(method):
            calls.append(method)
            if len(calls) <= 2:
                clock[0] += 5
            elif calls[-2:] == [method, method] and len(calls) % 2 == 0:
                clock[0] += next(timed[method])
            else:
                clock[0] += untimed[method]

        monkeypatch.setattr(
            autotune, "time", SimpleNamespace(perf_counter=lambda: clock[0])
        )
        seconds = autotune._median_times(run, ("im2col", "fft"), torch.device("cpu"))
        rounds = [("im2col", "fft"), ("fft", "im2col")] * 3
        expected = ["im2col", "fft"]
        for first, second in rounds[:5]:  # each round starts one method later
            expected += [first, first, second, second]
        assert calls == expected
        # the median (3 and 2), not the fastest call (1 and 2): fft wins
        assert seconds == {"im2col": 3, "fft": 2}

    def test_real_timing_picks_a_candidate_and_computes_correctly(self, benchmark):
        x, w = (
            randn(0, 2, 8, 16, 16, dtype=torch.float32),
            randn(1, 8, 8, 3, 3, dtype=torch.float32),
        )
        assert_matches(
            conv2d(x, w, padding=1, method="auto"), TF.conv2d(x, w, padding=1)
        )
        (winner,) = benchmark_cache().values()
        assert winner in ("im2col", "fft", "direct", "winograd")

    def test_strided_and_transposed_calls(self, benchmark):
        x, w = randn(0, 1, 2, 9, 9), randn(1, 3, 2, 5, 5)
        assert_matches(conv2d(x, w, stride=2, method="auto"), TF.conv2d(x, w, stride=2))
        assert_matches(
            conv_transpose2d(x, w.transpose(0, 1), stride=2, method="auto"),
            TF.conv_transpose2d(x, w.transpose(0, 1), stride=2),
        )
        assert set(benchmark_cache().values()) <= {"im2col", "fft"}

    def test_gradients_flow(self, benchmark):
        x, w = (
            randn(0, 1, 2, 6, 6).requires_grad_(),
            randn(1, 2, 2, 3, 3).requires_grad_(),
        )
        assert torch.autograd.gradcheck(
            lambda x, w: conv2d(x, w, method="auto"), (x, w), fast_mode=True
        )

    def test_the_static_model_stays_the_default(self):
        clear_benchmark_cache()
        x, w = torch.zeros(1, 64, 56, 56), torch.zeros(64, 64, 3, 3)
        assert choose_conv_method(x, w, padding=1) == "im2col"
        conv2d(x[:, :, :8, :8], w, padding=1, method="auto")
        assert benchmark_cache() == {}

    def test_clear(self, benchmark):
        conv2d(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 3, 3), method="auto")
        assert len(benchmark_cache()) == 1
        benchmark_cache().clear()  # a copy
        assert len(benchmark_cache()) == 1
        clear_benchmark_cache()
        assert benchmark_cache() == {}

    def test_enabled_must_be_a_bool(self):
        with pytest.raises(TypeError, match="enabled must be a bool; got int 1"):
            benchmark_mode(1)


class TestCandidates:
    def test_winograd_only_where_it_applies(self):
        assert autotune.candidates((3, 3), (1, 1), (1, 1)) == (
            "im2col",
            "fft",
            "direct",
            "winograd",
        )
        assert autotune.candidates((3, 3), (2, 2), (1, 1)) == (
            "im2col",
            "fft",
            "direct",
        )
        assert autotune.candidates((3, 3), (1, 1), (2, 2)) == (
            "im2col",
            "fft",
            "direct",
        )
        assert autotune.candidates((1, 1), (1, 1), (1, 1)) == (
            "im2col",
            "fft",
            "direct",
        )
        assert autotune.candidates((11, 11), (4, 4), (1, 1)) == ("im2col", "fft")

    def test_never_the_less_accurate_tile(self):
        assert "winograd4x4" not in autotune.candidates((3, 3), (1, 1), (1, 1))
