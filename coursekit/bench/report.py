"""The benchmark table, as text for the terminal and as JSON for the book's appendix."""

import json


def _fmt_seconds(s):
    if s is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def _verdict(row):
    if row.met is None:
        return ""
    return "met" if row.met else "MISSED"


def table(rows, machine):
    """Format rows as a fixed-width text table preceded by the machine description."""
    lines = ["Machine: " + ", ".join(f"{k}={v}" for k, v in machine.items()), ""]
    header = (
        f"{'suite':<12} {'case':<34} {'subject':<26} {'time':>10} {'reference':<28} {'ref time':>10} "
        f"{'ratio':>7} {'target':>7} {'':<6}"
    )
    lines += [header, "-" * len(header)]
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        target = "" if r.limit is None else f"<={r.limit:.2g}"
        note = r.status if r.status != "ok" else _verdict(r)
        if "gflops" in r.extra and r.seconds is None:
            note = f"{r.extra['gflops']:.1f} GFLOP/s"
        lines.append(
            f"{r.suite:<12} {r.case[:34]:<34} {r.subject[:26]:<26} {_fmt_seconds(r.seconds):>10} "
            f"{r.reference[:28]:<28} {_fmt_seconds(r.reference_seconds):>10} {ratio:>7} {target:>7} {note}"
        )
    targets = [r for r in rows if r.met is not None]
    lines += ["", f"Targets met: {sum(r.met for r in targets)} of {len(targets)}"]
    return "\n".join(lines)


def write_json(path, rows, machine, mode):
    with open(path, "w") as f:
        json.dump(
            {"machine": machine, "mode": mode, "rows": [r.to_dict() for r in rows]},
            f,
            indent=1,
        )
