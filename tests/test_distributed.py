"""Data-parallel training: two torchrun processes (gloo, CPU) compute what one process computes."""

import subprocess

import pytest
import torch

from coursekit import distributed
from coursekit.distributed import launch, main, train

# 5 steps of a global batch of 256 digits
SMALL = dict(epochs=1, batch_size=256, size=8)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread, as torchrun gives each of its processes: the runs compare like with like."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def single(one_thread):
    return train(**SMALL)


class TestTrain:
    def test_result(self, single):
        assert single["world_size"] == 1 and len(single["losses"]) == 1347 // 256
        assert (
            "conv1.weight" in single["state_dict"]
            and single["state_dict"]["conv1.weight"].device.type == "cpu"
        )

    def test_repeatable(self, single):
        again = train(**SMALL)
        assert again["losses"] == single["losses"]

    def test_loss_decreases(self):
        losses = train(epochs=1, batch_size=32, size=8)["losses"]
        assert sum(losses[-5:]) < sum(losses[:5])

    def test_device(self):
        with pytest.raises(
            ValueError, match="device must be one of 'cpu', 'cuda'; got 'tpu'"
        ):
            train(device="tpu")

    def test_batch_size(self):
        with pytest.raises(ValueError, match="batch_size must be >= 1; got 0"):
            train(batch_size=0)


class TestLaunch:
    @pytest.mark.slow
    def test_two_processes_equal_one(self, single):
        double = launch(2, **SMALL)
        assert double["world_size"] == 2
        torch.testing.assert_close(
            double["losses"], single["losses"], rtol=1e-5, atol=1e-6
        )
        assert list(double["state_dict"]) == list(single["state_dict"])
        for key, value in single["state_dict"].items():
            torch.testing.assert_close(
                double["state_dict"][key], value, rtol=1e-4, atol=1e-6
            )

    def test_unknown_option(self):
        with pytest.raises(
            ValueError, match="options must be among .*epochs.*; got learning_rate"
        ):
            launch(2, learning_rate=0.1)

    def test_nproc(self):
        with pytest.raises(ValueError, match="nproc_per_node must be >= 1; got 0"):
            launch(0)

    def test_failure_shows_output(self, monkeypatch):
        def failed(command, **kwargs):
            assert command[1:4] == ["-m", "torch.distributed.run", "--standalone"]
            return subprocess.CompletedProcess(
                command, 1, stdout="", stderr="ValueError: batch_size must be"
            )

        monkeypatch.setattr(distributed.subprocess, "run", failed)
        with pytest.raises(
            RuntimeError,
            match="torchrun exited with 1:\nValueError: batch_size must be",
        ):
            launch(2, batch_size=255)


class TestMain:
    def test_single_process_writes_result(self, tmp_path, monkeypatch, single):
        monkeypatch.delenv("WORLD_SIZE", raising=False)
        out = tmp_path / "result.pt"
        main(["--epochs", "1", "--batch-size", "256", "--size", "8", "--out", str(out)])
        saved = torch.load(out)
        assert saved["losses"] == single["losses"]

    def test_out_is_required(self, capsys):
        with pytest.raises(SystemExit):
            main([])
        assert "--out" in capsys.readouterr().err
