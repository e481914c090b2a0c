"""Tests of coursekit.train: fit, evaluate, History and plot_history."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from coursekit import data, models, seed_everything  # noqa: E402
from coursekit.train import History, evaluate, fit, plot_history  # noqa: E402


@pytest.fixture(scope="module")
def digits_subset():
    """200 training and 100 validation digits at 28x28: enough to see learning, fast on a CPU."""
    train = data.digits(split="train", format="tensors")
    valid = data.digits(split="test", format="tensors")
    return TensorDataset(train[0][:200], train[1][:200]), TensorDataset(
        valid[0][:100], valid[1][:100]
    )


def small_net(seed=0):
    seed_everything(seed)
    return models.model2()


def blobs(n=64, seed=0):
    """Two linearly separable classes in the plane."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    return TensorDataset(x, (x[:, 0] + x[:, 1] > 0).long())


class TestFit:
    def test_deterministic(self, digits_subset):
        train, valid = digits_subset
        first = fit(small_net(), train, valid, epochs=2, lr=0.005, progress=False)
        second = fit(small_net(), train, valid, epochs=2, lr=0.005, progress=False)
        assert first == second

    def test_other_seed_other_history(self, digits_subset):
        train, valid = digits_subset
        first = fit(
            small_net(), train, valid, epochs=1, lr=0.005, seed=0, progress=False
        )
        second = fit(
            small_net(), train, valid, epochs=1, lr=0.005, seed=1, progress=False
        )
        assert first.train_loss != second.train_loss

    def test_loss_decreases(self, digits_subset):
        train, valid = digits_subset
        history = fit(
            small_net(),
            train,
            valid,
            epochs=2,
            optimizer="adam",
            lr=0.005,
            batch_size=20,
            progress=False,
        )
        assert history.epochs == 2
        assert history.train_loss[1] < history.train_loss[0]
        assert history.valid_loss[1] < history.valid_loss[0]
        assert history.valid_accuracy[1] > 0.3
        assert all(
            0.0 <= a <= 1.0 for a in history.train_accuracy + history.valid_accuracy
        )

    def test_dataloader_equals_dataset_with_same_shuffle(self):
        train, valid = blobs(seed=0), blobs(seed=1)
        torch.manual_seed(0)
        net = torch.nn.Linear(2, 2)
        start = {k: v.clone() for k, v in net.state_dict().items()}
        from_dataset = fit(
            net, train, valid, epochs=2, lr=0.1, batch_size=16, progress=False
        )
        net.load_state_dict(start)
        loader = DataLoader(
            train,
            batch_size=16,
            shuffle=True,
            generator=torch.Generator().manual_seed(0),
        )
        from_loader = fit(
            net,
            loader,
            DataLoader(valid, batch_size=16),
            epochs=2,
            lr=0.1,
            progress=False,
        )
        assert from_loader == from_dataset

    def test_optimizer_forms_agree(self):
        train = blobs()
        runs = []
        for optimizer in ("sgd", lambda params: torch.optim.SGD(params, lr=0.1), None):
            torch.manual_seed(0)
            net = torch.nn.Linear(2, 2)
            if optimizer is None:
                optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
            lr = 0.1 if optimizer == "sgd" else None
            runs.append(
                fit(
                    net,
                    train,
                    train,
                    epochs=2,
                    optimizer=optimizer,
                    lr=lr,
                    progress=False,
                )
            )
        assert runs[0] == runs[1] == runs[2]

    def test_default_learning_rate(self):
        history = fit(
            torch.nn.Linear(2, 2), blobs(), blobs(seed=1), epochs=1, progress=False
        )
        assert history.epochs == 1

    def test_device(self, device):
        seed_everything(0)
        net = models.model2()
        images = torch.rand(8, 1, 28, 28)
        train = TensorDataset(images, torch.arange(8) % 10)
        history = fit(
            net, train, train, epochs=1, lr=0.005, device=device, progress=False
        )
        assert history.epochs == 1
        assert next(net.parameters()).device.type == device.type

    def test_model_device_by_default(self, device):
        net = torch.nn.Linear(2, 2, device=device)
        fit(net, blobs(), blobs(), epochs=1, progress=False)
        assert net.weight.device.type == device.type

    def test_inputs_take_model_dtype(self):
        net = torch.nn.Linear(2, 2, dtype=torch.float64)
        history = fit(net, blobs(), blobs(), epochs=1, lr=0.1, progress=False)
        assert net.weight.dtype == torch.float64 and history.epochs == 1

    def test_progress_bar_on_stderr(self, capsys):
        fit(torch.nn.Linear(2, 2), blobs(), blobs(), epochs=2, progress=True)
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "epoch 2/2" in captured.err

    def test_silent_without_progress(self, capsys):
        fit(torch.nn.Linear(2, 2), blobs(), blobs(), epochs=1, progress=False)
        assert capsys.readouterr().err == ""

    def test_custom_loss(self):
        calls = []

        def loss(outputs, targets):
            calls.append(len(targets))
            return torch.nn.functional.cross_entropy(outputs, targets)

        fit(
            torch.nn.Linear(2, 2),
            blobs(n=10),
            blobs(n=6),
            epochs=1,
            batch_size=4,
            progress=False,
            loss=loss,
        )
        assert calls == [4, 4, 2, 4, 2]

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            ({"epochs": 0}, ValueError, r"epochs must be >= 1; got 0"),
            ({"epochs": 1.5}, TypeError, r"epochs must be an int; got float 1.5"),
            ({"batch_size": 0}, ValueError, r"batch_size must be >= 1; got 0"),
            ({"seed": -1}, ValueError, r"seed must be >= 0; got -1"),
            (
                {"optimizer": "adagrad"},
                ValueError,
                r"optimizer must be one of 'adam', 'sgd', 'adamw'; got 'adagrad'",
            ),
            (
                {"optimizer": 3},
                TypeError,
                r"optimizer must be a name .* or a callable params -> Optimizer; got int",
            ),
            (
                {"optimizer": lambda p: 3},
                TypeError,
                r"optimizer\(params\) must return a torch.optim.Optimizer; got int",
            ),
            ({"lr": -0.1}, ValueError, r"lr must be a positive number; got -0.1"),
            (
                {"optimizer": lambda p: torch.optim.SGD(p, lr=0.1), "lr": 0.1},
                ValueError,
                r"lr is only used with an optimizer name such as 'adam'; got lr=0.1 with a function",
            ),
            (
                {"loss": "mse"},
                TypeError,
                r"loss must be a callable loss\(outputs, targets\); got str",
            ),
            ({"progress": 1}, TypeError, r"progress must be a bool; got int"),
            (
                {"device": "tpu"},
                ValueError,
                r"prefer must name one of 'cuda', 'mps', 'cpu'; got 'tpu'",
            ),
        ],
    )
    def test_errors(self, kwargs, error, message):
        arguments = {"epochs": 1, "progress": False} | kwargs
        with pytest.raises(error, match=message):
            fit(torch.nn.Linear(2, 2), blobs(), blobs(), **arguments)

    def test_model_must_be_a_module(self):
        with pytest.raises(
            TypeError, match=r"model must be a torch.nn.Module; got function"
        ):
            fit(lambda x: x, blobs(), blobs(), epochs=1)

    def test_train_must_be_data(self):
        with pytest.raises(
            TypeError, match=r"train must be a torch Dataset or DataLoader; got list"
        ):
            fit(torch.nn.Linear(2, 2), [(1, 2)], blobs(), epochs=1)

    def test_valid_must_be_data(self):
        with pytest.raises(
            TypeError, match=r"valid must be a torch Dataset or DataLoader; got tuple"
        ):
            fit(torch.nn.Linear(2, 2), blobs(), (1, 2), epochs=1)

    def test_train_must_not_be_empty(self):
        empty = TensorDataset(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))
        with pytest.raises(ValueError, match=r"train must not be empty"):
            fit(torch.nn.Linear(2, 2), empty, blobs(), epochs=1)


class TestEvaluate:
    def test_constructed_case(self):
        net = torch.nn.Linear(2, 3, bias=False)
        with torch.no_grad():
            net.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
        inputs = torch.tensor([[2.0, 0.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
        targets = torch.tensor([0, 1, 2, 0])  # right, right, wrong, wrong
        loss, accuracy = evaluate(net, TensorDataset(inputs, targets), batch_size=3)
        scores = inputs @ net.weight.detach().T
        expected = -torch.log_softmax(scores, dim=1)[torch.arange(4), targets].mean()
        assert accuracy == 0.5
        assert loss == pytest.approx(float(expected), rel=1e-6)

    def test_restores_training_mode_and_does_not_track_gradients(self):
        net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
        net.train()
        loss_a, _ = evaluate(net, blobs())
        loss_b, _ = evaluate(net, blobs())
        assert loss_a == loss_b  # dropout was off
        assert net.training
        assert net[0].weight.grad is None

    def test_device(self, device):
        net = torch.nn.Linear(2, 2, device=device)
        loss, accuracy = evaluate(net, DataLoader(blobs(), batch_size=7))
        assert 0.0 <= accuracy <= 1.0 and loss > 0.0

    def test_custom_loss(self):
        net = torch.nn.Linear(2, 2)
        loss, _ = evaluate(
            net, blobs(), loss=lambda outputs, targets: outputs.sum() * 0
        )
        assert loss == 0.0

    def test_errors(self):
        with pytest.raises(
            TypeError, match=r"data must be a torch Dataset or DataLoader; got ndarray"
        ):
            import numpy as np

            evaluate(torch.nn.Linear(2, 2), np.zeros((3, 2)))
        with pytest.raises(ValueError, match=r"batch_size must be >= 1; got 0"):
            evaluate(torch.nn.Linear(2, 2), blobs(), batch_size=0)
        with pytest.raises(ValueError, match=r"data must not be empty"):
            evaluate(
                torch.nn.Linear(2, 2),
                TensorDataset(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)),
            )


class TestHistory:
    def test_epochs_and_best(self):
        h = History([1.0, 0.5, 0.7], [0.5, 0.7, 0.8], [0.9, 0.4, 0.6], [0.6, 0.9, 0.8])
        assert h.epochs == 3
        assert h.best("valid_accuracy") == 0.9
        assert h.best("valid_loss") == 0.4
        assert h.best("train_loss") == 0.5

    def test_best_unknown_metric(self):
        with pytest.raises(
            ValueError, match=r"metric must be one of 'train_loss', .*; got 'f1'"
        ):
            History().best("f1")

    def test_plot(self):
        h = History([1.0, 0.5], [0.5, 0.7], [0.9, 0.4], [0.6, 0.9])
        axes = h.plot()
        assert [ax.get_ylabel() for ax in axes] == ["loss", "accuracy"]
        assert len(axes[1].lines) == 2
        plt.close("all")


class TestPlotHistory:
    def test_one_line_per_run(self):
        a = History([1.0], [0.5], [0.9], [0.6])
        b = History([1.0, 0.5], [0.5, 0.7], [0.9, 0.4], [0.6, 0.9])
        ax = plot_history(a, b, labels=["model1", "model2"])
        assert [line.get_label() for line in ax.lines] == ["model1", "model2"]
        assert list(ax.lines[1].get_ydata()) == [0.6, 0.9]
        plt.close("all")

    def test_metric_and_default_labels(self):
        ax = plot_history(
            History([1.0, 0.5], [0.5, 0.7], [0.9, 0.4], [0.6, 0.9]), metric="train_loss"
        )
        assert ax.get_ylabel() == "train loss" and ax.lines[0].get_label() == "run 1"
        plt.close("all")

    def test_errors(self):
        h = History([1.0], [0.5], [0.9], [0.6])
        with pytest.raises(
            ValueError, match=r"plot_history needs at least one History; got none"
        ):
            plot_history()
        with pytest.raises(
            TypeError, match=r"histories must be History objects; got dict"
        ):
            plot_history({})
        with pytest.raises(
            ValueError, match=r"labels must have one entry per history \(1\); got 2"
        ):
            plot_history(h, labels=["a", "b"])
        with pytest.raises(
            ValueError, match=r"metric must be one of .*; got 'accuracy'"
        ):
            plot_history(h, metric="accuracy")
