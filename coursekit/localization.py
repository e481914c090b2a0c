"""Object localization: where is the object, and what is it?

A localizer outputs, for every image, the vector ``[p_c, x, y, w, h, p_1, ..., p_K]``:
``p_c`` says whether there is an object at all (1 or 0 on training images),
``(x, y)`` is the **top-left** corner of its bounding box (image coordinates,
with y growing downwards, as matplotlib's ``Rectangle`` takes them), ``w`` and
``h`` its width and height, all four as fractions of the image side, and
``p_1 ... p_K`` score its class. On an image without an object only ``p_c``
matters, so the squared loss is masked:

.. math::

    L(\\hat y, y) = (\\hat y_1 - y_1)^2 \\text{ if } y_1 = 0, \\qquad
    L(\\hat y, y) = \\sum_i (\\hat y_i - y_i)^2 \\text{ if } y_1 = 1.

- :func:`localization_loss`: that loss, averaged over a batch.
- :func:`synthetic_localization`: digits pasted at random places and sizes on a larger canvas.
- :func:`box_iou`: the overlap of predicted and true boxes.
- :func:`train_localizer`: mini-batch training with that loss.
"""

import torch

from ._validation import check_int, check_option

REDUCTIONS = ("mean", "sum", "none")


def localization_loss(input, target, reduction="mean"):
    """The masked squared loss of object localization.

    Parameters
    ----------
    input : torch.Tensor
        Predictions ``(N, 5 + K)``: ``[p_c, x, y, w, h, p_1, ..., p_K]``.
    target : torch.Tensor
        Same shape; ``target[:, 0]`` is 1 (an object) or 0 (none). When it is 0 the
        other entries are "don't care" values and do not enter the loss.
    reduction : {"mean", "sum", "none"}, default "mean"
        Average over the batch, sum, or return the ``N`` per-image losses.

    Returns
    -------
    torch.Tensor
        A scalar, or shape ``(N,)`` with ``reduction="none"``; on ``input``'s device and dtype.

    Raises
    ------
    TypeError
        If ``input`` or ``target`` is not a tensor.
    ValueError
        If the shapes differ, are not ``(N, 5 + K)`` with K >= 1, or ``reduction`` is unknown.

    See Also
    --------
    Book section 6.11, "Object localization".

    Examples
    --------
    >>> import torch
    >>> input = torch.tensor([[0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
    >>> target = torch.tensor([[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]])
    >>> localization_loss(input, target, reduction="none")
    tensor([0.2500, 1.2500])
    """
    for name, t in (("input", input), ("target", target)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
    if input.shape != target.shape or input.dim() != 2 or input.shape[1] < 6:
        raise ValueError(
            f"input and target must have the same shape (N, 5 + K) with K >= 1; "
            f"got {tuple(input.shape)} and {tuple(target.shape)}"
        )
    reduction = check_option(reduction, "reduction", REDUCTIONS)
    squares = (input - target) ** 2  # N,5+K
    has_object = target[:, 0] != 0  # N
    losses = torch.where(has_object, squares.sum(1), squares[:, 0])  # N
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def synthetic_localization(
    n, canvas=32, classes=(0, 1), p_object=0.75, sizes=(10, 16), split="train", seed=0
):
    """Images of one digit (or none) pasted on a blank canvas, with localization targets.

    Each image is ``canvas x canvas``, black. With probability ``p_object`` a digit
    of one of ``classes`` (from :func:`coursekit.data.digits`, the ``split`` part),
    resized to a random side in ``sizes``, is pasted at a random place where it
    fits; its bounding box is the pasted square.

    Parameters
    ----------
    n : int
        Number of images.
    canvas : int, default 32
    classes : sequence of int, default (0, 1)
        The digits that count as objects; class ``i`` of the target is ``classes[i]``.
    p_object : float, default 0.75
        Share of images with an object.
    sizes : (int, int), default (10, 16)
        Smallest and largest side of a pasted digit, at most ``canvas``.
    split : {"train", "test"}
        Which digits to paste (the two splits share no image).
    seed : int, default 0

    Returns
    -------
    torch.utils.data.TensorDataset
        Images ``(n, 1, canvas, canvas)`` float32 in [0, 1] and targets ``(n, 5 + K)``
        float32 ``[p_c, x, y, w, h, one-hot class]`` with ``(x, y)`` the top-left
        corner (column, row), ``x, y, w, h`` as fractions of ``canvas``; all zeros
        when there is no object.

    Raises
    ------
    TypeError, ValueError
        For a bad ``n``, ``canvas``, ``sizes``, ``split``, ``seed``, a class outside
        0..9 or repeated, or ``p_object`` outside [0, 1].

    See Also
    --------
    localization_loss. Book section 6.11, "Object localization".

    Examples
    --------
    >>> data = synthetic_localization(4, canvas=20, sizes=(8, 8), seed=1)
    >>> images, targets = data.tensors
    >>> tuple(images.shape), tuple(targets.shape)
    ((4, 1, 20, 20), (4, 7))
    >>> targets[:, 3:5].unique()
    tensor([0.0000, 0.4000])
    """
    from .data import digits

    n = check_int(n, "n", minimum=1)
    canvas = check_int(canvas, "canvas", minimum=8)
    seed = check_int(seed, "seed", minimum=0)
    split = check_option(split, "split", ("train", "test"))
    classes = [check_int(c, "classes", minimum=0) for c in classes]
    if not classes or max(classes) > 9 or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct digits 0..9; got {classes!r}")
    if not isinstance(p_object, (int, float)) or not 0 <= p_object <= 1:
        raise ValueError(f"p_object must be a number in [0, 1]; got {p_object!r}")
    if len(sizes) != 2:
        raise ValueError(f"sizes must be a pair (smallest, largest); got {sizes!r}")
    low, high = (check_int(s, "sizes", minimum=4) for s in sizes)
    if not low <= high <= canvas:
        raise ValueError(
            f"sizes must satisfy 4 <= smallest <= largest <= canvas = {canvas}; got {tuple(sizes)}"
        )

    pool, labels = digits(size=high, split=split, format="tensors")  # M,1,high,high
    keep = torch.isin(labels, torch.tensor(classes))
    pool, labels = pool[keep], labels[keep]
    generator = torch.Generator().manual_seed(seed)

    def draw(upper):
        return int(torch.randint(upper, (1,), generator=generator))

    images = torch.zeros(n, 1, canvas, canvas)  # n,1,canvas,canvas
    targets = torch.zeros(n, 5 + len(classes))  # n,5+K
    for i in range(n):
        if float(torch.rand((), generator=generator)) >= p_object:
            continue
        j = draw(len(pool))
        side = low + draw(high - low + 1)
        digit = torch.nn.functional.interpolate(
            pool[j : j + 1], size=(side, side), mode="bilinear", align_corners=False
        )[0]  # 1,side,side
        col, row = draw(canvas - side + 1), draw(canvas - side + 1)
        images[i, :, row : row + side, col : col + side] = digit.clamp(0, 1)
        targets[i, :5] = torch.tensor(
            [1.0, col / canvas, row / canvas, side / canvas, side / canvas]
        )
        targets[i, 5 + classes.index(int(labels[j]))] = 1.0
    return torch.utils.data.TensorDataset(images, targets)


def box_iou(boxes1, boxes2):
    """Intersection over union of boxes ``(x, y, w, h)`` given by their top-left corner, pair by pair.

    Parameters
    ----------
    boxes1, boxes2 : torch.Tensor
        Shape ``(N, 4)`` each; widths and heights >= 0.

    Returns
    -------
    torch.Tensor
        Shape ``(N,)``: area of the overlap of ``boxes1[i]`` and ``boxes2[i]`` over
        the area of their union (0 when the union is empty).

    Raises
    ------
    TypeError
        If a box array is not a tensor.
    ValueError
        If the shapes are not both ``(N, 4)``.

    Examples
    --------
    >>> import torch
    >>> box_iou(torch.tensor([[0.0, 0.0, 2.0, 2.0]]), torch.tensor([[1.0, 1.0, 2.0, 2.0]]))
    tensor([0.1429])
    """
    for name, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
        if not isinstance(boxes, torch.Tensor):
            raise TypeError(
                f"{name} must be a torch.Tensor; got {type(boxes).__name__}"
            )
    if boxes1.shape != boxes2.shape or boxes1.dim() != 2 or boxes1.shape[1] != 4:
        raise ValueError(
            f"boxes1 and boxes2 must both have shape (N, 4); got {tuple(boxes1.shape)} "
            f"and {tuple(boxes2.shape)}"
        )
    x1, y1, w1, h1 = boxes1.unbind(1)
    x2, y2, w2, h2 = boxes2.unbind(1)
    width = (torch.minimum(x1 + w1, x2 + w2) - torch.maximum(x1, x2)).clamp(min=0)  # N
    height = (torch.minimum(y1 + h1, y2 + h2) - torch.maximum(y1, y2)).clamp(min=0)  # N
    inter = width * height
    union = w1 * h1 + w2 * h2 - inter
    # 0 where both boxes are empty
    return inter / torch.where(union > 0, union, torch.ones_like(union))


def train_localizer(model, data, epochs, lr=1e-3, batch_size=64, seed=0):
    """Train a localizer with Adam on :func:`localization_loss`; return the mean loss of every epoch.

    ``coursekit.train.fit`` measures the accuracy of class predictions, which
    box targets do not have; this is the same loop with the masked loss alone.

    Parameters
    ----------
    model : torch.nn.Module
        Maps images to ``(N, 5 + K)`` outputs; trained in place, where its parameters are.
    data : torch.utils.data.Dataset
        Pairs ``(image, target)`` as made by :func:`synthetic_localization`.
    epochs : int
    lr : float, default 1e-3
    batch_size : int, default 64
    seed : int, default 0
        Seed of the shuffling.

    Returns
    -------
    list of float
        The loss averaged over each epoch's batches.

    Raises
    ------
    TypeError, ValueError
        For a model that is no Module or bad integers.

    Examples
    --------
    >>> import torch
    >>> data = synthetic_localization(32, canvas=12, sizes=(8, 8))
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(144, 7))
    >>> losses = train_localizer(model, data, epochs=3, lr=0.01)
    >>> len(losses), losses[-1] < losses[0]
    (3, True)
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    device = next(model.parameters()).device
    loader = torch.utils.data.DataLoader(
        data,
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    history = []
    for _ in range(epochs):
        total = 0.0
        for images, targets in loader:
            loss = localization_loss(model(images.to(device)), targets.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
        history.append(total / len(loader))
    return history
