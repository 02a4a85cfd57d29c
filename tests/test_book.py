"""The book's pipeline: configuration, table of contents, bibliography, and a
warning-free build (``jupyter-book build --all -W -n --keep-going``).

These tests do not assume which chapters exist yet: they read _toc.yml and
chapters/ and check that the two agree.
"""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))

# The course's parts, in lecture order, and which numbered chapter belongs where.
PARTS = [
    "The landscape",
    "Momentum and preconditioning",
    "Adaptive learning rates",
    "Convergence, regularization and generalization",
    "Adam in practice today",
    "Appendices",
]
CHAPTER_PART = {
    "01": "The landscape",
    "02": "Momentum and preconditioning",
    "03": "Momentum and preconditioning",
    "04": "Adaptive learning rates",
    "05": "Adaptive learning rates",
    "06": "Adaptive learning rates",
    "07": "Convergence, regularization and generalization",
    "08": "Convergence, regularization and generalization",
    "09": "Convergence, regularization and generalization",
    "10": "Convergence, regularization and generalization",
    "11": "Adam in practice today",
    "12": "Adam in practice today",
    "13": "Adam in practice today",
}
BIB_KEYS = """
kingma2015adam reddi2018convergence loshchilov2019decoupled wilson2017marginal
duchi2011adaptive tieleman2012rmsprop polyak1964some bock2019nonconvergence
dereich2024nonconvergence dauphin2014identifying goodfellow2016deep li2018visualizing
pascanu2013difficulty goh2017momentum nesterov1983method dozat2016incorporating
liu2020variance zhuang2020adabelief chen2023symbolic paszke2019pytorch
deepmind2020jax ruder2016overview
""".split()


def toc_entries() -> list[tuple[str | None, str]]:
    """(part caption, file) for every page in the toc, root first, in order."""
    entries: list[tuple[str | None, str]] = [(None, TOC["root"])]

    def walk(items, caption):
        for item in items or []:
            if "file" in item:
                entries.append((caption, item["file"]))
            walk(item.get("sections"), caption)

    for part in TOC.get("parts", []):
        walk(part.get("chapters"), part.get("caption"))
    walk(TOC.get("chapters"), None)
    return entries


def source_of(entry: str) -> Path | None:
    for suffix in (".md", ".ipynb"):
        path = ROOT / (entry + suffix)
        if path.exists():
            return path
    return None


def html_pages(html_dir: Path) -> list[Path]:
    skip = {"genindex.html", "search.html"}
    return sorted(p for p in html_dir.rglob("*.html")
                  if p.name not in skip and "_static" not in p.parts)


# --------------------------------------------------------------------- build


def test_book_builds_without_warnings(book_build):
    problems = book_build.problems
    message = "\n".join(problems) or book_build.output[-5000:]
    assert book_build.returncode == 0 and not problems, (
        f"jupyter-book build -W -n --keep-going reported {len(problems)} problem(s):\n{message}"
    )


def test_every_toc_page_is_rendered(built_html):
    for _, entry in toc_entries():
        assert (built_html / f"{entry}.html").exists(), f"{entry}.html missing"


def test_no_inline_script_is_written_twice(built_html):
    # Sphinx < 8.2.2 duplicated inline scripts added after builder init, so
    # sphinx-thebe's `const THEBE_JS_URL` was declared twice on every page
    # (a SyntaxError in the browser).  _ext/inline_js_dedupe.py fixes it.
    for page in html_pages(built_html):
        soup = BeautifulSoup(page.read_text(encoding="utf8"), "html.parser")
        bodies = [s.string.strip() for s in soup.find_all("script")
                  if not s.get("src") and s.string and s.string.strip()
                  and not (s.get("type") or "").startswith("application/")]
        dupes = [b[:80] for b, n in collections.Counter(bodies).items() if n > 1]
        assert not dupes, f"{page.relative_to(built_html)}: duplicated inline scripts {dupes}"
        assert sum("THEBE_JS_URL =" in b for b in bodies) <= 1


def test_no_page_loads_scripts_or_styles_from_the_network(built_html):
    for page in html_pages(built_html):
        soup = BeautifulSoup(page.read_text(encoding="utf8"), "html.parser")
        remote = [s["src"] for s in soup.find_all("script", src=True)
                  if re.match(r"(https?:)?//", s["src"])]
        remote += [link["href"] for link in soup.find_all("link", href=True)
                   if "stylesheet" in (link.get("rel") or [])
                   and re.match(r"(https?:)?//", link["href"])]
        assert not remote, f"{page.relative_to(built_html)} loads {remote}"


def test_mathjax_is_served_locally(built_html):
    assert (built_html / "_static" / "mathjax" / "tex-chtml.js").exists()
    index = (built_html / "chapters" / "intro.html").read_text(encoding="utf8")
    assert "_static/mathjax/tex-chtml.js" in index


# ----------------------------------------------------------------------- toc


def test_toc_is_a_jupyter_book_with_intro_as_root():
    assert TOC["format"] == "jb-book"
    assert TOC["root"] == "chapters/intro"


def test_toc_lists_only_files_that_exist():
    missing = [entry for _, entry in toc_entries() if source_of(entry) is None]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_toc_parts_follow_the_lecture_order():
    captions = [part["caption"] for part in TOC.get("parts", [])]
    assert captions, "the toc has no parts"
    unknown = [c for c in captions if c not in PARTS]
    assert not unknown, f"unexpected part captions {unknown}; expected some of {PARTS}"
    assert captions == sorted(captions, key=PARTS.index), captions
    assert len(set(captions)) == len(captions)
    for part in TOC["parts"]:
        assert part.get("chapters"), f"part {part['caption']!r} is empty"


def test_numbered_chapters_sit_in_their_part_in_order():
    numbered = []
    for caption, entry in toc_entries():
        match = re.match(r"chapters/(\d\d)_", entry)
        if match:
            number = match.group(1)
            expected = CHAPTER_PART.get(number, "Appendices")
            assert caption == expected, f"{entry} is under {caption!r}, expected {expected!r}"
            numbered.append(number)
    assert numbered == sorted(numbered), f"chapters out of order: {numbered}"


def test_every_chapter_notebook_is_in_the_toc():
    listed = {entry for _, entry in toc_entries()}
    notebooks = sorted(p for p in (ROOT / "chapters").glob("*.ipynb"))
    unlisted = [str(p.relative_to(ROOT)) for p in notebooks
                if str(p.relative_to(ROOT).with_suffix("")) not in listed]
    assert not unlisted, (
        f"notebooks not in _toc.yml (they would not be built): {unlisted}; "
        "add each under its part (see the comment at the top of _toc.yml)"
    )


def test_bibliography_is_the_last_page():
    entries = toc_entries()
    assert entries[-1] == ("Appendices", "chapters/bibliography")
    text = (ROOT / "chapters" / "bibliography.md").read_text(encoding="utf8")
    assert "```{bibliography}" in text


# ----------------------------------------------------------------- notebooks


def chapter_notebooks() -> list[Path]:
    return sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.name)
def test_notebook_was_run_top_to_bottom(path):
    # nbval does not compare cells that were never run, and the book is
    # rendered from the stored outputs; so every code cell must have been run,
    # in order, in one fresh kernel: `make notebooks`.
    nb = json.loads(path.read_text(encoding="utf8"))
    counts = [cell.get("execution_count") for cell in nb["cells"]
              if cell["cell_type"] == "code" and "".join(cell["source"]).strip()]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..{len(counts)}; "
        "run `make notebooks` (fresh kernel, top to bottom) and commit the result"
    )
    errors = [output.get("ename") for cell in nb["cells"] if cell["cell_type"] == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors, f"{path.name}: stored error outputs {errors}"


# ---------------------------------------------------------------- references


def test_references_bib_has_every_paper_of_the_course():
    text = (ROOT / "references.bib").read_text(encoding="utf8")
    keys = re.findall(r"^@\w+\{([^,\s]+),", text, flags=re.M)
    assert len(keys) == len(set(keys)), "duplicate bibtex keys"
    missing = sorted(set(BIB_KEYS) - set(keys))
    assert not missing, f"references.bib lacks {missing}"


def test_every_entry_has_author_title_year():
    text = (ROOT / "references.bib").read_text(encoding="utf8")
    for entry in re.split(r"\n(?=@)", text):
        if not entry.lstrip().startswith("@"):
            continue
        key = entry.split("{", 1)[1].split(",", 1)[0]
        for field in ("author", "title", "year"):
            assert re.search(rf"^\s*{field}\s*=", entry, flags=re.M), f"{key} lacks {field}"


# ------------------------------------------------------------- configuration


def test_config_executes_and_caches_notebooks():
    assert CONFIG["execute"]["execute_notebooks"] == "cache"


def test_config_extensions():
    extra = CONFIG["sphinx"]["extra_extensions"]
    for ext in ("sphinx_exercise", "sphinx_proof", "sphinxcontrib.bibtex"):
        assert ext in extra
    # MathJax is served offline by the local extension, which ships only the parts pages load
    assert CONFIG["sphinx"]["local_extensions"]["mathjax_offline"] == "_ext"
    assert CONFIG["bibtex_bibfiles"] == ["references.bib"]
    myst = CONFIG["parse"]["myst_enable_extensions"]
    for ext in ("amsmath", "dollarmath", "colon_fence"):
        assert ext in myst


def test_config_keeps_widgets_off_the_cdn():
    assert not CONFIG["sphinx"]["config"]["nb_ipywidgets_js"]


def test_repository_url_is_set_in_one_place():
    repo = CONFIG["repository"]
    assert repo["url"] == "https://github.com/adam-course/adaptive-optimizers"
    assert repo["branch"] == "main"
    config_text = (ROOT / "_config.yml").read_text(encoding="utf8")
    assert config_text.count("github.com/adam-course") == 1
    # The build files derive it from _config.yml; none repeats it.
    for name in ("Makefile", "_toc.yml", ".ci/run", "requirements.txt"):
        path = ROOT / name
        if path.exists():
            assert "github.com/adam-course" not in path.read_text(encoding="utf8"), name


def test_launch_buttons_and_licence_footer():
    buttons = CONFIG["launch_buttons"]
    assert buttons["binderhub_url"] and buttons["colab_url"] and buttons["thebe"] is True
    footer = CONFIG["html"]["extra_footer"]
    assert "CC BY 4.0" in footer and "MIT" in footer


def test_requirements_are_pinned_and_install_coursecode():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines[-1] in ("-e .", "."), "the last line must install coursecode"
    for line in lines[:-1]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^\s=]+", line), f"not pinned: {line}"
        name = line.split("==")[0].lower()
        assert name not in ("coursecode", "torch"), line
    names = {line.split("==")[0].lower() for line in lines[:-1]}
    for needed in ("jupyter-book", "myst-nb", "sphinx-exercise", "sphinx-proof",
                   "sphinxcontrib-bibtex", "sphinx-mathjax-offline", "nbval", "pytest",
                   "numpy", "matplotlib", "ipywidgets", "playwright", "ipykernel"):
        assert needed in names, f"requirements.txt lacks {needed}"


@pytest.mark.parametrize("page", ["chapters/intro.md"])
def test_intro_has_notation_table(page):
    text = (ROOT / page).read_text(encoding="utf8")
    for symbol in (r"\theta", "g_t", r"\gamma", r"\beta_1", r"\beta_2", r"\epsilon", r"\lambda",
                   r"\rho", "m_t", "v_t", r"\hat m_t", r"\hat v_t", "s_t", r"\kappa", "P_t", "D_t"):
        assert f"${symbol}" in text, symbol
    for name in ("`lr`", "`beta1`", "`beta2`", "`eps`", "`weight_decay`", "`rho`"):
        assert name in text, name
