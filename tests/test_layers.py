"""The layers of coursecode, written down and enforced.

    grade       grading a class: python -m coursecode.grade        may import everything below
                (matplotlib only lazily, for the summary figure)
    homework    chapter exercises (one module per chapter)        may import everything below
    exercises   exercise kinds, the sandbox, the one registry     (plots and widgets only lazily, to display)
    widgets     explorers: sliders driving figures
    plots       figures, alt text, the offline player
    learning    data sets, models, landscape tools, training
    core        _checks, optimizers, problems, online, theory, run, report, schedules: numpy and the standard library

A module may import its own layer and the layers below it, never one above. The
core imports nothing outside numpy and the standard library (``report`` imports
myst-nb lazily, to glue, when it is installed). The test reads every import
statement of every module, at any depth, so a wrong import fails here before it
slows a script down or creates a cycle.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "coursecode"
LAYERS = ["core", "learning", "plots", "widgets", "exercises", "homework", "grade"]
CORE = {"_checks", "optimizers", "problems", "online", "theory", "run", "report", "schedules", "__init__"}
# third-party imports the core may make inside a function, by module
CORE_LAZY_ALLOWED = {"report": {"myst_nb", "IPython"}}
STDLIB = set(sys.stdlib_module_names)


def _layer(parts: tuple[str, ...]) -> str:
    """The layer of a module given its path inside the package, e.g. ("widgets", "adam")."""
    top = parts[0]
    return "core" if top in CORE else top


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield path, parts


def _imports(path: Path, parts: tuple[str, ...]):
    """(imported name, is it inside a function) for every import of a module, relative ones resolved."""
    tree = ast.parse(path.read_text(), str(path))
    package = ("coursecode",) + parts[:-1]     # what `from . import` means, in a module or an __init__
    lazy = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lazy.update(id(n) for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in lazy
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                name = ".".join(base + ((node.module,) if node.module else ()))
                if node.module is None:        # from . import x, y: each is a module or a name
                    for alias in node.names:
                        yield f"{name}.{alias.name}", id(node) in lazy
                    continue
                yield name, id(node) in lazy
            else:
                yield node.module, id(node) in lazy


def _target_layer(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "coursecode":
        return None
    return "core" if len(parts) == 1 else _layer(tuple(parts[1:]))


MODULES = list(_modules())


@pytest.mark.parametrize("path,parts", MODULES, ids=[".".join(p) for _, p in MODULES])
def test_imports_respect_the_layers(path, parts):
    here = _layer(parts)
    assert here in LAYERS, f"{'.'.join(parts)} belongs to no layer: add it to LAYERS or CORE in this test"
    wrong = []
    for name, lazy in _imports(path, parts):
        target = _target_layer(name)
        if target is None:
            top = name.split(".")[0]
            if here == "core" and top not in STDLIB and top != "numpy" and top != "__future__":
                if not (lazy and top in CORE_LAZY_ALLOWED.get(parts[0], set())):
                    wrong.append(f"{name} (the core imports numpy and the standard library only)")
            continue
        if target not in LAYERS:
            wrong.append(f"{name} (no such layer)")
        elif LAYERS.index(target) > LAYERS.index(here):
            if not (lazy and here == "exercises" and target in ("plots", "widgets")):
                wrong.append(f"{name} (layer {target} is above {here})")
    assert not wrong, f"coursecode.{'.'.join(parts)} imports upwards or outside its layer: {wrong}"


def test_the_check_sees_a_wrong_import(tmp_path):
    """A probe: an upward import, a relative one included, is caught."""
    probe = tmp_path / "probe.py"
    probe.write_text("from ..widgets import build\nimport matplotlib\n")
    names = dict(_imports(probe, ("learning", "probe")))
    assert _target_layer("coursecode.widgets") == "widgets" and "coursecode.widgets" in names
    assert "matplotlib" in names


def test_no_module_is_over_about_500_lines():
    long = {".".join(p): n for path, p in MODULES if (n := len(path.read_text().splitlines())) > 550}
    assert not long, f"one room per idea: split these modules {long}"
