"""A description of the machine the numbers come from."""

import os
import platform


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package):
    """The installed version of ``package``, or ``None``."""
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def describe():
    """A dict naming the CPU, cores, torch threads, library versions and GPU (if any).

    >>> sorted(describe())[:3]
    ['cores', 'cpu', 'gpu']
    """
    import numpy
    import scipy
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "torch": torch.__version__,
        "numba": _version("numba"),  # compiles convolve's direct sums
        "gpu": gpu,
    }
