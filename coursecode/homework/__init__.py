"""Self-checking homework, one module per chapter (``ch5`` for chapter 5, ...).

Each module has ``exercises()``, a list of exercises built with the classes of
:mod:`coursecode.exercises`; their ids start with the chapter (``"ch5-..."``).
"""
