"""The one registry: every exercise of the book by id, found in the modules of :mod:`coursecode.homework`.

Each public module of ``coursecode.homework`` (``ch1`` ... ``ch9``, ``appx``; a
name with a leading underscore is a helper and skipped) has ``exercises()``, a
list of exercises whose ids start with the module's name (``"ch1-..."``,
``"appx-..."``). The modules are found with :mod:`pkgutil` and imported by name:
``exercises`` sits below ``homework`` and never imports it statically, so a new
chapter's module joins the registry by existing.
"""
from __future__ import annotations

import importlib
import pkgutil
import re

from .answers import Feedback, short

HOMEWORK = "coursecode.homework"


def _order(name):
    """Chapters by number (ch2 before ch10), then the other modules (the appendix) by name."""
    match = re.fullmatch(r"ch(\d+)", name)
    return (0, int(match.group(1)), "") if match else (1, 0, name)


def homework_modules():
    """The modules of :mod:`coursecode.homework` that hold exercises, in the book's order."""
    package = importlib.import_module(HOMEWORK)
    names = sorted((m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")),
                   key=_order)
    return [importlib.import_module(f"{HOMEWORK}.{name}") for name in names]


def _build():
    built = {}
    for module in homework_modules():
        prefix = module.__name__.rpartition(".")[2]
        if not callable(getattr(module, "exercises", None)):
            raise TypeError(f"{module.__name__} has no exercises(); a helper module's name starts with '_'")
        for ex in module.exercises():
            if not re.fullmatch(rf"{prefix}-[a-z0-9-]+", ex.id):
                raise ValueError(f"Invalid exercise id {ex.id!r} in {module.__name__}: its ids look like "
                                 f"'{prefix}-some-name'")
            if ex.id in built:
                raise ValueError(f"Two exercises have the id {ex.id!r}")
            built[ex.id] = ex
    return built


_REGISTRY = None


def registry():
    """Exercise id -> exercise, for every chapter and the appendix, in the book's order.

    Chapter N's exercises come from ``coursecode.homework.chN``, the appendix's from
    ``coursecode.homework.appx`` (each module's ``exercises()``). Ids start with the
    module's name and are unique. The dict is a copy; the exercises are shared.

    >>> ex = registry()["ch1-ravine-condition"]
    >>> ex.check("5").correct
    True
    >>> "appx-radam-warmup" in registry()
    True
    """
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _build()
    return dict(_REGISTRY)


def check(exercise_id, answer):
    """``registry()[exercise_id].check(answer)``; an unknown id is feedback too."""
    exercises = registry()
    if not isinstance(exercise_id, str) or exercise_id not in exercises:
        return Feedback(False, f"There is no exercise {short(exercise_id)!s}; ids look like 'ch1-ravine-condition'.")
    return exercises[exercise_id].check(answer)


def grade(answers):
    """Check a dict ``{exercise id: answer}``: returns ``{id: Feedback}`` (for autograding).

    >>> [f.correct for f in grade({"ch1-ravine-condition": "5", "appx-radam-warmup": "4"}).values()]
    [True, False]
    """
    return {key: check(key, value) for key, value in dict(answers).items()}
