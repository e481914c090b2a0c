"""Stand-in that hides the optional ``rfc3987_syntax`` package from grading processes.

jsonschema imports it, if installed, to validate IRIs; building its grammar costs seconds at every
start of a process that imports nbformat (the grading worker and the student's kernel both do),
and grading never validates IRIs. ``grade`` puts this folder first on the PYTHONPATH of the worker,
so the import fails fast and jsonschema skips that one format check.
"""

raise ImportError("rfc3987_syntax is disabled in grading processes")
