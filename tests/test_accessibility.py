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

# Code cells, shown in the HTML, that neither follow a markdown cell nor start
# with a comment, when this test was written (issue #9). The chapters are not
# edited from here: each entry is to be fixed in its chapter (a sentence before
# the cell, or a first comment line saying what it does) and then removed from
# this list. A new offender fails the test; the known ones are reported by the
# xfail test below until none is left.
KNOWN_UNEXPLAINED_CELLS: dict[str, set[str]] = {
    "02_momentum.ipynb": {
        "5857abec",  # fig = plt.figure(figsize=(10, 7))
        "a61bca9e",  # fig, axes = plt.subplots(2, 2, figsize=(10, 8))
        "f25be6c4",  # fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10.5, 4.2), gr
    },
    "03_preconditioning.ipynb": {
        "31f84402",  # landscapes = {"bowl": cc.bowl(), "ravine": cc.ravine(), "lec
        "4f4f3abe",  # grid = np.geomspace(1, 1e4, 300)
        "83333e55",  # fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.6, 4.6), wid
        "2b3ecc23",  # fig, ax = plt.subplots(figsize=(6.4, 3.8))
        "f869f52d",  # fig, axes = plt.subplots(1, 3, figsize=(11.0, 4.3), layout="
        "4ecf0f07",  # from coursecode.homework import ch3 as homework
        "45d54ccc",  # questions["ch3-diag-step"]
        "01f021ac",  # questions["ch3-precond-gradient"]
        "f562a814",  # questions["ch3-diag-kappa"]
        "f7ec3046",  # questions["ch3-rotation"]
    },
    "04_adagrad_rmsprop.ipynb": {
        "ch4-21",  # s_end = sparse_runs["AdaGrad"].states.s[-1, best["AdaGrad"]]
        "ch4-29",  # glue("ch4_lag_ada_01", float(lag["AdaGrad"][-1, i01]), displ
        "ch4-36",  # def rho_frame(rho):
        "ch4-40",  # t_axis = np.arange(1, T_c + 1)
        "ch4-41",  # i99 = 1   # rho = 0.99
        "ch4-54",  # questions["ch4-first-step"]
        "ch4-55",  # questions["ch4-adagrad-rate"]
        "ch4-56",  # questions["ch4-why-stall"]
        "ch4-57",  # questions["ch4-eps-placement"]
        "ch4-60",  # questions["ch4-rmsprop-step"]
    },
    "06_adam_properties.ipynb": {
        "ch6-13",  # fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.8, 3.8))
        "ch6-19",  # start_distance = float(np.linalg.norm(theta0[0]))
        "ch6-20",  # fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.8, 3.9))
        "ch6-27",  # shown = [0.1, 1.0, 10**0.5, 10.0]
        "ch6-30",  # fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.8, 3.8))
        "ch6-34",  # fig, ax = plt.subplots(figsize=(6.6, 4.0))
        "ch6-37",  # fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.7), gridspec
        "ch6-41",  # fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.8, 3.7), gri
        "ch6-51",  # homework["ch6-sparse-bound"]
        "ch6-52",  # homework["ch6-worst-step"]
        "ch6-53",  # homework["ch6-nsr-step"]
    },
    "07_amsgrad.ipynb": {
        "8c5a93cd",  # shown = np.unique(np.geomspace(1, T_long, 2500).astype(int))
        "d87ee73c",  # j_adam, j_ams = row("spike", "Adam")[0], row("spike", "AMSGr
        "2e4fb01a",  # fig, axes = plt.subplots(1, 2, figsize=(9.8, 3.9), sharey=Tr
        "b94440b9",  # homework["ch7-beta2"]
    },
    "08_adamw.ipynb": {
        "ch8-grid-fig",  # three_maps(loss_l2, loss_w, lams_l2, lams_paper, best_l2, be
        "ch8-scaleinv-fig",  # three_maps(sloss_l2, sloss_w, lams_l2, lams_paper, edge_l2,
        "ch8-hw-ratio",  # homework["ch8-decay-ratio"]
    },
}


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
    known = KNOWN_UNEXPLAINED_CELLS.get(path.name, set())
    new = [(cid, line) for cid, line in offenders if cid not in known]
    assert not new, (
        f"{path.name}: code cells shown in the HTML with neither a markdown cell before them "
        "nor a first comment line saying what they do:\n"
        + "\n".join(f"  {cid}: {line}" for cid, line in new))


@pytest.mark.xfail(reason="known chapter code cells without a stated purpose (KNOWN_UNEXPLAINED_CELLS); "
                          "when this passes, empty that list", strict=False)
def test_no_known_unexplained_code_cell_is_left():
    left = {p.name: [cid for cid, _ in unexplained_code_cells(p)] for p in chapter_notebooks()}
    left = {name: cells for name, cells in left.items() if cells}
    assert not left, f"still to be explained in the chapters: {left}"
