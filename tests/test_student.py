"""tools/make_student.py: student copies without solutions, tested on a synthetic notebook.

Removed: cells tagged "solution"; sphinx-exercise solution directives in markdown
(backtick and colon fences, nested fences); everything between {solution-start}
and {solution-end}, within a cell and across cells. Kept: the exercises and all
other content; outputs are cleared unless asked to keep them. Broken markers are
errors, and the real chapters' copies carry no solution. Without --myst the copies are
the student edition of tools/jupyter_edition.py (tests/test_editions.py checks it).
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "make_student.py"

spec = importlib.util.spec_from_file_location("make_student", SCRIPT)
ms = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ms)


def md(text, tags=None):
    cell = {"cell_type": "markdown", "metadata": {}, "source": text.splitlines(keepends=True)}
    if tags:
        cell["metadata"]["tags"] = tags
    return cell


def code(text, tags=None, outputs=None):
    cell = {"cell_type": "code", "metadata": {}, "execution_count": 3,
            "outputs": outputs if outputs is not None else
            [{"output_type": "stream", "name": "stdout", "text": ["SECRET-OUTPUT\n"]}],
            "source": text.splitlines(keepends=True)}
    if tags:
        cell["metadata"]["tags"] = tags
    return cell


def notebook():
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3"}}, "cells": [
        md("# Chapter\n\nSome text.\n"),
        md("```{exercise} ex-one\n:label: ex-one\nCompute kappa.\n```\n"),
        md("Before.\n\n```{solution} ex-one\n:class: dropdown\n\nSECRET-1: kappa is 5.\n```\n\nAfter.\n"),
        code("answer = 5  # SECRET-2", tags=["solution"]),
        md("SECRET-3 whole cell", tags=["solution", "hide-input"]),
        md(":::{solution} ex-two\nSECRET-4 in a colon fence\n:::\nKept colon text.\n"),
        md("````{solution} ex-three\nSECRET-5\n```python\nx = 1  # SECRET-6\n```\nSECRET-7\n````\n"),
        md("```{solution-start} ex-four\n:class: dropdown\n```\n"),
        md("SECRET-8 explanation inside the gate\n"),
        code("print('SECRET-9')"),
        md("```{solution-end}\n```\n"),
        md("Between gates.\n\n```{solution-start} ex-five\n```\nSECRET-10\n```{solution-end}\n```\nTail kept.\n"),
        code("import coursecode as cc\nprint(cc.__version__)"),
        md(""),  # an empty cell that was always empty stays
    ]}


def text_of(nb):
    return json.dumps(nb)


def test_solutions_are_removed_and_the_rest_kept():
    nb = notebook()
    before = json.dumps(nb)
    student, report = ms.make_student_copy(nb)
    assert json.dumps(nb) == before  # the input is not modified
    dump = text_of(student)
    for k in range(1, 11):
        assert f"SECRET-{k}\\n" not in dump and f"SECRET-{k} " not in dump and f"SECRET-{k}:" not in dump, k
    assert "SECRET" not in dump
    for kept in ["# Chapter", "{exercise} ex-one", "Before.", "After.", "Kept colon text.", "Between gates.",
                 "Tail kept.", "import coursecode as cc"]:
        assert kept in dump, kept
    assert not any(ms.has_solution(c) for c in student["cells"])
    assert student["cells"][0]["metadata"]["tags"] == ["student-banner"]
    assert report == {"tagged_cells": 2, "directives": 5, "gated_cells": 2, "cleared_outputs": 1}
    kernel_cell = [c for c in student["cells"] if c["cell_type"] == "code"]
    assert len(kernel_cell) == 1 and kernel_cell[0]["outputs"] == [] and kernel_cell[0]["execution_count"] is None
    assert student["metadata"] == nb["metadata"]


def test_keep_outputs_and_no_banner():
    student, _ = ms.make_student_copy(notebook(), keep_outputs=True, banner=False)
    assert student["cells"][0]["source"][0] == "# Chapter\n"
    kept = [c for c in student["cells"] if c["cell_type"] == "code"]
    assert kept[0]["outputs"] and kept[0]["execution_count"] == 3


@pytest.mark.parametrize("cells, message", [
    ([md("```{solution-start} x\n```\n"), code("secret")], "never closed"),
    ([md("```{solution-end}\n```\n")], "without a {solution-start}"),
])
def test_broken_markers_are_errors(cells, message):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    with pytest.raises(ms.SolutionError, match=message):
        ms.make_student_copy(nb)


def test_command_line(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "01_demo.ipynb").write_text(json.dumps(notebook()))
    bad = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [md("```{solution-start} x\n```\n")]}
    (src / "02_bad.ipynb").write_text(json.dumps(bad))
    out = tmp_path / "student"
    # --myst: a notebook outside the book (its labels are unknown to the converter), solutions only
    proc = subprocess.run([sys.executable, str(SCRIPT), "--myst", "--out", str(out), str(src / "01_demo.ipynb")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    copy = json.loads((out / "01_demo.ipynb").read_text())
    assert "SECRET" not in json.dumps(copy)
    assert "removed 2 tagged cells" in proc.stdout
    proc = subprocess.run([sys.executable, str(SCRIPT), "--myst", "--out", str(out), str(src / "02_bad.ipynb")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "never closed" in proc.stderr
    assert not (out / "02_bad.ipynb").exists()


def test_the_chapters_make_clean_student_copies(tmp_path):
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    if not chapters:
        pytest.skip("no chapter notebooks yet")
    assert ms.main(["--out", str(tmp_path), *map(str, chapters)]) == 0
    for path in chapters:
        copy = json.loads((tmp_path / path.name).read_text())
        assert not any(ms.has_solution(c) for c in copy["cells"]), path.name
        assert all(not c.get("outputs") for c in copy["cells"] if c["cell_type"] == "code")
