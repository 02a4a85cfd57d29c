#!/usr/bin/env python3
"""Write student copies of the chapter notebooks: solutions removed, outputs cleared.

    python tools/make_student.py                      # chapters/*.ipynb -> _build/student/
    python tools/make_student.py --out DIR NB.ipynb   # chosen notebooks, another folder
    python tools/make_student.py --keep-outputs       # keep the outputs of the other cells
    python tools/make_student.py --myst NB.ipynb      # a notebook outside the book: MyST kept

The copies are the student edition of tools/jupyter_edition.py: MyST resolved as the
HTML book shows it (numbers, equations, references, exercises), solutions removed, and
no cell left that defines a function a "write it yourself" exercise checks. ``--myst``
only removes the solutions (the functions below) and keeps the MyST markup, for
notebooks that are not part of the book (the converter needs the book's labels).

What counts as a solution (the conventions of this book, see chapters/instructors.md):

1. a cell of any kind whose metadata ``tags`` contain ``"solution"``;
2. in a markdown cell, a sphinx-exercise ``solution`` directive, fenced with
   backticks or colons (```` ```{solution} ex-id ```` ... ```` ``` ````); the rest of
   the cell stays, and a cell left empty is dropped;
3. everything between a ``{solution-start}`` and a ``{solution-end}`` directive
   (sphinx-exercise's gated form), across cells: code cells in between go too.

Outputs and execution counts of the remaining code cells are cleared (an output
can show a solution's result) unless ``--keep-outputs``. A banner cell at the top
says the copy has no solutions. The script then re-reads each copy and fails
(exit status 1) if any solution tag or directive is left; an unterminated
``{solution-start}`` is an error too (exit status 2), since it would drop the rest
of the notebook. Only the standard library is used.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

TAG = "solution"
# An opening fence of a MyST directive: up to 3 spaces, 3+ backticks or colons, {name} ...
_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\s*\{(?P<name>[A-Za-z0-9_-]+)\}")
SOLUTION_DIRECTIVES = {"solution", "solution-start", "solution-end"}
BANNER = ("**Student copy.** Solutions are removed from this notebook. Exercises with a *Check* "
          "button check your answer when the notebook runs (Jupyter, Binder or Colab); in code, "
          "`coursecode.exercises.registry()[\"exercise-id\"].check(answer)` does the same.")


class SolutionError(ValueError):
    """The notebook's solution markers are inconsistent (e.g. a start without an end)."""


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _set_source(cell, text):
    cell["source"] = text.splitlines(keepends=True)


def _fence_end(lines, start, fence):
    """Index of the line closing the fence opened at ``start`` (len(lines) when unclosed)."""
    char, n = fence[0], len(fence)
    close = re.compile(r"^ {0,3}" + re.escape(char) + "{" + str(n) + r",}\s*$")
    for j in range(start + 1, len(lines)):
        if close.match(lines[j]):
            return j
    return len(lines)


def strip_markdown(text, in_gate):
    """Remove solution directives (and gated content) from markdown ``text``.

    Returns ``(text, in_gate, removed)``: ``in_gate`` tells whether a
    ``{solution-start}`` is still open at the end of the text.
    """
    lines = text.splitlines(keepends=True)
    out, removed, i = [], 0, 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        name = match.group("name") if match else None
        if in_gate:
            if name == "solution-end":
                i = _fence_end(lines, i, match.group("fence")) + 1
                in_gate = False
                removed += 1
            else:
                i += 1
            continue
        if name == "solution":
            i = _fence_end(lines, i, match.group("fence")) + 1
            removed += 1
        elif name == "solution-start":
            i = _fence_end(lines, i, match.group("fence")) + 1
            in_gate = True
        elif name == "solution-end":
            raise SolutionError("a {solution-end} without a {solution-start} before it")
        else:
            out.append(lines[i])
            i += 1
    return "".join(out), in_gate, removed


def has_solution(cell):
    """Whether a cell still carries a solution tag or a solution directive."""
    if TAG in (cell.get("metadata", {}).get("tags") or []):
        return True
    if cell.get("cell_type") == "markdown":
        for line in _source(cell).splitlines():
            match = _OPEN.match(line)
            if match and match.group("name") in SOLUTION_DIRECTIVES:
                return True
    return False


def make_student_copy(nb, keep_outputs=False, banner=True):
    """The student copy of notebook ``nb`` (a dict, as json.load gives) and a report.

    Raises :class:`SolutionError` on an unterminated ``{solution-start}``.
    """
    cells, report = [], {"tagged_cells": 0, "directives": 0, "gated_cells": 0, "cleared_outputs": 0}
    in_gate = False
    for cell in nb.get("cells", []):
        cell = json.loads(json.dumps(cell))  # a deep copy; the input is not changed
        tags = cell.get("metadata", {}).get("tags") or []
        if TAG in tags:
            report["tagged_cells"] += 1
            if cell.get("cell_type") == "markdown":  # a tagged cell may still open or close a gate
                _, in_gate, _ = strip_markdown(_source(cell), in_gate)
            continue
        if cell.get("cell_type") == "markdown":
            original, was_in_gate = _source(cell), in_gate
            text, in_gate, removed = strip_markdown(original, in_gate)
            report["directives"] += removed
            if text != original:
                if not text.strip():  # nothing but solution was in this cell
                    report["gated_cells"] += int(was_in_gate and in_gate)
                    continue
                _set_source(cell, text)
        elif in_gate:
            report["gated_cells"] += 1
            continue
        if cell.get("cell_type") == "code" and not keep_outputs:
            if cell.get("outputs"):
                report["cleared_outputs"] += 1
            cell["outputs"] = []
            cell["execution_count"] = None
        cells.append(cell)
    if in_gate:
        raise SolutionError("a {solution-start} is never closed by a {solution-end}")
    if banner:
        cells.insert(0, {"cell_type": "markdown", "metadata": {"tags": ["student-banner"]},
                         "source": BANNER.splitlines(keepends=True)})
    out = dict(nb)
    out["cells"] = cells
    return out, report


def _default_sources(root):
    return sorted((root / "chapters").glob("*.ipynb"))


def main(argv=None):
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks (default: chapters/*.ipynb)")
    parser.add_argument("--out", type=Path, default=root / "_build" / "student", help="output folder")
    parser.add_argument("--keep-outputs", action="store_true", help="keep the outputs of kept code cells")
    parser.add_argument("--no-banner", action="store_true", help="do not add the 'student copy' cell")
    parser.add_argument("--myst", action="store_true",
                        help="only remove solutions, keep the MyST markup (notebooks outside the book)")
    args = parser.parse_args(argv)
    sources = args.notebooks or _default_sources(root)
    if not sources:
        print("make_student: no notebooks found", file=sys.stderr)
        return 0
    if not args.myst:
        sys.path.insert(0, str(root / "tools"))
        import jupyter_edition

        return jupyter_edition.convert_files(sources, args.out, "student", root=root,
                                             keep_outputs=args.keep_outputs, banner=not args.no_banner)
    args.out.mkdir(parents=True, exist_ok=True)
    status = 0
    for path in sources:
        nb = json.loads(path.read_text(encoding="utf-8"))
        try:
            copy, report = make_student_copy(nb, keep_outputs=args.keep_outputs, banner=not args.no_banner)
        except SolutionError as exc:
            print(f"make_student: {path}: {exc}; no copy written", file=sys.stderr)
            status = max(status, 2)
            continue
        leaks = [i for i, cell in enumerate(copy["cells"]) if has_solution(cell)]
        if leaks:
            print(f"make_student: {path}: solution markers left in cells {leaks}; no copy written",
                  file=sys.stderr)
            status = max(status, 1)
            continue
        target = args.out / path.name
        target.write_text(json.dumps(copy, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{path} -> {target}: removed {report['tagged_cells']} tagged cells, "
              f"{report['directives']} solution directives, {report['gated_cells']} gated cells; "
              f"cleared {report['cleared_outputs']} outputs")
    return status


if __name__ == "__main__":
    sys.exit(main())
