"""Training a classifier and keeping its history: ``fit``, ``evaluate``, ``History``, ``plot_history``.

A minimal, repeatable training loop for the networks of book parts 5 and 6: mini-batch
gradient descent over a labelled data set, with the loss and the accuracy
measured on the training batches and on a validation set after every epoch.
"""

import dataclasses
import sys

import torch

from ._validation import check_int, check_option

OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "adamw": "AdamW"}
METRICS = ("train_loss", "train_accuracy", "valid_loss", "valid_accuracy")


@dataclasses.dataclass
class History:
    """Per-epoch metrics of one training run, as returned by :func:`fit`.

    Parameters
    ----------
    train_loss : list of float
        Mean loss over each epoch's training batches, measured while the
        weights were being updated.
    train_accuracy : list of float
        Share of correct predictions over the same batches.
    valid_loss : list of float
        Mean loss on the validation data after each epoch.
    valid_accuracy : list of float
        Accuracy on the validation data after each epoch.

    See Also
    --------
    fit : returns one; book section 5.9, "Two networks for digits; LeNet-5", plots them.

    Examples
    --------
    >>> h = History(train_loss=[0.9, 0.4], train_accuracy=[0.7, 0.9], valid_loss=[0.5, 0.45],
    ...             valid_accuracy=[0.85, 0.875])
    >>> h.epochs, h.best("valid_accuracy")
    (2, 0.875)
    """

    train_loss: list = dataclasses.field(default_factory=list)
    train_accuracy: list = dataclasses.field(default_factory=list)
    valid_loss: list = dataclasses.field(default_factory=list)
    valid_accuracy: list = dataclasses.field(default_factory=list)

    @property
    def epochs(self):
        """Number of epochs recorded."""
        return len(self.train_loss)

    def best(self, metric="valid_accuracy"):
        """The best value of ``metric``: the largest accuracy or the smallest loss."""
        values = getattr(self, check_option(metric, "metric", METRICS))
        return max(values) if metric.endswith("accuracy") else min(values)

    def plot(self, axes=None):
        """Plot the losses (left) and the accuracies (right) of training and validation per epoch.

        Parameters
        ----------
        axes : pair of matplotlib Axes, optional
            Where to draw; a new figure with two panels by default.

        Returns
        -------
        pair of matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
        epochs = range(1, self.epochs + 1)
        for ax, kind in zip(axes, ("loss", "accuracy")):
            ax.plot(epochs, getattr(self, f"train_{kind}"), "o-", label="train")
            ax.plot(epochs, getattr(self, f"valid_{kind}"), "s-", label="validation")
            ax.set(xlabel="epoch", ylabel=kind)
            ax.legend()
        return axes


def plot_history(*histories, labels=None, metric="valid_accuracy", ax=None):
    """Plot one metric of several training runs against the epoch, in one plot.

    Parameters
    ----------
    *histories : History
        The runs to compare.
    labels : sequence of str, optional
        One legend entry per run; "run 1", "run 2", ... by default.
    metric : {"valid_accuracy", "valid_loss", "train_accuracy", "train_loss"}
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError, TypeError
        For no history, a non-History argument, a wrong number of labels or an unknown metric.

    See Also
    --------
    fit : book section 5.9, "Two networks for digits; LeNet-5", compares model1 and
        model2 with this plot.
    """
    metric = check_option(metric, "metric", METRICS)
    if not histories:
        raise ValueError("plot_history needs at least one History; got none")
    for h in histories:
        if not isinstance(h, History):
            raise TypeError(
                f"histories must be History objects; got {type(h).__name__}"
            )
    if labels is None:
        labels = [f"run {i}" for i in range(1, len(histories) + 1)]
    if len(labels) != len(histories):
        raise ValueError(
            f"labels must have one entry per history ({len(histories)}); got {len(labels)}"
        )
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    for h, label in zip(histories, labels):
        ax.plot(range(1, h.epochs + 1), getattr(h, metric), "o-", label=label)
    ax.set(xlabel="epoch", ylabel=metric.replace("_", " "))
    ax.legend()
    return ax


def _check_model(model):
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")


def _resolve_device(model, device):
    """The device to compute on: the model's own when ``device`` is None."""
    if device is not None:
        from .runtime import device as pick

        return pick(device)
    for tensor in model.parameters():
        return tensor.device
    return torch.device("cpu")


def _model_dtype(model):
    for tensor in model.parameters():
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.get_default_dtype()


def _loader(data, name, batch_size, shuffle, seed):
    """A DataLoader over ``data``; a DataLoader is returned as it is."""
    if isinstance(data, torch.utils.data.DataLoader):
        return data
    if not isinstance(data, torch.utils.data.Dataset):
        raise TypeError(
            f"{name} must be a torch Dataset or DataLoader; got {type(data).__name__}"
        )
    if len(data) == 0:
        raise ValueError(f"{name} must not be empty")
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return torch.utils.data.DataLoader(
        data, batch_size=batch_size, shuffle=shuffle, generator=generator
    )


def _to(batch, device, dtype):
    """Move a batch ``(inputs, targets)`` to ``device``; floating inputs take the model's dtype."""
    inputs, targets = batch
    if inputs.is_floating_point():
        inputs = inputs.to(device=device, dtype=dtype)
    return inputs.to(device), targets.to(device)


def _check_loss(loss):
    if loss is None:
        return torch.nn.functional.cross_entropy
    if not callable(loss):
        raise TypeError(
            f"loss must be a callable loss(outputs, targets); got {type(loss).__name__}"
        )
    return loss


def _correct(outputs, targets):
    """Number of rows whose largest score is at the target class."""
    return int((outputs.argmax(dim=1) == targets).sum())


def _make_optimizer(optimizer, lr, model):
    if isinstance(optimizer, str):
        name = check_option(optimizer, "optimizer", tuple(OPTIMIZERS))
        if lr is None:
            return getattr(torch.optim, OPTIMIZERS[name])(model.parameters())
        if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not lr > 0:
            raise ValueError(f"lr must be a positive number; got {lr!r}")
        return getattr(torch.optim, OPTIMIZERS[name])(model.parameters(), lr=lr)
    if lr is not None:
        raise ValueError(
            f"lr is only used with an optimizer name such as 'adam'; got lr={lr!r} with a {type(optimizer).__name__}"
        )
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        made = optimizer(model.parameters())
        if not isinstance(made, torch.optim.Optimizer):
            raise TypeError(
                f"optimizer(params) must return a torch.optim.Optimizer; got {type(made).__name__}"
            )
        return made
    raise TypeError(
        f"optimizer must be a name {tuple(OPTIMIZERS)}, a torch.optim.Optimizer or a callable "
        f"params -> Optimizer; got {type(optimizer).__name__}"
    )


def evaluate(model, data, device=None, batch_size=256, loss=None):
    """Mean loss and accuracy of a classifier on a labelled data set.

    The model is put in evaluation mode (dropout off, batch norm using its
    running statistics) and gradients are not tracked; its training mode is
    restored afterwards.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch of inputs to class scores of shape ``(N, classes)``.
    data : torch.utils.data.Dataset or DataLoader
        Pairs ``(input, target)`` with integer targets; a Dataset is read in
        order in batches of ``batch_size``.
    device : str or torch.device, optional
        Compute there (the model is moved). By default, where the model's
        parameters are.
    batch_size : int, default 256
        Used only when ``data`` is a Dataset.
    loss : callable, optional
        ``loss(outputs, targets)`` returning the batch mean;
        ``torch.nn.functional.cross_entropy`` by default.

    Returns
    -------
    (float, float)
        The loss averaged over all examples and the share of examples whose
        largest score is at the right class.

    Raises
    ------
    TypeError, ValueError
        For a model that is no Module, data that is neither Dataset nor
        DataLoader or is empty, a bad batch size or loss.

    See Also
    --------
    fit : book section 5.9, "Two networks for digits; LeNet-5".

    Examples
    --------
    >>> scores = torch.nn.Linear(2, 2, bias=False)
    >>> _ = scores.weight.data.copy_(torch.eye(2))     # predicts the class of the larger coordinate
    >>> data = torch.utils.data.TensorDataset(torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]]),
    ...                                       torch.tensor([0, 1, 1]))
    >>> loss, accuracy = evaluate(scores, data)
    >>> round(accuracy, 4)
    0.6667
    """
    _check_model(model)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    loss = _check_loss(loss)
    loader = _loader(data, "data", batch_size, shuffle=False, seed=0)
    device = _resolve_device(model, device)
    model.to(device)
    dtype = _model_dtype(model)
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        with torch.no_grad():
            for batch in loader:
                inputs, targets = _to(batch, device, dtype)
                outputs = model(inputs)  # N,classes
                total_loss += float(loss(outputs, targets)) * len(targets)
                correct += _correct(outputs, targets)
                count += len(targets)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("data must not be empty")
    return total_loss / count, correct / count


def fit(
    model,
    train,
    valid,
    epochs,
    optimizer="adam",
    lr=None,
    device=None,
    batch_size=64,
    seed=0,
    loss=None,
    progress=True,
):
    """Train a classifier by mini-batch gradient descent; validate after every epoch.

    Each epoch goes once through ``train`` in shuffled batches: forward pass,
    loss, backward pass, optimizer step. The loss and the accuracy are averaged
    over the epoch's batches (while the weights change), then the model is
    evaluated on ``valid`` with :func:`evaluate`.

    Repeatable: ``fit`` seeds torch's global generator with ``seed`` (for
    dropout and other random layers) and shuffles with its own generator seeded
    with ``seed``, so two runs from the same initial weights with the same seed
    give identical histories (on one device; GPUs may add nondeterminism of
    their own). To repeat the initial weights too, call
    ``coursekit.seed_everything`` before building the model.

    Parameters
    ----------
    model : torch.nn.Module
        Maps inputs to class scores ``(N, classes)``; trained in place.
    train : torch.utils.data.Dataset or DataLoader
        Pairs ``(input, target)``. A Dataset is shuffled every epoch and cut
        into batches of ``batch_size``; a DataLoader is used as it is (its own
        batch size and shuffling, so ``batch_size`` and the shuffle seed do not
        apply to it).
    valid : torch.utils.data.Dataset or DataLoader
        Data to evaluate on after every epoch (read in order).
    epochs : int
        Number of passes through ``train``, at least 1.
    optimizer : str, torch.optim.Optimizer or callable, default "adam"
        One of three forms:

        - a name, ``"adam"``, ``"adamw"`` or ``"sgd"``, with the learning rate
          given by ``lr``: ``fit(..., optimizer="adam", lr=0.005)``;
        - a factory called with the model's parameters:
          ``optimizer=lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9)``;
        - an optimizer already built over ``model.parameters()`` (its state,
          such as Adam's moments, carries over between calls).
    lr : float, optional
        Learning rate, only with an optimizer name; torch's default for that
        optimizer (0.001) when omitted.
    device : str or torch.device, optional
        Compute there: the model is moved there (in place) and every batch is
        moved there. By default, where the model's parameters already are; pass
        ``coursekit.device()`` to use the best device available.
    batch_size : int, default 64
        Batch size for Datasets (training and validation).
    seed : int, default 0
        Seed of the shuffling and of torch's global generator.
    loss : callable, optional
        ``loss(outputs, targets)`` returning the batch mean;
        ``torch.nn.functional.cross_entropy`` (targets are class indices) by default.
    progress : bool, default True
        Show a tqdm progress bar on stderr.

    Returns
    -------
    History
        One entry per epoch of each metric.

    Raises
    ------
    TypeError, ValueError
        For a model that is no Module, data that is neither Dataset nor
        DataLoader, bad ``epochs``, ``batch_size`` or ``seed``, an unknown
        optimizer name, ``lr`` not positive or given without an optimizer name, a loss that is not callable.

    See Also
    --------
    evaluate, plot_history : book section 5.9, "Two networks for digits; LeNet-5",
        trains model1 and model2 with it.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(64, 2)
    >>> data = torch.utils.data.TensorDataset(x, (x[:, 0] > 0).long())
    >>> history = fit(torch.nn.Linear(2, 2), data, data, epochs=3, lr=0.1, progress=False)
    >>> history.epochs, history.valid_accuracy[-1] > 0.9
    (3, True)
    """
    _check_model(model)
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be a bool; got {type(progress).__name__}")
    loss = _check_loss(loss)
    train_loader = _loader(train, "train", batch_size, shuffle=True, seed=seed)
    valid_loader = _loader(valid, "valid", batch_size, shuffle=False, seed=seed)
    device = _resolve_device(model, device)
    model.to(device)
    dtype = _model_dtype(model)
    optimizer = _make_optimizer(optimizer, lr, model)
    torch.manual_seed(seed)

    from tqdm import tqdm

    history = History()
    batches = len(train_loader)
    with tqdm(
        total=epochs * batches, file=sys.stderr, disable=not progress, unit="batch"
    ) as bar:
        for epoch in range(1, epochs + 1):
            bar.set_description(f"epoch {epoch}/{epochs}")
            model.train()
            total_loss, correct, count = 0.0, 0, 0
            for batch in train_loader:
                inputs, targets = _to(batch, device, dtype)
                optimizer.zero_grad()
                outputs = model(inputs)  # N,classes
                batch_loss = loss(outputs, targets)
                batch_loss.backward()
                optimizer.step()
                total_loss += float(batch_loss.detach()) * len(targets)
                correct += _correct(outputs.detach(), targets)
                count += len(targets)
                bar.update()
            if count == 0:
                raise ValueError("train must not be empty")
            valid_loss, valid_accuracy = evaluate(model, valid_loader, loss=loss)
            history.train_loss.append(total_loss / count)
            history.train_accuracy.append(correct / count)
            history.valid_loss.append(valid_loss)
            history.valid_accuracy.append(valid_accuracy)
            bar.set_postfix(
                loss=f"{total_loss / count:.3f}", valid_accuracy=f"{valid_accuracy:.3f}"
            )
    return history
