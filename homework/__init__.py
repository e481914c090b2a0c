"""Autograded homework of the course: one otter-grader assignment per chapter.

``python -m homework build`` turns the sources in ``homework/source`` into student notebooks
(``book/homework``) and autograders (``homework/dist``); ``python -m homework grade`` grades a
folder of submissions in parallel, each in a bubblewrap sandbox of its own, with time and resource
limits (``homework/sandbox.py``).
"""
