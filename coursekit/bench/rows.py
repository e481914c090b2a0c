"""One line of the benchmark table: a subject timed against a reference."""

from dataclasses import asdict, dataclass, field


@dataclass
class Row:
    """``subject`` took ``seconds``; ``reference`` took ``reference_seconds``.

    ``limit`` is the target on ``ratio = seconds / reference_seconds`` (met when
    the ratio is at most the limit). ``status`` is "ok", "FAILED: ..." when the
    subject's result disagreed with the reference, or "skipped: ...".

    >>> Row("conv1d", "n=16", "convolve auto", 2e-6, "numpy.convolve", 1e-6, limit=1.3).ratio
    2.0
    """

    suite: str
    case: str
    subject: str
    seconds: float = None
    reference: str = ""
    reference_seconds: float = None
    limit: float = None
    status: str = "ok"
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self):
        if self.seconds is None or not self.reference_seconds:
            return None
        return self.seconds / self.reference_seconds

    @property
    def met(self):
        if self.limit is None or self.ratio is None or self.status != "ok":
            return None
        return self.ratio <= self.limit

    def to_dict(self):
        out = asdict(self)
        out["ratio"] = self.ratio
        out["met"] = self.met
        return out


def failed(suite, case, subject, reference, why):
    return Row(suite, case, subject, reference=reference, status=f"FAILED: {why}")


def skipped(suite, case, subject, reference, why):
    return Row(suite, case, subject, reference=reference, status=f"skipped: {why}")
