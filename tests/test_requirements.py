"""requirements.txt is what Binder installs: only what the book, its tests and its build need.

Every pinned package must be *used*: imported by the book (coursecode, the chapter
notebooks, the local Sphinx extension), by the tests, tools or benchmarks; named as
a tool or extension by the build (``_config.yml``, the Makefile); or a dependency,
direct or indirect, of one of those, as its installed metadata declares. A pin that
is none of these (PyTorch's dependencies left behind by ``pip freeze``, say) fails.
"""
from __future__ import annotations

import ast
import importlib.metadata as md
import json
import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]

# Used without an import statement: name -> where the book uses it.
TOOLS = {
    "jupyter-book": "Makefile: jupyter-book build",
    "nbval": "Makefile: pytest --nbval",
    "ipykernel": "the kernel that executes the notebooks (myst-nb, nbval, nbclient)",
    "sphinx-mathjax-offline": "_ext/mathjax_offline.py copies the parts of its MathJax the pages load",
}


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = line
    return pins


def _python_sources():
    for folder in ("coursecode", "tests", "tools", "benchmarks", "_ext"):
        yield from ((p, p.read_text()) for p in (ROOT / folder).rglob("*.py"))
    for nb in (ROOT / "chapters").glob("*.ipynb"):
        cells = json.loads(nb.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        # IPython magics (%pip, !cmd) are not Python: parse them as `pass`
        yield nb, "\n".join(re.sub(r"^(\s*)[%!].*", r"\1pass", line) for line in code.splitlines())


def _imported_modules() -> set[str]:
    names = set()
    for path, text in _python_sources():
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def _config_extensions() -> set[str]:
    text = (ROOT / "_config.yml").read_text()
    return set(re.findall(r"^\s*-\s*([A-Za-z_][\w.]*)\s*$", text, re.M))


def _roots() -> set[str]:
    modules = _imported_modules() | {m.split(".")[0] for m in _config_extensions()}
    owners = md.packages_distributions()
    roots = {canonicalize_name(d) for m in modules for d in owners.get(m, [])}
    return roots | {canonicalize_name(t) for t in TOOLS}


def _closure(roots: set[str]) -> set[str]:
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            # a dependency that only an optional extra asks for is not needed
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(req.name))
    return seen


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="needs the book's virtual environment")
def test_every_pin_is_used_by_the_book_its_tests_or_its_build():
    pins = _pins()
    needed = _closure(_roots())
    unused = sorted(line for name, line in pins.items() if name not in needed)
    assert not unused, (f"requirements.txt pins packages that nothing in the book, its tests or its build "
                        f"imports or depends on (remove them, or name the use in TOOLS): {unused}")


def test_requirements_install_coursecode_and_pin_every_line():
    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    assert lines[-1] == "-e .", "the last line installs coursecode from this repository"
    loose = [ln for ln in lines[:-1] if "==" not in ln]
    assert not loose, f"every package is pinned with ==: {loose}"
