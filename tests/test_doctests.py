"""The examples in coursecode's docstrings run and print what they claim.

Every module of the package (found by walking it, so a new module is picked up)
is one test: ``doctest.testmod`` over the module, which runs the examples of the
module docstring and of every function, class and method defined in it. The API
reference page shows these examples, so a wrong one is a wrong page.
"""
from __future__ import annotations

import doctest
import importlib
import os
import pkgutil

os.environ.setdefault("MPLBACKEND", "Agg")  # plots' examples draw figures, never on screen

import pytest  # noqa: E402

import coursecode  # noqa: E402

MODULES = ["coursecode"] + sorted(m.name for m in pkgutil.walk_packages(coursecode.__path__, "coursecode."))
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def test_the_walk_finds_the_package():
    for name in ("coursecode.optimizers.adam", "coursecode.optimizers.beyond", "coursecode.run",
                 "coursecode.learning", "coursecode.plots", "coursecode.exercises"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    # import_module, not getattr: coursecode.run (the function) hides the module coursecode.run,
    # and coursecode.optimizers.adam the module of the same name
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, report=False, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (run " \
                               f"`python -m doctest -v {module.__file__}` to see them)"
