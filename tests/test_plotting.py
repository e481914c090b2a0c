"""coursekit.plotting draws what it is given, on the axes it is given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from coursekit.plotting import best_time, loglog_timings, show_image, stem  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


class TestStem:
    def test_positions_and_heights(self, ax):
        stems = stem(ax, [3, 7, 2], start=-1, label="c * d")
        np.testing.assert_array_equal(stems.markerline.get_xdata(), [-1, 0, 1])
        np.testing.assert_array_equal(stems.markerline.get_ydata(), [3, 7, 2])
        assert stems.get_label() == "c * d"

    def test_torch_tensor(self, ax, device):
        stems = stem(ax, torch.tensor([1.0, 2.0], device=device))
        np.testing.assert_array_equal(stems.markerline.get_ydata(), [1.0, 2.0])

    def test_two_dimensional(self, ax):
        with pytest.raises(
            ValueError, match=r"x must be 1-D; got an array of shape \(1, 2\)"
        ):
            stem(ax, [[1, 2]])

    def test_start_not_int(self, ax):
        with pytest.raises(TypeError, match="start must be an int; got float 0.5"):
            stem(ax, [1, 2], start=0.5)


class TestShowImage:
    def test_gray_image_without_ticks(self, ax):
        shown = show_image(ax, np.eye(3), title="identity", colorbar=True)
        np.testing.assert_array_equal(shown.get_array(), np.eye(3))
        assert ax.get_title() == "identity"
        assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
        assert len(ax.figure.axes) == 2  # the image and its colour bar

    def test_colour_image(self, ax):
        shown = show_image(ax, np.zeros((2, 3, 3)))
        assert shown.get_array().shape == (2, 3, 3)

    def test_wrong_shape(self, ax):
        with pytest.raises(
            ValueError, match=r"image must be 2-D .* got shape \(2, 2, 2\)"
        ):
            show_image(ax, np.zeros((2, 2, 2)))


class TestBestTime:
    def test_calls_repeat_times(self):
        calls = []
        assert best_time(calls.append, 1, repeat=3) >= 0
        assert calls == [1, 1, 1]

    def test_repeat_not_int(self):
        with pytest.raises(TypeError, match="repeat must be an int; got float 2.0"):
            best_time(print, repeat=2.0)

    def test_repeat_too_small(self):
        with pytest.raises(ValueError, match="repeat must be >= 1; got 0"):
            best_time(print, repeat=0)


class TestLoglogTimings:
    def test_measured_line_and_guide(self, ax):
        lines = loglog_timings(
            ax, [10, 100, 1000], [1e-5, 1e-3, 1e-1], label="direct", slope=2
        )
        assert [line.get_label() for line in lines] == ["direct", "O(n^2)"]
        # through the last point
        np.testing.assert_allclose(lines[1].get_ydata(), [1e-5, 1e-3, 1e-1])
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"

    def test_without_guide(self, ax):
        assert len(loglog_timings(ax, [1, 2], [0.1, 0.2])) == 1

    def test_mismatched_lengths(self, ax):
        with pytest.raises(
            ValueError, match="sizes and times must have the same length; got 2 and 3"
        ):
            loglog_timings(ax, [1, 2], [1, 2, 3])

    def test_not_positive(self, ax):
        with pytest.raises(
            ValueError,
            match="sizes and times must be positive for log-log axes; got a value <= 0",
        ):
            loglog_timings(ax, [0, 2], [1, 2])
