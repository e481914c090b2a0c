"""Suites for the CNN layers: conv2d by method against torch, the matmul rate, training throughput."""

import os

import torch

from .rows import Row, failed, skipped
from .timing import median_time, median_times

METHODS = ("direct", "im2col", "fft", "auto")
WINOGRAD = ("winograd", "winograd4x4")  # for stride-1 3x3 kernels only

# name: (input shape N,C,H,W; weight shape C_out,C_in,kH,kW; stride; padding)
CNN_SHAPES = {
    "model2 conv1": ((64, 1, 28, 28), (8, 1, 5, 5), 1, 0),
    "model2 conv2": ((64, 8, 12, 12), (16, 8, 3, 3), 1, 0),
    "LeNet-5 C1": ((64, 1, 32, 32), (6, 1, 5, 5), 1, 0),
    "LeNet-5 C3": ((64, 6, 14, 14), (16, 6, 5, 5), 1, 0),
    "VGG 3x3, 64 ch, 56x56": ((8, 64, 56, 56), (64, 64, 3, 3), 1, 1),
    "AlexNet conv1": ((8, 3, 224, 224), (64, 3, 11, 11), 4, 2),
}
# VGG-16's 3x3 layers (the last of each block) on one 224x224 image: where Winograd's F(2x2, 3x3) should pay
VGG16_LAYERS = {
    "VGG-16 conv1_2, 64 ch, 224x224": ((1, 64, 224, 224), (64, 64, 3, 3), 1, 1),
    "VGG-16 conv2_2, 128 ch, 112x112": ((1, 128, 112, 112), (128, 128, 3, 3), 1, 1),
    "VGG-16 conv3_3, 256 ch, 56x56": ((1, 256, 56, 56), (256, 256, 3, 3), 1, 1),
    "VGG-16 conv4_3, 512 ch, 28x28": ((1, 512, 28, 28), (512, 512, 3, 3), 1, 1),
    "VGG-16 conv5_3, 512 ch, 14x14": ((1, 512, 14, 14), (512, 512, 3, 3), 1, 1),
}
QUICK_SHAPES = {
    "model2 conv1": ((8, 1, 28, 28), (8, 1, 5, 5), 1, 0),
    "3x3, 16 ch, 28x28": ((2, 16, 28, 28), (16, 16, 3, 3), 1, 1),
}


def large_kernel_shapes(quick):
    if quick:
        return {"64x64, 1 ch, 7x7": ((1, 1, 64, 64), (1, 1, 7, 7), 1, 3)}
    shapes = {}
    for c in (1, 16):
        # timing torch on 16 ch, 63x63 ran 25 min unfinished
        for k in (3, 15, 31, 63)[: 4 if c == 1 else 3]:
            shapes[f"256x256, {c} ch, {k}x{k}"] = (
                (1, c, 256, 256),
                (c, c, k, k),
                1,
                k // 2,
            )
    return shapes


def memory_bytes(device):
    """The memory of ``device``: physical RAM for the CPU, the card's memory for a GPU."""
    if torch.device(device).type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def backward_bytes(xs, ws, stride, padding):
    """What autograd keeps for the backward pass of "direct": every window's pixels.

    One shifted copy of the image per kernel tap, ``N * oH * oW * C * kH * kW`` float32
    values ("im2col" has its own backward and keeps only the input and the kernel).
    """
    N, C, H, W = xs
    kH, kW = ws[2:]
    oH, oW = (H + 2 * padding - kH) // stride + 1, (W + 2 * padding - kW) // stride + 1
    return 4 * N * oH * oW * C * kH * kW


def matmul_rate(device, quick):
    """The float32 matrix-multiply rate in GFLOP/s: the ceiling for im2col."""
    n = 512 if quick else 2048
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    seconds = median_time(lambda: a @ b, device=device)
    return 2 * n**3 / seconds / 1e9


def _conv2d():
    try:
        from coursekit.nn import functional

        return functional.conv2d
    except (ImportError, AttributeError) as err:
        return err


def conv2d(device, quick):
    """conv2d forward and forward+backward for each method against torch.nn.functional.conv2d."""
    conv = _conv2d()
    tnf = torch.nn.functional
    gflops = matmul_rate(device, quick)
    yield Row(
        "conv2d", f"float32 matmul on {device}", "torch.mm", extra={"gflops": gflops}
    )
    torch.manual_seed(0)
    shapes = dict(QUICK_SHAPES) if quick else {**CNN_SHAPES, **VGG16_LAYERS}
    shapes.update(large_kernel_shapes(quick))
    for case, (xs, ws, stride, padding) in shapes.items():
        x = torch.randn(xs, device=device)
        w = torch.randn(ws, device=device) / ws[1] ** 0.5
        N, C_out = xs[0], ws[0]
        H_out = (xs[2] + 2 * padding - ws[2]) // stride + 1
        W_out = (xs[3] + 2 * padding - ws[3]) // stride + 1
        macs = N * C_out * H_out * W_out * ws[1] * ws[2] * ws[3]
        kind = "large kernel" if case.startswith(("256x256", "64x64")) else "CNN"
        label = f"{case} [{device}]"
        expected = tnf.conv2d(x, w, stride=stride, padding=padding)
        xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()

        def forward(m):
            return lambda: conv(x, w, stride=stride, padding=padding, method=m)

        def step(m):
            def run():
                conv(xg, wg, stride=stride, padding=padding, method=m).sum().backward()

            return run

        def torch_step():
            tnf.conv2d(xg, wg, stride=stride, padding=padding).sum().backward()

        fails, methods = {}, []
        if isinstance(conv, Exception):
            fails["coursekit conv2d"] = skipped(
                "conv2d", label, "coursekit conv2d", "torch", f"not available ({conv})"
            )
        else:
            winograd = WINOGRAD if tuple(ws[2:]) == (3, 3) and stride == 1 else ()
            for method in (*METHODS[:-1], *winograd, METHODS[-1]):
                try:
                    out = forward(method)()
                # a method that cannot run this shape is reported, not fatal
                except Exception as err:
                    fails[method] = failed(
                        "conv2d", label, f"{method} forward", "torch forward", repr(err)
                    )
                    continue
                if not torch.allclose(out, expected, rtol=1e-3, atol=1e-3):
                    fails[method] = failed(
                        "conv2d",
                        label,
                        f"{method} forward",
                        "torch forward",
                        "result differs",
                    )
                    continue
                methods.append(method)
        needed = backward_bytes(xs, ws, stride, padding)
        too_big = needed > memory_bytes(device) / 3  # for "direct"
        with_backward = [m for m in methods if not (m == "direct" and too_big)]
        # alternating rounds: the ratios do not move with the machine's state
        torch_fwd, *fwds = median_times(
            [lambda: tnf.conv2d(x, w, stride=stride, padding=padding)]
            + [forward(m) for m in methods],
            device=device,
        )
        torch_both, *boths = median_times(
            [torch_step] + [step(m) for m in with_backward], device=device
        )
        own, both_of = dict(zip(methods, fwds)), dict(zip(with_backward, boths))
        yield Row(
            "conv2d",
            label,
            "torch forward",
            torch_fwd,
            extra={"gflops": 2 * macs / torch_fwd / 1e9},
        )
        yield from fails.values()
        for method in methods:
            fwd = own[method]
            limit = None
            if method == "im2col" and kind == "CNN":
                limit = 4.0
            if method == "fft" and "31x31" in case and "256x256" in case:
                limit = 1 / 3
            yield Row(
                "conv2d",
                label,
                f"{method} forward",
                fwd,
                "torch forward",
                torch_fwd,
                limit=limit,
                extra={
                    "gflops": 2 * macs / fwd / 1e9,
                    "matmul_fraction": 2 * macs / fwd / 1e9 / gflops,
                },
            )
            if method not in both_of:
                yield skipped(
                    "conv2d",
                    label,
                    f"{method} forward+backward",
                    "torch forward+backward",
                    f"autograd would keep {needed / 1e9:.1f} GB of windows, over a third of "
                    f"the {memory_bytes(device) / 1e9:.0f} GB here",
                )
                continue
            yield Row(
                "conv2d",
                label,
                f"{method} forward+backward",
                both_of[method],
                "torch forward+backward",
                torch_both,
            )
        for method in (m for m in WINOGRAD if m in own and "im2col" in own):
            # the target: faster than im2col
            limit = 1.0 if method == "winograd" and "VGG" in case else None
            yield Row(
                "conv2d",
                label,
                f"{method} forward",
                own[method],
                "im2col forward",
                own["im2col"],
                limit=limit,
            )
        # "auto" never picks winograd4x4 (float32 error an order of magnitude larger): not a rival
        rivals = {m: t for m, t in own.items() if m not in ("auto", "winograd4x4")}
        if "auto" in own and rivals:
            best = min((t, m) for m, t in rivals.items())
            yield Row(
                "conv2d",
                label,
                "auto forward",
                own["auto"],
                f"best own method ({best[1]})",
                best[0],
                limit=1.5,
            )
            yield benchmark_mode_row(
                conv, x, w, stride, padding, label, best[1], forward(best[1]), device
            )


def benchmark_mode_row(conv, x, w, stride, padding, label, best, best_forward, device):
    """conv2d "auto" with benchmark mode on (after its first, timing call) against the best method ``best``.

    The two are timed again, in alternating rounds: the target (within 1.2x) is
    tighter than the variation between two separate timings of one call.
    """
    from coursekit.nn import functional

    functional.clear_benchmark_cache()
    previous = functional.benchmark_mode(True)
    try:
        # times the candidates once
        conv(x, w, stride=stride, padding=padding, method="auto")
        (chosen,) = functional.benchmark_cache().values()
        seconds, best_seconds = median_times(
            [
                lambda: conv(x, w, stride=stride, padding=padding, method="auto"),
                best_forward,
            ],
            device=device,
        )
    finally:
        functional.benchmark_mode(previous)
        functional.clear_benchmark_cache()
    return Row(
        "conv2d",
        label,
        "auto forward, benchmark mode",
        seconds,
        f"best own method ({best})",
        best_seconds,
        limit=1.2,
        extra={"chosen": chosen},
    )


def small_resnet(layers="torch"):
    """``resnet_small(8)`` with its convolutions from torch.nn or, with ``layers="coursekit"``, from coursekit.nn.

    The coursekit model is the torch one with every ``torch.nn.Conv2d`` swapped for a
    ``coursekit.nn.Conv2d`` of the same configuration and weights.
    """
    from coursekit import models
    from coursekit import nn as cknn

    torch.manual_seed(0)
    model = models.resnet_small(8)
    if layers == "coursekit":
        for parent in list(model.modules()):
            for name, child in parent.named_children():
                if type(child) is torch.nn.Conv2d:
                    conv = cknn.Conv2d(
                        child.in_channels,
                        child.out_channels,
                        child.kernel_size,
                        child.stride,
                        child.padding,
                        child.dilation,
                        child.groups,
                        child.bias is not None,
                    )
                    conv.load_state_dict(child.state_dict())
                    setattr(parent, name, conv)
    return model


def training(device, quick):
    """Images per second for one epoch of training, coursekit layers against torch.nn layers."""
    try:
        from coursekit import data, models, train
    except ImportError as err:
        yield skipped(
            "training",
            "model2",
            "coursekit layers",
            "torch.nn layers",
            f"not available ({err})",
        )
        return
    dataset = data.digits(split="train")
    # tiny: the epoch's cost is training
    valid = torch.utils.data.Subset(data.digits(split="test"), range(64))
    if quick:
        dataset = torch.utils.data.Subset(dataset, range(256))
    builders = {"model2": models.model2, "small ResNet (depth 8)": small_resnet}
    for name, build in builders.items():
        epochs = {}
        for layers in ("torch", "coursekit"):
            try:
                model = build(layers=layers).to(device)
            except (TypeError, AttributeError, ImportError) as err:
                yield skipped(
                    "training", name, f"{layers} layers", "", f"cannot build ({err})"
                )
                break

            def epoch(model=model):
                train.fit(
                    model, dataset, valid, epochs=1, device=device, progress=False
                )

            epochs[layers] = epoch
        if len(epochs) == 2:
            # a model2 epoch takes a tenth of a second: the median of several, alternating
            times = median_times(
                list(epochs.values()), min_total=1.0, max_repeat=9, device=device
            )
            rates = {layers: len(dataset) / t for layers, t in zip(epochs, times)}
            yield Row(
                "training",
                f"{name} one epoch [{device}]",
                "coursekit layers",
                1 / rates["coursekit"],
                "torch.nn layers",
                1 / rates["torch"],
                limit=2.0 if name == "model2" else None,
                extra={
                    "images_per_s": rates["coursekit"],
                    "reference_images_per_s": rates["torch"],
                },
            )
