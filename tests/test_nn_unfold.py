import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given

from coursekit.nn.unfold import unfold
from nn_strategies import assert_matches, conv_cases, randn, with_device


class TestUnfold:
    @with_device
    @given(case=conv_cases())
    def test_matches_torch(self, device, case):
        if isinstance(case["padding"], str):
            # "same" lets a case's input be smaller than its kernel; unfold has no "same",
            # and without padding such a window does not fit (torch refuses it too)
            case["padding"] = 0
            extent = [
                d * (k - 1) + 1 for k, d in zip(case["weight"][-2:], case["dilation"])
            ]
            assume(all(e <= n for e, n in zip(extent, case["input"][-2:])))
        kwargs = dict(
            kernel_size=case["weight"][-2:],
            dilation=case["dilation"],
            padding=case["padding"],
            stride=case["stride"],
        )
        for dtype in (torch.float32, torch.float64):
            x = randn(case["seed"], *case["input"], dtype=dtype, device=device)
            assert_matches(unfold(x, **kwargs), TF.unfold(x, **kwargs))

    @with_device
    @given(case=conv_cases())
    def test_empty_batch(self, device, case):
        if isinstance(case["padding"], str):
            # "same" lets a case's input be smaller than its kernel; unfold has no "same",
            # and without padding such a window does not fit (torch refuses it too)
            case["padding"] = 0
            extent = [
                d * (k - 1) + 1 for k, d in zip(case["weight"][-2:], case["dilation"])
            ]
            assume(all(e <= n for e, n in zip(extent, case["input"][-2:])))
        kwargs = dict(
            kernel_size=case["weight"][-2:],
            dilation=case["dilation"],
            padding=case["padding"],
            stride=case["stride"],
        )
        x = randn(case["seed"], 0, *case["input"][1:], device=device).requires_grad_()
        out, ref = unfold(x, **kwargs), TF.unfold(x, **kwargs)
        assert_matches(out, ref)
        (grad,) = torch.autograd.grad(out, x, torch.zeros_like(out))
        assert_matches(grad, torch.autograd.grad(ref, x, torch.zeros_like(ref))[0])

    def test_one_element_sizes(self):
        x = randn(0, 1, 2, 6, 5)
        assert_matches(unfold(x, (2,), (2,), (1,), (3,)), TF.unfold(x, 2, 2, 1, 3))

    def test_gradcheck(self):
        x = randn(0, 1, 2, 4, 5).requires_grad_()
        assert torch.autograd.gradcheck(
            lambda x: unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2), (x,)
        )

    def test_example(self):
        x = torch.arange(9.0).reshape(1, 1, 3, 3)
        assert unfold(x, 2).tolist() == [
            [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]
        ]

    def test_unbatched(self):
        x = randn(0, 2, 4, 4)
        assert_matches(unfold(x, 2), TF.unfold(x[None], 2)[0])

    def test_block_too_large(self):
        with pytest.raises(
            ValueError, match=r"Kernel size: \(3 x 3\). Kernel size can't be greater"
        ):
            unfold(torch.zeros(1, 1, 2, 2), 3)

    def test_non_int_kernel(self):
        with pytest.raises(
            TypeError, match=r"kernel_size must be an int; got float 2.0"
        ):
            unfold(torch.zeros(1, 1, 4, 4), 2.0)
