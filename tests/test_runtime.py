import random

import numpy as np
import pytest
import torch

from coursekit import device, seed_everything


class TestDevice:
    def test_default_is_an_available_device(self, monkeypatch):
        monkeypatch.delenv("COURSEKIT_DEVICE", raising=False)
        expected = "cuda" if torch.cuda.is_available() else "cpu"
        if not torch.cuda.is_available() and torch.backends.mps.is_available():
            expected = "mps"
        assert device().type == expected

    def test_prefer_cpu(self):
        assert device("cpu") == torch.device("cpu")
        assert device(torch.device("cpu")) == torch.device("cpu")

    def test_environment_overrides(self, monkeypatch):
        monkeypatch.setenv("COURSEKIT_DEVICE", "cpu")
        assert device() == torch.device("cpu")

    def test_environment_unknown(self, monkeypatch):
        monkeypatch.setenv("COURSEKIT_DEVICE", "tpu")
        with pytest.raises(
            ValueError,
            match=r"COURSEKIT_DEVICE must name one of 'cuda', 'mps', 'cpu'; got 'tpu'",
        ):
            device()

    def test_unknown(self):
        with pytest.raises(ValueError, match=r"prefer must name one of .*got 'gpu'"):
            device("gpu")

    def test_wrong_type(self):
        with pytest.raises(
            TypeError, match="prefer must be a str or torch.device; got int"
        ):
            device(0)

    @pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
    def test_unavailable(self):
        with pytest.raises(
            ValueError, match=r"prefer='cuda' is not available on this machine"
        ):
            device("cuda")

    def test_cuda_index_out_of_range(self):
        if not torch.cuda.is_available():
            pytest.skip("no CUDA device")
        with pytest.raises(ValueError, match="asks for GPU 99"):
            device("cuda:99")


class TestSeedEverything:
    def test_repeats_every_generator(self):
        seed_everything(123)
        first = (random.random(), np.random.rand(), torch.rand(3))
        seed_everything(123)
        second = (random.random(), np.random.rand(), torch.rand(3))
        assert first[0] == second[0] and first[1] == second[1]
        assert torch.equal(first[2], second[2])

    def test_returns_a_seeded_generator(self):
        assert seed_everything(5).random() == np.random.default_rng(5).random()

    @pytest.mark.parametrize("bad", [-1, 2**32])
    def test_out_of_range(self, bad):
        with pytest.raises(ValueError, match="seed must be"):
            seed_everything(bad)

    def test_not_an_int(self):
        with pytest.raises(TypeError, match="seed must be an int; got float"):
            seed_everything(1.5)
