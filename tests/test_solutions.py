"""Every exercise of the book has its solution, also where a widget checks the answer."""
import json
import re
from pathlib import Path

import pytest

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
EXERCISE = re.compile(r"^[`:]{3,}\{exercise(?:-start)?\}[^\n]*\n(?::[\w-]+:[^\n]*\n)*?:label: ([\w-]+)", re.M)
SOLUTION = re.compile(r"^[`:]{3,}\{solution(?:-start)?\} ([\w-]+)", re.M)


def _markdown(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


PAGES = sorted(p for p in CHAPTERS.iterdir() if p.suffix in (".ipynb", ".md"))


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_exercise_has_a_solution(page):
    text = _markdown(page)
    exercises, solutions = EXERCISE.findall(text), set(SOLUTION.findall(text))
    assert not [e for e in exercises if e not in solutions], f"exercises without a solution in {page.name}"
    assert not solutions - set(exercises), f"solutions of no exercise on this page in {page.name}"


def test_the_pattern_finds_the_books_exercises():
    counts = {p.name: len(EXERCISE.findall(_markdown(p))) for p in PAGES}
    assert sum(counts.values()) >= 40 and counts["02_momentum.ipynb"] >= 3
