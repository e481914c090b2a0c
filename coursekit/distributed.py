"""Data-parallel training with ``torch.distributed``, launched by ``torchrun``.

Every process holds a full copy of the model and reads its own share of each
batch. After the backward pass, DistributedDataParallel averages the gradients
of all processes (an all-reduce), so every copy takes the same optimizer step.
With a global batch of B split into P shares of B / P, the mean of the P
per-process mean gradients equals the gradient of the mean loss over the whole
batch: P processes compute what one process computes, up to rounding.

Run it with (two processes on the CPU, talking through gloo)::

    torchrun --standalone --nproc_per_node=2 -m coursekit.distributed --epochs 1 --out result.pt

On a machine with GPUs, ``--device cuda`` makes each process use the GPU of its
local rank and talk through NCCL; ``--nnodes`` and a rendezvous address
(``--rdzv-endpoint``) spread the same command over several machines.

:func:`train` is the training itself (DDP when a process group is initialized,
otherwise a plain single-process run of the same schedule), :func:`main` the
command line, :func:`launch` starts ``torchrun`` in a subprocess and returns
what rank 0 saved.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import torch

from ._validation import check_int

DEVICES = ("cpu", "cuda")


def train(
    epochs=1, batch_size=64, lr=0.05, seed=0, size=16, depth=8, width=4, device="cpu"
):
    """Train ``resnet_small(depth, width=width, batch_norm=False)`` on the digits with SGD.

    Inside a process group (started by ``torchrun``) the model is wrapped in
    ``DistributedDataParallel`` and each of the P processes reads ``batch_size / P``
    examples of every global batch, chosen by a ``DistributedSampler``. Outside one,
    the same sampler with one replica gives the same global batches to a single
    process. The model has no batch norm and no dropout, whose per-process
    statistics or random masks would make the two runs differ.

    Parameters
    ----------
    epochs : int, default 1
    batch_size : int, default 64
        The global batch, divisible by the number of processes.
    lr : float, default 0.05
        Learning rate of SGD with momentum 0.9.
    seed : int, default 0
        Seeds the initial weights and the shuffling.
    size : int, default 16
        Side of the digit images.
    depth, width : int, default 8 and 4
        Passed to ``coursekit.models.resnet_small``.
    device : {"cpu", "cuda"}, default "cpu"
        With "cuda" each process uses the GPU ``LOCAL_RANK``.

    Returns
    -------
    dict
        ``"losses"``: the global batches' mean losses (list of float), ``"state_dict"``:
        the final weights on the CPU, ``"world_size"``: the number of processes.

    Raises
    ------
    TypeError, ValueError
        For non-integer or too small sizes, or a batch that the processes cannot share evenly.

    See Also
    --------
    launch, main. Book section 6.12, "Training on many processes".

    Examples
    --------
    >>> result = train(epochs=1, batch_size=256, size=8)
    >>> result["world_size"], len(result["losses"])
    (1, 5)
    """
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    from .data import digits
    from .models.resnet import resnet_small
    from .runtime import seed_everything

    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    if device not in DEVICES:
        raise ValueError(
            f"device must be one of {', '.join(map(repr, DEVICES))}; got {device!r}"
        )
    distributed = dist.is_available() and dist.is_initialized()
    world, rank = (dist.get_world_size(), dist.get_rank()) if distributed else (1, 0)
    if batch_size % world:
        raise ValueError(
            f"batch_size must be divisible by the {world} processes; got {batch_size}"
        )
    if device == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    device = torch.device(device)

    dataset = digits(size=size, split="train")
    sampler = DistributedSampler(
        dataset, num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=True
    )
    loader = DataLoader(
        dataset, batch_size=batch_size // world, sampler=sampler, drop_last=True
    )
    seed_everything(seed)
    model = resnet_small(depth, width=width, batch_norm=False, device=device)
    net = (
        DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
        if distributed
        else model
    )
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    losses = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every process
        for inputs, targets in loader:
            # N/P,1,size,size and N/P
            inputs, targets = (
                inputs.to(device),
                targets.to(device),
            )
            loss = torch.nn.functional.cross_entropy(net(inputs), targets)
            optimizer.zero_grad()
            loss.backward()  # DDP all-reduces (averages) the gradients here
            optimizer.step()
            mean = loss.detach().clone()
            if distributed:
                dist.all_reduce(mean)  # sum of the P local means
            losses.append(float(mean) / world)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {"losses": losses, "state_dict": state, "world_size": world}


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.distributed", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=64,
        help="global batch, shared by the processes",
    )
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--width", type=int, default=4)
    parser.add_argument("--device", choices=DEVICES, default="cpu")
    parser.add_argument(
        "--out",
        required=True,
        help="file where rank 0 saves losses and weights (torch.save)",
    )
    return parser


def main(argv=None):
    """Command line: train (see :func:`train`) in every process ``torchrun`` started; rank 0 saves the result.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (``sys.argv[1:]`` by default): ``--epochs``, ``--batch-size``,
        ``--lr``, ``--seed``, ``--size``, ``--depth``, ``--width``, ``--device`` and
        ``--out`` (required).

    Returns
    -------
    dict
        What :func:`train` returned in this process.
    """
    import torch.distributed as dist

    args = _parser().parse_args(argv)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group(backend="nccl" if args.device == "cuda" else "gloo")
    try:
        result = train(
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            seed=args.seed,
            size=args.size,
            depth=args.depth,
            width=args.width,
            device=args.device,
        )
        if result["world_size"] == 1 or dist.get_rank() == 0:
            torch.save(result, args.out)
    finally:
        if distributed:
            dist.destroy_process_group()
    return result


def launch(nproc_per_node=2, timeout=300, **options):
    """Run :func:`main` in ``nproc_per_node`` processes with ``torchrun`` and return rank 0's result.

    The command is ``python -m torch.distributed.run --standalone
    --nproc_per_node=P -m coursekit.distributed --out FILE ...``, the same as
    typing ``torchrun`` in a terminal.

    Parameters
    ----------
    nproc_per_node : int, default 2
    timeout : float, default 300
        Seconds before the run is stopped.
    **options
        Arguments of :func:`train` (``epochs=2`` becomes ``--epochs 2``).

    Returns
    -------
    dict
        As :func:`train`, with ``world_size`` equal to ``nproc_per_node``.

    Raises
    ------
    TypeError, ValueError
        For a bad ``nproc_per_node`` or an unknown option.
    RuntimeError
        If torchrun fails; the message ends with its output.

    See Also
    --------
    train : the same training in this process. Book section 6.12, "Training on many
        processes".
    """
    nproc_per_node = check_int(nproc_per_node, "nproc_per_node", minimum=1)
    known = {a.dest for a in _parser()._actions} - {"help", "out"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(
            f"options must be among {', '.join(sorted(known))}; got {', '.join(unknown)}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.pt")
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={nproc_per_node}",
            "-m",
            "coursekit.distributed",
            "--out",
            out,
        ]
        for key, value in options.items():
            command += [f"--{key.replace('_', '-')}", str(value)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(
                f"torchrun exited with {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}"
            )
        return torch.load(out)


if __name__ == "__main__":
    main()
