"""coursekit.interpret on networks with known answers, against brute force and the CAM formula."""

import pytest
import torch
from torch import nn

from coursekit.interpret import feature_maps, grad_cam, occlusion, saliency


class OnePixel(nn.Module):
    """Class 0 scores 3 x[n, 1, 2, 5], class 1 scores -x[n, 0, 2, 5]: nothing else matters."""

    def __init__(self):
        super().__init__()
        self.features = nn.Identity()
        self.scale = nn.Parameter(torch.tensor(3.0))

    def forward(self, x):
        x = self.features(x)
        return torch.stack([self.scale * x[:, 1, 2, 5], -x[:, 0, 2, 5]], dim=1)


def small_cnn(device, dtype=torch.float64):
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Conv2d(4, 3, 3, stride=2),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(3, 5),
    ).to(device, dtype)


def brute_force_occlusion(model, x, target, window, stride):
    """The definition, one image, one window at a time."""
    N, C, H, W = x.shape
    total, count = (
        torch.zeros(N, H, W, dtype=x.dtype, device=x.device),
        torch.zeros(H, W, dtype=x.dtype, device=x.device),
    )
    with torch.no_grad():
        base = model(x)[:, target]
        rows = sorted(set(list(range(0, H - window + 1, stride)) + [H - window]))
        cols = sorted(set(list(range(0, W - window + 1, stride)) + [W - window]))
        for i in rows:
            for j in cols:
                covered = x.clone()
                covered[:, :, i : i + window, j : j + window] = 0
                total[:, i : i + window, j : j + window] += (
                    base - model(covered)[:, target]
                )[:, None, None]
                count[i : i + window, j : j + window] += 1
    return total / count.clamp(min=1)  # pixels that no window covers: 0


class TestSaliency:
    def test_one_pixel(self, device):
        x = torch.rand(2, 2, 6, 8, device=device)
        expected = torch.zeros(2, 6, 8, device=device)
        expected[:, 2, 5] = 3
        torch.testing.assert_close(saliency(OnePixel().to(device), x, 0), expected)
        expected[:, 2, 5] = 1
        torch.testing.assert_close(saliency(OnePixel().to(device), x, [1, 1]), expected)

    def test_matches_autograd(self, device):
        model = small_cnn(device).train()
        x = torch.randn(3, 2, 9, 9, dtype=torch.float64, device=device)
        target = torch.tensor([0, 4, 2])
        out = saliency(model, x, target)
        xs = x.clone().requires_grad_()
        model.eval()
        model(xs).gather(1, target[:, None].to(device)).sum().backward()
        torch.testing.assert_close(out, xs.grad.abs().amax(1))
        assert (
            out.shape == (3, 9, 9)
            and out.device == x.device
            and out.dtype == torch.float64
        )

    def test_leaves_the_model_alone(self):
        model = small_cnn("cpu").train()
        saliency(model, torch.randn(2, 2, 9, 9, dtype=torch.float64), 1)
        assert model.training and all(p.grad is None for p in model.parameters())
        # evaluation mode: batch norm statistics untouched
        assert int(model[1].num_batches_tracked) == 0


class TestOcclusion:
    def test_one_pixel(self, device):
        x = torch.rand(2, 2, 6, 8, device=device)
        out = occlusion(OnePixel().to(device), x, 0, window=1, stride=1)
        expected = torch.zeros(2, 6, 8, device=device)
        expected[:, 2, 5] = 3 * x[:, 1, 2, 5]
        torch.testing.assert_close(out, expected)

    def test_one_pixel_large_window(self):
        x = torch.ones(1, 2, 6, 8)
        out = occlusion(OnePixel(), x, 0, window=3, stride=1)[0]
        # every window that covers it covers the pixel that matters
        assert out[2, 5] == 3
        assert out[0, 0] == 0 and out[5, 0] == 0  # no window there covers (2, 5)
        # some windows covering (0, 3) cover (2, 5), some do not
        assert 0 < out[0, 3] < 3

    @pytest.mark.parametrize(
        "window, stride, batch_size", [(3, 2, 64), (2, 3, 5), (7, 1, 1), (1, 4, 100)]
    )
    def test_matches_brute_force(self, device, window, stride, batch_size):
        model = small_cnn(device)
        model.eval()
        x = torch.randn(2, 2, 7, 7, dtype=torch.float64, device=device)
        out = occlusion(
            model, x, 3, window=window, stride=stride, batch_size=batch_size
        )
        torch.testing.assert_close(
            out, brute_force_occlusion(model, x, 3, window, stride)
        )

    def test_rectangular_window_and_baseline(self):
        model = OnePixel()
        x = torch.full((1, 2, 6, 8), 2.0)
        out = occlusion(model, x, 0, window=(1, 2), stride=(1, 2), baseline=0.5)[0]
        assert (
            out[2, 4] == out[2, 5] == pytest.approx(3 * (2.0 - 0.5)) and out[2, 6] == 0
        )

    def test_bad_window(self):
        with pytest.raises(
            ValueError, match=r"window must fit in the image \(6, 8\); got \(7, 1\)"
        ):
            occlusion(OnePixel(), torch.zeros(1, 2, 6, 8), 0, window=(7, 1), stride=1)
        with pytest.raises(ValueError, match="stride must be >= 1; got 0"):
            occlusion(OnePixel(), torch.zeros(1, 2, 6, 8), 0, window=2, stride=0)


class TestGradCam:
    def test_one_pixel(self, device):
        model = OnePixel().to(device)
        x = torch.randn(2, 2, 6, 8, device=device)
        # maps = x itself; only channel 1 at (2, 5) has a gradient, 3: alpha = (0, 3 / 48)
        torch.testing.assert_close(
            grad_cam(model, x, 0, model.features), torch.relu(x[:, 1] * 3 / 48)
        )

    @pytest.mark.parametrize("stride", [1, 2])
    def test_is_cam_for_global_average_pooling(self, device, stride):
        torch.manual_seed(0)
        conv = nn.Conv2d(2, 4, 3, stride=stride, padding=1).to(device, torch.float64)
        fc = nn.Linear(4, 3).to(device, torch.float64)
        model = nn.Sequential(
            conv, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), fc
        )
        x = torch.randn(2, 2, 8, 8, dtype=torch.float64, device=device)
        maps = torch.relu(conv(x)).detach()  # N,4,h,w
        h, w = maps.shape[-2:]
        # Zhou et al.
        cam = torch.relu(torch.einsum("k,nkij->nij", fc.weight[2].detach(), maps)) / (
            h * w
        )
        if stride > 1:
            cam = nn.functional.interpolate(
                cam[:, None], size=(8, 8), mode="bilinear", align_corners=False
            )[:, 0]
        torch.testing.assert_close(grad_cam(model, x, 2, model[1]), cam)

    def test_output(self, device):
        model = small_cnn(device).train()
        x = torch.randn(2, 2, 9, 9, dtype=torch.float64, device=device)
        out = grad_cam(model, x, [1, 2], model[3])
        assert (
            out.shape == (2, 9, 9)
            and out.dtype == torch.float64
            and out.device == x.device
        )
        assert (
            (out >= 0).all()
            and model.training
            and all(p.grad is None for p in model.parameters())
        )

    def test_layer_must_be_part_of_the_model(self):
        with pytest.raises(ValueError, match="layer must be a module of model"):
            grad_cam(OnePixel(), torch.zeros(1, 2, 6, 8), 0, nn.Identity())

    def test_layer_must_output_maps(self):
        model = small_cnn("cpu")
        with pytest.raises(
            ValueError,
            match=r"layer must output feature maps of shape \(N, K, h, w\) during the "
            r"forward pass; got \(1, 3\)",
        ):
            grad_cam(model, torch.zeros(1, 2, 9, 9, dtype=torch.float64), 0, model[6])


class TestFeatureMaps:
    def test_returns_the_layers_output(self):
        model = small_cnn("cpu")
        x = torch.randn(2, 2, 9, 9, dtype=torch.float64)
        model.eval()
        torch.testing.assert_close(feature_maps(model, x, model[3]), model[:4](x))
        assert not feature_maps(model, x, model[3]).requires_grad


class TestArguments:
    @pytest.mark.parametrize(
        "fn",
        [
            saliency,
            lambda m, x, t: occlusion(m, x, t, 2, 2),
            lambda m, x, t: grad_cam(m, x, t, getattr(m, "features", m)),
        ],
    )
    @pytest.mark.parametrize(
        "model, input, target, error, message",
        [
            (
                "net",
                torch.zeros(1, 2, 6, 8),
                0,
                TypeError,
                "model must be a torch.nn.Module; got str",
            ),
            (
                None,
                torch.zeros(2, 6, 8),
                0,
                ValueError,
                r"input must be a floating batch of shape \(N, C, H, W\); got torch.float32 of shape \(2, 6, 8\)",
            ),
            (
                None,
                torch.zeros(1, 2, 6, 8),
                2,
                ValueError,
                r"target must be a class index in 0..1; got \[2\]",
            ),
            (
                None,
                torch.zeros(2, 2, 6, 8),
                [0],
                ValueError,
                r"target must be an int or 2 ints, one per image",
            ),
            (
                None,
                torch.zeros(1, 2, 6, 8),
                0.5,
                ValueError,
                r"target must be an int or 1 ints",
            ),
        ],
    )
    def test_bad_input(self, fn, model, input, target, error, message):
        with pytest.raises(error, match=message):
            fn(OnePixel() if model is None else model, input, target)
