"""Accessibility of the book that can be checked without a browser.

- figures: the palette is Okabe & Ito's (colour-blind safe) and every series
  also differs by line style and marker, in the helpers' output too; figures
  are drawn on an opaque white background (readable in the theme's dark mode);
- every image in the built pages (and every frame of a pre-computed slider or
  animation) has an alt text that says something: not empty, not a file name,
  not a generic word such as "png", "output" or "figure";
- headings come in order: one h1 per page, first, and no level skipped on the
  way down (h2 -> h4 is a skip; h4 -> h2 is fine);
- every code cell a reader sees in the HTML states its purpose: it follows a
  markdown cell or starts with a comment line (a heuristic).

The browser checks (axe-core on every page, dark-mode screenshots, keyboard
access to the sliders) are in test_browser.py.
"""
from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib as mpl  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from coursecode import plots  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}


# --------------------------------------------------------------------- figures


def test_palette_is_okabe_ito():
    assert set(plots.PALETTE) <= OKABE_ITO
    assert len(set(plots.PALETTE)) == len(plots.PALETTE)
    assert mpl.rcParams["axes.prop_cycle"] is not None
    cycle = plots.STYLE["axes.prop_cycle"].by_key()["color"]
    assert cycle == plots.PALETTE


def test_every_pair_of_series_differs_in_line_style_and_marker():
    # Told apart without colour (grey-scale print, colour-blind readers): any two
    # of the first len(PALETTE) series differ in line style AND in marker.
    styles = [plots.series_style(i) for i in range(len(plots.PALETTE))]
    for i in range(len(styles)):
        for j in range(i + 1, len(styles)):
            a, b = styles[i], styles[j]
            assert a["color"] != b["color"], (i, j)
            assert repr(a["linestyle"]) != repr(b["linestyle"]), (i, j, a["linestyle"])
            assert a["marker"] != b["marker"], (i, j, a["marker"])


def test_curves_draw_each_series_in_its_own_style():
    fig = Figure()
    ax = fig.add_subplot()
    plots.curves({f"run {k}": [1.0, 0.5, 0.25] for k in range(5)}, ax=ax)
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith("run")]
    assert len(lines) == 5
    # get_linestyle() says "--" for every custom dash pattern; the pattern itself
    # (offset, on-off sequence) is what the reader sees.
    dashes = {repr(getattr(ln, "_unscaled_dash_pattern", ln.get_linestyle())) for ln in lines}
    assert len(dashes) == 5, dashes
    assert len({ln.get_marker() for ln in lines}) == 5
    assert len({ln.get_color() for ln in lines}) == 5


def test_figures_have_an_opaque_light_background():
    assert plots.STYLE["figure.facecolor"] == "white"
    assert plots.STYLE["savefig.facecolor"] == "white"
    assert plots.STYLE["axes.facecolor"] == "white"


# ------------------------------------------------------------- built pages


# An alt text that only names the kind of thing, or a file, says nothing.
GENERIC_ALT = re.compile(
    r"^\s*(png|jpe?g|svg|gif|image|img|picture|figure|fig|plot|graph|chart|output|"
    r"untitled|alt|placeholder|none|null|undefined)\s*\.?\s*$", re.I)
FILENAME_ALT = re.compile(r"^[\w./\\-]+\.(png|jpe?g|svg|gif|webp)$", re.I)
# precomputed_slider's fallback when a chapter passes no alt: "Figure at lr = 0.1."
SLIDER_FALLBACK_ALT = re.compile(r"^Figure at [^.]* = [^ ]+\.$")


def alt_problem(alt: str | None, src: str = "") -> str | None:
    """Why this alt text does not describe a figure, or None when it may."""
    if alt is None:
        return "no alt attribute"
    text = alt.strip()
    if not text:
        return "empty alt"
    if GENERIC_ALT.match(text):
        return f"generic alt {text!r}"
    if FILENAME_ALT.match(text) or (src and not src.startswith("data:") and text in src):
        return f"alt is a file name {text!r}"
    if SLIDER_FALLBACK_ALT.match(text):
        return f"default slider alt {text!r} (pass alt= to precomputed_slider)"
    return None


def test_alt_problem_flags_placeholders():
    assert alt_problem(None) and alt_problem("") and alt_problem("png") and alt_problem("Output")
    assert alt_problem("../_images/abc123.png") and alt_problem("Figure at lr = 0.1.")
    assert alt_problem("Line plot of loss against step: GD falls from 1 to 0.25.") is None


def content_pages(html_dir: Path) -> list[Path]:
    return sorted(p for p in html_dir.rglob("*.html")
                  if not {"_static", "_sources"} & set(p.relative_to(html_dir).parts))


@functools.lru_cache(maxsize=None)
def _parsed(page: Path, mtime: float):
    from bs4 import BeautifulSoup

    text = page.read_text(encoding="utf8")
    return text, BeautifulSoup(text, "html.parser")


def parsed(page: Path):
    """(text, soup) of a built page, parsed once for all the tests here."""
    return _parsed(page, page.stat().st_mtime)


PLAYER_DATA = re.compile(r"var d = (\{.*?\});\n", re.S)


def test_every_image_has_a_descriptive_alt(built_html):
    bad, seen = [], 0
    for page in content_pages(built_html):
        rel = page.relative_to(built_html).as_posix()
        _, soup = parsed(page)
        for img in soup.find_all("img"):
            seen += 1
            problem = alt_problem(img.get("alt"), img.get("src") or "")
            if problem:
                bad.append(f"{rel}: <img src={(img.get('src') or '')[:60]!r}>: {problem}")
        # every frame of a pre-computed slider or animation has an alt of its own
        for script in soup.find_all("script"):
            match = PLAYER_DATA.search(script.string or "")
            if not match:
                continue
            data = json.loads(match.group(1))
            for k, alt in enumerate(data.get("alts", [])):
                seen += 1
                problem = alt_problem(alt)
                if problem:
                    bad.append(f"{rel}: player {data.get('id')} frame {k}: {problem}")
    assert seen, "no images found in the built pages"
    assert not bad, "images without a descriptive alt text:\n" + "\n".join(bad)


def heading_problems(levels: list[int]) -> list[str]:
    """Skipped levels and misplaced h1s in a page's sequence of heading levels."""
    problems = []
    if not levels:
        return problems
    if levels[0] != 1:
        problems.append(f"first heading is h{levels[0]}, not h1")
    if levels.count(1) > 1:
        problems.append(f"{levels.count(1)} h1 headings")
    for a, b in zip(levels, levels[1:]):
        if b > a + 1:
            problems.append(f"h{a} followed by h{b}")
    return problems


def test_heading_problems():
    assert heading_problems([1, 2, 3, 2, 3, 3, 2]) == []
    assert heading_problems([1, 3]) == ["h1 followed by h3"]
    assert heading_problems([2, 3]) == ["first heading is h2, not h1"]


def test_headings_are_in_order(built_html):
    bad, checked = {}, 0
    for page in content_pages(built_html):
        _, soup = parsed(page)
        article = soup.find("article")  # the page's own content, not the theme's sidebars
        if article is None:
            continue  # e.g. index.html, a redirect
        levels = [int(h.name[1]) for h in article.find_all(re.compile(r"^h[1-6]$"))]
        checked += 1
        problems = heading_problems(levels)
        if problems:
            bad[page.relative_to(built_html).as_posix()] = problems
    assert checked
    assert not bad, f"headings out of order: {bad}"


# ------------------------------------------------------------------ notebooks

def chapter_notebooks() -> list[Path]:
    return sorted((ROOT / "chapters").glob("*.ipynb"))


def unexplained_code_cells(path: Path) -> list[tuple[str, str]]:
    """(cell id, first line) of each displayed code cell whose purpose is not stated."""
    nb = json.loads(path.read_text(encoding="utf8"))
    cells = nb["cells"]
    out = []
    for k, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"remove-cell", "remove-input"}:
            continue  # its code is not shown in the HTML
        source = "".join(cell["source"]).strip()
        if not source:
            continue
        if source.startswith("#"):
            continue  # a comment line says what it does
        if k > 0 and cells[k - 1]["cell_type"] == "markdown" and "".join(cells[k - 1]["source"]).strip():
            continue  # the text just before it does
        out.append((cell.get("id") or f"cell {k}", source.splitlines()[0][:70]))
    return out


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.name)
def test_every_shown_code_cell_states_its_purpose(path):
    offenders = unexplained_code_cells(path)
    assert not offenders, (
        f"{path.name}: code cells shown in the HTML with neither a markdown cell before them "
        "nor a first comment line saying what they do:\n"
        + "\n".join(f"  {cid}: {line}" for cid, line in offenders))
