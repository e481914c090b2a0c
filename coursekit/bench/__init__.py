"""Benchmarks: coursekit against the libraries a student would otherwise use.

Run ``python -m coursekit.bench`` (full, about 15 minutes on 2 cores) or
``python -m coursekit.bench --quick`` (under 2 minutes). The appendix "How fast
is it?" of the book plots the JSON that ``--json`` writes.
"""
