"""Self-checking homework, one module per chapter (``ch1`` for chapter 1, ...) and ``appx`` for the appendix.

Each module has ``exercises()``, a list of exercises built with the kinds of
:mod:`coursecode.exercises`; their ids start with the module's name (``"ch5-..."``,
``"appx-..."``). :func:`coursecode.exercises.registry` finds every module here by
name (a helper module's name would start with ``_``), so a new chapter joins it
by existing.
"""
