import pytest
import torch

from coursekit import nn
from nn_strategies import assert_matches, randn

CONV_CASES = [
    (nn.Conv2d, torch.nn.Conv2d, (3, 8, 5), {}, (2, 3, 12, 12)),
    (
        nn.Conv2d,
        torch.nn.Conv2d,
        (4, 6, (3, 2)),
        dict(stride=2, padding=1, dilation=(1, 2), groups=2),
        (1, 4, 9, 8),
    ),
    (
        nn.Conv2d,
        torch.nn.Conv2d,
        (2, 4, 3),
        dict(padding="same", bias=False, padding_mode="reflect"),
        (1, 2, 7, 6),
    ),
    (
        nn.Conv2d,
        torch.nn.Conv2d,
        (2, 2, 3),
        dict(padding=1, padding_mode="circular"),
        (2, 5, 5),
    ),
    (nn.Conv1d, torch.nn.Conv1d, (2, 4, 3), dict(stride=2, padding=1), (2, 2, 9)),
    (
        nn.Conv1d,
        torch.nn.Conv1d,
        (2, 4, 4),
        dict(padding="same", padding_mode="replicate"),
        (2, 2, 9),
    ),
    (
        nn.ConvTranspose2d,
        torch.nn.ConvTranspose2d,
        (4, 2, 3),
        dict(stride=2, padding=1, output_padding=1),
        (1, 4, 5, 5),
    ),
    (
        nn.ConvTranspose2d,
        torch.nn.ConvTranspose2d,
        (4, 6, 2),
        dict(groups=2, dilation=2, bias=False),
        (1, 4, 3, 4),
    ),
]
IDS = [f"{case[0].__name__}-{i}" for i, case in enumerate(CONV_CASES)]


class TestConvModules:
    @pytest.mark.parametrize("ours, theirs, args, kwargs, shape", CONV_CASES, ids=IDS)
    def test_state_dict_and_output(self, device, ours, theirs, args, kwargs, shape):
        mine = ours(*args, **kwargs, device=device, dtype=torch.float64)
        ref = theirs(*args, **kwargs, device=device, dtype=torch.float64)
        assert {k: v.shape for k, v in mine.state_dict().items()} == {
            k: v.shape for k, v in ref.state_dict().items()
        }
        mine.load_state_dict(ref.state_dict())
        x = randn(0, *shape, device=device)
        assert_matches(mine(x), ref(x))
        ref.load_state_dict(mine.state_dict())
        assert_matches(mine(x), ref(x))

    @pytest.mark.parametrize("ours, theirs, args, kwargs, shape", CONV_CASES, ids=IDS)
    def test_default_init_and_repr(self, ours, theirs, args, kwargs, shape):
        torch.manual_seed(0)
        ref = theirs(*args, **kwargs)
        torch.manual_seed(0)
        mine = ours(*args, **kwargs)
        for (name, p), (ref_name, q) in zip(
            mine.named_parameters(), ref.named_parameters()
        ):
            assert name == ref_name and torch.equal(p, q)
        assert repr(mine) == repr(ref)

    @pytest.mark.parametrize("method", ["direct", "im2col", "fft", "auto"])
    def test_method(self, method):
        mine, ref = (
            nn.Conv2d(2, 3, 3, padding=1, method=method, dtype=torch.float64),
            torch.nn.Conv2d(2, 3, 3, padding=1),
        )
        ref = ref.double()
        mine.load_state_dict(ref.state_dict())
        x = randn(0, 1, 2, 6, 6)
        assert_matches(mine(x), ref(x))
        assert (f"method={method}" in repr(mine)) == (method != "im2col")

    @pytest.mark.parametrize("method", ["direct", "im2col", "fft", "auto"])
    @pytest.mark.parametrize("ours, theirs, args, kwargs, shape", CONV_CASES, ids=IDS)
    def test_empty_batch(self, device, ours, theirs, args, kwargs, shape, method):
        mine = ours(*args, **kwargs, method=method, device=device, dtype=torch.float64)
        ref = theirs(*args, **kwargs, device=device, dtype=torch.float64)
        mine.load_state_dict(ref.state_dict())
        dims = 1 if ours is nn.Conv1d else 2
        x = randn(0, 0, *shape[-dims - 1 :], device=device)
        out, expected = mine(x), ref(x)
        assert_matches(out, expected)
        out.sum().backward()
        expected.sum().backward()
        for p, q in zip(mine.parameters(), ref.parameters()):
            assert_matches(p.grad, q.grad)

    @pytest.mark.parametrize("method", ["direct", "im2col", "fft", "auto"])
    @pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
    def test_half_precision(self, method, dtype):
        mine, ref = (
            nn.Conv2d(3, 4, 5, padding=2, method=method, dtype=dtype),
            torch.nn.Conv2d(3, 4, 5, padding=2),
        )
        ref = ref.to(dtype)
        mine.load_state_dict(ref.state_dict())
        x = randn(0, 2, 3, 9, 9).to(dtype)
        out, expected = mine(x), ref(x)
        eps, scale = torch.finfo(dtype).eps, float(expected.detach().abs().max())
        assert out.dtype == dtype
        torch.testing.assert_close(out, expected, rtol=eps, atol=eps * scale)

    def test_padding_modes_pad_by_indexing(self, monkeypatch):
        def forbidden(*args, **kwargs):
            raise AssertionError("coursekit pads with coursekit.nn.functional.pad")

        monkeypatch.setattr(torch.nn.functional, "pad", forbidden)
        for mode in ("reflect", "replicate", "circular"):
            nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode)(
                randn(0, 1, 2, 5, 5, dtype=torch.float32)
            )

    def test_gradients_match_torch(self):
        mine, ref = (
            nn.Conv2d(2, 4, 3, stride=2, groups=2),
            torch.nn.Conv2d(2, 4, 3, stride=2, groups=2),
        )
        mine.load_state_dict(ref.state_dict())
        x = randn(0, 2, 2, 9, 9, dtype=torch.float32)
        mine(x).square().sum().backward()
        ref(x).square().sum().backward()
        for p, q in zip(mine.parameters(), ref.parameters()):
            assert_matches(p.grad, q.grad)

    def test_transposed_output_size(self):
        mine, ref = (
            nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1),
            torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1),
        )
        mine.load_state_dict(ref.state_dict())
        x = randn(0, 1, 4, 5, 5, dtype=torch.float32)
        assert_matches(mine(x, output_size=(10, 10)), ref(x, output_size=(10, 10)))
        with pytest.raises(
            ValueError, match=r"output_size\[0\] must be between 9 and 10 .*got 11"
        ):
            mine(x, output_size=(11, 10))

    def test_groups_must_divide(self):
        with pytest.raises(
            ValueError,
            match=r"in_channels must be divisible by groups; got in_channels=3, groups=2",
        ):
            nn.Conv2d(3, 4, 3, groups=2)
        with pytest.raises(
            ValueError,
            match=r"out_channels must be divisible by groups; got out_channels=3, groups=2",
        ):
            nn.Conv2d(4, 3, 3, groups=2)

    def test_padding_mode(self):
        with pytest.raises(
            ValueError,
            match=r"padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular'",
        ):
            nn.Conv2d(1, 1, 3, padding_mode="mirror")
        with pytest.raises(
            ValueError,
            match=r"Only 'zeros' padding mode is supported for ConvTranspose2d",
        ):
            nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")

    def test_same_with_stride(self):
        with pytest.raises(
            ValueError,
            match=r"padding='same' is not supported for strided convolutions",
        ):
            nn.Conv2d(1, 1, 3, stride=2, padding="same")

    def test_kernel_size_type(self):
        with pytest.raises(
            TypeError, match=r"kernel_size must be an int; got float 3.0"
        ):
            nn.Conv2d(1, 1, 3.0)
        with pytest.raises(
            ValueError,
            match=r"kernel_size must be an int or a tuple of 2 ints; got \(3, 3, 3\)",
        ):
            nn.Conv2d(1, 1, (3, 3, 3))

    def test_unknown_method(self):
        with pytest.raises(
            ValueError,
            match=r"method must be one of 'auto', 'direct', 'im2col', 'fft', 'winograd', 'winograd4x4'; got",
        ):
            nn.Conv2d(1, 1, 3, method="fast")

    def test_model2_parameter_counts(self):
        assert sum(p.numel() for p in nn.Conv2d(1, 8, 5).parameters()) == 208
        assert sum(p.numel() for p in nn.Conv2d(8, 16, 3).parameters()) == 1168


POOL_CASES = [
    (nn.MaxPool2d, torch.nn.MaxPool2d, (2,), {}),
    (
        nn.MaxPool2d,
        torch.nn.MaxPool2d,
        (3,),
        dict(stride=2, padding=1, dilation=1, ceil_mode=True),
    ),
    (nn.MaxPool2d, torch.nn.MaxPool2d, ((2, 3),), dict(stride=(1, 2), dilation=(2, 1))),
    (nn.AvgPool2d, torch.nn.AvgPool2d, (2,), {}),
    (
        nn.AvgPool2d,
        torch.nn.AvgPool2d,
        (3,),
        dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    ),
    (nn.AvgPool2d, torch.nn.AvgPool2d, (2,), dict(divisor_override=3)),
]


class TestPoolModules:
    @pytest.mark.parametrize("ours, theirs, args, kwargs", POOL_CASES)
    def test_matches_torch(self, device, ours, theirs, args, kwargs):
        x = randn(0, 2, 3, 7, 8, device=device)
        assert_matches(ours(*args, **kwargs)(x), theirs(*args, **kwargs)(x))
        assert repr(ours(*args, **kwargs)) == repr(theirs(*args, **kwargs))
        assert (
            ours(*args, **kwargs).state_dict()
            == theirs(*args, **kwargs).state_dict()
            == {}
        )

    @pytest.mark.parametrize("ours, theirs, args, kwargs", POOL_CASES)
    def test_empty_batch(self, device, ours, theirs, args, kwargs):
        x = randn(0, 0, 3, 7, 8, device=device).requires_grad_()
        out, expected = ours(*args, **kwargs)(x), theirs(*args, **kwargs)(x)
        assert_matches(out, expected)
        assert torch.autograd.grad(out.sum(), x)[0].shape == x.shape

    def test_return_indices_and_unpool(self, device):
        x = randn(0, 1, 2, 6, 6, device=device)
        out, indices = nn.MaxPool2d(2, return_indices=True)(x)
        ref_out, ref_indices = torch.nn.MaxPool2d(2, return_indices=True)(x)
        assert torch.equal(out, ref_out) and torch.equal(indices, ref_indices)
        assert_matches(
            nn.MaxUnpool2d(2)(out, indices),
            torch.nn.MaxUnpool2d(2)(ref_out, ref_indices),
        )
        assert repr(nn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
